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

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from dashboard.i18n import fold, t, year_label
from dashboard.model.state import UNKNOWN_ONLY, FilterState  # noqa: F401 - UNKNOWN_ONLY re-exported (years sentinel)
DIMENSIONS = frozenset({"projects", "voivodeships", "years", "selected"})


@dataclass(frozen=True, eq=False)
class Derived:
    """Look-ups computed once per atlas (immutable)."""
    entities: pd.DataFrame             # atlas.entities + n_projects, project_ids (tuple), folded name
    members_of: dict[str, frozenset]   # project id -> entity ids taking part
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


_CACHE: dict[int, tuple[weakref.ref, Derived]] = {}


def derived(atlas: Any) -> Derived:
    """Cached per atlas object (the atlas is immutable and built once per process)."""
    hit = _CACHE.get(id(atlas))
    if hit is not None and hit[0]() is atlas:
        return hit[1]
    d = _derive(atlas)
    try:
        ref = weakref.ref(atlas)
    except TypeError:  # objects without weakref support: keep a strong reference
        ref = (lambda a: (lambda: a))(atlas)
    _CACHE[id(atlas)] = (ref, d)
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
    """Project id -> its short UI label in `lang` ({} when the atlas has no label column)."""
    label = "label_pl" if lang == "pl" else "label_en"

    def build() -> dict[str, str]:
        return atlas.projects.set_index("id")[label].to_dict() if label in atlas.projects else {}
    return atlas_memo(atlas, ("project_labels", label), build)


def _derive(atlas: Any) -> Derived:
    part = atlas.participation
    by_entity = part.groupby("entity_id")["project_id"].agg(lambda s: tuple(sorted(set(s))))
    ent = atlas.entities.copy()
    ent["project_ids"] = ent["entity_id"].map(by_entity).apply(lambda v: v if isinstance(v, tuple) else ())
    ent["n_projects"] = ent["project_ids"].map(len).astype("int64")
    ent["folded"] = ent["name"].map(fold)
    ent["join_year"] = ent["join_year"].astype("Int64")
    members_of = {pid: frozenset(g["entity_id"]) for pid, g in part.groupby("project_id")}
    project_ids = tuple(atlas.projects["id"].astype(str))
    for pid in project_ids:
        members_of.setdefault(pid, frozenset())
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
        members_of=members_of,
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


def _mask(atlas: Any, state: FilterState, ignore: Iterable[str] = ()) -> np.ndarray:
    """Boolean mask over derived(atlas).entities (numpy only: this runs on every filter change)."""
    d = derived(atlas)
    ignore = set(ignore)
    mask = np.ones(len(d.is_member), dtype=bool)
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
        known = ~np.isnan(d.join_year)
        if state.years is None:
            in_range = known
        else:
            lo, hi = state.years
            with np.errstate(invalid="ignore"):
                in_range = known & (d.join_year >= lo) & (d.join_year <= hi)
        keep = in_range | (~known & state.include_unknown_year)
        mask &= keep & d.is_member
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
    member = np.zeros(n, dtype=bool)
    np.logical_or.at(member, idx, d.is_member[m])
    in_view = np.zeros(n, dtype=bool)
    in_view[idx] = True
    cols = [d.project_ids.index(p) for p in state.projects if p in d.project_ids]
    participant = projects[:, cols].any(axis=1) if cols else projects.any(axis=1)
    return {"in_view": in_view, "n_projects": projects.sum(axis=1), "member": member, "participant": participant}


def gmina_values(atlas: Any, state: FilterState) -> pd.DataFrame:
    """The gminy in view (see gmina_arrays) as a frame indexed by terc: n_projects, member, participant."""
    arr = gmina_arrays(atlas, state)
    keep = arr["in_view"]
    return pd.DataFrame({"n_projects": arr["n_projects"][keep], "member": arr["member"][keep],
                         "participant": arr["participant"][keep]},
                        index=pd.Index(np.asarray(atlas.gminy["terc"])[keep], name="terc"))


def growth_counts(atlas: Any, state: FilterState) -> tuple[pd.Series, int]:
    """New members per known join year (every year from the first to the last known, zeros included) and the
    number of members with an unknown year. Computed without the year filter (cross-filtering)."""
    d = derived(atlas)
    m = _mask(atlas, state, ignore=("years",)) & d.is_member
    years = d.join_year[m]
    known = years[~np.isnan(years)].astype(int)
    if d.known_years is None:
        index = pd.Index([], dtype="int64", name="year")
        return pd.Series([], index=index, dtype="int64"), int(np.isnan(years).sum())
    lo, hi = d.known_years
    counts = np.bincount(known - lo, minlength=hi - lo + 1)[: hi - lo + 1]
    return (pd.Series(counts.astype("int64"), index=pd.RangeIndex(lo, hi + 1, name="year")),
            int(np.isnan(years).sum()))


def voivodeship_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Members per województwo (all 16, zeros included), without the voivodeship filter; index = 2-digit code."""
    d = derived(atlas)
    m = _mask(atlas, state, ignore=("voivodeships",)) & d.is_member & (d.woj_index >= 0)
    counts = np.bincount(d.woj_index[m], minlength=len(d.voivodeship_names))
    return pd.Series(counts.astype("int64"), index=list(d.voivodeship_names))


def project_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Participants (distinct entities) per project, without the project filter; index = project id."""
    d = derived(atlas)
    m = _mask(atlas, state, ignore=("projects",))
    return pd.Series(d.in_project[m].sum(axis=0).astype("int64"), index=list(d.project_ids))


def coverage(atlas: Any) -> dict[str, int | None]:
    """What the public data covers, next to the published totals (the note under the strip)."""
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


TABLE_COLUMNS = ("name", "teryt", "voivodeship", "member", "join_year", "n_projects", "projects")


class _TableBase:
    """Every entity's table row in `lang`, in the default display order (voivodeship, name, TERYT)."""

    def __init__(self, atlas: Any, lang: str):
        ent = derived(atlas).entities
        plabel = project_labels(atlas, lang)
        frame = pd.DataFrame({
            "name": ent["name"].astype(str),
            "teryt": ent["teryt"].astype(str),
            "voivodeship": ent["voivodeship"].astype(str),
            "member": np.where(ent["is_member"].astype(bool), t("yes", lang), t("no", lang)),
            "join_year": [year_label(y, lang) for y in ent["join_year"]],
            "n_projects": ent["n_projects"].astype(int),
            "projects": ["; ".join(plabel.get(p, p) for p in ids) for ids in ent["project_ids"]],
        })
        frame = frame.sort_values(["voivodeship", "name", "teryt"], kind="stable")
        self.order = frame.index.to_numpy()          # entity position of each table row
        self.frame = frame.reset_index(drop=True)
        self.records = tuple(self.frame.to_dict("records"))
        self.columns = {c: self.frame[c].tolist() for c in TABLE_COLUMNS}

    def rows(self, mask: np.ndarray, sort_by: list[dict] | None) -> list[int]:
        """Positions in self.frame of the entities in `mask`, in display order (`sort_by` applied stably, as
        pandas' sort_values(kind="stable") does, ties keeping the default order)."""
        rows = np.flatnonzero(mask[self.order]).tolist()
        for spec in reversed(sort_by or []):
            col = spec.get("column_id") if isinstance(spec, dict) else None
            if col in TABLE_COLUMNS:
                rows.sort(key=self.columns[col].__getitem__, reverse=spec.get("direction") == "desc")
        return rows


def _table_base(atlas: Any, lang: str) -> _TableBase:
    return atlas_memo(atlas, ("table", lang), lambda: _TableBase(atlas, lang))


def table_frame(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> pd.DataFrame:
    """The table of cities in view (all filters), localised values, in display order. The CSV download is this
    very frame, so it holds exactly what the table shows. `sort_by` = DataTable sort_by ([{column_id, direction}])."""
    base = _table_base(atlas, state.lang)
    return base.frame.iloc[base.rows(_mask(atlas, state), sort_by)].reset_index(drop=True)


def table_records(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> list[dict[str, Any]]:
    """table_frame(atlas, state, sort_by).to_dict("records"), from rows built once per atlas and language."""
    base = _table_base(atlas, state.lang)
    return [dict(base.records[i]) for i in base.rows(_mask(atlas, state), sort_by)]


def search_towns(atlas: Any, text: str | None, limit: int = 10) -> list[dict[str, str]]:
    """Type-ahead: gminy and entities whose name contains `text` (diacritics- and case-insensitive), entities and
    names that start with the text first. Returns [{label, value (7-digit gmina TERYT), search}] — `search` holds
    the label with and without diacritics, so the dropdown's own client-side filter keeps what matched here."""
    if not text or not isinstance(text, str):
        return []
    key = fold(text[:60])
    if not key:
        return []
    d = derived(atlas)
    gm = atlas.gminy
    hits: list[tuple[tuple, str, str]] = []
    seen: set[str] = set()
    ent = d.entities[d.entities["gmina_teryt"].notna()]
    for name, terc, voiv, folded in zip(ent["name"], ent["gmina_teryt"], ent["voivodeship"], ent["folded"]):
        pos = folded.find(key)
        if pos >= 0 and terc not in seen:
            seen.add(terc)
            hits.append(((0, pos != 0, len(folded)), f"{name} ({voiv})", terc))
    for name, terc, voiv in zip(gm["name"], gm["terc"], gm["voivodeship"]):
        folded = fold(name)
        pos = folded.find(key)
        if pos >= 0 and terc not in seen:
            seen.add(terc)
            kind = {"1": "gm. miejska", "2": "gm. wiejska", "3": "gm. miejsko-wiejska"}.get(terc[-1], "gmina")
            hits.append(((1, pos != 0, len(folded)), f"{name} ({kind}, {voiv})", terc))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [{"label": label, "value": terc, "search": f"{label} {fold(label)} {key}"}
            for _, label, terc in hits[:limit]]


def _project_label(projects: pd.DataFrame, pid: str, column: str) -> str:
    return str(projects.at[pid, column]) if pid in projects.index else str(pid)


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
    projects = atlas.projects.set_index("id")
    entities = []
    for _, e in ent.iterrows():
        rows = part[part["entity_id"] == e["entity_id"]]
        entities.append({
            "name": e["name"],
            "teryt": e["teryt"],
            "is_member": bool(e["is_member"]),
            "join_year": None if pd.isna(e["join_year"]) else int(e["join_year"]),
            "member_source": e.get("member_source", "") or "",
            "projects": [
                {
                    "id": r["project_id"],
                    "label_pl": _project_label(projects, r["project_id"], "label_pl"),
                    "label_en": _project_label(projects, r["project_id"], "label_en"),
                    "role": r.get("role", "") or "",
                    "role_label_pl": r.get("role_label_pl", "") or "",
                    "role_label_en": r.get("role_label_en", "") or "",
                    "counts": bool(r.get("counts", True)),
                    "source": r.get("source", "") or "",
                }
                for _, r in rows.iterrows()
            ],
        })
    return {"terc": terc, "name": g["name"], "voivodeship": g["voivodeship"], "woj": g["woj"], "entities": entities}
