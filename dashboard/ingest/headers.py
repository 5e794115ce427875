"""Which column is which: the Polish and English headers the office uses -> canonical column names, and where the
header row is (title rows, notes and blank rows may sit above it).

    ALIASES[kind][canonical] -> accepted headers (folded);  REQUIRED[kind] -> canonical columns that must exist
    canonical_column(kind, header) -> canonical name or None
    find_header(kind, rows, path, info) -> (index of the header row, its cells, {column index: canonical})
"""
from __future__ import annotations

import re
from pathlib import Path

from dashboard.ingest.tabular import DataFileError, _cell_text
from dashboard.ingest.values import _header_key, fold, voivodeship_code

HEADER_SCAN_ROWS = 30   # title rows, notes and blank rows above the header

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
    "point": ["wspolrzedne", "wspolrzedne geograficzne", "wspolrzedne gps", "coordinates", "coords", "lat lon",
              "lat lng", "lat long", "gps", "polozenie", "lokalizacja", "location"],
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
        "leave_date": ["data wystapienia", "rok wystapienia", "wystapienie", "czlonek do", "w zmp do",
                       "data wystapienia ze zwiazku", "left", "leave date", "left on", "member until", "year left"],
        "evidence": ["podstawa", "podstawa czlonkostwa", "dowod", "rodzaj dowodu", "poziom dowodu", "pewnosc",
                     "wiarygodnosc", "evidence",
                     "evidence level"],
        "source_date": ["data zrodla", "stan na", "data listy", "source date", "as of", "listed on"],
    },
    "events": {
        **_COMMON_ALIASES,
        "event": ["zdarzenie", "rodzaj zdarzenia", "zmiana", "event", "event type", "change"],
        "date": ["data", "data zdarzenia", "dzien", "rok", "date", "event date", "year"],
        "quote": ["cytat", "fragment", "quote", "citation"],
    },
    "participation": {
        **_COMMON_ALIASES,
        "project_id": ["projekt", "id projektu", "kod projektu", "projekt id", "nazwa projektu", "project",
                       "project id", "project code"],
        "role": ["rola", "funkcja", "udzial", "rola w projekcie", "role"],
        "year": ["rok", "lata", "okres", "rok udzialu", "year", "years", "period"],
        "role_kind": ["rodzaj roli", "typ roli", "role kind", "role type"],
        "role_label_pl": ["etykieta roli", "rola krotko", "role label pl"],
        "role_label_en": ["etykieta roli en", "role label en", "role label"],
        "counts_as_participation": ["liczy sie jako udzial", "udzial w projekcie", "counts as participation",
                                    "participates"],
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
REQUIRED = {"members": ("name",), "participation": ("project_id", "name"), "projects": ("id", "name_pl"),
            "events": ("name", "event", "date")}
_ALIAS_LOOKUP = {kind: {_header_key(a): canon for canon, al in spec.items() for a in [canon, *al]}
                 for kind, spec in ALIASES.items()}


def canonical_column(kind: str, header) -> str | None:
    key = _header_key(header)
    lookup = _ALIAS_LOOKUP[kind]
    if key in lookup:
        return lookup[key]
    no_paren = _header_key(re.sub(r"\(.*?\)|\[.*?\]", " ", fold(header)))
    return lookup.get(no_paren)


def find_header(kind: str, rows, path, info: dict | None = None) -> tuple[int, list, dict[int, str]]:
    best, partial = None, (None, [], {})
    for idx, (_rownum, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
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
                                "give the sheet that holds the register: file.xlsx#<sheet name>" if info and
                                info.get("sheet") else "export the table again: the file has no values")
        idx, cells, mapping = partial
        if idx is None:
            cells = next((c for _, c in rows if any(_cell_text(x) for x in c)), [])
        headers = [_cell_text(c) for c in cells if _cell_text(c)]
        if not mapping and len(headers) <= 1 and not any(len(c) > 1 for _, c in rows[:5]):
            others = [x for x in (info or {}).get("sheets") or () if x != (info or {}).get("sheet")]
            if others:   # a workbook whose first sheet is not the register (instructions, a cover page)
                raise DataFileError(path, f"sheet '{info['sheet']}' is not a table: no columns found",
                                    f"give the sheet that holds the register: {Path(str(path)).name}#<sheet> "
                                    f"(other sheets: {', '.join(others[:6])})")
            raise DataFileError(path, "not a table: no columns found (one field per line)",
                                "save the sheet as CSV (comma or semicolon separated) or XLSX; a bare list of names "
                                "needs a header row: write 'Miasto' in the first row")
        missing = [r for r in REQUIRED[kind] if r not in mapping.values()]
        if not mapping and any(voivodeship_code(h) or re.fullmatch(r"\d{4,7}", h) for h in headers):
            raise DataFileError(path, f"no header row: the first row looks like data ({headers[:4]})",
                                "insert a header row above the data, e.g. Miasto;Województwo;TERYT;Rok przystąpienia "
                                "(see data/README.md for the accepted names)")
        accepted = {r: ", ".join(ALIASES[kind][r][:6]) for r in missing}
        where = ""
        if info and info.get("sheets") and len(info["sheets"]) > 1:
            where = f" in sheet '{info['sheet']}' (sheets: {', '.join(info['sheets'])})"
        raise DataFileError(
            path, f"required column missing for {kind}{where}: " + "; ".join(
                f"'{r}' (accepted headers e.g. {accepted[r]})" for r in missing)
            + f". Headers found: {headers[:12]}" + (f" (in row {rows[idx][0]}; the header is looked for in the first "
                                                    f"{HEADER_SCAN_ROWS} rows)" if idx is not None else ""),
            "rename the column header (see data/README.md for the accepted names)"
            + (" or pick the sheet: file.xlsx#<sheet name>" if where else ""))
    return best
