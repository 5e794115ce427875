"""Pure queries over a small hand-made atlas (real gminy, 8 cities + 1 powiat, 3 projects): known answers."""
from __future__ import annotations

import pytest

from dashboard.model import query
from dashboard.model.query import UNKNOWN_ONLY
from dashboard.model.state import FilterState


def names(frame):
    return sorted(frame["name"])


def test_default_view_holds_every_entity(mini_atlas):
    assert len(query.filter_entities(mini_atlas, FilterState())) == len(mini_atlas.entities)


def test_projects_any_and_all(mini_atlas):
    any_ = query.filter_entities(mini_atlas, FilterState(projects=("P1", "P2")))
    all_ = query.filter_entities(mini_atlas, FilterState(projects=("P1", "P2"), match="all"))
    assert names(any_) == ["Bolesławiec", "Cieszyn", "Hajnówka", "Kraków", "Wrocław", "powiat hajnowski"]
    assert names(all_) == ["Cieszyn"]


def test_voivodeship_filter(mini_atlas):
    assert names(query.filter_entities(mini_atlas, FilterState(voivodeships=("02",)))) == ["Bolesławiec", "Wrocław"]


def test_year_range_keeps_members_in_range_and_unknown_only_when_asked(mini_atlas):
    with_unknown = query.filter_entities(mini_atlas, FilterState(years=(1990, 1995)))
    assert names(with_unknown) == ["Bolesławiec", "Cieszyn", "Kraków", "Kwidzyn", "Łódź"]
    without = query.filter_entities(mini_atlas, FilterState(years=(1990, 1995), include_unknown_year=False))
    assert names(without) == ["Kraków", "Kwidzyn"]
    only_unknown = query.filter_entities(mini_atlas, FilterState(years=UNKNOWN_ONLY))
    assert names(only_unknown) == ["Bolesławiec", "Cieszyn", "Łódź"]
    known_only = query.filter_entities(mini_atlas, FilterState(include_unknown_year=False))
    assert names(known_only) == ["Białystok", "Kraków", "Kwidzyn", "Wrocław"]


def test_selection_by_gmina_or_powiat_code(mini_atlas):
    s = FilterState(selected=("0264011", "2005"))
    assert names(query.filter_entities(mini_atlas, s)) == ["Wrocław", "powiat hajnowski"]


def test_ignore_drops_one_dimension_and_rejects_unknown_ones(mini_atlas):
    s = FilterState(voivodeships=("02",), projects=("P3",))
    assert names(query.filter_entities(mini_atlas, s, ignore=("voivodeships",))) == ["Cieszyn"]
    with pytest.raises(ValueError, match="unknown filter dimension"):
        query.filter_entities(mini_atlas, s, ignore=("colour",))


def test_gmina_values_ignore_the_map_selection(mini_atlas):
    vals = query.gmina_values(mini_atlas, FilterState(selected=("0264011",)))
    assert len(vals) == 8  # 8 gmina cities; the powiat is not on the gmina map
    assert vals.loc["2403011", "n_projects"] == 3
    assert bool(vals.loc["2005011", "member"]) is False


def test_chart_counts_are_cross_filtered(mini_atlas):
    s = FilterState(voivodeships=("02",))
    counts, unknown = query.growth_counts(mini_atlas, s)
    assert counts.sum() == 1 and counts[2019] == 1 and unknown == 1  # Wrocław 2019, Bolesławiec unknown
    voiv = query.voivodeship_counts(mini_atlas, s)  # ignores its own filter
    assert len(voiv) == 16 and voiv["02"] == 2 and voiv["12"] == 1 and voiv.sum() == 7
    proj = query.project_counts(mini_atlas, s)
    assert proj.to_dict() == {"P1": 1, "P2": 1, "P3": 0}


def test_coverage_counts(mini_atlas):
    cov = query.coverage(mini_atlas)
    assert cov == {"members": 7, "members_on_map": 7, "known_year": 4, "participants": 6,
                   "participants_on_map": 5, "powiat_participants": 1, "published_members": 333}


def test_gmina_details(mini_atlas):
    info = query.gmina_details(mini_atlas, "2403011")
    assert info["name"] == "Cieszyn" and info["voivodeship"] == "śląskie"
    (city,) = info["entities"]
    assert [p["id"] for p in city["projects"]] == ["P1", "P2", "P3"]
    assert city["join_year"] is None
    assert query.gmina_details(mini_atlas, "9999999") is None


def test_derived_look_ups_go_with_their_atlas(mini_atlas, gminy_frame):
    """query caches per atlas without keeping dead atlases alive (a process that rebuilds atlases must not grow)."""
    import gc

    from tests.conftest import build_mini_atlas

    before = len(query._CACHE)
    for _ in range(3):
        query.derived(build_mini_atlas(gminy_frame))
    gc.collect()
    assert len(query._CACHE) <= before + 1 and query.derived(mini_atlas) is query.derived(mini_atlas)


def test_model_labels_come_from_the_projects_table(mini_atlas):
    assert query.project_labels(mini_atlas, "en") == {"P1": "Town development", "P2": "Service monitoring",
                                                      "P3": "Labour market"}
    assert query.voivodeship_names(mini_atlas)["24"] == "śląskie" and len(query.voivodeship_names(mini_atlas)) == 16
