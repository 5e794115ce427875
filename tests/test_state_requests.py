"""Every value a browser (or an attacker) sends to the dashboard's callbacks goes through FilterState or a
defensive parser: crafted requests to /_dash-update-component get an answer, never a 500.
Also the pure decision functions behind the thin callbacks (next_state, chips, bar parsing)."""
from __future__ import annotations

import json
import random

import pytest

from dashboard.model.query import UNKNOWN_ONLY
from dashboard.model.state import FilterState
from dashboard.view import callbacks, layout

JUNK = [None, 0, -1, 1e308, True, "", "x" * 300, "<script>", "P1", "02", [], [None], ["P1", 5], {}, {"a": 1},
        {"points": "x"}, {"points": [None, 1, "a"]}, {"points": [{"x": {"y": 1}, "curveNumber": "a"}]},
        [1990, "abc"], [3000, 1000], ["1990", "2000"], {"range": 1}, [[1, 2]], "?p=P1&woj=99"]


@pytest.fixture(scope="module")
def app(mini_atlas):
    from dashboard.app import create_app

    return create_app(mini_atlas)


def _callbacks(app):
    """The callbacks with a server function (a clientside one answers 404: tests/test_crafted_requests.py)."""
    for key, spec in app.callback_map.items():
        if "callback" not in spec:
            continue
        parts = key[2:-2].split("...") if key.startswith("..") else [key]
        outputs = [[] if p.startswith("{") else {"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                   for p in parts]
        yield key, outputs, spec


def _dep(dep: dict, value):
    """One input/state entry as the renderer sends it; a pattern-matching one (ALL; the page has none now, the
    guard still reads them) as the list of its matches, here one component with the given value."""
    if dep["id"].startswith("{"):
        pattern = json.loads(dep["id"])
        return [{"id": {k: ("x" if v == ["ALL"] else v) for k, v in pattern.items()}, "property": dep["property"],
                 "value": value}]
    return {"id": dep["id"], "property": dep["property"], "value": value}


def test_crafted_values_never_give_a_server_error(app):
    client = app.server.test_client()
    rng = random.Random(4)
    checked, answered = 0, 0
    for key, outputs, spec in _callbacks(app):
        if "export" in key:  # the export panel's background callback is tested by its owner
            continue
        for _ in range(12):
            inputs = [_dep(i, rng.choice(JUNK)) for i in spec["inputs"]]
            state = [_dep(s, rng.choice(JUNK)) for s in spec["state"]]
            trigger = rng.choice(spec["inputs"])
            body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
                    "state": state, "changedPropIds": [f"{trigger['id']}.{trigger['property']}"]}
            r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            assert r.status_code < 500, (key, body, r.data[:500])
            checked += 1
            answered += r.status_code in (200, 204)
    assert checked > 50
    assert answered > checked * 0.8  # the junk reached the callbacks (not just rejected by the guard)


def test_a_tampered_state_store_is_replaced_by_a_valid_state(app):
    """The state store comes back from the browser with every action: junk in it is dropped, the action applies
    to what is left, and the answer carries the map of the new, valid state."""
    client = app.server.test_client()
    key, outputs, spec = next(c for c in _callbacks(app) if c[0].startswith("..state.data"))
    values = {"state.data": {"projects": ["'; DROP"], "years": "x", "selected": ["1" * 5000]},
              "view.data": {"lang": "pl", "focus": "map-pl"}, "chip-keys.data": "not a list",
              "projects.value": ["P1"]}

    def entry(d):
        if d["id"].startswith("{"):
            return []
        return {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}

    body = {"output": key, "outputs": outputs, "inputs": [entry(d) for d in spec["inputs"]],
            "state": [entry(d) for d in spec["state"]], "changedPropIds": ["projects.value"]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    answer = r.get_json()["response"]
    assert answer["state"]["data"]["projects"] == ["P1"] and not answer["state"]["data"].get("selected")
    assert answer["map-changes"]["data"]["state"] == "p=P1" and answer["map-changes"]["data"]["classes"]


# --- the pure decisions ---------------------------------------------------------------------------------------
def test_year_bars_to_range():
    assert callbacks.years_from_bars([{"x": "2019", "curveNumber": 0}]) == ((2019, 2019), False)
    assert callbacks.years_from_bars([{"x": "1995", "curveNumber": 0}, {"x": "2001", "curveNumber": 0},
                                      {"x": "rok<br>nieznany", "curveNumber": 2}]) == ((1995, 2001), True)
    assert callbacks.years_from_bars([{"x": "anything", "curveNumber": 2}]) == (UNKNOWN_ONLY, True)
    # a line's point is its year's: a click on 1992's bar, one member high, hits the dated members' line over it
    assert callbacks.years_from_bars([{"x": "1992", "curveNumber": 4, "y": 10}]) == ((1992, 1992), False)
    assert callbacks.years_from_bars([{"x": "2019", "curveNumber": 1}]) == ((2019, 2019), False)   # the totals'
    assert callbacks.years_from_bars([{"curveNumber": 4}]) is None
    assert callbacks.years_from_bars([{"x": "20x9", "curveNumber": 0}]) is None


def test_next_state_from_clicks_and_controls(mini_atlas):
    known = {"P1", "P2", "P3"}
    s = FilterState()
    s = callbacks.next_state(s, "by-voivodeship", {"points": [{"customdata": "02"}]}, known)
    assert s.voivodeships == ("02",)
    # clicking the same single bar again clears it
    assert callbacks.next_state(s, "by-voivodeship", {"points": [{"customdata": "02"}]}, known).voivodeships == ()
    s = callbacks.next_state(s, "by-project", {"points": [{"customdata": "P9"}]}, known)  # unknown: ignored
    assert s.projects == ()
    s = callbacks.next_state(s, "growth", {"points": [{"x": "2019", "curveNumber": 0}]}, known)
    assert s.years == (2019, 2019) and s.include_unknown_year is False
    s = callbacks.next_state(s, "map.selectedData", {"points": [{"location": "0264011", "curveNumber": 0},
                                                                {"location": "02", "curveNumber": 1}]}, known)
    assert s.selected == ("0264011",)
    s = callbacks.next_state(s, "lang", "xx", known)
    assert s.lang == "pl"
    assert callbacks.next_state(s, "clear", 1, known) == FilterState()


def test_chips_and_their_removal(mini_atlas):
    s = FilterState(projects=("P1", "P2"), match="all", voivodeships=("02",), years=(1990, 2000),
                    include_unknown_year=False, selected=("0264011",), focus="1061011", lang="en",
                    evidence=("list", "weak"))
    chips = dict(layout.chips_for(mini_atlas, s))
    # the evidence levels decide who is a member (ev=weak left 13 of 178): a filter, shown and counted as one
    assert chips["evidence:"] == "Evidence of membership: ZMP's own list, weak hints"
    assert chips["project:P1"] == "Project: Town development"
    assert chips["years:"] == "Years 1990–2000"
    assert dict(layout.chips_for(mini_atlas, FilterState(years=(1990, 1990))))["years:"] == "Rok 1990"   # one year
    assert chips["town:"] == "Town: Łódź"
    assert set(chips) == {"project:P1", "project:P2", "match:all", "voivodeship:02", "years:", "unknown:",
                          "selected:", "town:", "evidence:"}
    for key in chips:
        after = callbacks.remove_chip(s, key)
        assert after != s and key not in dict(layout.chips_for(mini_atlas, after))
    assert layout.chips_for(mini_atlas, FilterState()) == []


def test_only_the_chip_slots_that_change_are_sent(mini_atlas):
    from dash import no_update

    from dashboard.view.layout import MAX_CHIPS

    def slots(state, before):
        out = callbacks.chip_outputs(mini_atlas, state, before)
        return out[3:3 + MAX_CHIPS], out[3 + MAX_CHIPS:]

    def chips(state):
        return layout.chips_for(mini_atlas, state)

    one = FilterState(voivodeships=("02",))
    children, hidden = slots(one, [])          # nothing shown before: one chip drawn, the empty pool untouched
    assert children[0] and hidden[0] is False and all(c is no_update for c in children[1:] + hidden[1:])
    three = FilterState(voivodeships=("12",), projects=("P1",), years=(1990, 2000))
    children, hidden = slots(one, chips(three))   # three shown before: the first one new, two slots emptied
    assert children[0] and children[1:3] == ["", ""] and hidden[:3] == [False, True, True]
    assert all(c is no_update for c in children[3:] + hidden[3:])
    # the same chips at another date (a step of the play): nothing sent, the live region is not read out again
    children, hidden = slots(one.replace(asof=2015), chips(one.replace(asof=2014)))
    assert all(c is no_update for c in children + hidden)
    children, hidden = slots(FilterState(voivodeships=("02",), years=(1995, 2000)),
                             chips(FilterState(voivodeships=("02",), years=(1990, 2000))))
    assert children[0] is no_update and children[1] and hidden[1] is False   # the years' chip says other years
    children, hidden = slots(FilterState(), None)   # a language change: every slot
    assert no_update not in children and no_update not in hidden


def test_controls_show_the_state(mini_atlas):
    c = callbacks.controls_for(mini_atlas, FilterState(years=(1985, 2019), include_unknown_year=False))
    assert c["years"] == [1990, 2019]  # clipped to the slider's known range
    assert c["unknown-year"] == []
    assert callbacks.controls_for(mini_atlas, FilterState(years=UNKNOWN_ONLY))["years"] == [1990, 2019]


def test_the_notice_names_the_controls_in_the_users_language():
    s = FilterState.from_query("woj=99&years=abc&zzz=1&lang=en")
    assert layout.notice_text(s) == ("The page address had invalid values – they were left out of: "
                                        "unknown parameters, Voivodeships, Join year.")
    assert "Województwa" in layout.notice_text(FilterState.from_query("woj=99"))
    # a selection with one unknown gmina keeps the others: the notice says what was left out, not "the default"
    partly = FilterState.from_query("sel=1261011,1261021", known_places={"1261011"})
    assert partly.selected == ("1261011",) and layout.notice_text(partly) == (
        "Adres strony zawierał nieprawidłowe wartości – pominięto je w ustawieniach: Zaznaczone gminy.")
    assert layout.notice_text(FilterState()) is None


# --- the controller over the real Dash dispatcher ---------------------------------------------------------------
def _controller_body(app, changed: str, values: dict, state: dict | None = None) -> dict:
    key, outputs, spec = next(c for c in _callbacks(app) if c[0].startswith("..state.data...url.search"))
    defaults = {"projects": [], "match": "any", "voivodeships": [], "years": [1990, 2019], "unknown-year": ["yes"],
                "metric": "projects", "lang": "pl", "town": None}
    inputs = [_dep(i, values.get(i["id"], defaults.get(i["id"]) if i["property"] == "value" else None))
              for i in spec["inputs"]]
    st = [{"id": s["id"], "property": s["property"],
           "value": (state or FilterState().to_dict()) if s["id"] == "state" else values.get(s["id"], [])}
          for s in spec["state"]]
    return {"output": key, "outputs": outputs, "inputs": inputs, "state": st, "changedPropIds": [changed]}


def test_a_filter_change_moves_only_the_controls_whose_value_changes(app):
    """Every control value sent back re-fires the callbacks listening to it (lang.value: the language texts, the
    export panel, the details): a filter change must answer only the store, the URL and what really moved."""
    client = app.server.test_client()
    body = _controller_body(app, "projects.value", {"projects": ["P2"]})
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    response = r.get_json()["response"]
    assert response["state"]["data"]["projects"] == ["P2"]
    assert response["url"]["search"] == "?p=P2"
    for control in ("lang", "metric", "match", "voivodeships", "years", "unknown-year", "town", "projects"):
        assert control not in response, f"{control}.value sent back although it did not change"
    # a chart click moves the control that shows it (the dropdown), and only that one
    body = _controller_body(app, "by-voivodeship.clickData",
                            {"by-voivodeship": {"points": [{"customdata": "02", "curveNumber": 0}]}})
    response = client.post("/_dash-update-component", data=json.dumps(body),
                           content_type="application/json").get_json()["response"]
    assert response["voivodeships"] == {"value": ["02"]}
    assert not {"lang", "metric", "match", "years", "unknown-year", "town", "projects"} & set(response)


@pytest.mark.parametrize("changed, values", [
    ("projects.value", {"projects": ["P99"]}), ("projects.value", {"projects": ["x"]}),
    ("town.value", {"town": "9999999"}), ("voivodeships.value", {"voivodeships": ["99"]}),
    ("map.selectedData", {"map": {"points": [{"location": "9999999"}]}})])
def test_a_value_no_control_offers_changes_nothing(app, changed, values):
    """A crafted request with project "P99" (or "x": a chip "Projekt: x"), town "9999999" or a selection of no
    gmina made it into the state and the address; the same values in an address are left out with a notice."""
    client = app.server.test_client()
    body = _controller_body(app, changed, values)
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code in (200, 204), r.data[:300]
    response = r.get_json()["response"] if r.status_code == 200 else {}
    state = response.get("state", {}).get("data") or FilterState().to_dict()
    assert FilterState.from_dict(state) == FilterState(), (changed, state)
    assert "search" not in response.get("url", {}) or response["url"]["search"] in ("", "?"), response["url"]


@pytest.mark.parametrize("changed, values, focus", [
    ("by-voivodeship.clickData", {"by-voivodeship": {"points": [{"customdata": "14", "curveNumber": 0}]},
                                  "town": "1261011"}, None),
    ("voivodeships.value", {"voivodeships": ["14"], "town": "1261011"}, None),
    ("voivodeships.value", {"voivodeships": ["12", "14"], "town": "1261011"}, "1261011"),
    ("projects.value", {"projects": ["P2"], "town": "1261011"}, "1261011")])
def test_a_found_town_the_new_voivodeships_leave_out_is_let_go(app, changed, values, focus):
    """Kraków found, then mazowieckie chosen: the map stayed zoomed on Kraków, grey and alone in an empty view.
    A town in the chosen voivodeships, or another filter, keeps it."""
    client = app.server.test_client()
    body = _controller_body(app, changed, values, state=FilterState(focus="1261011").to_dict())
    response = client.post("/_dash-update-component", data=json.dumps(body),
                           content_type="application/json").get_json()["response"]
    assert response["state"]["data"]["focus"] == focus
    if focus is None:
        assert response["town"] == {"value": None} and "town=" not in response["url"]["search"]


def test_changed_controls():
    wanted = {"years": [1990, 2019], "lang": "pl", "projects": ["P1"], "town": None}
    current = {"years": [1990.0, 2019], "lang": "pl", "projects": [], "town": None}
    out = callbacks.changed_controls(wanted, current)
    assert out["projects"] == ["P1"]
    assert all(out[c] is callbacks.no_update for c in ("years", "lang", "town"))
    assert callbacks.changed_controls({"unknown-year": []}, {"unknown-year": ["yes"]}) == {"unknown-year": []}
    assert callbacks.changed_controls({"metric": "projects"}, {"metric": True})["metric"] == "projects"


def test_a_crafted_trigger_naming_the_chip_keys_store_is_ignored(app):
    """The guard of dashboard.serving.guard rejects a trigger that is not an input; behind it, the controller itself
    must not fail on one either (it once parsed 'chip-keys' as a chip number)."""
    server = app.server
    endpoint = next(r.endpoint for r in server.url_map.iter_rules() if r.rule.endswith("_dash-update-component"))
    guarded = server.view_functions[endpoint]
    server.view_functions[endpoint] = guarded.__wrapped__  # Dash's own dispatcher, unguarded
    try:
        client = server.test_client()
        for trigger in ("chip-keys.data", "chip-.n_clicks", "chip-99.n_clicks", "chip-1x.n_clicks",
                        "chip-٣.n_clicks"):
            body = _controller_body(app, trigger, {"chip-keys": ["project:P1"]})
            r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            assert r.status_code in (200, 204), (trigger, r.status_code, r.data[:300])
    finally:
        server.view_functions[endpoint] = guarded
    assert callbacks.chip_slot("chip-3") == 3
    assert [callbacks.chip_slot(v) for v in ("chip-keys", "chip-", "chip-999", None, 3, "chip-٣")] == [None] * 6
