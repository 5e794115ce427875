"""Read the union's tables as the office keeps them: CSV (UTF-8, UTF-8 with BOM, UTF-16, Windows-1250; comma,
semicolon or tab), XLSX and ODS (first visible sheet, or `file.xlsx#Arkusz1`, or `sheet=`). Polish or English
headers.

    read_members(path) / read_participation(path) / read_projects(path) -> Table
    read_totals(path) / read_summary(path) -> pandas.DataFrame   (shipped reference tables)

A Table holds the rows normalised to canonical columns (plus `row`: the row number as Excel shows it, header =
row 1 unless junk rows sit above it) and every problem found, each naming file, row, column, value, what is
wrong and how to fix it; `note=True` marks what the reader repaired or assumed (merged cells filled, a section
heading applied, a hidden row read) — listed, but not changing any row's status. Empty rows are skipped (and
counted). A file that cannot be read as a table at all raises DataFileError (the CLI maps it to exit code 2).

Validation: values are first parsed (TERYT as text, years like "2019.0" / "2019 r.", coordinates with decimal
comma), then checked with a pandera schema (allowed values, ranges, code structure).

Layers: dashboard.ingest.tabular reads bytes into rows (encodings, separators, XLSX, ODS);
dashboard.ingest.values parses single values (names, voivodeships, TERYT, years, coordinates);
dashboard.ingest.headers finds the header row and maps PL/EN headers to canonical columns; this module turns
the rows into the Table (skipping, noting, normalising) and validates it.
The names other modules use are re-exported here.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.ingest.datafiles import DATA_DIR
from dashboard.ingest.headers import REQUIRED, canonical_column, find_header
from dashboard.ingest.tabular import DataFileError, _cell_text, _clean, _csv_rows, _sniff_delimiter, read_rows  # noqa: F401
from dashboard.ingest.values import (  # noqa: F401
    _JST_KIND_ALIASES,
    _UNKNOWN_WORDS,
    EVIDENCE_LEVELS,
    GMINA_TYPE_OF_KIND,
    JST_KINDS,
    MEMBERSHIP_EVENTS,
    MIN_JOIN_YEAR,
    POLAND_BBOX,
    VOIVODESHIPS,
    _header_key,
    first_day,
    fold,
    is_excel_error,
    is_lower_bound,
    parse_coordinate,
    parse_date,
    parse_event,
    parse_evidence,
    parse_point,
    parse_teryt,
    parse_year,
    voivodeship_code,
    voivodeship_heading,
)

_FOOTER = re.compile(r"(razem|suma|ogolem|lacznie|total|sum|liczba (miast|czlonkow|wierszy))\b")


# ---------------------------------------------------------------------------------------------- errors / types
@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None        # row number as Excel shows it (header = row 1); None = the whole file
    column: str | None     # the column header as written in the file
    value: str | None
    message: str           # what is wrong
    fix: str               # how to fix it
    blocking: bool = True  # True: the row cannot be identified (no join); False: one attribute is unusable
    note: bool = False     # True: information (a repair, a skipped row, a hidden row); does not change a status

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "message": self.message, "fix": self.fix, "blocking": self.blocking, "note": self.note}

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


def read_table(path, kind: str, sheet: str | None = None) -> Table:
    if kind not in REQUIRED:
        raise ValueError(f"unknown table kind {kind!r}")
    rows, info = read_rows(path, sheet)
    file = str(path)
    try:
        idx, header_cells, mapping = find_header(kind, rows, path, info)
    except DataFileError:
        if not info.get("text") or info.get("sep_line"):
            raise
        for d in (";", ",", "\t", "|"):  # the sniffed separator may be wrong on tiny files: try the others
            if d == info["delimiter"]:
                continue
            try:
                rows = _csv_rows(info["text"], d, path)
                idx, header_cells, mapping = find_header(kind, rows, path, info)
                info["delimiter"] = d
                break
            except DataFileError:
                continue
        else:
            rows = _csv_rows(info["text"], info["delimiter"], path)
            find_header(kind, rows, path, info)  # raise the error of the sniffed separator
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
    records, skipped = _records(kind, file, rows[idx + 1:], headers, mapping, info, problems)
    cols = ["row", *dict.fromkeys(mapping.values())]
    if any("voivodeship" in r for r in records) and "voivodeship" not in cols:   # filled from section rows
        cols.append("voivodeship")
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


def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA': the column as Excel names it (CSV files are opened in Excel too)."""
    out = ""
    while index:
        index, r = divmod(index - 1, 26)
        out = chr(65 + r) + out
    return out


_IDENTIFYING = {"name", "voivodeship", "teryt", "jst_kind", "powiat", "project_id", "id", "name_pl"}


def _noter(file, headers: dict[int, str], problems: list[Problem]):
    """note(row, column index, value, message, fix, blocking=False, is_note=True): a Problem of `file` into
    `problems`, its column named by the header (or the Excel letter)."""
    def note(row, ci, value, message, fix, blocking=False, is_note=True):
        col = headers.get(ci) or (column_letter(ci + 1) if ci is not None else None)
        problems.append(Problem(file, row, col, None if value is None else _cell_text(value), message, fix,
                                blocking=blocking, note=is_note and not blocking))
    return note


def _sheet_notes(info: dict, data_rows, mapping: dict[int, str], note) -> None:
    """What the reader noted about the sheet, and the mapped columns Excel hides."""
    for n in info.get("notes", []):
        note(n["row"], n.get("col"), None, n["message"], n["fix"])
    header_row = data_rows[0][0] - 1 if data_rows else None
    for ci in sorted(set(info.get("hidden_columns", ())) & set(mapping)):
        note(header_row, ci, None, "this column is hidden in Excel; it is read like any other column",
             "unhide it and check its values, or delete it if it should not be used")


def _not_a_record(kind, rownum, cells, texts, vals, mapping: dict[int, str], formulas, note) -> str | None:
    """Why a row is no city: "empty" (counted as skipped), "noted" (a repeated header or a totals row, said in a
    note), or None."""
    if not texts or all(_cell_text(vals[c]) == "" and (rownum, ci) not in formulas for ci, c in mapping.items()):
        return "empty"   # empty, or only unrecognised columns filled (e.g. a pre-numbered 'Lp.')
    if all(canonical_column(kind, _cell_text(cells[ci])) == canon for ci, canon in mapping.items()
           if ci < len(cells) and _cell_text(cells[ci])):
        note(rownum, None, None, "the header repeated (files pasted together?); skipped", "delete the row")
        return "noted"
    tx = list(texts.values())
    if _FOOTER.match(fold(tx[0])) and len(tx) <= 3 and \
            all(re.fullmatch(r"[\d\s.,:;%-]*", t) or _FOOTER.match(fold(t)) for t in tx[1:]):
        note(rownum, None, " ".join(tx), "a totals/footer row, not a city; skipped",
             "delete the row if it is not needed")
        return "noted"
    return None


def _heading_notes(headings: list[list], note) -> None:
    """Each section heading: which rows it filled in, or that nothing below needed it."""
    for canon, rownum, text, value, under in headings:
        what = "a voivodeship" if canon == "voivodeship" else "a project"
        if under:
            span = f"rows {under[0]}–{under[-1]}" if len(under) > 1 else f"row {under[0]}"
            note(rownum, None, text, f"a section heading: {span} below it without {what} are read as '{value}'",
                 f"nothing, if that is what the heading means; or fill in {what} in every row")
        else:   # nothing below needed it: a row that lost its other values?
            note(rownum, None, text, f"a row with only {what} ('{text}') and nothing below it that needs it; skipped",
                 "fill in the rest of the row, or delete it", blocking=canon == "project_id")


def _records(kind, file, data_rows, headers: dict[int, str], mapping: dict[int, str], info: dict,
             problems: list[Problem]) -> tuple[list[dict], list[int]]:
    """Data rows -> records of the mapped columns, skipping (and counting/noting) empty rows, repeated headers,
    totals rows and voivodeship section rows; noting what Excel hid or merged and what the reader had to repair."""
    note = _noter(file, headers, problems)
    _sheet_notes(info, data_rows, mapping, note)
    formulas, hidden = info.get("formulas", {}), set(info.get("hidden_rows", []))
    width = max(headers, default=-1) + 1
    name_ci = next((ci for ci, c in mapping.items() if c == "name"), None)
    records, skipped = [], []
    current: dict[str, list] = {}   # column -> [heading row, text, value, rows it filled] of the latest heading
    headings: list[list] = []
    for rownum, cells in data_rows:
        texts = {ci: _cell_text(c) for ci, c in enumerate(cells) if _cell_text(c)}
        heading = _heading(kind, texts, mapping, name_ci)
        if heading:  # 'DOLNOŚLĄSKIE' above its cities; a project's name above its participants
            current[heading[0]] = [rownum, next(iter(texts.values())), heading[1], []]
            headings.append([heading[0], *current[heading[0]]])
            continue
        vals = {canon: (cells[ci] if ci < len(cells) else None) for ci, canon in mapping.items()}
        why_not = _not_a_record(kind, rownum, cells, texts, vals, mapping, formulas, note)
        if why_not == "empty":
            skipped.append(rownum)
        if why_not:
            continue
        if _shape_problems(rownum, cells, texts, headers, mapping, info.get("delimiter", ""), width, note):
            vals = {c: (v if c == "name" else None) for c, v in vals.items()}   # shifted values: not read
        if rownum in hidden:
            note(rownum, None, None, "this row is hidden in Excel; it is read like any other row",
                 "delete the row if it should not be in the register")
        _formula_and_error_cells(rownum, vals, mapping, formulas, note)
        for canon, h in current.items():
            if not _cell_text(vals.get(canon)):
                vals[canon] = h[2]
                h[3].append(rownum)
        records.append({"row": rownum, **vals})
    _heading_notes(headings, note)
    return records, skipped


def _shape_problems(rownum, cells, texts, headers, mapping, delim: str, width: int, note) -> bool:
    """An unclosed quote; a CSV row longer than its header (its columns are shifted -> True); values in columns
    without a header."""
    if delim and any("\n" in t and delim in t for t in texts.values()):
        note(rownum, None, next(t for t in texts.values() if "\n" in t)[:80],
             'a quote (") opened in this row is not closed, so the following lines were read into one cell',
             'close the quote or remove it, then save again', blocking=True)
    shifted = bool(delim) and any(ci >= width for ci in texts)
    if shifted:  # CSV: the separator inside an unquoted value shifted the columns
        note(rownum, None, delim.join(_cell_text(c) for c in cells),
             f"this row has {len(cells)} cells but the header has {width}: a value containing the separator "
             f"{delim!r} was not quoted (a decimal comma such as 52,2297 in a comma-separated file, or a name with "
             "a comma), so the columns of this row are shifted",
             "put such values in quotes, or save the file with ';' as the separator (Excel: 'CSV (rozdzielany "
             "średnikami)')", blocking=True)
        return True
    for ci, t in texts.items():
        if ci not in mapping and not headers.get(ci):
            note(rownum, None, t, f"cell {column_letter(ci + 1)}{rownum} has a value in a column with no header; "
                 "it is ignored", "give the column a header (see data/README.md) or delete the value")
    return False


def _formula_and_error_cells(rownum, vals: dict, mapping, formulas, note) -> None:
    """A formula whose result was not saved, an Excel error value: reported; the value is not used."""
    for ci, canon in mapping.items():
        cell = f"{column_letter(ci + 1)}{rownum}"
        if (rownum, ci) in formulas:
            note(rownum, ci, formulas[(rownum, ci)], f"cell {cell} holds a formula whose result was not saved "
                 "in the file", "open the file in Excel or LibreOffice and save it again (that stores the "
                 "results), or paste the values (Wklej specjalnie → Wartości)", blocking=canon in _IDENTIFYING,
                 is_note=False)
        elif is_excel_error(_cell_text(vals[canon])):
            note(rownum, ci, vals[canon], f"cell {cell} shows an Excel error: the formula that fills it failed",
                 "fix the formula (or type the value) and export again", blocking=canon in _IDENTIFYING,
                 is_note=False)
            vals[canon] = None


def _heading(kind: str, texts: dict[int, str], mapping: dict[int, str], name_ci) -> tuple[str, str] | None:
    """A row holding one value that heads the rows below: a voivodeship name (in the name column or an unnamed
    one) in members/participation; a project (in the project column) in participation. -> (column, value)."""
    if len(texts) != 1 or kind == "projects":
        return None
    (ci, text), = texts.items()
    code = voivodeship_heading(text) if ci not in mapping or ci == name_ci else None
    if code:
        return "voivodeship", VOIVODESHIPS[code]
    if kind == "participation" and mapping.get(ci) == "project_id":
        return "project_id", text
    return None


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


_COORD_FIX = "give WGS84 decimal degrees, e.g. longitude 15.5647 and latitude 51.2631"


def _coordinates(table: Table, row: int, raw_lon, raw_lat, raw_point) -> tuple[float, float]:
    """Coordinates only help to place a row: a bad value is reported and dropped, never blocks the row."""
    def bad(canon, value, message, fix=_COORD_FIX):
        _problem(table, row, canon, value, message, fix, blocking=False)
        return np.nan, np.nan

    if _cell_text(raw_point) and not (_cell_text(raw_lon) or _cell_text(raw_lat)):
        point, err = parse_point(_cell_text(raw_point))
        return point if point else bad("point", _cell_text(raw_point), f"bad coordinates: {err}",
                                       "write 'latitude, longitude' in degrees, e.g. 52.2297, 21.0122")
    lo, e1 = parse_coordinate(raw_lon)
    la, e2 = parse_coordinate(raw_lat)
    for canon, val, err in (("lon", raw_lon, e1), ("lat", raw_lat, e2)):
        if err:
            bad(canon, _cell_text(val), f"bad coordinate: {err}")
    if e1 or e2:
        return np.nan, np.nan
    if (lo is None) != (la is None):
        return bad("lon" if lo is None else "lat", "", "only one coordinate given", "give both longitude and latitude")
    if lo is None:
        return np.nan, np.nan
    x0, y0, x1, y1 = POLAND_BBOX
    if x0 <= lo <= x1 and y0 <= la <= y1:
        return lo, la
    value = f"{_cell_text(raw_lon)} / {_cell_text(raw_lat)}"
    if x0 <= la <= x1 and y0 <= lo <= y1:
        return bad("lon", value, f"longitude and latitude look swapped ({lo} is a latitude in Poland, {la} a "
                   "longitude); the coordinates are not used", "swap the two columns")
    if abs(lo) > 1000 and abs(la) > 1000:
        return bad("lon", value, "the values look like metres (PUWG 1992 / EPSG:2180?), not degrees", _COORD_FIX)
    return bad("lon", value, "the point is outside Poland; the coordinates are not used", _COORD_FIX)


def _normalise_common(table: Table) -> None:
    """Identification columns of members and participation: name, voivodeship, TERYT, kind, coordinates."""
    f = table.frame
    raw = {c: (f[c].copy() if c in f else pd.Series([None] * len(f), index=f.index, dtype=object))
           for c in ("lon", "lat", "point")}
    for c in ("name", "voivodeship", "teryt", "jst_kind", "powiat", "source", "note"):
        _text_column(table, c)
    f["name"] = f["name"].str.replace(r"\s+", " ", regex=True)
    flagged = {(p.row, p.column) for p in table.problems}
    woj, codes, kinds, lons, lats = [], [], [], [], []
    for row, name, voivodeship, teryt, kind, lon, lat, point in zip(
            f["row"].tolist(), f["name"].tolist(), f["voivodeship"].tolist(), f["teryt"].tolist(),
            f["jst_kind"].tolist(), raw["lon"].tolist(), raw["lat"].tolist(), raw["point"].tolist()):
        row = int(row)
        woj.append(_voivodeship(table, row, voivodeship))
        codes.append(_teryt(table, row, teryt))
        kinds.append(_jst_kind(table, row, kind))
        lo, la = _coordinates(table, row, lon, lat, point)
        lons.append(lo)
        lats.append(la)
        if not name and (row, _col(table, "name")) not in flagged:
            if codes[-1]:   # the TERYT still identifies the row
                _problem(table, row, "name", "", "the name is empty (the row is placed by its TERYT)",
                         "write the city or JST name", blocking=False)
            else:
                _problem(table, row, "name", "", "the name is empty", "write the city or JST name, or delete the row")
    f["woj"] = woj
    f["teryt_codes"] = pd.Series(codes, index=f.index, dtype=object)
    f["gmina_type"] = [GMINA_TYPE_OF_KIND.get(_header_key(k), "") for k in f["jst_kind"]]
    f["jst_kind"] = kinds
    f["lon"] = pd.Series(lons, index=f.index, dtype="float64")
    f["lat"] = pd.Series(lats, index=f.index, dtype="float64")
    f["voivodeship_input"] = f["voivodeship"]
    f["voivodeship"] = [VOIVODESHIPS.get(c, "") for c in woj]
    _note_lost_letters(table)


def _note_lost_letters(table: Table) -> None:
    """'Boles?awiec': the file was saved in an encoding without Polish letters (Excel on a non-Polish Windows
    writes '?' for them). One note for the file; the join matches '?' as any one letter."""
    f = table.frame
    hit = [int(r) for r, n, v in zip(f["row"], f["name"], f["voivodeship_input"])
           if re.search(r"\w\?\w", n) or re.search(r"\w\?\w", v)]
    if hit:
        rows = ", ".join(map(str, hit[:10])) + (" …" if len(hit) > 10 else "")
        table.problems.append(Problem(
            table.path, None, None, None, f"letters replaced by '?' in {len(hit)} row(s) ({rows}): the file was "
            "saved in an encoding without Polish letters; names are matched with '?' as any one letter",
            "save the file from Excel as 'CSV UTF-8' (or as .xlsx)", blocking=False, note=True))


def _normalise_members(table: Table) -> None:
    f = table.frame
    raw = {c: _raw(f, c) for c in ("join_year", "leave_date", "source_date")}
    raw_year = raw["join_year"]
    _normalise_common(table)
    for c in ("join_year_source", "evidence"):
        _text_column(table, c)
    _evidence(table)
    future = _membership_dates(table, raw)
    years = []
    for i, row in zip(f.index, f["row"]):
        v = raw_year[i]
        y, err = None, None
        if v is not None and _cell_text(v) != "":
            y, err, _unknown = parse_year(v)
        if err:  # not blocking: the city is still placed, its year left empty
            _problem(table, int(row), "join_year", _cell_text(v), f"bad join year: {err}",
                     "write one year as a number, e.g. 2019, or leave it empty when unknown", blocking=False)
        elif i in future and y == dt.date.today().year:   # a later year is the range check's (it names the range)
            _problem(table, int(row), "join_year", _cell_text(v), f"bad join date: {_FUTURE}",
                     "write the date the city joined, or leave it empty until it has joined", blocking=False)
            y = None
        years.append(pd.NA if y is None else y)
    f["join_year"] = pd.array(years, dtype="Int64")
    f["join_year_input"] = [_cell_text(v) if v is not None else "" for v in raw_year]   # quoted by _validate


def _membership_dates(table: Table, raw: dict[str, pd.Series]) -> set:
    """join_date / leave_date / source_date as ISO text ('' = unknown); a bad date is reported, never guessed.
    Returns the rows whose join date lies after today."""
    f = table.frame
    fixes = {"join_date": ("join_year", "write a date (17.10.1990, 1990-10-17) or a year, or leave it empty"),
             "leave_date": ("leave_date", "write the date the city left (a date or a year), or leave it empty"),
             "source_date": ("source_date", "write the date of the source (a date, YYYY-MM or a year)")}
    future = set()
    for out, (canon, fix) in fixes.items():
        values = []
        for i, row in zip(f.index, f["row"]):
            iso, err = _past_date(raw[canon][i]) if _cell_text(raw[canon][i]) else ("", None)
            if canon == "join_year":   # a bad join date is reported once, by the year checks
                if err and err.startswith(_FUTURE):
                    future.add(i)
            elif err:
                _problem(table, int(row), canon, _cell_text(raw[canon][i]), f"bad date: {err}", fix, blocking=False)
            values.append(iso)
        f[out] = values
    f["source_date_open"] = [is_lower_bound(raw["source_date"][i]) for i in f.index]   # "… or later"
    return future


_FUTURE = "a date after today"


def _past_date(value) -> tuple[str, str | None]:
    """parse_date, with a date after today an error: a membership fact is not dated in the future (and a typo such
    as 2030 would become the data's newest date)."""
    iso, err = parse_date(value)
    if iso and first_day(iso) > dt.date.today():
        return "", f"{_FUTURE} ({iso})"
    return iso, err


def _evidence(table: Table) -> None:
    f = table.frame
    levels = []
    for row, v in zip(f["row"], f["evidence"]):
        level = parse_evidence(v)
        if level is None:
            _problem(table, int(row), "evidence", v, "unknown evidence level (read as 'list')",
                     f"write one of {', '.join(EVIDENCE_LEVELS)} (see data/README.md)", blocking=False)
        levels.append(level or "list")
    f["evidence"] = levels


def _normalise_events(table: Table) -> None:
    """Dated joins and departures: the event and its date are required (a dateless event says nothing)."""
    f = table.frame
    raw_date = _raw(f, "date")
    _normalise_common(table)
    for c in ("event", "quote"):
        _text_column(table, c)
    events, dates = [], []
    for i, row in zip(f.index, f["row"]):
        ev = parse_event(f.at[i, "event"])
        if ev is None:
            _problem(table, int(row), "event", f.at[i, "event"], "unknown event",
                     f"write {' or '.join(MEMBERSHIP_EVENTS)} (przystąpienie / wystąpienie)")
        iso, err = _past_date(raw_date[i]) if _cell_text(raw_date[i]) else ("", "the date is empty")
        if not iso:
            _problem(table, int(row), "date", _cell_text(raw_date[i]), f"bad date: {err or 'not a date'}",
                     "write the date (17.10.1990, 1990-10-17), a month (1990-10) or a year")
        events.append(ev or "")
        dates.append(iso)
    f["event"], f["date"] = events, dates


def _raw(f: pd.DataFrame, column: str) -> pd.Series:
    return f[column].copy() if column in f else pd.Series([None] * len(f), index=f.index, dtype=object)


def _normalise_participation(table: Table) -> None:
    f = table.frame
    _normalise_common(table)
    for c in ("project_id", "role", "year", "role_kind", "role_label_pl", "role_label_en"):
        _text_column(table, c)   # role labels: empty when the office's file has none (nothing special shown)
    counts = f["counts_as_participation"].map(_cell_text).map(_clean) if "counts_as_participation" in f else \
        pd.Series([""] * len(f), index=f.index)
    f["counts_as_participation"] = [_PARTICIPATION_COUNTS.get(_header_key(v), True) for v in counts]
    for row, v in zip(f["row"], counts):
        if _header_key(v) not in _PARTICIPATION_COUNTS:
            _problem(table, int(row), "counts_as_participation", v, "not yes/no (read as yes)",
                     "write yes (tak) or no (nie); empty = yes", blocking=False)
    f["project_input"] = f["project_id"]
    f["project_id"] = [_project_key(p) for p in f["project_id"]]
    for row, pid in zip(f["row"], f["project_id"]):
        if not pid:
            _problem(table, int(row), "project_id", "", "the project is empty",
                     "write the project id (e.g. P1) or its name")
        elif re.fullmatch(r"\s*[A-Za-z]+\d+\s*([,;/+&]|\s+i\s+|\s+and\s+)\s*[A-Za-z]+\d+.*", pid):
            _problem(table, int(row), "project_id", pid, "several projects in one cell",
                     "write one project per row (copy the row for each project)")


# counts_as_participation: empty (or a file without the column) = yes
_PARTICIPATION_COUNTS = {"": True, "yes": True, "y": True, "tak": True, "t": True, "1": True, "true": True,
                         "prawda": True, "no": False, "n": False, "nie": False, "0": False, "false": False,
                         "falsz": False}


def _project_key(value: str) -> str:
    """'CAMPAIGN-2020 (Jedno dla wszystkich, …)' -> 'CAMPAIGN-2020'; ' p1 ' -> 'P1'; names are kept as written
    (the join maps names/labels to ids)."""
    s = value.strip()
    s = re.sub(r"^([A-Za-z]{1,3})\s*[-.]?\s*(\d+)$", r"\1\2", s)   # 'P 2', 'P-2', 'p.2' -> 'P2'
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
    first: dict[str, int] = {}
    for row, pid, name in zip(f["row"], f["id"], f["name_pl"]):
        if not pid:
            _problem(table, int(row), "id", "", "the project id is empty", "write an id such as P10")
        elif pid in first:
            _problem(table, int(row), "id", pid, f"a duplicate project id (also in row {first[pid]}); this row is "
                     "not used", "give each project its own id, or merge the two rows")
        else:
            first[pid] = int(row)
        if not name:
            _problem(table, int(row), "name_pl", "", "the project name is empty (the id is shown instead)",
                     "write the project's Polish name")
    for c in ("name_pl", "name_en", "label_pl", "label_en"):
        f[c] = [v or pid for v, pid in zip(f[c], f["id"])]


def usable_projects(table: Table) -> pd.DataFrame:
    """The projects the atlas may show: an empty, malformed or duplicate id is not used."""
    bad = {p.row for p in table.problems if p.blocking and p.column == _col(table, "id")}
    return table.frame[~table.frame["row"].isin(bad)].reset_index(drop=True)


_NORMALISERS = {"members": _normalise_members, "participation": _normalise_participation,
                "projects": _normalise_projects, "events": _normalise_events}

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


@functools.lru_cache(maxsize=None)
def _schema(kind: str):
    import pandera.pandas as pa

    def named(fn, name):
        return pa.Check(fn, element_wise=True, name=name)

    if kind in ("members", "participation", "events"):
        cols = {
            "row": pa.Column(int),
            "name": pa.Column(str, named(lambda s: s != "", "name_not_empty")),
            "woj": pa.Column(str, named(lambda s: s == "" or s in VOIVODESHIPS, "woj_code")),
            "jst_kind": pa.Column(str, named(lambda s: s in ("", *JST_KINDS), "jst_kind_allowed")),
            # a row without coordinates is placed by its TERYT or name
            "lon": pa.Column(float, named(lambda x: POLAND_BBOX[0] <= x <= POLAND_BBOX[2], "lon_range"),
                             nullable=True),
            "lat": pa.Column(float, named(lambda x: POLAND_BBOX[1] <= x <= POLAND_BBOX[3], "lat_range"),
                             nullable=True),
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
            value = _cell_text(case["failure_case"])
            if check == "join_year_range":   # the year is left empty, and the date it was read from
                value = f.loc[case["index"], "join_year_input"] or value   # as written: '1905-07-11', not 1905
                f.loc[case["index"], ["join_year", "join_date"]] = [pd.NA, ""]
            table.problems.append(Problem(table.path, row, col, value, msg, fix,
                                          blocking=check not in ("join_year_range",)))
    table.problems.sort(key=lambda p: (p.row or 0, p.column or ""))


# ---------------------------------------------------------------------------------------------- public API
def read_members(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "members.csv", "members", sheet)


def read_participation(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "participation.csv", "participation", sheet)


def read_events(path=None, sheet: str | None = None) -> Table:
    return read_table(path or DATA_DIR / "membership_events.csv", "events", sheet)


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
