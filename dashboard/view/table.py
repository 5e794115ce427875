"""The table's downloads: exactly the rows the table shows, as files an office opens by double-click.

- Polish UI: CSV as Polish Excel reads it — UTF-8 with a BOM (else Excel guesses cp1250: "WojewĂłdztwo"), ';' as
  separator (',' is the decimal comma), decimal comma, CRLF line ends, and TERYT written as an Excel text formula
  (="0214023"), so that Excel keeps the leading zero instead of reading a number (214023).
- English UI: plain UTF-8 CSV with ',' and '.', TERYT as written.
- XLSX (both languages, openpyxl): TERYT as text cells (number format '@'), numbers as numbers, a frozen header.
Pure functions (no Dash): the callback only wraps the bytes for dcc.Download.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd

from dashboard.export.spec import view_slug
from dashboard.model.state import FilterState

CSV_FORMATS = {   # per UI language: separator, decimal mark, BOM, line end, TERYT as an Excel text formula
    "pl": {"sep": ";", "decimal": ",", "bom": True, "eol": "\r\n", "teryt_formula": True},
    "en": {"sep": ",", "decimal": ".", "bom": False, "eol": "\r\n", "teryt_formula": False},
}
TERYT_COLUMN = "teryt"
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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


def table_xlsx(frame: pd.DataFrame, lang: str, headers: dict[str, str] | None = None, sheet: str = "") -> bytes:
    """``frame`` as an XLSX workbook: TERYT in text cells (leading zeros kept), a bold frozen header."""
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
        ws.append([v.item() if hasattr(v, "item") else v for v in row])
    if TERYT_COLUMN in cols:
        j = cols.index(TERYT_COLUMN) + 1
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell.value = str(cell.value)
            cell.number_format = "@"
    for j, c in enumerate(cols, start=1):
        width = max([len(str((headers or {}).get(c, c)))] + [len(str(v)) for v in frame[c].head(500)])
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(60, width + 2)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_filename(state: FilterState, ext: str) -> str:
    """atlas-zmp-miasta_<view>.csv / atlas-zmp-cities_<view>.xlsx (safe ASCII)."""
    stem = "atlas-zmp-miasta" if state.lang == "pl" else "atlas-zmp-cities"
    slug = view_slug(state)
    return f"{stem}_{slug}.{ext}" if slug else f"{stem}.{ext}"


def table_download(frame: pd.DataFrame, state: FilterState, ext: str, headers: dict[str, str]) -> dict[str, Any]:
    """dcc.Download data for the table as ``ext`` ("csv" | "xlsx") in the state's language."""
    data = table_xlsx(frame, state.lang, headers) if ext == "xlsx" else table_csv(frame, state.lang, headers)
    return {"content": base64.b64encode(data).decode("ascii"), "filename": table_filename(state, ext),
            "type": MIME[ext], "base64": True}
