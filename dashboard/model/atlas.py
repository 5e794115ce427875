"""The joined, immutable frames the app reads (built once per process).

    build_atlas(members=None, projects=None, participation=None, events=None) -> Atlas   (None = the shipped
        data/ files;
        a path may be CSV or XLSX, `file.xlsx#Sheet` picks a sheet)
    get_atlas() -> Atlas   (cached; the files the configuration names — ATLAS_DATA_DIR, ATLAS_MEMBERS, … see
        dashboard.ingest.datafiles — else the shipped data/). A file that cannot be read raises DataFileError
        (which file, what is wrong, how to fix; `python -m dashboard check-data` shows the same); rows that need
        attention do not stop the app: they are in atlas.report.

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
    membership     one row per dated or listed fact of a city's membership: entity_id, event ("joined" | "left" |
                   "listed"), date (ISO text 'YYYY', 'YYYY-MM', 'YYYY-MM-DD'; '' = a listing of unknown date), quote,
                   source, origin ("events" | "members"), row — read by dashboard.model.membership
    report         JoinReport (dashboard.join.resolve): every input row with its status and reason
Rows whose status is "invalid" but that were identified (e.g. a bad join year) are placed with the bad value
left empty; ambiguous, unmatched, duplicate and unidentifiable rows are only in the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import pandas as pd

from dashboard.ingest import dataset
from dashboard.ingest.datafiles import data_files, with_origin
from dashboard.ingest.dataset import DataFileError, Table
from dashboard.ingest.values import VOIVODESHIPS, collation_key
from dashboard.join.resolve import Gazetteer, JoinReport, clean_name, get_gazetteer, join, table_info

ENTITY_COLUMNS = ["entity_id", "name", "kind", "teryt", "gmina_teryt", "voivodeship", "woj", "is_member",
                  "join_year", "lon", "lat", "point_source", "member_source", "jst_kind", "gmina_type",
                  "official_name", "powiat", "projects", "n_projects", "match_method", "match_note", "evidence",
                  "member_note"]
# "open": the date is a lower bound (a list of "2025-06-18 or later")
MEMBERSHIP_COLUMNS = ["entity_id", "event", "date", "open", "quote", "source", "origin", "row"]
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
    membership: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MEMBERSHIP_COLUMNS))


def _gminy_frame(gaz: Gazetteer) -> pd.DataFrame:
    g = gaz.gminy
    return pd.DataFrame({
        "terc": g["terc"].to_numpy(), "name": g["name"].to_numpy(), "woj": g["woj"].to_numpy(),
        "powiat": g["terc"].str[:4].to_numpy(), "voivodeship": [VOIVODESHIPS[w] for w in g["woj"]],
        "gmina_type": g["type"].astype(int).to_numpy(),
    })


def rows_needing_attention(atlas: Atlas) -> int:
    """How many rows of the office's files were left off the map (unmatched, ambiguous, …: check-data lists
    them); 0 for an atlas built without a report."""
    return len(atlas.report.needs_attention) if atlas.report is not None else 0


@dataclass(frozen=True)
class JoinedFiles:
    """The union's files, read and joined to the gminy (the first steps of build_atlas, and all that
    `python -m dashboard check-data` needs)."""
    members: Table
    participation: Table
    projects: pd.DataFrame     # the usable projects, PROJECT_COLUMNS
    report: JoinReport
    events: Table | None = None   # dated joins and departures


def read_and_join(members=None, projects=None, participation=None, gaz: Gazetteer | None = None,
                  events=None) -> JoinedFiles:
    """Read + validate + join; raises DataFileError when a file cannot be read. The report lists every file (how
    each was read) and every row with its status. The shipped events describe the shipped members: with the
    office's register (members given) only an events file given with it is read."""
    gaz = gaz or get_gazetteer()
    proj_table = dataset.read_projects(projects)
    proj = dataset.usable_projects(proj_table)[PROJECT_COLUMNS]
    m_table = dataset.read_members(members)
    p_table = dataset.read_participation(participation)
    e_table = dataset.read_events(events) if events or members is None else None
    report = join(m_table, p_table, proj, gaz, events=e_table)
    report.files["projects"] = proj_table.path
    report.tables["projects"] = table_info(proj_table)
    report.file_problems.extend(proj_table.problems)
    return JoinedFiles(m_table, p_table, proj, report, e_table)


def entity_projects(links: pd.DataFrame, project_ids) -> dict[str, tuple[str, ...]]:
    """entity id -> the ids of its projects, in the order of the projects table (unknown ids last, by id). The
    one place a city's project list is made: the atlas stores it (entities.projects), every view reads it."""
    order = {pid: i for i, pid in enumerate(project_ids)}
    out: dict[str, set] = {}
    for eid, pid in zip(links["entity_id"], links["project_id"]):
        out.setdefault(eid, set()).add(pid)
    return {eid: tuple(sorted(ps, key=lambda p: (order.get(p, len(order)), p))) for eid, ps in out.items()}


class _EntityBuilder:
    """One row per joined city/JST, keyed by its TERYT, filled from the matched member and participation rows."""

    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        self.rows: dict[str, dict] = {}

    def shown_name(self, code: str, written: str) -> str:
        """The name as the office wrote it, without footnote marks or a voivodeship qualifier; the official name
        when the written one is empty or garbled ('Boles?awiec'). A rural gmina sharing its name with a town
        gmina gets '(gmina wiejska)': 'Bartoszyce (gmina wiejska)'."""
        name = clean_name(written)
        name = self.gaz.candidate(code).name if not name or "?" in name else name
        if len(code) == 7 and code[6] == "2" and "(" not in name:
            if len(self.gaz.gminy_named(self.gaz.candidate(code).name, code[:2])) > 1:
                return f"{name} (gmina wiejska)"
        return name

    def entity(self, res, name: str) -> dict:
        code = res.teryt
        if code not in self.rows:
            lon, lat, src = self.gaz.point(code)
            is_powiat = len(code) == 4
            self.rows[code] = {
                "entity_id": code, "name": self.shown_name(code, name), "kind": "powiat" if is_powiat else "gmina",
                "teryt": code, "gmina_teryt": None if is_powiat else code, "voivodeship": VOIVODESHIPS[code[:2]],
                "woj": code[:2], "is_member": False, "join_year": pd.NA, "lon": lon, "lat": lat,
                "point_source": src, "member_source": "",
                "jst_kind": "powiat" if is_powiat else ("town" if code[6] in "13" else "gmina"),
                "gmina_type": pd.NA if is_powiat else int(code[6]), "official_name": self.gaz.candidate(code).name,
                "powiat": code[:4], "match_method": res.method, "match_note": res.reason,
                "evidence": "", "member_note": "",
            }
        return self.rows[code]


def _placed(report: JoinReport, table: str):
    """The rows of `table` that are placed on a gmina/powiat (matched, or identified despite a bad value)."""
    return [r for r in report.for_table(table) if r.teryt is not None and r.status in ("matched", "invalid")]


def _entities_and_links(files: JoinedFiles, gaz: Gazetteer) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    report, build = files.report, _EntityBuilder(gaz)
    mf = files.members.frame
    records: list[dict] = []
    for res in _placed(report, "members"):
        r = mf.loc[res.index]
        e = build.entity(res, r["name"])
        e.update(is_member=True, name=build.shown_name(res.teryt, r["name"]), member_source=r["source"],
                 join_year=r["join_year"], evidence=r["evidence"], member_note=r["note"])
        records.extend(_member_records(r, res))
    records.extend(_event_records(files, build))
    pf = files.participation.frame
    links = []
    for res in _placed(report, "participation"):
        if not res.project_id:
            continue
        r = pf.loc[res.index]
        build.entity(res, r["name"])
        links.append({"project_id": res.project_id, "entity_id": res.teryt, "teryt": res.teryt, "role": r["role"],
                      "source": r["source"], "year": r["year"], "row": res.row,
                      "role_kind": r.get("role_kind", ""), "role_label_pl": r.get("role_label_pl", ""),
                      "role_label_en": r.get("role_label_en", ""),
                      "counts": bool(r.get("counts_as_participation", True))})
    links = pd.DataFrame(links, columns=PARTICIPATION_COLUMNS)
    # a city's projects are those it takes part in: the map, the charts, the table and the exports count the same
    # rows; the others (an expert visit, ...) stay in `participation` for the city's details
    projects = entity_projects(links[links["counts"].astype(bool)], files.projects["id"])
    entities = pd.DataFrame([{**e, "projects": projects.get(code, ())} for code, e in build.rows.items()],
                            columns=[c for c in ENTITY_COLUMNS if c != "n_projects"])
    entities.insert(ENTITY_COLUMNS.index("n_projects"), "n_projects", entities["projects"].map(len).astype(int))
    membership = pd.DataFrame(records, columns=MEMBERSHIP_COLUMNS)
    membership["open"] = membership["open"].eq(True)   # only a listing's date can be a lower bound
    return _typed_entities(entities), links, membership


def _member_records(r: pd.Series, res) -> list[dict]:
    """The membership facts of one register row: the listing itself (dated by its source, or of unknown date),
    its join and leave dates."""
    source = r["source"]
    out = [{"entity_id": res.teryt, "event": "listed", "date": r["source_date"],
            "open": bool(r.get("source_date_open", False)), "quote": r["note"], "source": source,
            "origin": "members", "row": res.row}]
    join_date = r["join_date"] or ("" if pd.isna(r["join_year"]) else str(int(r["join_year"])))
    if join_date:
        out.append({"entity_id": res.teryt, "event": "joined", "date": join_date, "quote": "",
                    "source": r["join_year_source"] or source, "origin": "members", "row": res.row})
    if r["leave_date"]:
        out.append({"entity_id": res.teryt, "event": "left", "date": r["leave_date"], "quote": "",
                    "source": source, "origin": "members", "row": res.row})
    return out


def _event_records(files: JoinedFiles, build: _EntityBuilder) -> list[dict]:
    """The matched events; a city known from events alone (e.g. one that left) becomes an entity, a member at
    some date on the evidence of a dated statement."""
    if files.events is None:
        return []
    ef, out = files.events.frame, []
    for res in files.report.for_table("events"):
        if res.teryt is None or res.status != "matched":
            continue
        r = ef.loc[res.index]
        e = build.entity(res, r["name"])
        if not e["evidence"]:
            e.update(is_member=True, evidence="stated")
        out.append({"entity_id": res.teryt, "event": r["event"], "date": r["date"], "quote": r["quote"],
                    "source": r["source"], "origin": "events", "row": res.row})
    return out


def _typed_entities(entities: pd.DataFrame) -> pd.DataFrame:
    entities["join_year"] = pd.array(entities["join_year"].tolist(), dtype="Int64")
    entities["gmina_type"] = pd.array(entities["gmina_type"].tolist(), dtype="Int64")
    entities["is_member"] = entities["is_member"].astype(bool)
    entities["lon"] = entities["lon"].astype(float)
    entities["lat"] = entities["lat"].astype(float)
    entities = entities.sort_values(["woj", "name"], kind="stable",
                                    key=lambda col: col.map(collation_key) if col.name == "name" else col
                                    ).reset_index(drop=True)
    entities["gmina_teryt"] = pd.Series([t if isinstance(t, str) else None for t in entities["gmina_teryt"]],
                                        dtype=object)
    return entities


def _gminy_with_entities(gaz: Gazetteer, entities: pd.DataFrame) -> pd.DataFrame:
    gminy = _gminy_frame(gaz)
    g_ents = entities[entities["kind"] == "gmina"].set_index("gmina_teryt")
    gminy["is_member"] = gminy["terc"].map(g_ents["is_member"]).fillna(False).astype(bool)
    gminy["join_year"] = pd.array(gminy["terc"].map(g_ents["join_year"]).tolist(), dtype="Int64")
    gminy["n_projects"] = gminy["terc"].map(g_ents["n_projects"]).fillna(0).astype(int)
    gminy["entity_id"] = gminy["terc"].map(g_ents["entity_id"]).astype(object)
    gminy["entity_id"] = gminy["entity_id"].where(gminy["entity_id"].notna(), None)
    return gminy


def build_atlas(members=None, projects=None, participation=None, events=None) -> Atlas:
    gaz = get_gazetteer()
    files = read_and_join(members, projects, participation, gaz, events)
    entities, links, membership = _entities_and_links(files, gaz)
    return Atlas(gminy=_gminy_with_entities(gaz, entities), entities=entities, participation=links,
                 projects=files.projects, totals=dataset.read_totals(), summary=dataset.read_summary(),
                 report=files.report, membership=membership)


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
