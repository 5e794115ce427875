"""Raw reading of a table file: bytes -> [(Excel row number, [cells])]. Knows encodings (UTF-8, UTF-8 with BOM,
UTF-16, Windows-1250, ISO-8859-2, repairs mojibake), separators, XLSX (merged cells, formulas without results,
hidden rows/columns, '0000000' number formats) and ODS sheets; refuses with DataFileError what is not a table
(PDF, .xls, .xlsb, Word …); an HTML table named .xls is read. Nothing here knows what the columns mean
(that is dashboard.ingest.dataset).
    read_rows(path, sheet=None) -> ([(row number, [cells])], info: encoding, delimiter, sheet, notes, …)"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

MAX_FILE_BYTES = 50_000_000        # the shipped register is 30 KB; 10,000 rows of CSV are ~0.5 MB
MAX_UNZIPPED_BYTES = 300_000_000   # XLSX is a ZIP: refuse what would unpack to more than this


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
    if not data.strip() or not data.replace(b"\xef\xbb\xbf", b"").strip():
        raise DataFileError(path, "the file is empty", "export the table again")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return _repair_mojibake(data[3:].decode("utf-8")), "utf-8-sig"
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
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise DataFileError(path, f"not a table: binary content (a NUL byte in line {line})", "give a CSV or XLSX file")
    try:
        return _repair_mojibake(data.decode("utf-8")), "utf-8"
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
        line = data[: utf8_err.start].count(b"\n") + 1
        raise DataFileError(
            path, f"bad encoding: neither UTF-8 (invalid byte 0x{data[utf8_err.start]:02x} in line {line}) nor "
                  "Windows-1250 (bytes that are no text in it): probably two encodings mixed, e.g. rows pasted from "
                  "another file", "open it in a spreadsheet, fix the garbled names and save as 'CSV UTF-8'")
    scores.sort(reverse=True)
    _, _, enc, text = scores[0]
    return text, enc


class Repaired(str):
    """Text that was garbled and has been repaired (the reader adds a note)."""


def _repair_mojibake(text: str) -> str:
    """UTF-8 that was once read as Windows-1250 and saved again ('BolesĹ‚awiec', 'ĹĂłdĹş') -> the Polish text.
    Returned as Repaired so the reader can say so; unchanged when it is not that kind of garbling."""
    if not re.search(r"Ĺ[\u0080-\u203a\ufffd]|Ä[\u0080-\u203a]|Ă[\u0080-\u203a]", text):
        return text
    marked = text.replace("Ĺ\ufffd", "\x00")   # 'Ł' (C5 81): byte 0x81 has no Windows-1250 character
    try:
        fixed = marked.encode("cp1250").decode("utf-8")
    except UnicodeError:
        return text
    return Repaired(fixed.replace("\x00", "Ł"))


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:40]
    best, best_score = ",", (-1, -1.0)
    for d in (";", ",", "\t", "|"):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:   # e.g. a cell over csv's field limit: _csv_rows says where
            continue
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
    """A cell's text as the office sees it in Excel: no-break spaces are spaces; zero-width characters (a zero-width
    space, joiner, BOM, soft hyphen, often pasted from the web) show as nothing, so they are removed ("Gdań\u200bsk"
    is "Gdańsk", not "Gdań sk")."""
    s = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]", "", s)
    return re.sub(r"[\u00a0\u2007\u202f]", " ", s).strip()


def read_rows(path, sheet: str | None = None) -> tuple[list[tuple[int, list]], dict]:
    """-> ([(excel_row_number, [cell values])], info). Cells: str, or the typed value XLSX gave."""
    p, sheet_from_name = split_sheet(path)
    sheet = sheet or sheet_from_name
    if not p.exists():
        raise DataFileError(path, "file not found", "check the path")
    if p.is_dir():
        raise DataFileError(path, "not a table: this is a folder", "give a CSV or XLSX file")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise DataFileError(path, f"the file is too large ({p.stat().st_size / 1e6:.0f} MB; a register is well under "
                                  f"{MAX_FILE_BYTES / 1e6:.0f} MB)", "check that this is the right file")
    data = p.read_bytes()
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataFileError(path, "not a table this program reads: old Excel .xls format (or a password-protected "
                                  "workbook)", "open it in Excel, remove the password and save as .xlsx or 'CSV UTF-8'")
    if data[:4] == b"PK\x03\x04" and b"opendocument.spreadsheet" in data[:200]:
        return _read_ods(p, data, sheet)
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(p, data, sheet)
    if re.search(rb"<table\b", data[:200_000], re.IGNORECASE) and re.match(rb"\s*(\xef\xbb\xbf)?\s*<", data):
        return _read_html(path, data)
    _refuse_documents(path, data)
    if sheet:
        raise DataFileError(path, f"a sheet name ('{sheet}') was given but the file is not XLSX",
                            "drop '#sheet' for CSV files")
    text, enc = _decode(data, path)
    _refuse_documents(path, text.lstrip("\ufeff \t\r\n")[:200].encode("utf-8", "replace"))
    notes = []
    if isinstance(text, Repaired):
        notes.append({"row": None, "message": "the text was garbled (UTF-8 read as Windows-1250 and saved again, "
                                              "e.g. 'BolesĹ‚awiec'); it has been repaired",
                      "fix": "check the names, and save the original as 'CSV UTF-8'"})
    m = re.match(r"\s*sep=(.)\s*?(\r\n|\n|\r)", text)
    if m:  # Excel's separator hint line; Excel does not show it as a row
        delim, text = m.group(1), text[m.end():]
    else:
        delim = _sniff_delimiter(text)
    return _csv_rows(text, delim, path), {"encoding": enc, "delimiter": delim, "text": text, "sep_line": bool(m),
                                    "notes": notes}


def _refuse_documents(path, head: bytes) -> None:
    """PDF, HTML (web systems export tables as HTML with an .xls name), JSON, XML: not a table we read."""
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    low = h[:200].lower()
    what = ("a PDF document" if h.startswith(b"%PDF-") else
            "an HTML page (web systems often save tables as HTML with an .xls/.xlsx name)"
            if re.match(rb"<(!doctype html|html|table|meta|head|body)\b", low) else
            "JSON" if h[:1] == b"{" or h[:2] == b"[{" else
            "XML" if low.startswith(b"<?xml") or h[:1] == b"<" else None)
    if what:
        raise DataFileError(path, f"not a table: the file is {what}",
                            "open it in Excel or LibreOffice and save it as .xlsx or 'CSV UTF-8'")


def _csv_rows(text: str, delim: str, path="") -> list[tuple[int, list]]:
    """Records with their Excel row numbers (a quoted multi-line cell is one row, as in Excel). Line endings
    \r\n, \n and \r (old Mac Excel) all end a row."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataFileError(path, f"not a table: binary content (a NUL character in line {line})",
                            "give a CSV or XLSX file")
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delim)
    try:
        return [(i, [_clean(c) for c in rec]) for i, rec in enumerate(reader, 1)]
    except csv.Error as e:   # 'field larger than field limit (131072)': a cell of 128k+ characters
        raise DataFileError(path, f"not a table: {e} (line {reader.line_num})",
                            "open it in Excel and save it as 'CSV UTF-8'") from None


def _read_xlsx(p: Path, data: bytes, sheet: str | None):
    import openpyxl

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        infos = []
    names = [i.filename for i in infos]
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:   # a zip bomb, or not a register
        raise DataFileError(p, f"the workbook unpacks to more than {MAX_UNZIPPED_BYTES / 1e6:.0f} MB",
                            "check that this is the right file; save only the register's sheet")
    other = ("a Word document (.docx)" if any(n.startswith("word/") for n in names) else
             "an Excel binary workbook (.xlsb)" if "xl/workbook.bin" in names else
             "a PowerPoint file" if any(n.startswith("ppt/") for n in names) else None)
    if other:
        raise DataFileError(p, f"not a table this program reads: {other}",
                            "open it in Excel and save it as .xlsx ('Skoroszyt programu Excel') or 'CSV UTF-8'")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise DataFileError(p, f"not a table: a ZIP file that is not a readable XLSX ({e})",
                            "open it in Excel and save as .xlsx") from None
    if sheet:
        ws = wb[_sheet_name(p, sheet, wb.sheetnames)]
    else:
        visible = [w for w in wb.worksheets if w.sheet_state == "visible"]
        ws = (visible or wb.worksheets)[0]
    rows = [(i, [_xlsx_value(c) for c in rec]) for i, rec in enumerate(ws.iter_rows(min_row=1), 1)]
    notes = _fill_merged(ws, rows)
    hidden = sorted(r for r, d in ws.row_dimensions.items() if d.hidden)
    hidden_cols = _hidden_columns(ws)
    return rows, {"encoding": "xlsx", "delimiter": "", "sheet": ws.title, "sheets": wb.sheetnames, "notes": notes,
                  "hidden_rows": hidden, "hidden_columns": hidden_cols,
                  "formulas": _formulas_without_values(data, ws.title, rows)}


def _hidden_columns(ws) -> set[int]:
    """0-based indexes of the columns Excel hides (a dimension may cover a range min..max)."""
    from openpyxl.utils import column_index_from_string

    out = set()
    for letter, d in ws.column_dimensions.items():
        if d.hidden:
            lo = d.min or column_index_from_string(letter)
            out.update(range(lo - 1, (d.max or lo)))
    return out


def _sheet_name(p: Path, wanted: str, names: list[str]) -> str:
    """The sheet asked for; case, diacritics and spaces ignored when that leaves exactly one ('arkusz 1')."""
    if wanted in names:
        return wanted
    loose = [n for n in names if re.sub(r"\s", "", n.casefold()) == re.sub(r"\s", "", wanted.casefold())]
    if len(loose) == 1:
        return loose[0]
    raise DataFileError(p, f"sheet '{wanted}' not found (sheets: {', '.join(names)})",
                        f"use {p.name}#<sheet name>, e.g. {p.name}#{names[0]}")


def _xlsx_value(cell):
    """The value as Excel shows it where that matters: a number formatted '0000000' keeps its leading zeros."""
    v = cell.value
    if isinstance(v, str):
        return _clean(v)
    fmt = cell.number_format or ""
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    if number and re.fullmatch(r"0{2,}", fmt) and float(v).is_integer():
        return f"{int(v):0{len(fmt)}d}"
    return v


def _fill_merged(ws, rows) -> list[dict]:
    """Merged cells hold their value in the top-left cell only; the office means it for every cell of the range
    (a voivodeship merged over its cities). Fill them and say so."""
    notes = []
    for rng in ws.merged_cells.ranges:
        top = rows[rng.min_row - 1][1] if rng.min_row <= len(rows) else []
        value = top[rng.min_col - 1] if rng.min_col <= len(top) else None
        if value is None or rng.max_row == rng.min_row:
            continue   # a title merged across columns: nothing to fill down
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            cells = rows[r - 1][1]
            for c in range(rng.min_col, rng.max_col + 1):
                if c <= len(cells):
                    cells[c - 1] = value
        notes.append({"row": rng.min_row, "col": rng.min_col - 1,
                      "message": f"merged cells {rng.coord}: the value '{_cell_text(value)}' is read in each of "
                                 f"rows {rng.min_row}–{rng.max_row}",
                      "fix": "unmerge the cells and fill the value into every row if this is not what you meant"})
    return notes


def _formulas_without_values(data: bytes, title: str, rows) -> dict[tuple[int, int], str]:
    """{(row, column index): formula} of the cells whose formula result was not saved in the file (files written
    by programs, not by Excel): openpyxl then gives None, which must not be read as an empty cell."""
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if not any(b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")):
            return {}
    ws = openpyxl.load_workbook(io.BytesIO(data), data_only=False)[title]
    out = {}
    for rec in ws.iter_rows(min_row=1):
        for c in rec:
            if isinstance(c.value, str) and c.value.startswith("=") and c.row <= len(rows) and \
                    rows[c.row - 1][1][c.column - 1] is None:
                out[(c.row, c.column - 1)] = c.value
    return out


_ODS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}


def _ods(ns: str, name: str) -> str:
    return f"{{{_ODS[ns]}}}{name}"


def _read_ods(p: Path, data: bytes, sheet: str | None):
    """OpenDocument spreadsheet (LibreOffice, common in public offices): the same rows as an XLSX gives. Formula
    results are always stored by LibreOffice; merged cells are not filled (the note says how to check)."""
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            root = ET.fromstring(z.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as e:
        raise DataFileError(p, f"not a table: a broken OpenDocument spreadsheet ({e})",
                            "open it in LibreOffice and save it again (.ods or .xlsx)") from None
    tables = root.findall(f".//{_ods('table', 'table')}")
    names = [t.get(_ods("table", "name")) for t in tables]
    if not tables:
        raise DataFileError(p, "the spreadsheet has no sheets", "give the file that holds the register")
    table = tables[names.index(_sheet_name(p, sheet, names))] if sheet else tables[0]
    rows, hidden, merged, n = [], [], [], 0
    for row in table.iter(_ods("table", "table-row")):
        cells = []
        for cell in row:
            if cell.tag not in (_ods("table", "table-cell"), _ods("table", "covered-table-cell")):
                continue
            repeat = int(cell.get(_ods("table", "number-columns-repeated"), "1"))
            value = _ods_value(cell)
            if cell.get(_ods("table", "number-rows-spanned"), "1") != "1":
                merged.append(n + 1)
            cells.extend([value] * (repeat if value is not None else min(repeat, 64)))
        while cells and cells[-1] is None:
            cells.pop()
        repeat = int(row.get(_ods("table", "number-rows-repeated"), "1"))
        for _ in range(repeat if cells else 1):   # empty rows repeated to the sheet's end count once
            n += 1
            rows.append((n, list(cells)))
            if row.get(_ods("table", "visibility")) in ("collapse", "filter"):
                hidden.append(n)
        if not cells:
            n += repeat - 1
    notes = [{"row": r, "message": "merged cells (vertically) start in this row; only their first row holds the "
                                   "value in an .ods file", "fix": "unmerge them and fill the value into every row"}
             for r in merged]
    return rows, {"encoding": "ods", "delimiter": "", "sheet": table.get(_ods("table", "name")), "sheets": names,
                  "notes": notes, "hidden_rows": hidden, "formulas": {}}


def _ods_value(cell):
    kind = cell.get(_ods("office", "value-type"))
    if kind in ("float", "percentage", "currency"):
        v = float(cell.get(_ods("office", "value")))
        return int(v) if v.is_integer() and abs(v) < 1e15 else v
    if kind == "date":
        raw = cell.get(_ods("office", "date-value"))
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return cell.get(_ods("office", "boolean-value")) == "true"
    paras = ["".join(p.itertext()) for p in cell.findall(_ods("text", "p"))]
    text = _clean("\n".join(paras)) if paras else ""
    return text or None


class _HtmlTables(HTMLParser):
    """Every <table> of a page as rows of cell texts (colspan keeps the columns aligned; rowspan is not filled)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.stack, self.row, self.cell, self.span = [], [], None, None, 1

    def close_cell(self):
        if self.cell is not None and self.row is not None:
            self.row += [_clean(re.sub(r"[ \t\r\n]+", " ", "".join(self.cell)))] + [None] * (self.span - 1)
        self.cell = None

    def close_row(self):
        self.close_cell()
        if self.row is not None and self.stack:
            self.stack[-1].append(self.row)
        self.row = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.stack.append([])
        elif tag == "tr":
            self.close_row()
            self.row = []
        elif tag in ("td", "th"):
            self.close_cell()
            if self.row is None:
                self.row = []
            self.cell, span = [], dict(attrs).get("colspan") or "1"
            self.span = min(int(span), 50) if span.isdigit() else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.close_cell()
        elif tag == "tr":
            self.close_row()
        elif tag == "table" and self.stack:
            self.close_row()
            self.tables.append(self.stack.pop())

    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)


def _read_html(path, data: bytes):
    """An HTML table saved with an .xls/.xlsx name (how many web systems 'export to Excel'): the largest <table>,
    one row per <tr>, a cell per <td>/<th> (colspan keeps the columns aligned; rowspan is not filled)."""
    text, enc = _decode(data, path)
    parser = _HtmlTables()
    parser.feed(text)
    parser.close()
    table = max(parser.tables, key=len, default=[])
    if not table:
        raise DataFileError(path, "not a table: an HTML page without table rows",
                            "open it in Excel or LibreOffice and save it as .xlsx or 'CSV UTF-8'")
    notes = [{"row": None, "message": f"read from an HTML table ({enc}) — a web page saved with a spreadsheet name; "
                                      "cells merged across rows (rowspan) are not filled",
              "fix": "open it in Excel or LibreOffice and save it as .xlsx to be sure it reads as you see it"}]
    return list(enumerate(table, 1)), {"encoding": f"html/{enc}", "delimiter": "", "notes": notes}
