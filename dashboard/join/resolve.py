"""Resolve each city/JST of the union's tables to a 2020 gmina (7-digit TERYT) or a powiat (4-digit), with
geopandas — and never pick one of several candidates silently.

Order (first that applies wins):
  a. TERYT when given: 7 digits; 6 without the type digit; a 6-digit number that lost its leading zero (both
     readings tried, see dashboard.ingest.dataset); 2026 codes through the crosswalk; a town-part code (type 4) or a
     code whose type digit changed after 2020 through its first 6 digits. A TERYT that contradicts the row's
     name or voivodeship makes the row ambiguous (both candidates listed).
  b. normalised name + voivodeship among town gminy (types 1 and 3) — case, diacritics, hyphen vs space and
     abbreviations (Wlkp., Maz., Podl., Śl., Kuj., Pom., Lub., Gd., n., m. st., …) are folded; when no town gmina
     has the name, other gmina types are used only when exactly one candidate remains, and the reason says so.
     jst_kind "gmina" looks at rural/urban-rural gminy first; "powiat" at powiaty (by name, or the powiat of
     the named town). No voivodeship: the name must be unique in Poland.
  c. point-in-polygon (geopandas.sjoin) when coordinates are given: picks among ambiguous candidates, or
     places a row whose name was not found (and says so).
  d. otherwise ambiguous (candidates with TERYT and kind) or unmatched (why + close names from difflib).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

import pandas as pd

from dashboard.ingest.dataset import VOIVODESHIPS, Problem, Table, fold, voivodeship_code
from dashboard.join.gazetteer import GMINA_KIND, TOWN_TYPES, Candidate, Gazetteer, _key, get_gazetteer, parse_jst_name  # noqa: F401
from dashboard.join.report import STATUSES, JoinReport, RowResult  # noqa: F401


# ---------------------------------------------------------------------------------------------- resolution
def _name_ok(gaz: Gazetteer, code: str, name: str) -> bool:
    if not name:
        return True
    want, kind, _ = parse_jst_name(name)
    if len(code) == 4:
        return code in gaz.powiaty_named(want, code[:2]) or any(
            t[:4] == code for t in gaz.gminy_named(want, code[:2]))
    return code in gaz.gminy_named(want, code[:2])


@dataclass(frozen=True)
class Outcome:
    """What a resolver decided for one row: its status and why, and the entity, candidates or suggestions."""

    status: str
    reason: str = ""
    teryt: str | None = None
    method: str | None = None
    entity_kind: str | None = None
    candidates: tuple[Candidate, ...] = ()
    suggestions: tuple[str, ...] = ()

    def apply(self, res: RowResult) -> None:
        res.status, res.reason = self.status, self.reason
        res.teryt, res.method, res.entity_kind = self.teryt, self.method, self.entity_kind
        res.candidates, res.suggestions = list(self.candidates), list(self.suggestions)


def _matched(code: str, method: str, reason: str) -> Outcome:
    return Outcome("matched", reason, code, method, "powiat" if len(code) == 4 else "gmina")


def _ambiguous(gaz: Gazetteer, codes, reason: str) -> Outcome:
    return Outcome("ambiguous", reason, candidates=tuple(gaz.candidate(c) for c in codes))


Reading = dict[str, tuple[str, str]]   # 2020 code -> (method, note): what the row's TERYT codes can be read as


def _read_gmina_code(gaz: Gazetteer, c: str) -> tuple[Reading, str]:
    """A 7-digit code: (its readings, or a note on why it has none)."""
    if c in gaz.gmina_by_code:
        return {c: ("teryt", "")}, ""
    if c in gaz.cw_2026:
        t2020, change = gaz.cw_2026[c]
        return {t2020: ("crosswalk", f"{c} is a 2026 code ({change.replace('_', ' ')}); 2020 code {t2020}")}, ""
    if c in gaz.new_2026:
        return {}, (f"{c} ({gaz.new_2026[c]}) is a gmina created after 2020: the 2020 boundaries have no polygon "
                    "for it (its territory belonged to a neighbouring gmina)")
    if len(gaz.by_six.get(c[:6], [])) == 1:
        t = gaz.by_six[c[:6]][0]
        what = {"4": "the town part (type 4) of", "5": "the rural part (type 5) of"}.get(c[6], "")
        return {t: ("teryt6", f"{c} has type digit {c[6]}; read as {what or 'the 2020 gmina'} {t} by its first "
                              "6 digits")}, ""
    if c[6] in "89" and len(gaz.by_powiat.get(c[:4], [])) == 1:
        t = gaz.by_powiat[c[:4]][0]
        return {t: ("teryt6", f"{c} is a district/delegatura code; its city is the gmina {t}")}, ""
    return {}, f"{c} is not a gmina code in PRG 2020 nor in the 2026 list"


def _read_powiat_code(gaz: Gazetteer, c: str, name: str, kind: str) -> tuple[Reading, str] | Outcome:
    """A 4-digit code: a powiat for a powiat row, a city powiat's gmina otherwise; a powiat given for a town is
    invalid (the town is not guessed among its gminy)."""
    if kind == "powiat":
        return ({c: ("teryt", "")}, "") if c in gaz.powiat_by_code else ({}, f"{c} is not a powiat code")
    if len(gaz.by_powiat.get(c, [])) == 1:
        t = gaz.by_powiat[c][0]
        return {t: ("teryt", f"4-digit code {c} is a city powiat; its gmina is {t}")}, ""
    if c in gaz.powiat_by_code:
        return Outcome("invalid", f"TERYT {c} is a powiat ({gaz.powiat_by_code[c]}), not a town; give the 7-digit "
                                  "gmina code or set jst_kind to powiat",
                       candidates=tuple(gaz.candidate(t) for t in gaz.gminy_named(name, c[:2]) if t[:4] == c)[:5])
    return {}, f"{c} is not a powiat code"


def _read_code(gaz: Gazetteer, c: str, name: str, kind: str) -> tuple[Reading, str] | Outcome:
    if len(c) == 7:
        return _read_gmina_code(gaz, c)
    if len(c) == 6:
        hits = gaz.by_six.get(c, [])
        return {t: ("teryt6", f"6-digit code {c} (without type digit) -> {t}") for t in hits}, \
            "" if hits else f"no gmina has the first 6 digits {c}"
    if len(c) == 4:
        return _read_powiat_code(gaz, c, name, kind)
    return Outcome("invalid", f"TERYT {c} is a voivodeship code, not a gmina or powiat")


def _one_reading(gaz: Gazetteer, found: Reading, name: str, woj: str) -> Reading | Outcome:
    """Only a 6-digit number can read two ways: the row's name and voivodeship decide, or the row is ambiguous."""
    agree = [c for c in found if (not woj or c[:2] == woj) and _name_ok(gaz, c, name)]
    if len(agree) != 1:
        return _ambiguous(gaz, found, "the TERYT can be read as " + " or ".join(found) +
                          " (a 6-digit number: a 7-digit code that lost its leading zero, or a code without its "
                          "type digit); give all 7 digits as text")
    c = agree[0]
    m, note = found[c]
    others = ", ".join(x for x in found if x != c)
    return {c: (m, f"{note}; the other reading ({others}) does not fit the row's name/voivodeship")}


def _leading_zero_note(raw: str, code: str, method: str, note: str) -> str:
    digits = re.sub(r"\D", "", re.sub(r"[.,]0+$", "", raw.strip()))
    if len(digits) in (1, 3, 5) or (len(digits) == 6 and len(code) == 7 and method == "teryt"):
        note = "; ".join(x for x in (f"'{raw}' read as {code if method == 'teryt' else '0' + digits} (a number "
                                     "that lost its leading zero; store TERYT as text)", note) if x)
    return note


def _checked_against_row(gaz: Gazetteer, code: str, method: str, note: str, name: str, woj: str,
                         kind: str) -> Outcome:
    """The code read from the TERYT, unless the row's voivodeship or name contradicts it (a near spelling of the
    name is only noted)."""
    problems = []
    if woj and code[:2] != woj:
        problems.append(f"the TERYT is in {VOIVODESHIPS[code[:2]]}, the row says {VOIVODESHIPS[woj]}")
    if name and not _name_ok(gaz, code, name):
        official = gaz.candidate(code).name
        want = parse_jst_name(name)[0]
        if len(code) == 7 and difflib.SequenceMatcher(None, _key(want), _key(official)).ratio() >= 0.85:
            note = "; ".join(x for x in (note, f"the row spells the name '{name}', PRG 2020 '{official}'") if x)
        else:
            problems.append(f"the TERYT is {official}, the row says '{name}'")
    if problems:
        by_name = _name_candidates(gaz, name, woj, kind)
        return _ambiguous(gaz, [code] + [c for c in by_name if c != code],
                          "TERYT and the row disagree: " + "; ".join(problems) + ". Fix the TERYT or the name.")
    return _matched(code, method, note or "by TERYT")


def _resolve_teryt(gaz: Gazetteer, codes, name: str, woj: str, kind: str, raw: str = "") -> Outcome:
    found: Reading = {}
    notes_unmatched = []
    for c in codes:
        read = _read_code(gaz, c, name, kind)
        if isinstance(read, Outcome):
            return read
        found.update(read[0])
        if read[1]:
            notes_unmatched.append(read[1])
    if kind == "powiat":  # a gmina code given for a powiat row: take its powiat
        found = {k[:4] if len(k) == 7 else k: v for k, v in found.items()}
    if not found:
        return Outcome("unmatched", "; ".join(notes_unmatched) or "TERYT not found",
                       suggestions=tuple([str(gaz.candidate(t)) for t in gaz.gminy_named(name, woj or None)] or
                                         gaz.suggestions(name, woj or None)))
    if len(found) > 1:
        found = _one_reading(gaz, found, name, woj)
        if isinstance(found, Outcome):
            return found
    code, (method, note) = next(iter(found.items()))
    return _checked_against_row(gaz, code, method, _leading_zero_note(raw, code, method, note), name, woj, kind)


def _name_candidates(gaz: Gazetteer, name: str, woj: str, kind: str) -> list[str]:
    want, k, types = parse_jst_name(name, kind)
    if k == "powiat":
        return gaz.powiaty_named(want, woj or None)
    return gaz.gminy_named(want, woj or None)


def _renamed_note(gaz: Gazetteer, code: str) -> str:
    if code in gaz.renamed:
        return f" (PRG 2020 name '{gaz.candidate(code).name}', renamed '{gaz.renamed[code]}' by 2026)"
    return ""


def _powiat_fits(gaz: Gazetteer, code: str, hint: str) -> bool:
    h = re.sub(r"^(powiat|pow|m|miasto)\s+", "", _key(hint))
    if re.fullmatch(r"\d{3,4}", h):
        return code[:4] == h.zfill(4)
    p = _key(gaz.powiat_by_code.get(code[:4], ""))
    return h == p or (len(h) >= 6 and p[:6] == h[:6])


def _powiat_suggestions(gaz: Gazetteer, want: str, woj: str) -> tuple[str, ...]:
    """Close powiat names, then the powiaty of towns close to the name ('Starostwo Powiatowe w Brzegu')."""
    pool = gaz.powiaty if not woj else gaz.powiaty[gaz.powiaty.terc.str[:2] == woj]
    key = re.sub(r"^(powiat|pow)\s+", "", _key(want))
    close = [str(gaz.candidate(t)) for k, t in zip(pool.key, pool.terc)
             if k in difflib.get_close_matches(key, list(pool.key), n=3, cutoff=0.7)]
    seat = re.sub(r"^(powiat|pow\.?)\s+", "", want, flags=re.I)
    return tuple(close + [f"the powiat of {c}" for c in gaz.suggestions(seat, woj or None, n=2)])


def _resolve_powiat_name(gaz: Gazetteer, want: str, woj: str, where: str) -> Outcome:
    hits = gaz.powiaty_named(want, woj or None)
    note = f"powiat by name in {where}"
    if not hits:  # 'Nowy Targ' as a powiat: the powiat of that town
        seat = re.sub(r"^(powiat|pow\.?)\s+", "", want, flags=re.I)
        towns = [t for t in gaz.gminy_named(seat, woj or None) if t[6] in TOWN_TYPES]
        hits = sorted({t[:4] for t in towns})
        note = f"the powiat of the town {seat}"
    if len(hits) == 1:
        return _matched(hits[0], "name", note)
    if hits:
        return _ambiguous(gaz, hits, f"{len(hits)} powiaty match '{want}' in {where}; add the voivodeship or the TERYT")
    return Outcome("unmatched", f"no powiat named '{want}' in {where}", suggestions=_powiat_suggestions(gaz, want, woj))


def _no_gmina(gaz: Gazetteer, want: str, woj: str, where: str) -> Outcome:
    reason = (f"no gmina named '{want}' in {where}; check the spelling (close names are suggested) and the "
              "voivodeship, or give the TERYT")
    if re.fullmatch(r"\d{4,7}", want.strip()):
        reason += "; the name looks like a TERYT code — put it in the TERYT column"
    return Outcome("unmatched", reason, suggestions=tuple(gaz.suggestions(want, woj or None)))


def _preferred(hits: list[str], types: str | None, kind: str) -> tuple[list[str], str]:
    """The gminy the row most likely means (by the type it names, or town gminy for a town), and their label."""
    if types:
        return [t for t in hits if t[6] in types], f"gminy of type {types} ({GMINA_KIND.get(types, types)})"
    if kind in ("gmina", "gmina_prefix"):
        return [t for t in hits if t[6] in "23"], "rural or urban-rural gminy"
    return [t for t in hits if t[6] in TOWN_TYPES], "town gminy (type 1 or 3)"


def _fallback(gaz: Gazetteer, code: str, label: str, want: str, where: str, kind: str) -> Outcome:
    """No gmina of the preferred types, exactly one of another type: taken, and the reason says so."""
    reason = f"no {label} named '{want}' in {where}; the only gmina of that name is {gaz.candidate(code)}"
    reason += _renamed_note(gaz, code)
    if code in gaz.became_town:
        reason += (f" — it became an urban-rural gmina (a town) after 2020 (2026 TERYT {gaz.became_town[code]}); "
                   "the 2020 boundaries still show it as rural")
    elif kind == "town":
        reason += " — check that the row means this gmina"
    return Outcome("matched", reason, code, "name_fallback", "gmina")


def _resolve_name(gaz: Gazetteer, name: str, woj: str, jst_kind: str, powiat: str = "",
                  type_hint: str = "") -> Outcome:
    want, kind, types = parse_jst_name(name, jst_kind)
    types = types or type_hint or None   # 'gmina miejsko-wiejska' in the kind column
    where = VOIVODESHIPS[woj] if woj else "Poland (no voivodeship given)"
    if kind == "powiat":
        return _resolve_powiat_name(gaz, want, woj, where)
    hits = gaz.gminy_named(want, woj or None)
    narrowed = ""
    if powiat and len(hits) > 1:  # the row's powiat column narrows same-named gminy
        in_powiat = [t for t in hits if _powiat_fits(gaz, t, powiat)]
        if in_powiat:
            hits, narrowed = in_powiat, f"; narrowed by the powiat '{powiat}'"
    if not hits:
        return _no_gmina(gaz, want, woj, where)
    if kind == "gmina_prefix" and not types and {t[6] for t in hits} & TOWN_TYPES and {t[6] for t in hits} & {"2"}:
        return _ambiguous(gaz, hits, f"'{name}' is the official name of the rural gmina, but a town gmina of that "
                                     f"name exists in {where} and offices write 'Gmina {want}' for the town too; write "
                                     f"'Gmina wiejska {want}' or 'Miasto {want}', set the kind of JST (gmina / "
                                     "miasto), or give the TERYT")
    first, label = _preferred(hits, types, kind)
    if len(first) == 1:
        code = first[0]
        reason = f"by name among {label} in {where}{narrowed}"
        if len(hits) > 1:
            reason += "; not " + ", ".join(str(gaz.candidate(t)) for t in hits if t != code)
        return Outcome("matched", reason + _renamed_note(gaz, code), code, "name", "gmina")
    if len(first) > 1:
        return _ambiguous(gaz, first, f"{len(first)} {label} named '{want}' in {where}; add the voivodeship, the "
                                      "TERYT or coordinates")
    if len(hits) == 1:
        return _fallback(gaz, hits[0], label, want, f"{where}{narrowed}", kind)
    return _ambiguous(gaz, hits, f"no {label} named '{want}' in {where}, and {len(hits)} other gminy have that name; "
                                 "give the TERYT or set jst_kind")


def _points_in_polygons(gaz: Gazetteer, frame: pd.DataFrame, idx: list[int]) -> dict[int, str]:
    if not idx:
        return {}
    import geopandas as gpd  # imported where used: a cached atlas (dashboard.model.atlas_cache) needs none

    sub = frame.loc[idx]
    pts = gpd.GeoDataFrame({"i": idx}, geometry=gpd.points_from_xy(sub["lon"], sub["lat"]), crs=4326)
    hit = gpd.sjoin(pts, gaz.gminy[["terc", "geometry"]], how="left", predicate="within")
    return {int(i): t for i, t in zip(hit["i"], hit["terc"]) if isinstance(t, str)}


def _with_point(gaz: Gazetteer, o: Outcome, at: str | None, has_coords: bool) -> Outcome:
    """The row's coordinates (the gmina they fall in, `at`) pick among candidates, place a name not found, or
    contradict the gmina found by name."""
    if at is not None and o.status in ("ambiguous", "unmatched") and o.entity_kind != "powiat":
        cands = [c.teryt for c in o.candidates]
        if o.status == "ambiguous" and at in cands:
            return Outcome("matched", f"the coordinates fall in {gaz.candidate(at)}, one of the {len(cands)} "
                                      "candidates", at, "point", "gmina", suggestions=o.suggestions)
        if o.status == "unmatched":
            return replace(o, status="matched", teryt=at, method="point", entity_kind="gmina",
                           reason=f"name not found ({o.reason}); placed by its coordinates in {gaz.candidate(at)} "
                                  "— check the name")
        return o
    if at is not None and o.status == "matched" and o.entity_kind == "gmina" and at != o.teryt:
        return replace(o, status="ambiguous", teryt=None, candidates=(gaz.candidate(o.teryt), gaz.candidate(at)),
                       reason=f"the name gives {gaz.candidate(o.teryt)} but the coordinates fall in "
                              f"{gaz.candidate(at)}; fix one of them")
    if has_coords and at is None and o.status != "matched":
        return replace(o, reason=o.reason + "; the coordinates fall in no gmina")
    return o


def _new_result(table: Table, i, r) -> RowResult:
    res = RowResult(table=table.kind, file=table.path, row=int(r["row"]), name=r["name"],
                    voivodeship=r["voivodeship_input"], status="matched", index=int(i), woj=r["woj"] or None)
    if table.kind == "participation":
        res.project_id = r["project_id"]
    return res


def _check_project(res: RowResult, table: Table, r, project_ids: dict[str, str] | None) -> None:
    """A participation row's project, written as an id, name or label: its id, or a problem naming the ids."""
    pcol = table.columns_found.get("project_id", "project_id")
    if table.kind != "participation" or project_ids is None or not r["project_id"] or \
            any(p.column == pcol for p in res.problems):
        return
    pid = project_ids.get(fold(r["project_id"]))
    if pid:
        res.project_id = pid
    else:
        res.problems.append(Problem(table.path, res.row, pcol, r["project_input"], "unknown project",
                                    "use one of the project ids of the projects file: " +
                                    ", ".join(sorted(set(project_ids.values())))))


def _blocked(gaz: Gazetteer, res: RowResult, r, blocking: list[Problem]) -> None:
    """A row a blocking problem makes unusable: invalid, with the gminy its name could mean."""
    res.status = "invalid"
    res.reason = _problems_text(blocking)
    if r["name"]:
        res.suggestions = [str(gaz.candidate(t)) for t in _name_candidates(gaz, r["name"], r["woj"],
                                                                            r["jst_kind"])][:5]


def _split_powiat(name: str, powiat_hint: str) -> tuple[str, str]:
    m = re.fullmatch(r"(.+?)\s*\(\s*pow\.\s*([^)]+?)\s*\)\s*", name)
    if m and not powiat_hint:  # 'Biskupiec (pow. olsztyński)': a town qualified by its powiat
        return m.group(1), m.group(2)
    return name, powiat_hint


def _resolve_row(gaz: Gazetteer, r, name: str, woj: str, powiat_hint: str, at: str | None,
                 has_coords: bool) -> Outcome:
    """By the TERYT when the row has one, else by name (and the coordinates)."""
    if r["teryt_codes"]:
        return _resolve_teryt(gaz, r["teryt_codes"], name, woj, parse_jst_name(name, r["jst_kind"])[1], r["teryt"])
    o = _resolve_name(gaz, name, woj, r["jst_kind"], powiat_hint, r.get("gmina_type", ""))
    return _with_point(gaz, o, at, has_coords)


def _add_remarks(gaz: Gazetteer, res: RowResult, name: str, remarks: list[str]) -> None:
    """What was read into the name goes into the reason; an identified row with a problem becomes invalid."""
    if "?" in name and res.status == "matched":
        remarks.append("'?' read as any one letter (letters lost in the file's encoding)")
    if remarks and res.status in ("matched", "ambiguous", "unmatched"):
        res.reason += "; " + "; ".join(remarks)
    if res.status == "matched" and res.problems:  # identified, but an attribute is unusable
        res.status = "invalid"
        res.reason = _problems_text(res.problems) + \
            f" (identified as {gaz.candidate(res.teryt)}; the bad value is left empty)"


def resolve_table(table: Table, gaz: Gazetteer | None = None, project_ids: dict[str, str] | None = None
                  ) -> list[RowResult]:
    """Resolve every row of a members or participation Table. project_ids: folded id/name/label -> id."""
    gaz = gaz or get_gazetteer()
    f = table.frame
    by_row = table.problems_by_row()
    with_coords = [i for i in f.index if pd.notna(f.at[i, "lon"]) and pd.notna(f.at[i, "lat"])]
    pip = _points_in_polygons(gaz, f, with_coords)
    out: list[RowResult] = []
    for i, r in f.iterrows():
        res = _new_result(table, i, r)
        out.append(res)
        res.problems = [p for p in by_row.get(res.row, []) if not p.note]   # notes are the file's, not the row's
        _check_project(res, table, r, project_ids)
        blocking = [p for p in res.problems if p.blocking]
        if blocking:
            _blocked(gaz, res, r, blocking)
            continue
        name, powiat_hint = _split_powiat(r["name"], r.get("powiat", ""))
        name, woj, remarks = _name_qualifiers(name, r["woj"])
        if woj is None:
            res.status, res.reason = "invalid", remarks[0]
            continue
        _resolve_row(gaz, r, name, woj, powiat_hint, pip.get(i), i in with_coords).apply(res)
        _add_remarks(gaz, res, name, remarks)
    _mark_duplicates(out, table)
    return out


def _name_qualifiers(name: str, woj: str) -> tuple[str, str | None, list[str]]:
    """What offices append to a name: a footnote mark ('Nowy Sącz*', 'Nowy Sącz 1)') and the voivodeship
    ('Kraków (małopolskie)', 'Bolesławiec, woj. dolnośląskie'). -> (name, voivodeship code, remarks); the code is
    None when the name's voivodeship contradicts the column (remarks[0] says so)."""
    remarks = []
    m = re.fullmatch(r"(.*?[^\s*¹²³])\s*(\*+|[¹²³]+|\s\d\))", name)
    if m:
        name = m.group(1)
        remarks.append(f"the footnote mark '{m.group(2).strip()}' after the name is ignored")
    m = re.fullmatch(r"(.+?)\s*(?:\(([^()]+)\)|,\s*([^,]+))", name)
    inner = m and (m.group(2) or m.group(3))
    code = inner and re.search(r"[a-z]", fold(inner)) and voivodeship_code(inner)
    if code:
        if woj and woj != code:
            return name, None, [f"the name says {VOIVODESHIPS[code]} ('{inner}'), the voivodeship column "
                                f"{VOIVODESHIPS[woj]}; fix one of them"]
        name, woj = m.group(1), code
        remarks.append(f"voivodeship {VOIVODESHIPS[code]} taken from the name")
    return name, woj, remarks


def _problems_text(problems: list[Problem]) -> str:
    return "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in problems)


def clean_name(name: str) -> str:
    """The written name without what _name_qualifiers strips: 'Nowy Sącz*' -> 'Nowy Sącz'."""
    return _name_qualifiers(name, "")[0]


def _mark_duplicates(results: list[RowResult], table: Table) -> None:
    seen: dict[tuple, RowResult] = {}
    f = table.frame
    for res in results:
        if res.status not in ("matched", "invalid", "ambiguous", "unmatched") or res.index is None:
            continue
        r = f.loc[res.index]
        ident = res.teryt or ("?", fold(r["name"]), r["woj"])
        if res.teryt is None and res.status == "invalid":
            continue
        key = {"participation": (res.project_id, ident), "events": (ident, r.get("event"), r.get("date"))
               }.get(table.kind, (ident,))
        if key in seen:
            first = seen[key]
            what = f"the same {'project and ' if table.kind == 'participation' else ''}" + \
                (f"JST ({res.teryt})" if res.teryt else "name and voivodeship")
            res.reason = f"duplicate of row {first.row}: {what}; this row is not used — merge the two rows " \
                         f"(keep both sources in one row)"
            res.status = "duplicate"
        else:
            seen[key] = res


def table_info(t: Table) -> dict:
    """How a file was read — shown to the office so a wrong guess (encoding, separator, header) is visible."""
    return {"encoding": t.encoding, "delimiter": t.delimiter, "header_row": t.header_row,
            "columns": dict(t.columns_found), "ignored_columns": list(t.ignored_columns), "rows": len(t.frame),
            "skipped_empty_rows": list(t.skipped_empty_rows)}


def project_lookup(projects: pd.DataFrame) -> dict[str, str]:
    """folded id / name / label (PL, EN; also the name without its parenthesis or ' – ' tail) -> id."""
    out = {}
    for r in projects.itertuples(index=False):
        for v in (r.id, r.name_pl, r.name_en, r.label_pl, r.label_en):
            if not v:
                continue
            for form in (v, re.sub(r"\s*\(.*$", "", v), re.split(r"\s+[–-]\s+", v)[0]):
                if form.strip():
                    out.setdefault(fold(form), r.id)
    return out


def join(members: Table | None = None, participation: Table | None = None,
         projects: pd.DataFrame | None = None, gaz: Gazetteer | None = None, events: Table | None = None
         ) -> JoinReport:
    gaz = gaz or get_gazetteer()
    report = JoinReport()
    lookup = project_lookup(projects) if projects is not None else None
    for t in (members, participation, events):
        if t is None:
            continue
        report.files[t.kind] = t.path
        report.skipped_empty_rows[t.kind] = list(t.skipped_empty_rows)
        report.tables[t.kind] = table_info(t)
        in_rows = set(t.frame["row"]) if "row" in t.frame else set()
        report.file_problems.extend(p for p in t.problems if p.row not in in_rows or p.note)
        report.rows.extend(resolve_table(t, gaz, lookup if t.kind == "participation" else None))
    return report
