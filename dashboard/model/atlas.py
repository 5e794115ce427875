"""The joined, immutable frames the app reads (built once per process).

    build_atlas(members=None, projects=None, participation=None) -> Atlas   (None = the shipped data/ files;
        a path may be CSV or XLSX, `file.xlsx#Sheet` picks a sheet)
    get_atlas() -> Atlas   (cached; the files the configuration names — ATLAS_DATA_DIR, ATLAS_MEMBERS, … see
        dashboard.ingest.datafiles — else the shipped data/). A file that cannot be read raises DataFileError (which file,
        what is wrong, how to fix; `python -m dashboard check-data` shows the same); rows that need attention do
        not stop the app: they are in atlas.report.

Atlas fields (the shared contract — names are fixed):
    gminy          2,477 rows in the order of geodata.load("gminy"): terc, name, woj (2-digit), powiat (4-digit),
                   voivodeship (PL lower-case) + extras: gmina_type (int 1/2/3), is_member (bool),
                   join_year (Int64, earliest member join year in the gmina), n_projects (int), entity_id (str|None)
    entities       one row per joined city/JST: entity_id (= its TERYT), name, kind ("gmina"|"powiat"), teryt,
                   gmina_teryt (7-digit or None for powiaty), voivodeship, woj, is_member, join_year (Int64),
                   lon, lat, point_source ("gazetteer"|"polygon"), member_source + extras: jst_kind
                   ("town"|"gmina"|"powiat"), gmina_type, official_name, powiat, projects (tuple of ids),
                   n_projects, match_method, match_note
    participation  project_id, entity_id, teryt, role, source + extras: year (text as stated), row, role_kind,
                   role_label_pl, role_label_en (short labels; "" when the file has none), counts (bool: the row
                   is taking part in the project — False for e.g. an expert visit; True when the file says nothing)
    projects       id, name_pl, name_en, label_pl, label_en, kind ("project"|"campaign"), years, funding, lead,
                   description, source
    totals         year (int), members (int), source, era ("interwar"|"post1990") + extra: as_of (text date)
    summary        key, value, unit, label_pl, label_en, source
    report         JoinReport (dashboard.join.resolve): every input row with its status and reason
Rows whose status is "invalid" but that were identified (e.g. a bad join year) are placed with the bad value
left empty; ambiguous, unmatched, duplicate and unidentifiable rows are only in the report.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from dashboard.ingest import dataset
from dashboard.ingest.datafiles import data_files, with_origin
from dashboard.ingest.dataset import VOIVODESHIPS, DataFileError
from dashboard.join.resolve import Gazetteer, JoinReport, clean_name, get_gazetteer, join

ENTITY_COLUMNS = ["entity_id", "name", "kind", "teryt", "gmina_teryt", "voivodeship", "woj", "is_member",
                  "join_year", "lon", "lat", "point_source", "member_source", "jst_kind", "gmina_type",
                  "official_name", "powiat", "projects", "n_projects", "match_method", "match_note"]
PARTICIPATION_COLUMNS = ["project_id", "entity_id", "teryt", "role", "source", "year", "row", "role_kind",
                         "role_label_pl", "role_label_en", "counts"]
PROJECT_COLUMNS = ["id", "name_pl", "name_en", "label_pl", "label_en", "kind", "years", "funding", "lead",
                   "description", "source"]


@dataclass(frozen=True, eq=False)  # eq=False: identity hash, so an Atlas can key caches (frames are unhashable)
class Atlas:
    gminy: pd.DataFrame
    entities: pd.DataFrame
    participation: pd.DataFrame
    projects: pd.DataFrame
    totals: pd.DataFrame
    summary: pd.DataFrame
    report: JoinReport


def _gminy_frame(gaz: Gazetteer) -> pd.DataFrame:
    g = gaz.gminy
    return pd.DataFrame({
        "terc": g["terc"].to_numpy(), "name": g["name"].to_numpy(), "woj": g["woj"].to_numpy(),
        "powiat": g["terc"].str[:4].to_numpy(), "voivodeship": [VOIVODESHIPS[w] for w in g["woj"]],
        "gmina_type": g["type"].astype(int).to_numpy(),
    })


def build_atlas(members=None, projects=None, participation=None) -> Atlas:
    gaz = get_gazetteer()
    proj_table = dataset.read_projects(projects)
    proj = dataset.usable_projects(proj_table)[PROJECT_COLUMNS]
    m_table = dataset.read_members(members)
    p_table = dataset.read_participation(participation)
    report = join(m_table, p_table, proj, gaz)
    report.file_problems.extend(proj_table.problems)

    ents: dict[str, dict] = {}

    def shown_name(code: str, written: str) -> str:
        """The name as the office wrote it, without footnote marks or a voivodeship qualifier; the official name
        when the written one is empty or garbled ('Boles?awiec')."""
        name = clean_name(written)
        return gaz.candidate(code).name if not name or "?" in name else name

    def display_name(code: str, name: str) -> str:
        """A rural gmina sharing its name with a town gmina gets '(gmina wiejska)': 'Bartoszyce (gmina wiejska)'."""
        if len(code) == 7 and code[6] == "2" and "(" not in name:
            same = gaz.gminy_named(gaz.candidate(code).name, code[:2])
            if len(same) > 1:
                return f"{name} (gmina wiejska)"
        return name

    def entity(res, name: str) -> dict:
        code = res.teryt
        name = display_name(code, shown_name(code, name))
        if code not in ents:
            cand = gaz.candidate(code)
            lon, lat, src = gaz.point(code)
            is_powiat = len(code) == 4
            ents[code] = {
                "entity_id": code, "name": name, "kind": "powiat" if is_powiat else "gmina", "teryt": code,
                "gmina_teryt": None if is_powiat else code, "voivodeship": VOIVODESHIPS[code[:2]], "woj": code[:2],
                "is_member": False, "join_year": pd.NA, "lon": lon, "lat": lat, "point_source": src,
                "member_source": "", "jst_kind": "powiat" if is_powiat else ("town" if code[6] in "13" else "gmina"),
                "gmina_type": pd.NA if is_powiat else int(code[6]), "official_name": cand.name,
                "powiat": code[:4], "projects": set(), "match_method": res.method, "match_note": res.reason,
            }
        return ents[code]

    mf = m_table.frame
    for res in report.for_table("members"):
        if res.teryt is None or res.status not in ("matched", "invalid"):
            continue
        r = mf.loc[res.index]
        e = entity(res, r["name"])
        e["is_member"] = True
        e["name"] = display_name(res.teryt, shown_name(res.teryt, r["name"]))
        e["member_source"] = r["source"]
        e["join_year"] = r["join_year"]
    pf = p_table.frame
    links = []
    for res in report.for_table("participation"):
        if res.teryt is None or res.status not in ("matched", "invalid") or not res.project_id:
            continue
        r = pf.loc[res.index]
        e = entity(res, r["name"])
        e["projects"].add(res.project_id)
        links.append({"project_id": res.project_id, "entity_id": res.teryt, "teryt": res.teryt, "role": r["role"],
                      "source": r["source"], "year": r["year"], "row": res.row,
                      "role_kind": r.get("role_kind", ""), "role_label_pl": r.get("role_label_pl", ""),
                      "role_label_en": r.get("role_label_en", ""),
                      "counts": bool(r.get("counts_as_participation", True))})
    order = {pid: i for i, pid in enumerate(proj["id"])}
    rows = []
    for e in ents.values():
        e = dict(e)
        e["projects"] = tuple(sorted(e["projects"], key=lambda p: (order.get(p, 999), p)))
        e["n_projects"] = len(e["projects"])
        rows.append(e)
    entities = pd.DataFrame(rows, columns=ENTITY_COLUMNS)
    entities["join_year"] = pd.array(entities["join_year"].tolist(), dtype="Int64")
    entities["gmina_type"] = pd.array(entities["gmina_type"].tolist(), dtype="Int64")
    entities["is_member"] = entities["is_member"].astype(bool)
    entities["n_projects"] = entities["n_projects"].astype(int)
    entities["lon"] = entities["lon"].astype(float)
    entities["lat"] = entities["lat"].astype(float)
    entities = entities.sort_values(["woj", "name"], kind="stable").reset_index(drop=True)
    entities["gmina_teryt"] = pd.Series([t if isinstance(t, str) else None for t in entities["gmina_teryt"]],
                                        dtype=object)

    participation_df = pd.DataFrame(links, columns=PARTICIPATION_COLUMNS)

    gminy = _gminy_frame(gaz)
    g_ents = entities[entities["kind"] == "gmina"].set_index("gmina_teryt")
    gminy["is_member"] = gminy["terc"].map(g_ents["is_member"]).fillna(False).astype(bool)
    gminy["join_year"] = pd.array(gminy["terc"].map(g_ents["join_year"]).tolist(), dtype="Int64")
    gminy["n_projects"] = gminy["terc"].map(g_ents["n_projects"]).fillna(0).astype(int)
    gminy["entity_id"] = gminy["terc"].map(g_ents["entity_id"]).astype(object)
    gminy["entity_id"] = gminy["entity_id"].where(gminy["entity_id"].notna(), None)

    return Atlas(gminy=gminy, entities=entities, participation=participation_df, projects=proj,
                 totals=dataset.read_totals(), summary=dataset.read_summary(), report=report)


def participation_only(atlas: Atlas) -> Atlas:
    """The atlas with only the participation rows that count as taking part in a project (``counts``): for views
    titled "participating cities". An entity linked only by rows that do not count (an expert visit, a disputed or
    implied link) and that is not a member leaves the view. Built once per atlas; the atlas itself when every row
    counts."""
    from dashboard.model.query import atlas_memo

    def build() -> Atlas:
        part = atlas.participation
        if "counts" not in part or bool(part["counts"].all()):
            return atlas
        kept = part[part["counts"].astype(bool)].reset_index(drop=True)
        by_entity = kept.groupby("entity_id")["project_id"].agg(lambda s: tuple(dict.fromkeys(s)))
        ent = atlas.entities.copy()
        ent["projects"] = [tuple(p for p in ps if p in by_entity.get(e, ())) for e, ps in
                           zip(ent["entity_id"], ent["projects"])]
        ent["n_projects"] = ent["projects"].map(len).astype(int)
        ent = ent[ent["is_member"] | (ent["n_projects"] > 0)].reset_index(drop=True)
        gminy = atlas.gminy.copy()
        g_ents = ent[ent["kind"] == "gmina"].set_index("gmina_teryt")
        gminy["n_projects"] = gminy["terc"].map(g_ents["n_projects"]).fillna(0).astype(int)
        return replace(atlas, entities=ent, participation=kept, gminy=gminy)

    return atlas_memo(atlas, "participation_only", build)


@lru_cache(maxsize=1)
def get_atlas() -> Atlas:
    files = data_files()
    try:
        atlas = build_atlas(**{table: f.path for table, f in files.items()})
    except DataFileError as e:
        raise with_origin(e, files) from None
    atlas.report.origins.update({table: f.origin for table, f in files.items()})
    return atlas
