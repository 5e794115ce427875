"""Pure queries: (atlas, state) -> the cities and counts in view. No Dash, no plotting.

Filter semantics (one place, documented):
  projects       "any": the entity takes part in at least one chosen project; "all": in every chosen project
  voivodeships   the entity's województwo is one of the chosen
  join years     active when `years` is set or unknown years are excluded. Then only MEMBERS pass: those whose
                 join year is known and within the range (any known year when no range), plus those with an
                 unknown year when include_unknown_year. Project participants that are not members have no
                 join year and drop out while the year filter is active.
  selected       the entity's gmina (or powiat) TERYT is among the codes selected on the map

Cross-filtering: each chart is computed with every filter except its own dimension (`ignore=`), and its own
dimension is then shown as highlighted bars; the map ignores the map selection for its colours and highlights it.
"""
from __future__ import annotations

import dataclasses
import re
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from dashboard.ingest.values import collation_key, fold
from dashboard.model import membership
from dashboard.model.state import UNKNOWN_ONLY, FilterState  # noqa: F401 - UNKNOWN_ONLY re-exported (years sentinel)

DIMENSIONS = frozenset({"projects", "voivodeships", "years", "selected", "asof"})


@dataclass(frozen=True, eq=False)
class Derived:
    """Look-ups computed once per atlas (immutable)."""
    entities: pd.DataFrame             # atlas.entities + project_ids (= its projects), folded name
    gmina_pos: dict[str, int]          # gmina TERYT -> row position in atlas.gminy (= map feature order)
    voivodeship_names: dict[str, str]  # 2-digit code -> PL lower-case name
    project_ids: tuple[str, ...]
    known_years: tuple[int, int] | None  # min/max known join year
    gmina_centres: dict[str, tuple[float, float]]  # TERYT -> (lon, lat) inside the gmina (zoom target)
    # numpy views of the entities, for fast masks and counts (one row per entity, same order)
    in_project: np.ndarray       # bool [n_entities, n_projects], columns in project_ids order
    woj_index: np.ndarray        # int: position of the entity's województwo in voivodeship_names (-1 unknown)
    is_member: np.ndarray        # bool
    join_year: np.ndarray        # float, NaN = unknown
    gmina_index: np.ndarray      # int: row in atlas.gminy (-1 for powiat entities)
    teryt: np.ndarray            # object: the entity's own TERYT (7 or 4 digits)
    gmina_teryt: np.ndarray      # object: the gmina TERYT or None
    # further atlas-derived values, each computed on first use (key -> value; never per-user data)
    memo: dict = field(default_factory=dict, repr=False)


# One Derived per live atlas: an entry goes with its atlas (a test or a reload builds new ones).
_CACHE: "weakref.WeakKeyDictionary[Any, Derived]" = weakref.WeakKeyDictionary()


def derived(atlas: Any) -> Derived:
    """Cached per atlas object (the atlas is immutable and built once per process)."""
    d = _CACHE.get(atlas)
    if d is None:
        d = _CACHE[atlas] = _derive(atlas)
    return d


def atlas_memo(atlas: Any, key: Any, build: Callable[[], Any]) -> Any:
    """`build()` computed once per atlas and key (the atlas is immutable). Only for values derived from the
    atlas alone (and e.g. the language), never from a user's state; callers must not mutate the result."""
    memo = derived(atlas).memo
    try:
        return memo[key]
    except KeyError:
        return memo.setdefault(key, build())


def project_labels(atlas: Any, lang: str) -> dict[str, str]:
    """Project id -> its short label in `lang` (label_pl / label_en; the id itself when the label is empty).
    The one look-up of project labels: map hover, bars, chips, table, details panel and exports use it."""
    label = "label_en" if lang == "en" else "label_pl"

    def build() -> dict[str, str]:
        ids = atlas.projects["id"].astype(str)
        texts = atlas.projects[label] if label in atlas.projects else ids
        return {pid: (text if isinstance(text, str) and text.strip() else pid) for pid, text in zip(ids, texts)}
    return atlas_memo(atlas, ("project_labels", label), build)


def listed_projects(atlas: Any) -> frozenset[str]:
    """The projects with a list of their participants in the data (no public source lists SMUP's pilot cities)."""
    return atlas_memo(atlas, "listed_projects", lambda: frozenset(atlas.participation["project_id"].astype(str)))


def town_name(atlas: Any, terc: str) -> str:
    """The name of the town a view is zoomed on: the city of the union's data in that gmina, else the gmina."""
    ent = derived(atlas).entities
    names = ent.loc[ent["gmina_teryt"] == terc, "name"]
    if len(names):
        return str(names.iloc[0])
    gm = atlas.gminy
    hit = gm.loc[gm["terc"] == terc, "name"]
    return str(hit.iloc[0]) if len(hit) else terc


def unlisted_only(atlas: Any, state: FilterState) -> bool:
    """The state chooses projects and none of them has a list of its participants in the data: its empty view is
    not "no city took part"."""
    return bool(state.projects) and not listed_projects(atlas) & set(state.projects)


def voivodeship_names(atlas: Any) -> dict[str, str]:
    """2-digit code -> Polish name of every województwo in the atlas, by code (the one voivodeship table of
    dashboard.ingest.values.VOIVODESHIPS, as the atlas carries it)."""
    return derived(atlas).voivodeship_names


def _derive(atlas: Any) -> Derived:
    ent = atlas.entities.copy()
    ent["project_ids"] = [tuple(p) for p in ent["projects"]]   # atlas order: the projects table's
    ent["n_projects"] = ent["project_ids"].map(len).astype("int64")
    ent["folded"] = ent["name"].map(fold)
    ent["join_year"] = ent["join_year"].astype("Int64")
    project_ids = tuple(atlas.projects["id"].astype(str))
    gm = atlas.gminy
    voiv = gm.drop_duplicates("woj").set_index("woj")["voivodeship"].to_dict()
    years = ent.loc[ent["is_member"] & ent["join_year"].notna(), "join_year"]
    known = (int(years.min()), int(years.max())) if len(years) else None
    ent = ent.reset_index(drop=True)
    gmina_pos = {terc: i for i, terc in enumerate(gm["terc"])}
    voiv_codes = list(dict(sorted(voiv.items())))
    in_project = np.zeros((len(ent), len(project_ids)), dtype=bool)
    col = {pid: j for j, pid in enumerate(project_ids)}
    for i, ids in enumerate(ent["project_ids"]):
        for pid in ids:
            if pid in col:
                in_project[i, col[pid]] = True
    return Derived(
        in_project=in_project,
        woj_index=np.array([voiv_codes.index(w) if w in voiv_codes else -1 for w in ent["woj"]], dtype=int),
        is_member=ent["is_member"].astype(bool).to_numpy(),
        join_year=ent["join_year"].astype("float64").to_numpy(na_value=np.nan),
        gmina_index=np.array([gmina_pos.get(g, -1) if isinstance(g, str) else -1 for g in ent["gmina_teryt"]],
                             dtype=int),
        teryt=ent["teryt"].astype(str).to_numpy(dtype=object),
        gmina_teryt=ent["gmina_teryt"].to_numpy(dtype=object),
        gmina_centres=_gmina_centres(gm),
        entities=ent,
        gmina_pos=gmina_pos,
        voivodeship_names=dict(sorted(voiv.items())),
        project_ids=project_ids,
        known_years=known,
    )


def _gmina_centres(gm: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """A point inside every gmina: the atlas's lon/lat columns when it has them, else a representative point
    of the prepared geodata polygon. Empty (no zoom, highlight only) when geodata cannot be read."""
    if {"lon", "lat"} <= set(gm.columns):
        return {terc: (float(x), float(y)) for terc, x, y in zip(gm["terc"], gm["lon"], gm["lat"])}
    try:
        import geodata

        poly = geodata.load("gminy")
    except Exception:  # noqa: BLE001 — zoom is a convenience; the map itself does not need this
        return {}
    pts = poly.geometry.representative_point()
    return {terc: (float(p.x), float(p.y)) for terc, p in zip(poly["terc"], pts)}


def year_range(atlas: Any) -> tuple[int, int]:
    """The "as of" range: 1990 (ZMP re-established) to the newest year any source speaks of. Once per atlas: every
    filter answer needs it several times, and reading every dated fact took ~3 ms each time."""
    return atlas_memo(atlas, "year_range", lambda: (membership.FIRST_YEAR, membership.last_year(atlas)))


def asof_year(atlas: Any, state: FilterState) -> int:
    """The state's "as of" year within the atlas's range (1990 … its newest source)."""
    lo, hi = year_range(atlas)
    return min(max(int(state.asof), lo), hi)


def _status_matrix(atlas: Any) -> tuple[range, np.ndarray]:
    """Every entity's membership status at the end of every year of the range: (years, str array [year, entity]),
    in derived(atlas).entities order; computed once per atlas."""
    def build():
        d = derived(atlas)
        facts = membership.facts_by_entity(membership.records(atlas))
        lo, hi = year_range(atlas)
        years = range(lo, hi + 1)
        ids = list(d.entities["entity_id"])
        codes = np.array([[membership.status_at(facts.get(e, ()), membership.year_end(y)) for e in ids]
                          for y in years], dtype=object).reshape(len(years), len(ids))
        return years, codes
    return atlas_memo(atlas, "status_matrix", build)


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def projects_span(atlas: Any, ids: tuple[str, ...] | list[str] = ()) -> tuple[int, int] | None:
    """The first and last year of the projects `ids` (all when none), from their `years` text ('2016–2018')."""
    def build() -> dict[str, list[int]]:   # each project's years, read once per atlas
        return {str(pid): [int(y) for y in _YEAR.findall(str(text))]
                for pid, text in zip(atlas.projects["id"], atlas.projects.get("years", [""] * len(atlas.projects)))}

    by_project = atlas_memo(atlas, "project_years", build)
    years = [y for pid, ys in by_project.items() if not ids or pid in ids for y in ys]
    return (min(years), max(years)) if years else None


def member_status(atlas: Any, state: FilterState) -> np.ndarray:
    """Per entity: 'member' | 'member_undated' | 'not_member' | '' at the end of the state's year (clamped to the
    atlas's range, so always a row of the matrix)."""
    years, codes = _status_matrix(atlas)
    return codes[asof_year(atlas, state) - years.start]


def evidence_shown(atlas: Any, state: FilterState) -> np.ndarray:
    """Per entity: its evidence level is one of the chosen ones, or it has none (a city known from its dated
    events alone, e.g. a departure): every count of members and of joins and departures goes by it."""
    d = derived(atlas)
    if "evidence" not in d.entities:
        return np.ones(len(d.entities), dtype=bool)
    evidence = d.entities["evidence"].fillna("").to_numpy(dtype=object)
    return np.isin(evidence, list(state.evidence)) | (evidence == "")


def member_masks(atlas: Any, state: FilterState) -> tuple[np.ndarray, np.ndarray]:
    """(a member at the state's date — dated or listed later —, a member with a dated join) at the chosen
    evidence levels, per entity."""
    status = member_status(atlas, state)
    shown = evidence_shown(atlas, state)
    dated = (status == "member") & shown
    return dated | ((status == "member_undated") & shown), dated


def join_years_at(atlas: Any, state: FilterState) -> np.ndarray:
    """Per entity: the year of its latest dated join on or before the state's date (NaN = no dated join)."""
    year = asof_year(atlas, state)

    def build():
        d = derived(atlas)
        m = membership.records(atlas)
        joins = m[(m["event"] == "joined") & (m["date"] != "")]
        by_entity: dict[str, list[int]] = {}
        for eid, date in zip(joins["entity_id"], joins["date"]):
            by_entity.setdefault(eid, []).append(int(date[:4]))
        return np.array([max((y for y in by_entity.get(e, ()) if y <= year), default=np.nan)
                         for e in d.entities["entity_id"]], dtype=float)
    return atlas_memo(atlas, ("join_years_at", year), build)


def _mask(atlas: Any, state: FilterState, ignore: Iterable[str] = ()) -> np.ndarray:
    """Boolean mask over derived(atlas).entities (numpy only: this runs on every filter change). Without "asof"
    in `ignore`, only members at the state's date and project participants are in view."""
    d = derived(atlas)
    ignore = set(ignore)
    member, _ = member_masks(atlas, state)
    if "asof" in ignore:
        mask = np.ones(len(d.is_member), dtype=bool)
    else:
        mask = member | d.in_project.any(axis=1)
    if state.projects and "projects" not in ignore:
        cols = [d.project_ids.index(p) for p in state.projects if p in d.project_ids]
        if len(cols) < len(state.projects) and state.match == "all":
            return np.zeros_like(mask)  # an unknown project can never be matched by every city
        sub = d.in_project[:, cols]
        mask &= sub.any(axis=1) if state.match == "any" else sub.all(axis=1) if cols else False
    if state.voivodeships and "voivodeships" not in ignore:
        codes = list(d.voivodeship_names)
        wanted = [codes.index(v) for v in state.voivodeships if v in codes]
        mask &= np.isin(d.woj_index, wanted)
    if (state.years is not None or not state.include_unknown_year) and "years" not in ignore:
        join_year = join_years_at(atlas, state)
        known = ~np.isnan(join_year)
        if state.years is None:
            in_range = known
        else:
            lo, hi = state.years
            with np.errstate(invalid="ignore"):
                in_range = known & (join_year >= lo) & (join_year <= hi)
        keep = in_range | (~known & state.include_unknown_year)
        mask &= keep & member
    if state.selected and "selected" not in ignore:
        sel = set(state.selected)
        mask &= np.fromiter(((g in sel) or (t in sel) for g, t in zip(d.gmina_teryt, d.teryt)), dtype=bool,
                            count=len(mask))
    return mask


def filter_entities(atlas: Any, state: FilterState, ignore: Iterable[str] = ()) -> pd.DataFrame:
    """The entities (cities/JST) in view, with n_projects and project_ids. `ignore` drops filter dimensions
    (for cross-filtered charts)."""
    unknown = set(ignore) - DIMENSIONS
    if unknown:
        raise ValueError(f"unknown filter dimension(s) {sorted(unknown)}; expected some of {sorted(DIMENSIONS)}")
    d = derived(atlas)
    return d.entities.loc[_mask(atlas, state, ignore)]


def count_in_view(atlas: Any, state: FilterState) -> int:
    """len(filter_entities(atlas, state)), without building the frame."""
    return int(_mask(atlas, state).sum())


def gmina_arrays(atlas: Any, state: FilterState) -> dict[str, np.ndarray]:
    """Per gmina (all 2,477, atlas.gminy order; the map selection is ignored — it is highlighted instead):
    in_view (a city of the gmina is in view), n_projects (distinct projects of those cities), member (any is a
    member), participant (any takes part in a project — a chosen one when projects are filtered)."""
    d = derived(atlas)
    n = len(d.gmina_pos)
    m = _mask(atlas, state, ignore=("selected",)) & (d.gmina_index >= 0)
    idx = d.gmina_index[m]
    projects = np.zeros((n, len(d.project_ids)), dtype=bool)
    np.logical_or.at(projects, idx, d.in_project[m])
    is_member, is_dated = member_masks(atlas, state)
    member = np.zeros(n, dtype=bool)
    np.logical_or.at(member, idx, is_member[m])
    dated = np.zeros(n, dtype=bool)
    np.logical_or.at(dated, idx, is_dated[m])
    in_view = np.zeros(n, dtype=bool)
    in_view[idx] = True
    cols = [d.project_ids.index(p) for p in state.projects if p in d.project_ids]
    participant = projects[:, cols].any(axis=1) if cols else projects.any(axis=1)
    return {"in_view": in_view, "n_projects": projects.sum(axis=1), "member": member, "participant": participant,
            "undated": member & ~dated}


def gmina_values(atlas: Any, state: FilterState) -> pd.DataFrame:
    """The gminy in view (see gmina_arrays) as a frame indexed by terc: n_projects, member, participant."""
    arr = gmina_arrays(atlas, state)
    keep = arr["in_view"]
    return pd.DataFrame({"n_projects": arr["n_projects"][keep], "member": arr["member"][keep],
                         "participant": arr["participant"][keep]},
                        index=pd.Index(np.asarray(atlas.gminy["terc"])[keep], name="terc"))


def _dated_events(atlas: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """event -> (entity positions, years) of the dated joins and departures, each (entity, year) once."""
    def build():
        d = derived(atlas)
        pos = {e: i for i, e in enumerate(d.entities["entity_id"])}
        m = membership.records(atlas)
        out = {}
        for event in ("joined", "left"):
            rows = m[(m["event"] == event) & (m["date"] != "")]
            pairs = sorted({(pos[e], int(dt[:4])) for e, dt in zip(rows["entity_id"], rows["date"]) if e in pos})
            out[event] = (np.array([p for p, _ in pairs], dtype=int), np.array([y for _, y in pairs], dtype=int))
        return out
    return atlas_memo(atlas, "dated_events", build)


def growth_counts(atlas: Any, state: FilterState) -> tuple[pd.Series, int]:
    """Dated joins per year (every year of the "as of" range, zeros included; the history, whatever the date
    chosen) and the number of members at the state's date without a dated join. Computed without the year
    filter (cross-filtering)."""
    joins, _ = flow_counts(atlas, state)
    member, _ = member_masks(atlas, state)
    m = _mask(atlas, state, ignore=("years",)) & member
    return joins, int(np.isnan(join_years_at(atlas, state)[m]).sum())


def flow_counts(atlas: Any, state: FilterState) -> tuple[pd.Series, pd.Series]:
    """(dated joins per year, dated departures per year) of the cities in view at the chosen evidence levels,
    whatever their status at the state's date; index: every year from 1990 to the newest source."""
    lo, hi = year_range(atlas)
    index = pd.RangeIndex(lo, hi + 1, name="year")
    m = _mask(atlas, state, ignore=("years", "asof")) & evidence_shown(atlas, state)
    out = []
    for event in ("joined", "left"):
        ents, years = _dated_events(atlas)[event]
        keep = m[ents] & (years >= lo) & (years <= hi) if len(ents) else np.zeros(0, dtype=bool)
        counts = np.bincount(years[keep] - lo, minlength=len(index))[: len(index)]
        out.append(pd.Series(counts.astype("int64"), index=index))
    return out[0], out[1]


def members_by_year(atlas: Any, state: FilterState) -> pd.DataFrame:
    """Per year of the range: dated members and members listed later (status then unknown) at its end, among
    the cities in view (without the year and date filters): the known part of the published totals."""
    years, codes = _status_matrix(atlas)
    m = _mask(atlas, state, ignore=("years", "asof")) & evidence_shown(atlas, state)
    sub = codes[:, m] if len(years) else np.zeros((0, 0), dtype=object)
    return pd.DataFrame({"dated": (sub == "member").sum(axis=1).astype(int),
                         "undated": (sub == "member_undated").sum(axis=1).astype(int)},
                        index=pd.Index(list(years), name="year"))


def voivodeship_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Members per województwo (all 16, zeros included), without the voivodeship filter; index = 2-digit code."""
    d = derived(atlas)
    m = _mask(atlas, state, ignore=("voivodeships",)) & member_masks(atlas, state)[0] & (d.woj_index >= 0)
    counts = np.bincount(d.woj_index[m], minlength=len(d.voivodeship_names))
    return pd.Series(counts.astype("int64"), index=list(d.voivodeship_names))


def project_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Participants (distinct entities) per project, without the project filter; index = project id."""
    d = derived(atlas)
    m = _mask(atlas, state, ignore=("projects",))
    return pd.Series(d.in_project[m].sum(axis=0).astype("int64"), index=list(d.project_ids))


def coverage_at(atlas: Any, state: FilterState) -> dict[str, Any]:
    """What the data holds at the state's date (chosen evidence levels, whatever the other filters): dated
    members, members listed by later sources, the published total of that year, and what of it is on the map."""
    d = derived(atlas)
    member, dated = member_masks(atlas, state)
    on_map = np.array([isinstance(g, str) for g in d.gmina_teryt], dtype=bool)
    participants = d.in_project.any(axis=1)
    year = asof_year(atlas, state)
    total = atlas_memo(atlas, ("published_total", year), lambda: membership.published_total(atlas, year))
    return {"year": year, "dated": int(dated.sum()), "undated": int((member & ~dated).sum()),
            "published": total[0] if total else None, "published_as_of": total[1] if total else None,
            "members_on_map": int((member & on_map).sum()), "undated_on_map": int((member & ~dated & on_map).sum()),
            "participants_on_map": int((participants & on_map).sum())}


def coverage(atlas: Any) -> dict[str, int | None]:
    """What the public data covers, next to the published totals (the note under the strip); once per atlas."""
    def build() -> dict[str, int | None]:
        d = derived(atlas)
        ent = d.entities
        members = ent[ent["is_member"].astype(bool)]
        participants = ent[ent["n_projects"] > 0]
        summary = atlas.summary.set_index("key")["value"] if len(atlas.summary) else pd.Series(dtype=object)
        total = summary.get("members")
        return {
            "members": int(len(members)),
            "members_on_map": int(members["gmina_teryt"].notna().sum()),
            "known_year": int(members["join_year"].notna().sum()),
            "participants": int(len(participants)),
            "participants_on_map": int(participants["gmina_teryt"].notna().sum()),
            "powiat_participants": int((participants["gmina_teryt"].isna()).sum()),
            "published_members": int(float(total)) if total is not None else None,
        }
    return dict(atlas_memo(atlas, "coverage", build))


def table_order(atlas: Any) -> np.ndarray:
    """Entity positions (in derived(atlas).entities) in the table's default order: voivodeship, name (both in
    Polish alphabetical order), TERYT."""
    def build() -> np.ndarray:
        ent = derived(atlas).entities
        keys = [(collation_key(v), collation_key(n), str(t)) for v, n, t in zip(ent["voivodeship"], ent["name"],
                                                                                  ent["teryt"])]
        return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)
    return atlas_memo(atlas, "table_order", build)


def known_places(atlas: Any) -> frozenset[str]:
    """The TERYT codes an address may name in a selection or as the town: the map's gminy and their powiaty."""
    def build() -> frozenset[str]:
        gminy = set(derived(atlas).gmina_pos)
        return frozenset(gminy | {g[:4] for g in gminy})
    return atlas_memo(atlas, "known_places", build)


def address_view(atlas: Any, query_text: str | None) -> FilterState:
    """The view an address's query asks for, read against the atlas's projects and places (an unknown one is
    dropped with a notice)."""
    state = FilterState.from_query(query_text or "", known_projects=set(derived(atlas).project_ids),
                                   known_places=known_places(atlas))
    year = asof_year(atlas, state)   # the year the view shows, also in its address (asof=2030 showed 2025)
    return state if year == state.asof else dataclasses.replace(state, asof=year)


def entity_mask(atlas: Any, state: FilterState) -> np.ndarray:
    """Boolean mask over derived(atlas).entities: the entities in view (every filter)."""
    return _mask(atlas, state)


@dataclass(frozen=True)
class TownHit:
    """A town-search result: a gmina, found by the name of a city in the data (`gmina_type` None) or by its own
    name (`gmina_type` 1 urban, 2 rural, 3 urban-rural; 0 unknown)."""
    terc: str
    name: str
    voivodeship: str
    gmina_type: int | None


def _folded_gminy(atlas: Any) -> tuple[str, ...]:
    return atlas_memo(atlas, "folded_gminy", lambda: tuple(fold(n) for n in atlas.gminy["name"]))


def find_towns(atlas: Any, text: str | None, limit: int = 10) -> list[TownHit]:
    """Type-ahead: gminy whose name, or the name of a city of the data in them, contains `text` (with
    dashboard.ingest.values.fold: case, diacritics and hyphens ignored, so "bielsko biala" finds Bielsko-Biała);
    cities first, then names that start with the text, then shorter names."""
    if not text or not isinstance(text, str):
        return []
    key = fold(text[:60])
    if not key:
        return []
    d = derived(atlas)
    gm = atlas.gminy
    hits: list[tuple[tuple, TownHit]] = []
    seen: set[str] = set()
    ent = d.entities[d.entities["gmina_teryt"].notna()]
    for name, terc, voiv, folded in zip(ent["name"], ent["gmina_teryt"], ent["voivodeship"], ent["folded"]):
        pos = folded.find(key)
        if pos >= 0 and terc not in seen:
            seen.add(terc)
            hits.append(((0, pos != 0, len(folded), name), TownHit(terc, name, voiv, None)))
    for name, terc, voiv, folded in zip(gm["name"], gm["terc"], gm["voivodeship"], _folded_gminy(atlas)):
        pos = folded.find(key)
        if pos >= 0 and terc not in seen:
            seen.add(terc)
            kind = int(terc[-1]) if terc[-1] in "123" else 0
            hits.append(((1, pos != 0, len(folded), name), TownHit(terc, name, voiv, kind)))
    hits.sort(key=lambda h: h[0])
    return [hit for _, hit in hits[:limit]]


def gmina_details(atlas: Any, terc: str) -> dict[str, Any] | None:
    """Everything the details panel shows for one gmina: its name, voivodeship and the entities in it with their
    projects (role, source). None for an unknown TERYT."""
    d = derived(atlas)
    pos = d.gmina_pos.get(terc) if isinstance(terc, str) else None
    if pos is None:
        return None
    g = atlas.gminy.iloc[pos]
    ent = d.entities[d.entities["gmina_teryt"] == terc]
    part = atlas.participation
    labels = {lang: project_labels(atlas, lang) for lang in ("pl", "en")}
    order = {pid: i for i, pid in enumerate(d.project_ids)}
    entities = []
    for _, e in ent.iterrows():
        rows = part[part["entity_id"] == e["entity_id"]]
        rows = rows.iloc[sorted(range(len(rows)), key=lambda i: order.get(rows["project_id"].iloc[i], len(order)))]
        entities.append({
            "entity_id": e["entity_id"],
            "name": e["name"],
            "teryt": e["teryt"],
            "is_member": bool(e["is_member"]),
            "join_year": None if pd.isna(e["join_year"]) else int(e["join_year"]),
            "member_source": e.get("member_source", "") or "",
            "member_note": e.get("member_note", "") or "",   # why the evidence is what it is, as researched
            "evidence": e.get("evidence", "") or "",
            "history": [{k: r[k] for k in ("event", "date", "open", "quote", "source")}
                        for r in membership.history(atlas, e["entity_id"])],
            "projects": [
                {
                    "id": r["project_id"],
                    "label_pl": labels["pl"].get(r["project_id"], r["project_id"]),
                    "label_en": labels["en"].get(r["project_id"], r["project_id"]),
                    "role": r.get("role", "") or "",
                    "role_label_pl": r.get("role_label_pl", "") or "",
                    "role_label_en": r.get("role_label_en", "") or "",
                    "counts": bool(r.get("counts", True)),
                    "source": r.get("source", "") or "",
                }
                for _, r in rows.iterrows()
            ],
        })
    shared = int((atlas.gminy["name"] == g["name"]).sum()) > 1   # an urban and a rural gmina of one name
    return {"terc": terc, "name": g["name"], "voivodeship": g["voivodeship"], "woj": g["woj"], "entities": entities,
            "gmina_type": int(g.get("gmina_type", 0) or 0), "name_shared": shared}
