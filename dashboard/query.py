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
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd

from dashboard.i18n import fold, t, year_label
from dashboard.state import YEAR_MIN, FilterState

UNKNOWN_ONLY = (YEAR_MIN, YEAR_MIN)   # state.years sentinel: "only members with an unknown join year"
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
    return Derived(
        gmina_centres=_gmina_centres(gm),
        entities=ent.reset_index(drop=True),
        members_of=members_of,
        gmina_pos={terc: i for i, terc in enumerate(gm["terc"])},
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
    d = derived(atlas)
    ent = d.entities
    ignore = set(ignore)
    mask = np.ones(len(ent), dtype=bool)
    if state.projects and "projects" not in ignore:
        sets = [d.members_of.get(p, frozenset()) for p in state.projects]
        chosen = frozenset.union(*sets) if state.match == "any" else frozenset.intersection(*sets)
        mask &= ent["entity_id"].isin(chosen).to_numpy()
    if state.voivodeships and "voivodeships" not in ignore:
        mask &= ent["woj"].isin(state.voivodeships).to_numpy()
    if (state.years is not None or not state.include_unknown_year) and "years" not in ignore:
        year = ent["join_year"]
        known = year.notna().to_numpy()
        if state.years is None:
            in_range = known
        else:
            lo, hi = state.years
            in_range = known & (year.fillna(-1).to_numpy() >= lo) & (year.fillna(-1).to_numpy() <= hi)
        keep = in_range | (~known & state.include_unknown_year)
        mask &= keep & ent["is_member"].to_numpy(dtype=bool)
    if state.selected and "selected" not in ignore:
        sel = set(state.selected)
        g = ent["gmina_teryt"].isin(sel).to_numpy() | ent["teryt"].isin(sel).to_numpy()
        mask &= g
    return mask


def filter_entities(atlas: Any, state: FilterState, ignore: Iterable[str] = ()) -> pd.DataFrame:
    """The entities (cities/JST) in view, with n_projects and project_ids. `ignore` drops filter dimensions
    (for cross-filtered charts)."""
    unknown = set(ignore) - DIMENSIONS
    if unknown:
        raise ValueError(f"unknown filter dimension(s) {sorted(unknown)}; expected some of {sorted(DIMENSIONS)}")
    d = derived(atlas)
    return d.entities.loc[_mask(atlas, state, ignore)]


def gmina_values(atlas: Any, state: FilterState) -> pd.DataFrame:
    """Per gmina in view (map colours; ignores the map selection, which is highlighted instead):
    index terc; columns n_projects (distinct projects of its entities), member (any entity is a member),
    participant (any entity takes part in a project, or in a chosen one when projects are filtered),
    names (entity names)."""
    ent = filter_entities(atlas, state, ignore=("selected",))
    ent = ent[ent["gmina_teryt"].notna()]
    if ent.empty:
        return pd.DataFrame(columns=["n_projects", "member", "participant", "names"]).rename_axis("terc")
    chosen = set(state.projects)
    rows = []
    for terc, g in ent.groupby("gmina_teryt", sort=True):
        projects = set().union(*g["project_ids"])
        rel = projects & chosen if chosen else projects
        rows.append((terc, len(projects), bool(g["is_member"].any()), bool(rel), ", ".join(g["name"])))
    return pd.DataFrame(rows, columns=["terc", "n_projects", "member", "participant", "names"]).set_index("terc")


def growth_counts(atlas: Any, state: FilterState) -> tuple[pd.Series, int]:
    """New members per known join year (every year from the first to the last known, zeros included) and the
    number of members with an unknown year. Computed without the year filter (cross-filtering)."""
    d = derived(atlas)
    ent = filter_entities(atlas, state, ignore=("years",))
    mem = ent[ent["is_member"].astype(bool)]
    years = mem["join_year"].dropna().astype(int)
    if d.known_years is None:
        index = pd.Index([], dtype="int64", name="year")
    else:
        index = pd.RangeIndex(d.known_years[0], d.known_years[1] + 1, name="year")
    counts = years.value_counts().reindex(index, fill_value=0).astype(int)
    return counts, int(mem["join_year"].isna().sum())


def voivodeship_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Members per województwo (all 16, zeros included), without the voivodeship filter; index = 2-digit code."""
    d = derived(atlas)
    ent = filter_entities(atlas, state, ignore=("voivodeships",))
    mem = ent[ent["is_member"].astype(bool)]
    return mem["woj"].value_counts().reindex(list(d.voivodeship_names), fill_value=0).astype(int)


def project_counts(atlas: Any, state: FilterState) -> pd.Series:
    """Participants (distinct entities) per project, without the project filter; index = project id."""
    d = derived(atlas)
    ent = filter_entities(atlas, state, ignore=("projects",))
    ids = set(ent["entity_id"])
    return pd.Series({p: len(d.members_of[p] & ids) for p in d.project_ids}, dtype="int64")


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


def table_frame(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> pd.DataFrame:
    """The table of cities in view (all filters), localised values, in display order. The CSV download is this
    very frame, so it holds exactly what the table shows. `sort_by` = DataTable sort_by ([{column_id, direction}])."""
    d = derived(atlas)
    lang = state.lang
    ent = filter_entities(atlas, state)
    label = "label_pl" if lang == "pl" else "label_en"
    plabel = atlas.projects.set_index("id")[label].to_dict() if label in atlas.projects else {}
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
    for spec in reversed(sort_by or []):
        col = spec.get("column_id") if isinstance(spec, dict) else None
        if col in TABLE_COLUMNS:
            frame = frame.sort_values(col, ascending=spec.get("direction") != "desc", kind="stable")
    del d
    return frame.reset_index(drop=True)


def search_towns(atlas: Any, text: str | None, limit: int = 10) -> list[dict[str, str]]:
    """Type-ahead: gminy and entities whose name contains `text` (diacritics- and case-insensitive), entities and
    names that start with the text first. Returns [{label, value (7-digit gmina TERYT)}]."""
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
    return [{"label": label, "value": terc} for _, label, terc in hits[:limit]]


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
                    "label_pl": projects.at[r["project_id"], "label_pl"] if r["project_id"] in projects.index else r["project_id"],
                    "label_en": projects.at[r["project_id"], "label_en"] if r["project_id"] in projects.index else r["project_id"],
                    "role": r.get("role", "") or "",
                    "source": r.get("source", "") or "",
                }
                for _, r in rows.iterrows()
            ],
        })
    return {"terc": terc, "name": g["name"], "voivodeship": g["voivodeship"], "woj": g["woj"], "entities": entities}
