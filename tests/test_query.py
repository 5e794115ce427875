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


def test_table_frame_is_localised_filtered_and_sortable(mini_atlas):
    s = FilterState(projects=("P2",), lang="en")
    frame = query.table_frame(mini_atlas, s)
    assert list(frame.columns) == list(query.TABLE_COLUMNS)
    assert sorted(frame["name"]) == ["Cieszyn", "Kraków", "Wrocław", "powiat hajnowski"]
    assert set(frame["member"]) == {"yes", "yes (per a later source)", "no"}   # dated, listed later, not
    by_projects = query.table_frame(mini_atlas, s, [{"column_id": "n_projects", "direction": "desc"}])
    assert by_projects["name"].iloc[0] == "Cieszyn"


@pytest.mark.parametrize("sort_by", [None, [{"column_id": "n_projects", "direction": "desc"}],
                                     [{"column_id": "member", "direction": "asc"}],
                                     [{"column_id": "join_year", "direction": "desc"}]])
@pytest.mark.parametrize("state", [FilterState(), FilterState(projects=("P2",), lang="en"),
                                   FilterState(years=(1990, 2019), include_unknown_year=False)])
def test_table_rows_are_the_frames_rows_in_display_order(mini_atlas, state, sort_by):
    """table_records (what the table callback sends) = table_frame (the CSV) row for row; the order is
    voivodeship, name, TERYT, then a stable sort on the clicked column (ties keep that order)."""
    frame = query.table_frame(mini_atlas, state, sort_by)
    records = query.table_records(mini_atlas, state, sort_by)
    assert records == frame.to_dict("records")
    expected = sorted(records, key=lambda r: (r["voivodeship"], r["name"], r["teryt"]))
    for spec in sort_by or []:
        expected.sort(key=lambda r: r[spec["column_id"]], reverse=spec["direction"] == "desc")
    assert records == expected
    assert sorted(r["teryt"] for r in records) == sorted(query.filter_entities(mini_atlas, state)["teryt"])
    records[0]["name"] = "changed"  # the rows are the caller's: the next answer is unaffected
    assert query.table_records(mini_atlas, state, sort_by)[0]["name"] != "changed"


def test_search_is_diacritics_insensitive_and_puts_cities_first(mini_atlas):
    hits = query.search_towns(mini_atlas, "lodz")
    assert (hits[0]["label"], hits[0]["value"]) == ("Łódź (łódzkie)", "1061011")
    assert "lodz" in hits[0]["search"] and "Łódź" in hits[0]["search"]
    assert query.search_towns(mini_atlas, "") == []
    assert all("value" in h for h in query.search_towns(mini_atlas, "BIAŁ"))


def test_gmina_details(mini_atlas):
    info = query.gmina_details(mini_atlas, "2403011")
    assert info["name"] == "Cieszyn" and info["voivodeship"] == "śląskie"
    (city,) = info["entities"]
    assert [p["id"] for p in city["projects"]] == ["P1", "P2", "P3"]
    assert city["join_year"] is None
    assert query.gmina_details(mini_atlas, "9999999") is None
