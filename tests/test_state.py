"""FilterState: one validated object, round-trips through the URL and dict, never raises on user input."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.model.state import ASOF_DEFAULT, UNKNOWN_ONLY, VOIVODESHIP_CODES, FilterState, view_slug


def test_default_view_has_an_empty_query():
    assert FilterState().to_query() == ""
    assert FilterState.from_query("") == FilterState()
    assert FilterState.from_query(None) == FilterState()


def test_a_full_state_round_trips_through_the_url():
    s = FilterState(projects=("P1", "P3"), match="all", voivodeships=("02", "24"), years=(1990, 2019),
                    include_unknown_year=False, selected=("0201011", "2005"), metric="membership", lang="en",
                    focus="1061011")
    q = s.to_query()
    assert q == "p=P1,P3&match=all&woj=02,24&years=1990-2019&unknown=0&sel=0201011,2005&metric=membership" \
                "&lang=en&town=1061011"
    assert FilterState.from_query("?" + q) == s
    assert FilterState.from_dict(s.to_dict()) == s
    assert FilterState.from_query(q).notices == ()


@pytest.mark.parametrize("query, field, expected", [
    ("woj=02,99", "voivodeships", ("02",)),
    ("years=2020-1990", "years", None),
    ("years=abc", "years", None),
    ("years=1800-1900", "years", None),
    ("match=some", "match", "any"),
    ("metric=<script>", "metric", "projects"),
    ("lang=de", "lang", "pl"),
    ("unknown=maybe", "include_unknown_year", True),
    ("sel=12345678,0201011", "selected", ("0201011",)),
    ("town=Łódź", "focus", None),
    ("p=P1,'%3B--", "projects", ("P1",)),
])
def test_tampered_fields_fall_back_to_their_default_with_a_notice(query, field, expected):
    s = FilterState.from_query(query)
    assert getattr(s, field) == expected
    assert s.notices, f"no notice for {query!r}"


def test_unknown_projects_are_dropped_when_the_catalogue_is_given():
    s = FilterState.from_query("p=P1,P77", known_projects={"P1", "P2"})
    assert s.projects == ("P1",)
    assert any("P77" in n for n in s.notices)


def test_unknown_parameters_and_garbage_never_raise():
    for q in ("zzz=1", "&&&=", "%ZZ", "p=" + "P1," * 5000, "?" * 50_000, "years=1990-2000&years=x"):
        s = FilterState.from_query(q)
        assert isinstance(s, FilterState)


def test_notices_do_not_take_part_in_equality():
    assert FilterState.from_query("zzz=1") == FilterState()


def test_direct_construction_is_strict():
    with pytest.raises(ValueError, match="years"):
        FilterState(years=(2020, 1990))
    with pytest.raises(ValueError, match="voivodeships"):
        FilterState(voivodeships=("99",))


def test_replace_is_lenient_and_cleared_keeps_language_and_metric():
    s = FilterState(lang="en", metric="membership", projects=("P1",))
    assert s.replace(years="garbage").years is None
    assert s.replace(years=[1995, 2000]).years == (1995, 2000)
    assert s.cleared() == FilterState(lang="en", metric="membership")


@settings(max_examples=150, deadline=None)
@given(
    projects=st.lists(st.sampled_from(["P1", "P2", "P3", "CAMPAIGN-2020"]), unique=True, max_size=4),
    match=st.sampled_from(["any", "all"]),
    woj=st.lists(st.sampled_from(VOIVODESHIP_CODES), unique=True, max_size=5),
    years=st.one_of(st.none(), st.tuples(st.integers(1900, 2100), st.integers(0, 50))),
    unknown=st.booleans(),
    selected=st.lists(st.from_regex(r"\A\d{7}\Z"), unique=True, max_size=6),
    metric=st.sampled_from(["projects", "membership"]),
    lang=st.sampled_from(["pl", "en"]),
)
def test_property_any_valid_state_round_trips(projects, match, woj, years, unknown, selected, metric, lang):
    yrs = None if years is None else (years[0], min(2100, years[0] + years[1]))
    s = FilterState(projects=tuple(projects), match=match, voivodeships=tuple(sorted(woj)), years=yrs,
                    include_unknown_year=unknown, selected=tuple(sorted(selected)), metric=metric, lang=lang)
    assert FilterState.from_query(s.to_query()) == s
    assert FilterState.from_dict(s.to_dict()) == s


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_property_any_text_parses_without_raising(text):
    assert isinstance(FilterState.from_query(text), FilterState)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["projects", "years", "selected", "lang", "focus", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers()),
                                 st.booleans(), st.floats())))
def test_property_any_dict_parses_without_raising(data):
    assert isinstance(FilterState.from_dict(data), FilterState)


def test_year_unknown_only_has_its_own_readable_url():
    from dashboard.model.state import UNKNOWN_ONLY

    s = FilterState(years=UNKNOWN_ONLY, projects=("P1",))
    assert s.is_unknown_only
    assert s.to_query() == "p=P1&years=unknown"
    assert FilterState.from_query("p=P1&years=unknown") == s
    assert FilterState.from_query("years=unknown").notices == ()
    # old links (years=1900-1900) open the same view, and are written the new way from then on
    old = FilterState.from_query("years=1900-1900")
    assert old.is_unknown_only and old.to_query() == "years=unknown"
    # a contradiction (unknown year only, without the unknown year): the unknown year wins, with a notice
    both = FilterState.from_query("unknown=0&years=unknown")
    assert both.is_unknown_only and both.notices
    # the literal range 1900-1900 without the unknown year stays what it is
    literal = FilterState(years=UNKNOWN_ONLY, include_unknown_year=False)
    assert not literal.is_unknown_only
    assert FilterState.from_query(literal.to_query()) == literal
    for bad in ("years=unknown2", "years=nieznany1", "years=un known"):
        assert FilterState.from_query(bad).years is None and FilterState.from_query(bad).notices


def test_an_address_too_long_keeps_its_language_and_says_why():
    from dashboard.model.state import MAX_QUERY_CHARS
    from dashboard.view.layout import notice_text

    s = FilterState.from_query("lang=en&sel=" + ",".join(["0201011"] * (MAX_QUERY_CHARS // 8 + 10)))
    assert s.lang == "en" and s.selected == ()
    assert notice_text(s).endswith("the whole address (too long or unreadable).")


def test_a_setting_given_twice_counts_the_last_time_and_a_list_given_twice_has_both():
    """No notice: the view's notice says a value was left out, which a repeated one is not. A list (woj=02&woj=24,
    as a form or a hand-made link writes it) keeps every value: the second used to drop the first silently. The
    choices are read in any case (lang=EN)."""
    s = FilterState.from_query("woj=02&woj=24&p=P1&lang=pl&lang=EN&metric=Membership&ev=list&ev=role")
    assert (s.voivodeships, s.projects, s.lang, s.metric, s.evidence) == (("02", "24"), ("P1",), "en", "membership",
                                                                          ("list", "role"))
    assert s.notices == ()


def test_an_address_may_name_voivodeships():
    s = FilterState.from_query("woj=śląskie,Malopolskie,02")
    assert s.voivodeships == ("02", "12", "24") and s.notices == ()
    assert s.to_query() == "woj=02,12,24"
    bad = FilterState.from_query("woj=Mordor,24")
    assert bad.voivodeships == ("24",) and "Mordor" in bad.notices[0]


def test_a_year_out_of_the_range_is_its_nearest_end_as_the_year_box_makes_it():
    """?asof=1980 opened the default 2020 view (the year box makes 1980 into 1990)."""
    assert (FilterState.from_query("asof=1980").asof, FilterState.from_query("asof=3000").asof) == (1990, 2100)
    assert FilterState.from_query("asof=1980").notices == ()
    assert FilterState.from_query("asof=19x0").asof == 2020 and FilterState.from_query("asof=19x0").notices


STATES = st.builds(
    lambda projects, match, woj, years, unknown, selected, metric, asof, evidence: FilterState.from_dict({
        "projects": projects, "match": match, "voivodeships": woj, "years": years, "include_unknown_year": unknown,
        "selected": selected, "metric": metric, "asof": asof, "evidence": evidence}),
    projects=st.lists(st.sampled_from(["P1", "P2", "CAMPAIGN-2020"]), unique=True, max_size=3),
    match=st.sampled_from(["any", "all"]),
    woj=st.lists(st.sampled_from(VOIVODESHIP_CODES[:5]), unique=True, max_size=4),
    years=st.one_of(st.none(), st.sampled_from([[1990, 2000], [2001, 2020], list(UNKNOWN_ONLY)])),
    unknown=st.booleans(),
    selected=st.lists(st.sampled_from(["0201011", "0201022", "1261011", "1465011"]), unique=True, max_size=3),
    metric=st.sampled_from(["projects", "membership"]),
    asof=st.sampled_from([1995, 2020, ASOF_DEFAULT]),
    evidence=st.sampled_from([["list", "stated", "role"], ["list"], ["list", "stated", "role", "weak"], []]),
)


@settings(max_examples=300, deadline=None)
@given(STATES, STATES)
def test_two_views_share_a_file_name_only_when_they_are_the_same_view(a, b):
    """The file name of a download or export names every setting that changes what the file holds (two
    selections of three gminy, "all projects" vs "any", years without the unknown, other evidence levels): a desk
    that downloads two views never gets one file over the other."""
    def content(s: FilterState) -> str:   # "all" of one project changes nothing
        return s.replace(match=s.match if len(s.projects) > 1 else "any").to_query()

    if view_slug(a) == view_slug(b):
        assert content(a) == content(b), (view_slug(a), a.to_query(), b.to_query())
    if view_slug(a) == "":                # only the default view goes without a name of its own
        assert content(a) == content(FilterState()), a.to_query()
    else:
        assert not re.search(r"(^|[_-])$|-_|__", view_slug(a)), view_slug(a)   # no part left empty ("ev-")
