"""Raw reading of a table file: bytes -> [(Excel row number, [cells])]. Knows encodings (UTF-8, UTF-8 with BOM,
UTF-16, Windows-1250, ISO-8859-2), separators, XLSX sheets; refuses with DataFileError what is not a table.
Nothing here knows what the columns mean (that is dashboard.dataset)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np


class DataFileError(Exception):
    """The file cannot be read as a table at all (bad encoding, not a table, required column missing)."""

    def __init__(self, path, reason: str, fix: str = ""):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"{self.path}: {reason}" + (f" — {fix}" if fix else ""))




def split_sheet(path) -> tuple[Path, str | None]:
    s = str(path)
    if "#" in s and not Path(s).exists():
        base, sheet = s.rsplit("#", 1)
        return Path(base), sheet
    return Path(s), None


def _decode(data: bytes, path) -> tuple[str, str]:
    if not data.strip():
        raise DataFileError(path, "the file is empty", "export the table again")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise DataFileError(path, f"bad encoding: UTF-8 BOM but invalid UTF-8 at byte {e.start}",
                                "save as 'CSV UTF-8' from Excel") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise DataFileError(path, "bad encoding: broken UTF-16", "save as 'CSV UTF-8' from Excel") from None
    head = data[:4096]
    if b"\x00" in head:
        raise DataFileError(path, "not a table: binary content", "give a CSV or XLSX file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_err = e
    loose = data.decode("utf-8", errors="replace")
    bad = loose.count("\ufffd")
    good = sum(1 for c in loose if ord(c) > 127 and c != "\ufffd")
    if good >= 3 and good > 3 * bad:  # mostly valid UTF-8 with a few broken bytes: two encodings mixed
        line = data[: utf8_err.start].count(b"\n") + 1
        byte = data[utf8_err.start]
        raise DataFileError(path, f"bad encoding: mixed — mostly UTF-8, but invalid bytes (0x{byte:02x} at byte "
                                  f"{utf8_err.start}, line {line}); probably two files pasted together",
                            "open it in a spreadsheet, fix the garbled names and save as 'CSV UTF-8'")
    scores = []
    for enc in ("cp1250", "iso8859_2"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if re.search(r"[\x80-\x9f]", text):  # C1 control characters: not text in this encoding
            continue
        scores.append((sum(text.count(c) for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"), enc == "cp1250", enc, text))
    if not scores:
        raise DataFileError(
            path, f"bad encoding: neither UTF-8 (invalid byte 0x{data[utf8_err.start]:02x} at offset "
                  f"{utf8_err.start}) nor Windows-1250", "save as 'CSV UTF-8' (or 'CSV (rozdzielany średnikami)')")
    scores.sort(reverse=True)
    _, _, enc, text = scores[0]
    return text, enc


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:40]
    best, best_score = ",", (-1, -1.0)
    for d in (";", ",", "\t", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        if not counts:
            continue
        mode, n = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (n, -[";", ",", "\t", "|"].index(d))
        if score > best_score:
            best, best_score = d, score
    return best


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    return str(v)


def _clean(s: str) -> str:
    return re.sub(r"[\u00a0\u2007\u202f\u200b\ufeff]", " ", s).strip()


def read_rows(path, sheet: str | None = None) -> tuple[list[tuple[int, list]], dict]:
    """-> ([(excel_row_number, [cell values])], info). Cells: str, or the typed value XLSX gave."""
    p, sheet_from_name = split_sheet(path)
    sheet = sheet or sheet_from_name
    if not p.exists():
        raise DataFileError(path, "file not found", "check the path")
    if p.is_dir():
        raise DataFileError(path, "not a table: this is a folder", "give a CSV or XLSX file")
    data = p.read_bytes()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataFileError(path, "not a table this program reads: old Excel .xls format (or a password-protected "
                                  "workbook)", "open it in Excel, remove the password and save as .xlsx or 'CSV UTF-8'")
    if data[:4] == b"PK\x03\x04" and b"opendocument.spreadsheet" in data[:200]:
        raise DataFileError(path, "not a table this program reads: an OpenDocument spreadsheet (.ods)",
                            "save it as .xlsx or 'CSV UTF-8'")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(p, data, sheet)
    if data.lstrip()[:5] in (b"%PDF-",) or data.lstrip()[:1] in (b"{", b"<"):
        raise DataFileError(path, "not a table: looks like PDF/JSON/HTML/XML", "give a CSV or XLSX file")
    if sheet:
        raise DataFileError(path, f"a sheet name ('{sheet}') was given but the file is not XLSX",
                            "drop '#sheet' for CSV files")
    text, enc = _decode(data, path)
    m = re.match(r"\s*sep=(.)\s*?(\r\n|\n|\r)", text)
    if m:  # Excel's separator hint line; Excel does not show it as a row
        delim, text = m.group(1), text[m.end():]
    else:
        delim = _sniff_delimiter(text)
    return _csv_rows(text, delim), {"encoding": enc, "delimiter": delim, "text": text, "sep_line": bool(m)}


def _csv_rows(text: str, delim: str) -> list[tuple[int, list]]:
    return [(i, [_clean(c) for c in rec]) for i, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delim), 1)]


def _read_xlsx(p: Path, data: bytes, sheet: str | None):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise DataFileError(p, f"not a table: a ZIP file that is not a readable XLSX ({e})",
                            "open it in Excel and save as .xlsx") from None
    if sheet:
        if sheet not in wb.sheetnames:
            raise DataFileError(p, f"sheet '{sheet}' not found (sheets: {', '.join(wb.sheetnames)})",
                                "use file.xlsx#<sheet name>")
        ws = wb[sheet]
    else:
        visible = [w for w in wb.worksheets if w.sheet_state == "visible"]
        ws = (visible or wb.worksheets)[0]
    rows = [(i, [(_clean(v) if isinstance(v, str) else v) for v in rec])
            for i, rec in enumerate(ws.iter_rows(min_row=1, values_only=True), 1)]
    return rows, {"encoding": "xlsx", "delimiter": "", "sheet": ws.title, "sheets": wb.sheetnames}
