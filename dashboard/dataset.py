"""Read the union's tables as the office keeps them: CSV (UTF-8, UTF-8 with BOM, Windows-1250; comma, semicolon
or tab) and XLSX (first sheet, or `file.xlsx#Arkusz1`, or `sheet=`). Polish or English headers.

    read_members(path) / read_participation(path) / read_projects(path) -> Table
    read_totals(path) / read_summary(path) -> pandas.DataFrame   (shipped reference tables)

A Table holds the rows normalised to canonical columns (plus `row`: the row number as Excel shows it, header =
row 1 unless junk rows sit above it) and every problem found, each naming file, row, column, value, what is
wrong and how to fix it. Empty rows are skipped (and counted). A file that cannot be read as a table at all
raises DataFileError (the CLI maps it to exit code 2).

Validation: values are first parsed (TERYT as text, years like "2019.0" / "2019 r.", coordinates with decimal
comma), then checked with a pandera schema (allowed values, ranges, code structure).

TERYT read from Excel may have lost its leading zero. Interpretation (see data/README.md, "TERYT codes"):
    7 digits  WWPPGGT (gmina)                    2 digits  WW (województwo)
    6 digits  starting with 0: WWPPGG (gmina without its type digit)
              starting with 2-8: EITHER WWPPGG OR a 7-digit code that lost its zero (201011 -> 0201011); both
              readings are kept and the join decides which one exists (and agrees with name/voivodeship);
              when both exist and nothing disambiguates, the row is reported ambiguous, never guessed.
    5 digits  WWPPGG that lost its zero (20101 -> 020101)     4 digits  WWPP (powiat)
    3 digits  WWPP that lost its zero (201 -> 0201)          1 digit   WW that lost its zero
No other length is a TERYT code. Separators (spaces, '-', '_', '.') and a float tail ('.0') are ignored.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

VOIVODESHIPS: dict[str, str] = {
    "02": "dolnośląskie", "04": "kujawsko-pomorskie", "06": "lubelskie", "08": "lubuskie", "10": "łódzkie",
    "12": "małopolskie", "14": "mazowieckie", "16": "opolskie", "18": "podkarpackie", "20": "podlaskie",
    "22": "pomorskie", "24": "śląskie", "26": "świętokrzyskie", "28": "warmińsko-mazurskie",
    "30": "wielkopolskie", "32": "zachodniopomorskie",
}
_VOIV_EN = {
    "02": ("lower silesian", "lower silesia"), "04": ("kuyavian pomeranian", "kuyavia pomerania"),
    "06": ("lublin",), "08": ("lubusz", "lubuskie"), "10": ("lodz",), "12": ("lesser poland", "malopolska"),
    "14": ("masovian", "mazovia", "masovia"), "16": ("opole",), "18": ("subcarpathian", "podkarpacie"),
    "20": ("podlaskie", "podlasie"), "22": ("pomeranian", "pomerania"), "24": ("silesian", "silesia"),
    "26": ("holy cross", "swietokrzyskie"), "28": ("warmian masurian", "warmia masuria"),
    "30": ("greater poland", "wielkopolska"), "32": ("west pomeranian", "west pomerania"),
}
JST_KINDS = ("town", "gmina", "powiat")
_JST_KIND_ALIASES = {
    "town": "town", "miasto": "town", "city": "town", "m": "town", "gmina miejska": "town",
    "gmina": "gmina", "gm": "gmina", "municipality": "gmina", "gmina wiejska": "gmina", "gw": "gmina",
    "gmina miejsko wiejska": "gmina", "rural gmina": "gmina",
    "powiat": "powiat", "county": "powiat", "pow": "powiat", "starostwo": "powiat", "starostwo powiatowe": "powiat",
}
_UNKNOWN_WORDS = {"", "-", "--", "?", "??", "b d", "bd", "brak", "brak danych", "nieznany", "nieznana", "n a", "na",
                  "nan", "none", "null", "unknown", "x"}
_FOOTER = re.compile(r"(razem|suma|ogolem|lacznie|total|sum|liczba (miast|czlonkow|wierszy))\b")
MIN_JOIN_YEAR = 1990  # ZMP was re-established in 1990/91 (Restitution Congress, Jan 1991)
POLAND_BBOX = (14.0, 49.0, 24.2, 55.0)  # lon_min, lat_min, lon_max, lat_max


# ---------------------------------------------------------------------------------------------- errors / types
class DataFileError(Exception):
    """The file cannot be read as a table at all (bad encoding, not a table, required column missing)."""

    def __init__(self, path, reason: str, fix: str = ""):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"{self.path}: {reason}" + (f" — {fix}" if fix else ""))


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None        # row number as Excel shows it (header = row 1); None = the whole file
    column: str | None     # the column header as written in the file
    value: str | None
    message: str           # what is wrong
    fix: str               # how to fix it
    blocking: bool = True  # True: the row cannot be identified (no join); False: one attribute is unusable

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message, "fix": self.fix}

    def __str__(self) -> str:
        where = f"{Path(self.file).name}" + (f", row {self.row}" if self.row else "")
        col = f", column '{self.column}'" if self.column else ""
        val = f", value {self.value!r}" if self.value not in (None, "") else ""
        return f"{where}{col}{val}: {self.message}. Fix: {self.fix}"


@dataclass
class Table:
    kind: str                     # "members" | "participation" | "projects"
    path: str
    frame: pd.DataFrame           # canonical columns + "row"
    problems: list[Problem] = field(default_factory=list)
    header_row: int = 1
    columns_found: dict[str, str] = field(default_factory=dict)   # canonical -> header as written
    ignored_columns: list[str] = field(default_factory=list)
    skipped_empty_rows: list[int] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    def problems_by_row(self) -> dict[int, list[Problem]]:
        out: dict[int, list[Problem]] = {}
        for p in self.problems:
            if p.row is not None:
                out.setdefault(p.row, []).append(p)
        return out


# ---------------------------------------------------------------------------------------------- normalisation
def fold(text) -> str:
    """Case-, diacritics-, hyphen- and whitespace-insensitive key: 'Jedlina-Zdrój ' -> 'jedlina zdroj'."""
    s = str(text).replace("ł", "l").replace("Ł", "L")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[\u00a0\u2007\u202f\u200b\ufeff]", " ", s)
    s = re.sub(r"[-‐‑‒–—_/]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _header_key(text) -> str:
    s = fold(text)
    s = re.sub(r"[^a-z0-9 ]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_VOIV_KEYS: dict[str, str] = {}
for _code, _name in VOIVODESHIPS.items():
    _VOIV_KEYS[fold(_name)] = _code
    _VOIV_KEYS[fold(_name).replace(" ", "")] = _code
    for _en in _VOIV_EN[_code]:
        _VOIV_KEYS[_en] = _code
        _VOIV_KEYS[_en + " voivodeship"] = _code
        _VOIV_KEYS[_en + " province"] = _code


def voivodeship_code(value) -> str | None:
    """'dolnośląskie' / 'DOLNOŚLĄSKIE' / 'Dolnoslaskie' / 'woj. dolnośląskie' / 'dolnośląskie województwo' /
    '02' / 2 / 'Lower Silesian' -> '02'; None when not recognisable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = fold(value)
    s = re.sub(r"\.0$", "", s)
    if re.fullmatch(r"\d{1,2}", s):
        code = s.zfill(2)
        return code if code in VOIVODESHIPS else None
    s = re.sub(r"[.,;:()]", " ", s)
    s = re.sub(r"\b(wojewodztwo|woj|voivodeship|province|region)\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return _VOIV_KEYS.get(s) or _VOIV_KEYS.get(s.replace(" ", ""))


def parse_teryt(value) -> tuple[tuple[str, ...], str | None]:
    """Raw cell -> (possible codes, error). See the module docstring for the rules."""
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = re.sub(r"\s", "", s)
    if not s.isascii():
        return (), "a TERYT code has digits 0-9 only"
    if re.fullmatch(r"\d+[.,]0+", s):
        s = re.split(r"[.,]", s)[0]
    elif re.fullmatch(r"\d(?:[.,]\d+)?[eE]\+?\d+", s):
        try:
            f = float(s.replace(",", "."))
            if f.is_integer():
                s = str(int(f))
        except ValueError:
            pass
    s = re.sub(r"[-_.']", "", s)
    if not s.isdigit():
        return (), "a TERYT code has digits only"
    n = len(s)
    if n == 7:
        codes = (s,)
    elif n == 6:
        codes = (s,) if s[0] == "0" else ((s, "0" + s) if s[0] in "2468" else (s,))
    elif n == 5:
        codes = ("0" + s,)
    elif n in (4, 2):
        codes = (s,)
    elif n in (3, 1):
        codes = ("0" + s,)
    else:
        return (), f"a TERYT code has 7 digits (gmina), 6 (gmina without type digit), 4 (powiat) or 2; this has {n}"
    bad = [c for c in codes if c[:2] not in VOIVODESHIPS]
    if len(bad) == len(codes):
        return (), f"'{codes[0][:2]}' is not a voivodeship code (the first two digits are 02, 04, …, 32)"
    codes = tuple(c for c in codes if c[:2] in VOIVODESHIPS)
    typed = tuple(c for c in codes if len(c) != 7 or c[6] in "1234589")
    if not typed:
        return (), f"the last digit of a 7-digit gmina code is its type (1-5, 8, 9), not {codes[0][6]}"
    return typed, None


def parse_year(value) -> tuple[int | None, str | None, bool]:
    """-> (year, error, unknown). '2019', '2019.0', '2019 r.', 'rok 2019', '2019-05-12', '12.05.2019' -> 2019;
    '', '?', 'b.d.', 'brak' -> unknown (a gap, not an error); ranges and approximations -> error."""
    if isinstance(value, (dt.date, dt.datetime)):
        return _year_from_date(value)
    s = str(value).strip()
    key = _header_key(s)
    if key in _UNKNOWN_WORDS:
        return None, None, True
    s2 = re.sub(r"\s+", " ", s.lower())
    m = re.fullmatch(r"(?:rok\s*)?(\d{4})(?:[.,]0+)?\s*(?:r\.?|rok)?", s2)
    if m:
        return int(m.group(1)), None, False
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", s2)
    if m:
        return int(m.group(1)), None, False
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})\s*(?:r\.?)?", s2)
    if m:
        return int(m.group(3)), None, False
    if re.search(r"\d{4}\s*[-–—/]\s*\d{2,4}", s2):
        return None, "a range of years; the join year is one year", False
    if re.search(r"(ok\.|około|ca\.?|~|circa|przed|po |before|after|\?)", s2):
        return None, "an approximate year", False
    no_comment = re.sub(r"\(.*?\)", " ", s2).strip()
    if no_comment and no_comment != s2:  # '1991 (reaktywacja)'
        y, err, unknown = parse_year(no_comment)
        if y is not None:
            return y, None, False
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", s2)
    if len(years) == 1:  # one year inside a date or a note: '19 września 2019', 'uchwała z 27.11.1992'
        return int(years[0]), None, False
    return None, "not a year", False


def _year_from_date(d) -> tuple[int | None, str | None, bool]:
    if d.year < 1910:  # Excel shows a number typed into a date-formatted cell as a date: 2019 -> 1905-07-11
        serial = (dt.datetime(d.year, d.month, d.day) - dt.datetime(1899, 12, 30)).days
        if 1900 <= serial <= 2100:
            return None, f"a date cell holding the number {serial} (Excel shows it as {d:%Y-%m-%d})", False
    return d.year, None, False


def parse_coordinate(value) -> tuple[float | None, str | None]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, None
    s = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if s == "":
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    m = re.fullmatch(r"([+-]?\d+(?:[.,]\d+)?)°?[NESWnesw]?", s)
    if not m:
        return None, "not a decimal-degree number"
    return float(m.group(1).replace(",", ".")), None


# ---------------------------------------------------------------------------------------------- column schema
_COMMON_ALIASES = {
    "name": ["miasto", "nazwa", "nazwa miasta", "miasto czlonkowskie", "gmina", "nazwa gminy", "jst", "nazwa jst",
             "jednostka", "samorzad", "miejscowosc", "miasto gmina", "gmina miasto", "uczestnik", "partner",
             "name", "city", "town", "municipality", "member", "participant", "city name", "jst name", "member city"],
    "voivodeship": ["wojewodztwo", "woj", "nazwa wojewodztwa", "voivodeship", "province", "region",
                    "wojewodztwo nazwa"],
    "teryt": ["teryt", "kod teryt", "terc", "kod terc", "teryt gminy", "kod gminy", "teryt jst", "kod jst",
              "teryt code", "code", "gmina code", "teryt kod", "identyfikator teryt"],
    "jst_kind": ["rodzaj", "rodzaj jst", "typ", "typ jst", "jst kind", "kind", "type", "rodzaj jednostki"],
    "powiat": ["powiat", "pow", "nazwa powiatu", "county", "district"],
    "lon": ["dlugosc geograficzna", "dlugosc", "lon", "lng", "long", "longitude", "x"],
    "lat": ["szerokosc geograficzna", "szerokosc", "lat", "latitude", "y"],
    "source": ["zrodlo", "zrodla", "source", "sources", "list source", "url", "link"],
    "note": ["uwagi", "uwaga", "notatka", "komentarz", "note", "notes", "comment"],
}
ALIASES: dict[str, dict[str, list[str]]] = {
    "members": {
        **_COMMON_ALIASES,
        "join_year": ["rok przystapienia", "rok przyjecia", "rok wstapienia", "rok przystapienia do zmp",
                      "data przystapienia", "data przyjecia", "czlonek od", "od roku", "rok", "w zmp od",
                      "join year", "joined", "year joined", "member since", "since", "accession year"],
        "join_year_source": ["zrodlo roku", "zrodlo daty", "zrodlo roku przystapienia", "join year source"],
    },
    "participation": {
        **_COMMON_ALIASES,
        "project_id": ["projekt", "id projektu", "kod projektu", "projekt id", "nazwa projektu", "project",
                       "project id", "project code"],
        "role": ["rola", "funkcja", "udzial", "rola w projekcie", "role"],
        "year": ["rok", "lata", "okres", "rok udzialu", "year", "years", "period"],
    },
    "projects": {
        "id": ["id", "id projektu", "kod", "kod projektu", "project id", "symbol"],
        "kind": ["rodzaj", "typ", "kind", "type"],
        "name_pl": ["nazwa", "nazwa projektu", "nazwa pl", "tytul", "tytul projektu", "name pl", "name", "title"],
        "name_en": ["nazwa en", "nazwa angielska", "nazwa ang", "name en", "english name", "title en"],
        "label_pl": ["etykieta", "etykieta pl", "skrot", "nazwa skrocona", "label pl", "label", "short name"],
        "label_en": ["etykieta en", "label en", "short name en"],
        "years": ["lata", "okres", "okres realizacji", "lata realizacji", "years", "period"],
        "funding": ["finansowanie", "zrodlo finansowania", "wartosc", "budzet", "funding", "budget"],
        "lead": ["lider", "partnerzy", "lider i partnerzy", "lead", "leader", "partners"],
        "description": ["opis", "krotki opis", "description", "description short"],
        "source": ["zrodlo", "zrodla", "source", "sources"],
    },
}
REQUIRED = {"members": ("name",), "participation": ("project_id", "name"), "projects": ("id", "name_pl")}
_ALIAS_LOOKUP = {kind: {_header_key(a): canon for canon, al in spec.items() for a in [canon, *al]}
                 for kind, spec in ALIASES.items()}


def canonical_column(kind: str, header) -> str | None:
    key = _header_key(header)
    lookup = _ALIAS_LOOKUP[kind]
    if key in lookup:
        return lookup[key]
    no_paren = _header_key(re.sub(r"\(.*?\)|\[.*?\]", " ", fold(header)))
    return lookup.get(no_paren)


# ---------------------------------------------------------------------------------------------- raw reading
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


# ---------------------------------------------------------------------------------------------- tables
def _find_header(kind: str, rows, path, info: dict | None = None) -> tuple[int, list, dict[int, str]]:
    best, partial = None, (None, [], {})
    for idx, (rownum, cells) in enumerate(rows[:15]):
        mapping: dict[int, str] = {}
        for ci, c in enumerate(cells):
            canon = canonical_column(kind, _cell_text(c)) if _cell_text(c) else None
            if canon and canon not in mapping.values():
                mapping[ci] = canon
        if len(mapping) > len(partial[2]):
            partial = (idx, cells, mapping)
        if all(r in mapping.values() for r in REQUIRED[kind]):
            if best is None or len(mapping) > len(best[2]):
                best = (idx, cells, mapping)
            if len(mapping) >= 3:
                break
    if best is None:
        if not any(_cell_text(c) for _, cells in rows for c in cells):
            raise DataFileError(path, "the table is empty" + (f" (sheet '{info['sheet']}')" if info and
                                                              info.get("sheet") else ""),
                                "give the sheet that holds the register: file.xlsx#<sheet name>")
        idx, cells, mapping = partial
        if idx is None:
            cells = next((c for _, c in rows if any(_cell_text(x) for x in c)), [])
        headers = [_cell_text(c) for c in cells if _cell_text(c)]
        if not mapping and len(headers) <= 1 and not any(len(c) > 1 for _, c in rows[:5]):
            raise DataFileError(path, "not a table: no columns found (one field per line)",
                                "save the sheet as CSV (comma or semicolon separated) or XLSX")
        missing = [r for r in REQUIRED[kind] if r not in mapping.values()]
        accepted = {r: ", ".join(ALIASES[kind][r][:6]) for r in missing}
        where = ""
        if info and info.get("sheets") and len(info["sheets"]) > 1:
            where = f" in sheet '{info['sheet']}' (sheets: {', '.join(info['sheets'])})"
        raise DataFileError(
            path, f"required column missing for {kind}{where}: " + "; ".join(
                f"'{r}' (accepted headers e.g. {accepted[r]})" for r in missing)
            + f". Headers found: {headers[:12]}",
            "rename the column header (see data/README.md for the accepted names)"
            + (" or pick the sheet: file.xlsx#<sheet name>" if where else ""))
    return best


def read_table(path, kind: str, sheet: str | None = None) -> Table:
    if kind not in REQUIRED:
        raise ValueError(f"unknown table kind {kind!r}")
    rows, info = read_rows(path, sheet)
    file = str(path)
    try:
        idx, header_cells, mapping = _find_header(kind, rows, path, info)
    except DataFileError:
        if not info.get("text") or info.get("sep_line"):
            raise
        for d in (";", ",", "\t", "|"):  # the sniffed separator may be wrong on tiny files: try the others
            if d == info["delimiter"]:
                continue
            try:
                rows = _csv_rows(info["text"], d)
                idx, header_cells, mapping = _find_header(kind, rows, path, info)
                info["delimiter"] = d
                break
            except DataFileError:
                continue
        else:
            rows = _csv_rows(info["text"], info["delimiter"])
            _find_header(kind, rows, path, info)  # raise the error of the sniffed separator
    header_row = rows[idx][0]
    headers = {ci: _cell_text(c) for ci, c in enumerate(header_cells)}
    ignored = [h for ci, h in headers.items() if h and ci not in mapping]
    problems: list[Problem] = []
    dup_cols = [h for ci, h in headers.items()
                if h and ci not in mapping and canonical_column(kind, h) in mapping.values()]
    for h in dup_cols:
        canon = canonical_column(kind, h)
        first = next(headers[ci] for ci, c in mapping.items() if c == canon)
        problems.append(Problem(file, header_row, h, None,
                                f"a second column for '{canon}' (the first is '{first}'); it is ignored",
                                "delete or rename one of the two columns", blocking=False))
    records, skipped = [], []
    for rownum, cells in rows[idx + 1:]:
        vals = {canon: (cells[ci] if ci < len(cells) else None) for ci, canon in mapping.items()}
        if all(_cell_text(c) == "" for c in cells) or all(_cell_text(v) == "" for v in vals.values()):
            skipped.append(rownum)  # empty, or only unrecognised columns filled (e.g. a pre-numbered 'Lp.')
            continue
        if all(canonical_column(kind, _cell_text(cells[ci])) == canon for ci, canon in mapping.items()
               if ci < len(cells) and _cell_text(cells[ci])):
            problems.append(Problem(file, rownum, None, None, "the header repeated (files pasted together?); skipped",
                                    "delete the row", blocking=False))
            continue
        texts = [_cell_text(c) for c in cells if _cell_text(c)]
        if texts and _FOOTER.match(fold(texts[0])) and all(re.fullmatch(r"[\d\s.,:;%-]*", t) or _FOOTER.match(fold(t))
                                                          for t in texts[1:]) and len(texts) <= 3:
            problems.append(Problem(file, rownum, None, " ".join(texts),
                                    "a totals/footer row, not a city; skipped", "delete the row if it is not needed",
                                    blocking=False))
            continue
        rec = {"row": rownum, **{k: v for k, v in vals.items()}}
        records.append(rec)
    cols = ["row", *dict.fromkeys(mapping.values())]
    raw = pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(columns=cols)
    table = Table(kind=kind, path=file, frame=raw, problems=problems, header_row=header_row,
                  columns_found={c: headers[ci] for ci, c in mapping.items()}, ignored_columns=ignored,
                  skipped_empty_rows=skipped, encoding=info.get("encoding", ""), delimiter=info.get("delimiter", ""))
    if not records:
        table.problems.append(Problem(file, None, None, None, "the file has a header but no data rows",
                                      "check that this is the right file or sheet"))
    _NORMALISERS[kind](table)
    _validate(table)
    return table


def _col(table: Table, canon: str) -> str:
    return table.columns_found.get(canon, canon)


def _text_column(table: Table, canon: str) -> None:
    f = table.frame
    if canon in f:
        f[canon] = f[canon].map(_cell_text).map(_clean).astype(object)
    else:
        f[canon] = ""


def _problem(table: Table, row: int, canon: str | None, value, message: str, fix: str, blocking: bool = True):
    table.problems.append(Problem(table.path, row, _col(table, canon) if canon else None,
                                  None if value is None else str(value), message, fix, blocking))


def _voivodeship(table: Table, row: int, value: str) -> str:
    code = voivodeship_code(value) if value else ""
    if code is None:
        _problem(table, row, "voivodeship", value, "unknown voivodeship",
                 "write one of the 16 names (e.g. 'dolnośląskie') or its 2-digit code (e.g. '02')")
        return ""
    return code


def _teryt(table: Table, row: int, value: str) -> tuple[str, ...]:
    if not value or _header_key(value) in _UNKNOWN_WORDS:
        return ()
    codes, err = parse_teryt(value)
    if err:
        _problem(table, row, "teryt", value, f"bad TERYT: {err}", "give the 7-digit gmina code as text (e.g. "
                 "'0201011'; format the column as Text in Excel) or leave it empty")
    return codes


def _jst_kind(table: Table, row: int, value: str) -> str:
    kind = _JST_KIND_ALIASES.get(_header_key(value)) if value else ""
    if kind is None:
        _problem(table, row, "jst_kind", value, "unknown kind of JST",
                 "write town (miasto), gmina or powiat, or leave it empty (= town)")
        return ""
    return kind


def _coordinates(table: Table, row: int, raw_lon, raw_lat) -> tuple[float, float]:
    lo, e1 = parse_coordinate(raw_lon)
    la, e2 = parse_coordinate(raw_lat)
    for canon, val, err in (("lon", raw_lon, e1), ("lat", raw_lat, e2)):
        if err:
            _problem(table, row, canon, _cell_text(val), f"bad coordinate: {err}",
                     "give decimal degrees, e.g. 15.5647 and 51.2631 (WGS84)")
    if e1 or e2:
        return np.nan, np.nan
    if (lo is None) != (la is None):
        _problem(table, row, "lon" if lo is None else "lat", "", "only one coordinate given",
                 "give both longitude and latitude")
        return np.nan, np.nan
    if lo is None:
        return np.nan, np.nan
    x0, y0, x1, y1 = POLAND_BBOX
    if not (x0 <= lo <= x1 and y0 <= la <= y1):
        if x0 <= la <= x1 and y0 <= lo <= y1:
            _problem(table, row, "lon", f"{lo}, {la}", "longitude and latitude look swapped", "swap the two columns")
        else:
            _problem(table, row, "lon", f"{lo}, {la}", "the point is outside Poland",
                     "check the coordinates (WGS84 degrees)")
        return np.nan, np.nan
    return lo, la


def _normalise_common(table: Table) -> None:
    """Identification columns of members and participation: name, voivodeship, TERYT, kind, coordinates."""
    f = table.frame
    raw = {c: (f[c].copy() if c in f else pd.Series([None] * len(f), index=f.index, dtype=object))
           for c in ("lon", "lat")}
    for c in ("name", "voivodeship", "teryt", "jst_kind", "powiat", "source", "note"):
        _text_column(table, c)
    f["name"] = f["name"].str.replace(r"\s+", " ", regex=True)
    woj, codes, kinds, lons, lats = [], [], [], [], []
    for i, r in f.iterrows():
        row = int(r["row"])
        woj.append(_voivodeship(table, row, r["voivodeship"]))
        codes.append(_teryt(table, row, r["teryt"]))
        kinds.append(_jst_kind(table, row, r["jst_kind"]))
        lo, la = _coordinates(table, row, raw["lon"][i], raw["lat"][i])
        lons.append(lo)
        lats.append(la)
        if not r["name"]:
            _problem(table, row, "name", "", "the name is empty", "write the city or JST name, or delete the row")
    f["woj"] = woj
    f["teryt_codes"] = pd.Series(codes, index=f.index, dtype=object)
    f["jst_kind"] = kinds
    f["lon"] = pd.Series(lons, index=f.index, dtype="float64")
    f["lat"] = pd.Series(lats, index=f.index, dtype="float64")
    f["voivodeship_input"] = f["voivodeship"]
    f["voivodeship"] = [VOIVODESHIPS.get(c, "") for c in woj]


def _normalise_members(table: Table) -> None:
    f = table.frame
    raw_year = f["join_year"].copy() if "join_year" in f else pd.Series([None] * len(f), index=f.index, dtype=object)
    _normalise_common(table)
    _text_column(table, "join_year_source")
    years = []
    for i, row in zip(f.index, f["row"]):
        v = raw_year[i]
        y, err = None, None
        if v is not None and _cell_text(v) != "":
            y, err, _unknown = parse_year(v)
        if err:  # not blocking: the city is still placed, its year left empty
            _problem(table, int(row), "join_year", _cell_text(v), f"bad join year: {err}",
                     "write one year as a number, e.g. 2019, or leave it empty when unknown", blocking=False)
        years.append(pd.NA if y is None else y)
    f["join_year"] = pd.array(years, dtype="Int64")


def _normalise_participation(table: Table) -> None:
    f = table.frame
    _normalise_common(table)
    for c in ("project_id", "role", "year"):
        _text_column(table, c)
    f["project_input"] = f["project_id"]
    f["project_id"] = [_project_key(p) for p in f["project_id"]]
    for row, pid in zip(f["row"], f["project_id"]):
        if not pid:
            _problem(table, int(row), "project_id", "", "the project is empty",
                     "write the project id (e.g. P1) or its name")
        elif re.fullmatch(r"\s*[A-Za-z]+\d+\s*([,;/+&]|\s+i\s+|\s+and\s+)\s*[A-Za-z]+\d+.*", pid):
            _problem(table, int(row), "project_id", pid, "several projects in one cell",
                     "write one project per row (copy the row for each project)")


def _project_key(value: str) -> str:
    """'CAMPAIGN-2020 (Jedno dla wszystkich, …)' -> 'CAMPAIGN-2020'; ' p1 ' -> 'P1'; names are kept as written
    (the join maps names/labels to ids)."""
    s = value.strip()
    s = re.sub(r"^([A-Za-z]{1,3})\s+(\d+)\b", r"\1\2", s)   # 'P 2' -> 'P2'
    m = re.match(r"([A-Za-z]+[A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)\s*(?:\(.*\))?\s*$", s)
    if m and re.search(r"\d", m.group(1)) and " " not in m.group(1):
        return m.group(1).upper()
    return s


def _normalise_projects(table: Table) -> None:
    f = table.frame
    for c in ("id", "kind", "name_pl", "name_en", "label_pl", "label_en", "years", "funding", "lead",
              "description", "source"):
        _text_column(table, c)
    f["id"] = [_project_key(x) for x in f["id"]]
    kinds = {"projekt": "project", "project": "project", "kampania": "campaign", "campaign": "campaign",
             "akcja": "campaign"}
    f["kind"] = [kinds.get(_header_key(k), k.lower()) if k else "project" for k in f["kind"]]
    f["label_pl"] = [lp or n for lp, n in zip(f["label_pl"], f["name_pl"])]
    f["name_en"] = [ne or n for ne, n in zip(f["name_en"], f["name_pl"])]
    f["label_en"] = [le or ne for le, ne in zip(f["label_en"], f["name_en"])]


_NORMALISERS = {"members": _normalise_members, "participation": _normalise_participation,
                "projects": _normalise_projects}

# ---------------------------------------------------------------------------------------------- pandera schema
_FIXES = {
    "name_not_empty": ("the name is empty", "write the city or JST name, or delete the row"),
    "woj_code": ("unknown voivodeship", "write one of the 16 voivodeship names or its 2-digit code"),
    "join_year_range": (f"join year outside {MIN_JOIN_YEAR}–{dt.date.today().year} (ZMP was re-established in "
                        "1990/91)", "check the year; leave it empty when unknown"),
    "jst_kind_allowed": ("unknown kind of JST", "write town, gmina or powiat"),
    "lon_range": ("longitude outside Poland", "give WGS84 decimal degrees (14.1–24.2)"),
    "lat_range": ("latitude outside Poland", "give WGS84 decimal degrees (49.0–54.9)"),
    "id_pattern": ("a project id is one word of letters, digits and '-' (e.g. P1, CAMPAIGN-2020)",
                   "shorten the id"),
    "kind_allowed": ("project kind must be 'project' or 'campaign'", "write project (projekt) or campaign "
                                                                         "(kampania)"),
}


def _schema(kind: str):
    import pandera.pandas as pa

    def named(fn, name):
        return pa.Check(fn, element_wise=True, name=name)

    if kind in ("members", "participation"):
        cols = {
            "row": pa.Column(int),
            "name": pa.Column(str, named(lambda s: s != "", "name_not_empty")),
            "woj": pa.Column(str, named(lambda s: s == "" or s in VOIVODESHIPS, "woj_code")),
            "jst_kind": pa.Column(str, named(lambda s: s in ("", *JST_KINDS), "jst_kind_allowed")),
            "lon": pa.Column(float, named(lambda x: np.isnan(x) or POLAND_BBOX[0] <= x <= POLAND_BBOX[2],
                                          "lon_range")),
            "lat": pa.Column(float, named(lambda x: np.isnan(x) or POLAND_BBOX[1] <= x <= POLAND_BBOX[3],
                                          "lat_range")),
        }
        if kind == "members":
            cols["join_year"] = pa.Column("Int64", named(
                lambda y: MIN_JOIN_YEAR <= y <= dt.date.today().year, "join_year_range"), nullable=True)
        return pa.DataFrameSchema(cols, strict=False, coerce=False)
    return pa.DataFrameSchema({
        "row": pa.Column(int),
        "id": pa.Column(str, named(lambda s: bool(re.fullmatch(r"[A-Za-z0-9_-]+", s)), "id_pattern")),
        "kind": pa.Column(str, named(lambda s: s in ("project", "campaign"), "kind_allowed")),
    }, strict=False)


_COLUMN_OF_CHECK = {"join_year_range": "join_year", "lon_range": "lon", "lat_range": "lat",
                    "woj_code": "voivodeship", "name_not_empty": "name", "jst_kind_allowed": "jst_kind",
                    "id_pattern": "id", "kind_allowed": "kind"}


def _validate(table: Table) -> None:
    import pandera.errors as pe

    f = table.frame
    if f.empty:
        return
    f["row"] = f["row"].astype(int)
    try:
        _schema(table.kind).validate(f, lazy=True)
    except pe.SchemaErrors as err:
        already = {(p.row, p.column) for p in table.problems}
        fc = err.failure_cases
        for _, case in fc.iterrows():
            check = str(case.get("check"))
            if check not in _FIXES or pd.isna(case.get("index")):
                continue
            row = int(f.loc[case["index"], "row"])
            canon = _COLUMN_OF_CHECK[check]
            col = _col(table, canon)
            if (row, col) in already:
                continue
            msg, fix = _FIXES[check]
            table.problems.append(Problem(table.path, row, col, _cell_text(case["failure_case"]), msg, fix,
                                          blocking=check not in ("join_year_range",)))
            if check == "join_year_range":
                f.loc[case["index"], "join_year"] = pd.NA
    table.problems.sort(key=lambda p: (p.row or 0, p.column or ""))


# ---------------------------------------------------------------------------------------------- public API
def read_members(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "members.csv", "members", sheet)


def read_participation(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "participation.csv", "participation", sheet)


def read_projects(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "projects.csv", "projects", sheet)


def read_totals(path=None) -> pd.DataFrame:
    df = pd.read_csv(path or DATA_DIR / "membership_totals.csv", dtype=str, keep_default_na=False)
    out = pd.DataFrame({"year": df["year"].astype(int), "members": df["members"].astype(int),
                        "source": df["source"], "era": df["era"], "as_of": df["as_of"]})
    return out.sort_values(["year", "as_of"], kind="stable").reset_index(drop=True)


def read_summary(path=None) -> pd.DataFrame:
    df = pd.read_csv(path or DATA_DIR / "summary_2020.csv", dtype=str, keep_default_na=False)
    df["value"] = pd.to_numeric(df["value"])
    return df[["key", "value", "unit", "label_pl", "label_en", "source"]]
