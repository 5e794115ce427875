"""The table of cities in view and its downloads: localised rows built once per atlas, language, date and evidence
levels, then picked and ordered per request with the model's mask (dashboard.model.query).

Downloads are exactly the rows the table shows, as files an office opens by double-click:
- Polish UI: CSV as Polish Excel reads it — UTF-8 with a BOM (else Excel guesses cp1250: "WojewĂłdztwo"), ';' as
  separator (',' is the decimal comma), decimal comma, CRLF line ends, and TERYT written as an Excel text formula
  (="0214023"), so that Excel keeps the leading zero instead of reading a number (214023).
- English UI: the same for an English Excel, with ',' as separator and '.' as decimal point.
- XLSX (both languages, openpyxl): TERYT as text cells (number format '@'), numbers and join years as numbers,
  a frozen header with filter buttons, and a second sheet with what a desk cites: the view and its date, the
  number of rows, the source line and the data's date, and the view's public address (when one is configured).
  The CSV stays rows only: pandas, R and Datawrapper read its first line as the header.
- No text runs as a formula: the data's texts come from the office's own files (ATLAS_DATA_DIR), and a name like
  `=HYPERLINK(...)` would run in every analyst's spreadsheet. In CSV a text beginning with = + - @ (or a tab or
  carriage return) gets a leading apostrophe, as OWASP advises for CSV; in XLSX every text is a text cell."""
from __future__ import annotations

import base64
import dataclasses
import io
from typing import Any, Sequence

import numpy as np
import pandas as pd

from dashboard.i18n import display_name, t, voivodeship_name, year_label
from dashboard.ingest.values import collation_key
from dashboard.model import query
from dashboard.model.state import FilterState, view_slug

TABLE_COLUMNS = ("name", "teryt", "voivodeship", "member", "join_year", "n_projects", "projects")
COLUMN_KEYS = {"name": "col_name", "teryt": "col_teryt", "voivodeship": "col_voivodeship", "member": "col_member",
                "join_year": "col_join_year", "n_projects": "col_n_projects", "projects": "col_projects"}


def table_columns(lang: str) -> list[dict[str, str]]:
    """The table's columns (and the CSV's header) in `lang`."""
    return [{"name": t(COLUMN_KEYS[c], lang), "id": c, **({"type": "numeric"} if c == "n_projects" else {})}
            for c in TABLE_COLUMNS]


class _TableBase:
    """Every entity's table row in the state's language, at its date and evidence levels, in the default display
    order (voivodeship, name, TERYT)."""

    def __init__(self, atlas: Any, state: FilterState):
        lang = state.lang
        ent = query.derived(atlas).entities
        member, dated = query.member_masks(atlas, state)
        join_years = query.join_years_at(atlas, state)
        plabel = query.project_labels(atlas, lang)
        self.order = query.table_order(atlas)          # entity position of each table row
        ent, member, dated, join_years = (ent.iloc[self.order], member[self.order], dated[self.order],
                                          join_years[self.order])
        self.frame = pd.DataFrame({
            "name": [display_name(n, lang) for n in ent["name"].astype(str)],
            "teryt": ent["teryt"].astype(str),
            "voivodeship": [voivodeship_name(v, lang) for v in ent["voivodeship"].astype(str)],
            "member": np.where(dated, t("member_dated_short", lang),
                               np.where(member, t("member_undated_short", lang), t("no", lang))),
            # a city not a member at the date has no join year there ("nie | nieznany" for Hrubieszów in 2010, which
            # joined in 2019; "nie | 1990" for Kraków with only the list's cities counted)
            "join_year": [year_label(None if np.isnan(y) else int(y), lang) if m else ""
                          for y, m in zip(join_years, member)],
            "n_projects": ent["n_projects"].astype(int),
            "projects": ["; ".join(plabel.get(p, p) for p in ids) for ids in ent["project_ids"]],
        }).reset_index(drop=True)
        self.records = tuple(self.frame.to_dict("records"))
        # sort keys: numbers as numbers, texts in Polish alphabetical order
        self.keys = {c: self.frame[c].tolist() if c == "n_projects" else [collation_key(v) for v in self.frame[c]]
                     for c in TABLE_COLUMNS}

    def rows(self, mask: np.ndarray, sort_by: list[dict] | None) -> list[int]:
        """Positions in self.frame of the entities in `mask`, in display order (`sort_by` applied stably, as
        pandas' sort_values(kind="stable") does, ties keeping the default order)."""
        rows = np.flatnonzero(mask[self.order]).tolist()
        for spec in reversed(sort_by or []):
            col = spec.get("column_id") if isinstance(spec, dict) else None
            if col in TABLE_COLUMNS:
                rows.sort(key=self.keys[col].__getitem__, reverse=spec.get("direction") == "desc")
        return rows


def _table_base(atlas: Any, state: FilterState) -> _TableBase:
    """Built once per (language, year, evidence levels)."""
    key = ("table", state.lang, query.asof_year(atlas, state), state.evidence)
    return query.atlas_memo(atlas, key, lambda: _TableBase(atlas, state))


def table_frame(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> pd.DataFrame:
    """The table of cities in view (all filters), localised values, in display order. The CSV download is this
    very frame, so it holds exactly what the table shows. `sort_by`: [{column_id, direction}] (the table's sorting)."""
    base = _table_base(atlas, state)
    return base.frame.iloc[base.rows(query.entity_mask(atlas, state), sort_by)].reset_index(drop=True)


def table_records(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> list[dict[str, Any]]:
    """table_frame(atlas, state, sort_by).to_dict("records"), from rows built once per atlas and language."""
    base = _table_base(atlas, state)
    return [dict(base.records[i]) for i in base.rows(query.entity_mask(atlas, state), sort_by)]


def sort_spec(sort_by: Any) -> list[dict]:
    """The table's sorting as the browser sends it, reduced to one valid {column_id, direction}."""
    if not isinstance(sort_by, list):
        return []
    return [s for s in sort_by if isinstance(s, dict) and s.get("column_id") in TABLE_COLUMNS][:1]


CSV_FORMATS = {   # per UI language: separator, decimal mark, BOM, line end, TERYT as an Excel text formula
    "pl": {"sep": ";", "decimal": ",", "bom": True, "eol": "\r\n", "teryt_formula": True},
    "en": {"sep": ",", "decimal": ".", "bom": True, "eol": "\r\n", "teryt_formula": True},
}
TERYT_COLUMN = "teryt"
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it: an apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv(frame: pd.DataFrame, lang: str, headers: dict[str, str] | None = None) -> bytes:
    """``frame`` (query.table_frame: TERYT as text) as CSV bytes for the ``lang`` UI (see the module doc).
    Fields holding the separator, a quote or a line break are quoted; the TERYT formula is written bare
    (="0214023"), as Excel expects it."""
    fmt = CSV_FORMATS.get(lang, CSV_FORMATS["pl"])
    sep, eol = fmt["sep"], fmt["eol"]

    def field(value: Any, column: str) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if column == TERYT_COLUMN and fmt["teryt_formula"]:
            return '="' + str(value).replace('"', "") + '"'
        if isinstance(value, float):
            value = f"{value:g}".replace(".", fmt["decimal"])
        elif isinstance(value, str):
            value = inert_text(value)
        text = str(value)
        if any(ch in text for ch in (sep, '"', "\n", "\r")) or text != text.strip():
            return '"' + text.replace('"', '""') + '"'
        return text

    cols = list(frame.columns)
    lines = [sep.join(field((headers or {}).get(c, c), "") for c in cols)]
    for row in frame.itertuples(index=False):
        lines.append(sep.join(field(v, c) for v, c in zip(row, cols)))
    text = eol.join(lines) + eol
    return ("\ufeff" if fmt["bom"] else "").encode("utf-8") + text.encode("utf-8")


def table_xlsx(frame: pd.DataFrame, lang: str, headers: dict[str, str] | None = None, sheet: str = "",
               notes: Sequence[str] = ()) -> bytes:
    """``frame`` as an XLSX workbook: TERYT in text cells (leading zeros kept), a bold frozen header with filter
    buttons; ``notes`` (layout.download_notes) on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = (sheet or ("Miasta" if lang == "pl" else "Cities"))[:31]
    cols = list(frame.columns)
    ws.append([(headers or {}).get(c, c) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([_xlsx_value(v, c) for v, c in zip(row, cols)])
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":   # openpyxl reads any text beginning with "=" as a formula
                cell.data_type = "s"
    if TERYT_COLUMN in cols:
        j = cols.index(TERYT_COLUMN) + 1
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.value = str(cell.value)
            cell.number_format = "@"
    for j, c in enumerate(cols, start=1):
        width = max([len(str((headers or {}).get(c, c)))] + [len(str(v)) for v in frame[c].head(500)])
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(60, width + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(cols)).column_letter}{ws.max_row}"
    if notes:
        _notes_sheet(wb.create_sheet(t("download_notes_sheet", lang)), notes)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


EXCEL_LINK_MAX = 2079   # Excel repairs (drops) a workbook's hyperlink longer than this


def _notes_sheet(ws: Any, notes: Sequence[str]) -> None:
    """One note per row, the first one bold; an address (the last note's text after ": ") is a link."""
    from openpyxl.styles import Font

    for note in notes:
        ws.append([note])
        cell = ws.cell(row=ws.max_row, column=1)
        cell.data_type = "s"
        address = note.rsplit(": ", 1)[-1]
        if address.startswith(("https://", "http://")) and len(address) <= EXCEL_LINK_MAX:
            cell.hyperlink = address
            cell.style = "Hyperlink"
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 100


def _xlsx_value(value: Any, column: str) -> Any:
    """A cell's value: numpy scalars as Python ones, a join year as a number (its "unknown" stays text)."""
    value = value.item() if hasattr(value, "item") else value
    if column == "join_year" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def table_filename(state: FilterState, ext: str) -> str:
    """atlas-zmp-miasta_<view>.csv / atlas-zmp-cities_<view>.xlsx (safe ASCII). A found town only shows where it
    is (the table holds the same rows), so it is not named."""
    stem = "atlas-zmp-miasta" if state.lang == "pl" else "atlas-zmp-cities"
    slug = view_slug(dataclasses.replace(state, focus=None))
    return f"{stem}_{slug}.{ext}" if slug else f"{stem}.{ext}"


def table_download(frame: pd.DataFrame, state: FilterState, ext: str, headers: dict[str, str],
                   notes: Sequence[str] = ()) -> dict[str, Any]:
    """dcc.Download data for the table as ``ext`` ("csv" | "xlsx") in the state's language; ``notes``: the XLSX's
    second sheet."""
    data = (table_xlsx(frame, state.lang, headers, notes=notes) if ext == "xlsx"
            else table_csv(frame, state.lang, headers))
    return {"content": base64.b64encode(data).decode("ascii"), "filename": table_filename(state, ext),
            "type": MIME[ext], "base64": True}
