"""Property-based tests (hypothesis): FilterState parsing never raises and round-trips every valid state; the pure
query and figure functions accept every valid state of the real atlas and return consistent results."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dashboard.model.state import LANGS, MATCHES, METRICS, VOIVODESHIP_CODES, YEAR_MAX, YEAR_MIN, FilterState

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

project_ids = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)
teryt = st.from_regex(r"\d{7}", fullmatch=True) | st.from_regex(r"\d{4}", fullmatch=True)
gmina = st.from_regex(r"\d{7}", fullmatch=True)


@st.composite
def year_ranges(draw):
    lo = draw(st.integers(YEAR_MIN, YEAR_MAX))
    return (lo, draw(st.integers(lo, YEAR_MAX)))


def states(projects=project_ids, selected=teryt, focus=gmina):
    return st.builds(
        FilterState,
        projects=st.lists(projects, max_size=6, unique=True).map(tuple),
        match=st.sampled_from(MATCHES),
        voivodeships=st.lists(st.sampled_from(VOIVODESHIP_CODES), max_size=16, unique=True).map(
            lambda v: tuple(sorted(v))),
        years=st.none() | year_ranges(),
        include_unknown_year=st.booleans(),
        selected=st.lists(selected, max_size=30, unique=True).map(lambda v: tuple(sorted(v))),
        metric=st.sampled_from(METRICS),
        lang=st.sampled_from(LANGS),
        focus=st.none() | focus,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=12), inner, max_size=8),
    max_leaves=40,
)


# -- FilterState parsing --------------------------------------------------------------------------------------
@SETTINGS
@given(st.text(max_size=400))
def test_from_query_never_raises_on_any_text(text):
    state = FilterState.from_query(text)
    assert isinstance(state, FilterState)
    # whatever was parsed is itself valid and stable
    assert FilterState.from_query(state.to_query()) == state


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["p", "woj", "years", "unknown", "sel", "metric", "lang", "town",
                                           "match", "x"]),
                          st.text(alphabet="0123456789,-PabcEN_ ął%&=?", max_size=40)), max_size=10))
def test_from_query_with_known_keys_and_junk_values_never_raises(pairs):
    query = "&".join(f"{k}={v}" for k, v in pairs)
    state = FilterState.from_query(query)
    assert isinstance(state, FilterState)
    assert all(v in VOIVODESHIP_CODES for v in state.voivodeships)


@SETTINGS
@given(states())
def test_valid_states_round_trip_through_the_url_and_dict(state):
    assert FilterState.from_query(state.to_query()) == state
    assert FilterState.from_query("?" + state.to_query()) == state
    assert FilterState.from_dict(state.to_dict()) == state
    assert FilterState.from_query(state.to_query()).notices == ()


@SETTINGS
@given(json_values)
def test_from_dict_never_raises_on_any_json(value):
    assert isinstance(FilterState.from_dict(value), FilterState)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["projects", "match", "voivodeships", "years", "include_unknown_year",
                                        "selected", "metric", "lang", "focus"]), json_values, max_size=9))
def test_from_dict_with_known_fields_and_any_values_never_raises(data):
    state = FilterState.from_dict(data)
    assert FilterState.from_dict(state.to_dict()) == state


def test_oversized_inputs_fall_back_to_the_default_with_a_notice():
    huge = FilterState.from_query("sel=" + ",".join(["1465011"] * 100_000))
    assert huge.selected == () and huge.notices
    many = FilterState.from_dict({"selected": [f"{i:07d}" for i in range(100_000)]})
    assert many.selected == () and many.notices
    mega = FilterState.from_dict({"projects": ["x" * 1_000_000]})
    assert mega.projects == () and mega.notices


# -- pure query and figure functions on the real atlas ---------------------------------------------------------
@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


def atlas_states(atlas):
    ids = list(atlas.projects["id"].astype(str))
    gminy = list(atlas.gminy["terc"])
    known = st.sampled_from(ids) | project_ids
    return states(projects=known, selected=st.sampled_from(gminy) | teryt, focus=st.sampled_from(gminy) | gmina)


@pytest.fixture(scope="module")
def state_strategy(atlas):
    return atlas_states(atlas)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_filter_entities_respects_every_filter(atlas, state_strategy, data):
    from dashboard.model import query

    state = data.draw(state_strategy)
    view = query.filter_entities(atlas, state)
    everything = query.filter_entities(atlas, FilterState())
    assert set(view["entity_id"]) <= set(everything["entity_id"])
    if state.voivodeships:
        assert set(view["woj"]) <= set(state.voivodeships)
    if state.projects and state.match == "any":
        assert all(set(p) & set(state.projects) for p in view["project_ids"])
    if state.projects and state.match == "all":
        assert all(set(state.projects) <= set(p) for p in view["project_ids"])
    if state.years is not None:
        lo, hi = state.years
        years = view["join_year"]
        assert all((lo <= int(y) <= hi) if not _na(y) else state.include_unknown_year for y in years)
    # dropping a filter never shrinks the view
    wider = query.filter_entities(atlas, state, ignore=("voivodeships",))
    assert set(view["entity_id"]) <= set(wider["entity_id"])


def _na(value) -> bool:
    try:
        return value is None or bool(value != value) or str(value) == "<NA>"
    except TypeError:
        return str(value) == "<NA>"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_figure_updates_are_well_formed_for_every_state(atlas, state_strategy, data):
    from dashboard.view import figures

    state = data.draw(state_strategy)
    update = figures.map_update(atlas, state)
    z = update["z"]
    assert len(z) == len(atlas.gminy)
    k = len(update["colorbar"]["tickvals"])
    assert all(isinstance(v, int) and 0 <= v < k for v in z)
    assert math.isfinite(update["zmax"]) and update["zmax"] == k - 0.5
    assert len(update["colorbar"]["ticktext"]) == k
    if update["selectedpoints"] is not None:
        assert all(0 <= i < len(atlas.gminy) for i in update["selectedpoints"])
    for fn in (figures.growth_update, figures.voivodeship_update, figures.project_update):
        bars = fn(atlas, state)
        assert isinstance(bars, dict) and bars


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_map_update_counts_add_up_to_the_gminy_of_the_area(atlas, state_strategy, data):
    from dashboard.view import figures

    state = data.draw(state_strategy)
    assume(state.metric == "projects")
    update = figures.map_update(atlas, state)
    counts = [int(text.rsplit("(", 1)[1].rstrip(")").replace("\u00a0", "").replace(" ", "").replace(",", ""))
              for text in update["colorbar"]["ticktext"]]
    area = atlas.gminy["woj"].isin(state.voivodeships) if state.voivodeships else atlas.gminy["woj"].notna()
    assert sum(counts) == int(area.sum())   # the gminy of the chosen area (all of Poland, or its voivodeships)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_full_map_figure_agrees_with_its_patch_for_every_state(atlas, state_strategy, data):
    from dashboard.view import figures

    state = data.draw(state_strategy)
    figure = figures.map_figure(atlas, state, "/geo/gminy.0123456789.geojson")
    update = figures.map_update(atlas, state)
    gminy = figure.data[0]
    assert list(gminy.locations) == list(atlas.gminy["terc"])
    assert list(gminy.z) == update["z"]            # what a Patch sends equals what the full figure shows
    assert gminy.geojson == "/geo/gminy.0123456789.geojson"
    figure.to_json()                                # serialisable, as Dash will send it
