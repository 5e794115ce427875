"""The table of cities in view and its CSV: localised rows built once per atlas and language, then picked and
ordered per request with the model's mask (dashboard.model.query)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.i18n import t, year_label
from dashboard.model import query
from dashboard.model.state import FilterState

TABLE_COLUMNS = ("name", "teryt", "voivodeship", "member", "join_year", "n_projects", "projects")
_COLUMN_KEYS = {"name": "col_name", "teryt": "col_teryt", "voivodeship": "col_voivodeship", "member": "col_member",
                "join_year": "col_join_year", "n_projects": "col_n_projects", "projects": "col_projects"}


def table_columns(lang: str) -> list[dict[str, str]]:
    """The DataTable's columns (and the CSV's header) in `lang`."""
    return [{"name": t(_COLUMN_KEYS[c], lang), "id": c, **({"type": "numeric"} if c == "n_projects" else {})}
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
            "name": ent["name"].astype(str),
            "teryt": ent["teryt"].astype(str),
            "voivodeship": ent["voivodeship"].astype(str),
            "member": np.where(dated, t("member_dated_short", lang),
                               np.where(member, t("member_undated_short", lang), t("no", lang))),
            "join_year": [year_label(None if np.isnan(y) else int(y), lang) for y in join_years],
            "n_projects": ent["n_projects"].astype(int),
            "projects": ["; ".join(plabel.get(p, p) for p in ids) for ids in ent["project_ids"]],
        }).reset_index(drop=True)
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


def _table_base(atlas: Any, state: FilterState) -> _TableBase:
    """Built once per (language, year, evidence levels)."""
    key = ("table", state.lang, query.asof_year(atlas, state), state.evidence)
    return query.atlas_memo(atlas, key, lambda: _TableBase(atlas, state))


def table_frame(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> pd.DataFrame:
    """The table of cities in view (all filters), localised values, in display order. The CSV download is this
    very frame, so it holds exactly what the table shows. `sort_by` = DataTable sort_by ([{column_id, direction}])."""
    base = _table_base(atlas, state)
    return base.frame.iloc[base.rows(query.entity_mask(atlas, state), sort_by)].reset_index(drop=True)


def table_records(atlas: Any, state: FilterState, sort_by: list[dict] | None = None) -> list[dict[str, Any]]:
    """table_frame(atlas, state, sort_by).to_dict("records"), from rows built once per atlas and language."""
    base = _table_base(atlas, state)
    return [dict(base.records[i]) for i in base.rows(query.entity_mask(atlas, state), sort_by)]


def sort_spec(sort_by: Any) -> list[dict]:
    """A DataTable sort_by from the browser, reduced to one valid {column_id, direction}."""
    if not isinstance(sort_by, list):
        return []
    return [s for s in sort_by if isinstance(s, dict) and s.get("column_id") in TABLE_COLUMNS][:1]
