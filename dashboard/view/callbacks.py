"""Thin callbacks: Dash props -> FilterState -> Patch of the figures.

State flow (one direction, one source of truth):
  controls / chart clicks / bar-list buttons / map selection or tap / URL  --controller-->  dcc.Store "state"
                                                        (FilterState.to_dict()) + URL query + control values,
                        and in the same answer the state's views: the map (compact changes -> a Patch in the
                        browser: z, colours, selection, focus), chips, strip, coverage, the HTML legend, the
                        filter count;
  map painted --below-->  bars (Patch: y/x, selectedpoints), the chart summaries and bar lists, the table's rows
                        ("table-data", written into the <tbody> by assets/atlas.js), count, for the address's
                        view (= "state"): run each time the map has been painted with new values
                        (assets/atlas-below.js bumps "below-ready"), so they never delay the map's paint; a sort
                        ("table-sort", the header buttons) only re-sorts the rows;
  a full figure only when the language changes.
A page starts in its address's view (first_answer_props: the layout has what the first answer would set), so
that answer changes nothing but the address's canonical form.
Every value from the browser goes through FilterState.from_dict / from_query (lenient: never raises) or a
defensive parser below, so crafted requests get the default view, never a 500.
The decision logic lives in plain functions (next_state, chip_slot, ...) that the unit tests call directly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import dash
import numpy as np
from dash import ClientsideFunction, Input, Output, Patch, State, ctx, html, no_update

from dashboard.i18n import dropdown_labels, t
from dashboard.model import query
from dashboard.model.query import UNKNOWN_ONLY
from dashboard.model.state import EVIDENCE_DEFAULT, LANGS, FilterState
from dashboard.view import figures, layout
from dashboard.view import table as table_view
from dashboard.view.towns import search_towns, town_option

CHART_DIMENSIONS = {"growth": "years", "by-voivodeship": "voivodeships", "by-project": "projects"}


# --- pure helpers (unit-tested) ------------------------------------------------------------------------------
def _points(event: Any) -> list[dict]:
    if not isinstance(event, dict):
        return []
    pts = event.get("points")
    return [p for p in pts if isinstance(p, dict)] if isinstance(pts, list) else []


def years_from_bars(points: list[dict]) -> tuple[tuple[int, int] | None, bool] | None:
    """Growth-chart points -> (years, include_unknown). One or more years -> their range; the unknown bar ->
    unknown only (or added to the range). None when no valid point is in the points. A point of a line (1: the
    published totals, 4: the dated members) is its year's too: a click on a bar one member high hits the line
    drawn over it (1992's did nothing), as 3, a departures' bar, is its year's."""
    years, unknown = [], False
    for p in points:
        x = p.get("x")
        if p.get("curveNumber") == 2:  # the "year unknown" bar (its own panel)
            unknown = True
        elif isinstance(x, (str, int)) and str(x).isdigit() and len(str(x)) == 4:
            years.append(int(x))
    if years:
        return (min(years), max(years)), unknown
    if unknown:
        return UNKNOWN_ONLY, True
    return None


def codes_from_bars(points: list[dict]) -> list[str]:
    return [str(p["customdata"]) for p in points if isinstance(p.get("customdata"), (str, int))]


def selection_from_map(event: Any) -> tuple[str, ...]:
    """Box/lasso selection on the map -> TERYT codes of the gminy trace (trace 0)."""
    return tuple(sorted({str(p["location"]) for p in _points(event)
                         if p.get("curveNumber", 0) == 0 and isinstance(p.get("location"), str)}))


def clicked_gmina(event: Any) -> str | None:
    """A click or tap on the map -> the TERYT of the gmina (trace 0), or None."""
    return next((p["location"] for p in _points(event) if p.get("curveNumber", 0) == 0
                 and isinstance(p.get("location"), str)), None)


def pick_points(chart: str, key: Any) -> dict | None:
    """A button of a chart's list -> the click event of its bar (the same state change as a click on the bar)."""
    if not isinstance(key, str):
        return None
    if chart == "growth":
        if key == "unknown":
            return {"points": [{"curveNumber": 2, "x": "?"}]}
        return {"points": [{"curveNumber": 0, "x": key}]} if key.isdigit() and len(key) == 4 else None
    if chart in ("by-voivodeship", "by-project"):
        return {"points": [{"curveNumber": 0, "customdata": key}]}
    return None


def picked_state(old: FilterState, pick: Any, known_projects: set[str]) -> FilterState | None:
    """A press of a button of a chart's list ({chart, key, n}, assets/atlas.js) -> the state after a click on its
    bar; None for anything else."""
    chart = pick.get("chart") if isinstance(pick, dict) else None
    if not isinstance(chart, str) or chart not in CHART_DIMENSIONS:
        return None
    points = pick_points(chart, pick.get("key"))
    return None if points is None else next_state(old, chart, points, known_projects)


def town_in_view(old: FilterState, new: FilterState) -> FilterState:
    """`new`, without its found town when newly chosen voivodeships leave it out: the map stayed zoomed on a town
    the filter hides (an empty, uncoloured view around its outline)."""
    chosen = new.voivodeships != old.voivodeships and new.voivodeships
    return new.replace(focus=None) if chosen and new.focus and new.focus[:2] not in new.voivodeships else new


def next_sort(current: Any, column: str) -> list[dict]:
    """A click on a column header: unsorted -> ascending -> descending -> unsorted (one column at a time)."""
    if column not in table_view.TABLE_COLUMNS:
        return table_view.sort_spec(current)
    now = layout.sort_state(current).get(column)
    direction = {None: "asc", "asc": "desc", "desc": None}[now]
    return [{"column_id": column, "direction": direction}] if direction else []


def embed_code(search: str, lang: str) -> str:
    """The <iframe> snippet of the view; without ATLAS_PUBLIC_URL its address is a path, completed in the browser
    with the page's origin: never the host of the request, which a cached answer would give to every host."""
    return layout.embed_snippet(layout.embed_base(), search, lang)


def _toggle(current: tuple, chosen: list) -> list:
    """Clicking exactly the current single choice again clears it."""
    return [] if list(current) == list(chosen) else chosen


def next_state(old: FilterState, trigger: Any, value: Any, known_projects: set[str]) -> FilterState:
    """The state after one user action. `trigger` is the id of what fired, `value` its new value."""
    if trigger == "clear":
        return old.cleared()
    if trigger == "projects":
        return old.replace(projects=value or [])
    if trigger == "match":
        return old.replace(match=value)
    if trigger == "voivodeships":
        return old.replace(voivodeships=value or [])
    if trigger == "metric":
        return old.replace(metric=value)
    if trigger == "lang":
        return old.replace(lang=value)
    if trigger == "town":
        return old.replace(focus=value or None)
    if trigger == "unknown-year":
        return old.replace(include_unknown_year=isinstance(value, list) and "yes" in value)
    if trigger == "years":
        return old.replace(years=value)  # the caller turns the full slider range into None
    if trigger == "asof":
        return old.replace(asof=value)
    if trigger == "evidence":
        return old.replace(evidence=value if isinstance(value, list) else [])
    if trigger == "map.selectedData":
        return old.replace(selected=list(selection_from_map(value)))
    if trigger == "growth":
        parsed = years_from_bars(_points(value))
        if parsed is None:
            return old
        years, unknown = parsed
        if old.years == years and old.include_unknown_year == unknown:
            return old.replace(years=None, include_unknown_year=True)
        # joins after the map's date: the map moves to the picked years' end, or they could show no one
        return old.replace(years=list(years), include_unknown_year=unknown, asof=max(old.asof, years[1]))
    if trigger == "by-voivodeship":
        codes = codes_from_bars(_points(value))
        return old.replace(voivodeships=_toggle(old.voivodeships, codes)) if codes else old
    if trigger == "by-project":
        ids = [c for c in codes_from_bars(_points(value)) if c in known_projects]
        return old.replace(projects=_toggle(old.projects, ids)) if ids else old
    return old


def remove_chip(state: FilterState, key: str) -> FilterState:
    kind, _, value = key.partition(":")
    if kind == "project":
        return state.replace(projects=[p for p in state.projects if p != value])
    if kind == "voivodeship":
        return state.replace(voivodeships=[v for v in state.voivodeships if v != value])
    if kind == "years":
        return state.replace(years=None, include_unknown_year=True)
    if kind == "unknown":
        return state.replace(include_unknown_year=True)
    if kind == "selected":
        return state.replace(selected=[])
    if kind == "town":
        return state.replace(focus=None)
    if kind == "match":
        return state.replace(match="any")
    if kind == "evidence":
        return state.replace(evidence=EVIDENCE_DEFAULT)
    return state


def chip_slot(trigger: Any) -> int | None:
    """The slot number of a chip button id ("chip-3" -> 3); None for anything else (e.g. "chip-keys")."""
    if not isinstance(trigger, str):
        return None
    m = re.fullmatch(r"chip-([0-9]{1,3})", trigger)
    return int(m.group(1)) if m and int(m.group(1)) < layout.MAX_CHIPS else None


def changed_controls(wanted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`wanted` control values, with no_update for each control that already shows its value."""
    return {c: (no_update if c in current and _same(current[c], v) else v) for c, v in wanted.items()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                             and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def controls_for(atlas: Any, state: FilterState) -> dict[str, Any]:
    """Control values that show `state`."""
    lo, hi = layout.year_bounds(atlas)
    if state.years is None or state.years == UNKNOWN_ONLY:
        years = [lo, hi]
    else:
        years = [max(lo, min(state.years[0], hi)), min(hi, max(state.years[1], lo))]
    return {
        "projects": list(state.projects), "match": state.match, "voivodeships": list(state.voivodeships),
        "years": years, "unknown-year": ["yes"] if state.include_unknown_year else [],
        "metric": state.metric, "lang": state.lang, "town": state.focus,
        "asof": query.asof_year(atlas, state), "evidence": list(state.evidence),
    }


# --- registration ------------------------------------------------------------------------------------------
CONTROL_IDS = ("projects", "match", "voivodeships", "years", "unknown-year", "metric", "lang", "town", "asof",
               "evidence")


def register(app: dash.Dash, atlas: Any, urls: Any) -> None:
    """Every callback of the page, over one atlas (urls: where the geometry is served)."""
    known_projects = set(query.derived(atlas).project_ids)
    _register_controller(app, atlas, known_projects, urls)
    _register_table(app, atlas, known_projects)
    _register_details_and_search(app, atlas)
    _register_language(app, atlas)
    _register_play(app, atlas)


def _register_controller(app: dash.Dash, atlas: Any, known_projects: set[str], urls: Any) -> None:
    """Controls, chart clicks, map selection, chips and the address -> the one FilterState (+ URL, controls) and,
    in the same answer, the views of the new state (the map's changes, chips, key figures): one round trip per
    action, not one for the state and one more for its views."""
    years = layout.year_bounds(atlas)

    @app.callback(
        Output("state", "data"), Output("url", "search"), Output("notice", "children"),
        Output("notice", "hidden"),
        *[Output(c, "value") for c in CONTROL_IDS],
        # the found town must be among the dropdown's options in the same update, or the dropdown drops it
        Output("town", "options", allow_duplicate=True), Output("embed-snippet", "data"),
        *VIEW_OUTPUTS,
        Input("url", "search"), Input("clear", "n_clicks"),
        *[Input(c, "value") for c in CONTROL_IDS],
        Input("map", "selectedData"), Input("map", "clickData"),
        Input("pick", "data"),
        Input("growth", "clickData"), Input("growth", "selectedData"),
        Input("by-voivodeship", "clickData"), Input("by-voivodeship", "selectedData"),
        Input("by-project", "clickData"), Input("by-project", "selectedData"),
        *[Input(f"chip-{i}", "n_clicks") for i in range(layout.MAX_CHIPS)],
        State("chip-keys", "data"), State("view", "data"), State("state", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def controller(search, *args):
        old = FilterState.from_dict(args[-1], known_projects=known_projects)
        old = FilterState.from_dict(old.to_dict())  # drop notices of the stored state
        chip_keys = args[-3] if isinstance(args[-3], list) else []
        event = fired_event(ctx.triggered or [], ctx.triggered_id)
        # a click on the map drawn before the page had started fires with the page's first call (the address)
        with_click = any(t.get("prop_id") == "map.clickData" for t in ctx.triggered or ())
        map_click = args[2 + len(CONTROL_IDS)] if with_click else None
        new = state_after(atlas, old, event, search, chip_keys, known_projects, years, map_click)
        if new is None:
            return _NOTHING
        new = new if event.from_url else town_in_view(old, new)
        controls_now = dict(zip(CONTROL_IDS, args[1:1 + len(CONTROL_IDS)]))
        view = args[-2] if isinstance(args[-2], dict) else {}
        out = _controller_outputs(atlas, old, new, event, search, controls_now)
        if out[0] is no_update:   # the state did not change: nor do its views
            return (*out, *_NO_VIEWS)
        return (*out, *view_outputs(atlas, urls, new, view, chip_keys, map_click=event.map_click, old=old))

    # the map's compact changes -> a Patch of its figure, in the browser (assets/atlas.js mapPatch)
    app.clientside_callback(ClientsideFunction("atlas", "mapPatch"), Output("map", "figure", allow_duplicate=True),
                            Input("map-changes", "data"), State("map", "figure"), prevent_initial_call=True)


# the views of a state: the map (the full figure on a language change, else its compact changes), its view, the
# chips, the key figures, the coverage note, the HTML legend and the filter count
VIEW_OUTPUTS = (
    # the figure and its config (the toolbar's language) of a new language come together: as two answers, the
    # toolbar kept the old language when the figure came first
    Output("map", "figure"), Output("map", "config"), Output("map-changes", "data"), Output("view", "data"),
    Output("i18n-map_empty", "hidden"), Output("i18n-map_no_list", "hidden"),
    Output("chip-keys", "data"), Output("chips-none", "hidden"), Output("chips-none", "children"),
    *[Output(f"chip-{i}", "children") for i in range(layout.MAX_CHIPS)],
    *[Output(f"chip-{i}", "hidden") for i in range(layout.MAX_CHIPS)],
    Output("strip", "children"), Output("strip-members", "children"), Output("strip-participants", "children"),
    Output("coverage", "children"), Output("legend", "children"), Output("filters-count", "children"),
    Output("years-note", "children"), Output("years-note", "hidden"),
)
_NO_VIEWS = (no_update,) * len(VIEW_OUTPUTS)
# the controller's outputs when an event changes nothing
_NOTHING = (no_update,) * (6 + len(CONTROL_IDS) + len(VIEW_OUTPUTS))


def fired_event(triggered: list[dict], triggered_id: Any) -> "Event":
    """What fired the controller. A click on a bar comes with plotly's selection of that bar (its echo): the click
    decides — a second click on the chosen bar deselects it, and that empty selection, read first, left the filter
    on (the bar took two clicks to clear)."""
    bar_clicks = {f"{chart}.clickData" for chart in CHART_DIMENSIONS}
    clicks = [f for f in triggered if f.get("prop_id") in bar_clicks]
    if clicks:
        return Event(clicks[0]["prop_id"].split(".")[0], clicks[0]["prop_id"], clicks[0].get("value"))
    fired = triggered[0] if triggered else {}
    return Event(triggered_id, str(fired.get("prop_id", "")), fired.get("value"))


@dataclass(frozen=True)
class Event:
    """What fired a callback: the input's id, its "id.prop", its new value."""

    trigger: Any
    prop: str
    value: Any

    @property
    def from_url(self) -> bool:
        return self.trigger in (None, "url")

    @property
    def map_click(self) -> bool:
        return self.trigger == "map" and self.prop.endswith(".clickData")


def years_value(value: Any, year_lo: int, year_hi: int) -> Any:
    """The year slider's value for next_state: None for the full slider (no year filter), "invalid" for junk."""
    v = value if isinstance(value, list) and len(value) == 2 else None
    numeric = v is not None and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
    if numeric and [int(v[0]), int(v[1])] == [year_lo, year_hi]:
        return None
    if v is not None:
        try:
            return [int(v[0]), int(v[1])]
        except (TypeError, ValueError):
            return "invalid"
    return v


def state_after(atlas: Any, old: FilterState, event: Event, search: Any, chip_keys: list, known_projects: set[str],
                years: tuple[int, int], map_click: Any = None) -> FilterState | None:
    """The state after `event`; None when the event changes nothing (a stale chip, a click beside the gminy, ...).
    `map_click`: the map's clickData when it fired with the address (a click on the map drawn before the page had
    started comes with the page's first call: assets/atlas-map.js). A value no control offers (a crafted request:
    project "P99", town "9999999", a selection of no gmina) is left out, as from an address."""
    new = _next_view(atlas, old, event, search, chip_keys, known_projects, years, map_click)
    if new is None or event.from_url:   # an address is checked by query.address_view, with its notice
        return new
    return FilterState.from_dict(new.to_dict(), known_projects=known_projects, known_places=query.known_places(atlas))


def _next_view(atlas: Any, old: FilterState, event: Event, search: Any, chip_keys: list, known_projects: set[str],
               years: tuple[int, int], map_click: Any) -> FilterState | None:
    trig, value = event.trigger, event.value
    if event.from_url:
        state = query.address_view(atlas, search)
        terc = clicked_gmina(map_click)
        return state.replace(focus=terc) if terc in query.derived(atlas).gmina_pos else state
    if isinstance(trig, str) and trig.startswith("chip-"):
        slot = chip_slot(trig)
        if slot is None or not value or slot >= len(chip_keys) or not isinstance(chip_keys[slot], str):
            return None
        return remove_chip(old, chip_keys[slot])
    if event.map_click:
        # a click or tap on a gmina: its details, and the gmina in the address (town=) like a found town
        terc = clicked_gmina(value)
        if terc is None or terc not in query.derived(atlas).gmina_pos:
            return None
        return old.replace(focus=terc)
    if trig == "map":
        return next_state(old, "map.selectedData", value, known_projects)
    if trig == "pick":
        return picked_state(old, value, known_projects)
    if trig in CHART_DIMENSIONS and value is None:  # a cleared selection on a bar chart: keep the filter (chips)
        return None
    if trig == "years":
        value = years_value(value, *years)
    return next_state(old, trig, value, known_projects)


def _controller_outputs(atlas: Any, old: FilterState, new: FilterState, event: Event, search: Any,
                        controls_now: dict[str, Any]) -> tuple:
    """The state, the address, the notice, the controls, the town's option and the embed snippet of `new`."""
    query_string = new.to_query()
    search_out = ("?" + query_string) if query_string else ""
    nothing = (no_update,) * (5 + len(CONTROL_IDS))
    if new == old:
        # nothing changed (the first load: the page starts in its view): no redraw at all; on a page load the
        # address gets its canonical form (an old link's years=1900-1900 is years=unknown), a tampered one its
        # notice (the page has it already: first_answer_props), and the embed snippet this server's address
        if not event.from_url:
            return (*nothing, no_update)
        canonical = search_out if (search or "") != search_out else no_update
        notice = layout.notice_text(new)
        shown = (notice, False) if notice else (no_update, no_update)
        return (no_update, canonical, *shown, *nothing[4:], embed_code(search_out, new.lang))
    code = embed_code(search_out, new.lang)
    if (search or "") == search_out:
        search_out = no_update
    # only the controls that must move: an unchanged value would re-fire every callback listening to it
    # (the language texts and the export panel on lang.value, ...)
    controls = changed_controls(controls_for(atlas, new), controls_now)
    # the notice about the address goes away once the user has moved on
    notice = layout.notice_text(new) if event.from_url else None
    town_options = [town_option(atlas, new.focus, new.lang)] if new.focus and event.trigger != "town" else no_update
    return (new.to_dict(), search_out, notice, notice is None, *[controls[c] for c in CONTROL_IDS], town_options,
            code)


def view_outputs(atlas: Any, urls: Any, state: FilterState, view: dict, chip_keys: Any, map_click: bool,
                 old: FilterState | None = None) -> tuple:
    """VIEW_OUTPUTS for a new state (`old`: the one shown until now). `view`: what the map shows now ({lang, focus,
    sel}); a gmina clicked on the map is not zoomed to (the reader is looking at it already)."""
    relabel = view.get("lang") != state.lang   # a new language: the whole strip, else its two figures
    strip = (layout.strip(atlas, state.lang, state), no_update, no_update) if relabel else (
        no_update, *layout.strip_numbers(atlas, state))
    shown = layout.chips_for(atlas, old) if old is not None and not relabel else None
    if shown is not None and [key for key, _ in shown] != chip_keys:   # the page shows other chips: every slot
        shown = None
    chips = [*chip_outputs(atlas, state, shown), *strip, layout.coverage_note(atlas, state),
             *text_outputs(atlas, state)]
    unlisted = query.unlisted_only(atlas, state)   # its own notice: the data hold no list, not "no city"
    empty = (bool(query.count_in_view(atlas, state)) or unlisted, not unlisted)   # (the notices' hidden)
    new_view = layout.shown_view(state)
    if relabel:  # language change: the full figure (labels, hover); the legend is HTML
        return (*layout.live_map(atlas, state, urls), no_update, new_view, *empty, *chips)
    zoom = view.get("focus") != new_view["focus"] and not map_click
    changes = map_changes(atlas, state, zoom=zoom, clear_selection=bool(view.get("sel")))
    return (no_update, no_update, changes, new_view if new_view != view else no_update, *empty, *chips)


def first_answer_props(atlas: Any, urls: Any, view: FilterState) -> dict[tuple[str, str], Any]:
    """What the page's first answer would set on the layout of `view`'s language (built for the default view):
    the controls, the stores, the map's figure, chips, key figures, legend, details and the charts' texts of `view`, as
    {(id, prop): value}. The layout of a filtered address comes with them (dashboard.app), so that answer changes
    nothing: the early map is not patched and drawn again, the charts are not asked for a second time."""
    default = layout.shown_view(FilterState(lang=view.lang))
    outputs = view_outputs(atlas, urls, view, default, chip_keys=[], map_click=False, old=FilterState(lang=view.lang))
    props = dict(zip(((o.component_id, o.component_property) for o in VIEW_OUTPUTS), outputs))
    props[("map", "figure")] = layout.live_map(atlas, view, urls)[0].to_dict()
    props[("map-changes", "data")] = no_update   # the figure is the view's already
    props[("state", "data")] = view.to_dict()
    props.update({(c, "value"): v for c, v in controls_for(atlas, view).items()})
    # the charts' text alternatives too (the charts come after the map, for the view): not all Poland's meanwhile
    texts = chart_texts(atlas, view)
    props.update({(f"{g}-summary", "children"): text for g, text in zip(layout.PICK_CHARTS, texts)})
    props[("bar-lists", "data")] = texts[-1]
    notice = layout.notice_text(view)
    if notice:   # a tampered address: what was wrong with it, from the start
        props[("notice", "children")], props[("notice", "hidden")] = notice, False
    if view.focus:
        props[("town", "options")] = [town_option(atlas, view.focus, view.lang)]
        props[("details", "children")] = layout.details_panel(atlas, view.focus, view.lang, view)
    return {key: value for key, value in props.items() if value is not no_update}


def _register_table(app: dash.Dash, atlas: Any, known_projects: set[str]) -> None:
    """FilterState (+ the table's sort) -> the charts and the table below the map (after the map is drawn), and the
    CSV of exactly the table's rows."""
    _register_below(app, atlas)
    # the rows into the <tbody>: a DOM write in the browser (assets/atlas.js), not thousands of Dash components
    app.clientside_callback(ClientsideFunction("atlas", "renderTable"), Output("table-rendered", "data"),
                            Input("table-data", "data"))
    _register_sort(app)
    _register_download(app, atlas, known_projects)
    app.clientside_callback(ClientsideFunction("atlas", "barLists"), Input("bar-lists", "data"))
    app.clientside_callback(ClientsideFunction("atlas", "absoluteEmbed"), Output("embed-code", "value"),
                            Input("embed-snippet", "data"))
    app.clientside_callback(ClientsideFunction("atlas", "cardBasis"), Output("card-basis", "data"),
                            Input("state", "data"))


def _register_below(app: dash.Dash, atlas: Any) -> None:
    @app.callback(
        Output("growth", "figure"), Output("by-voivodeship", "figure"), Output("by-project", "figure"),
        Output("table-data", "data"), Output("table-count", "children"), Output("below-view", "data"),
        *[Output(f"{g}-summary", "children") for g in layout.PICK_CHARTS], Output("bar-lists", "data"),
        Input("below-ready", "data"), Input("table-sort", "data"), State("url", "search"),
        State("below-view", "data"),
        prevent_initial_call=True,  # filled once the map is drawn ("below-ready"), see layout.build_layout
    )
    def below(ready, sort_by, search, drawn):
        """The charts and the table below the map, for the current filters, each time the map has been painted
        with new values (assets/atlas-below.js bumps "below-ready"): so they never delay the map's paint. Full
        figures the first time (and on a language change), Patches after; a new sort order only re-sorts the
        table. The filters are the address's: the same as the "state" store's after every answer, and already
        right before the page's first answer, when the early map (the address's view) is painted and a layout
        asked for without its Referer still holds the default view (the charts were drawn for it first)."""
        no_texts = (no_update,) * (len(layout.PICK_CHARTS) + 1)
        if not ready:
            return (no_update,) * 6 + no_texts
        state = query.address_view(atlas, search)
        records = table_view.table_records(atlas, state, table_view.sort_spec(sort_by))
        table_out = (layout.table_rows(records), f" ({len(records)})")
        if ctx.triggered_id == "table-sort" and drawn == state.lang:
            return (no_update, no_update, no_update, *table_out, no_update, *no_texts)
        updates = layout.chart_updates(atlas, state)
        texts = chart_texts(atlas, state, updates)
        if drawn != state.lang:
            return (figures.growth_figure(atlas, state), figures.voivodeship_figure(atlas, state),
                    figures.project_figure(atlas, state), *table_out, state.lang, *texts)
        return (growth_patch(updates["growth"]), bar_patch(updates["by-voivodeship"]),
                bar_patch(updates["by-project"]), *table_out, no_update, *texts)


def _register_sort(app: dash.Dash) -> None:
    @app.callback(
        Output("table-sort", "data"),
        *[Output(f"th-{c}", "aria-sort") for c in table_view.TABLE_COLUMNS],
        *[Output(f"sort-{c}-icon", "children") for c in table_view.TABLE_COLUMNS],
        *[Input(f"sort-{c}", "n_clicks") for c in table_view.TABLE_COLUMNS],
        State("table-sort", "data"),
        prevent_initial_call=True,
    )
    def sort_table(*args):
        trig = ctx.triggered_id
        column = trig[5:] if isinstance(trig, str) and trig.startswith("sort-") else ""
        sort_by = next_sort(args[-1], column)
        now = layout.sort_state(sort_by)
        return (sort_by, *[layout.ARIA_SORT[now[c]] for c in table_view.TABLE_COLUMNS],
                *[layout.SORT_ICONS[now[c]] for c in table_view.TABLE_COLUMNS])


def _register_download(app: dash.Dash, atlas: Any, known_projects: set[str]) -> None:
    @app.callback(
        Output("csv-download", "data"),
        Input("csv-button", "n_clicks"), Input("xlsx-button", "n_clicks"), State("state", "data"),
        State("table-sort", "data"),
        prevent_initial_call=True,
    )
    def download(n_csv, n_xlsx, state_data, sort_by):
        if not (n_csv or n_xlsx):
            return no_update
        from dashboard.view.table import table_download

        state = FilterState.from_dict(state_data, known_projects=known_projects)
        frame = table_view.table_frame(atlas, state, table_view.sort_spec(sort_by))
        headers = {c["id"]: c["name"] for c in table_view.table_columns(state.lang)}
        return table_download(frame, state, "xlsx" if ctx.triggered_id == "xlsx-button" else "csv", headers,
                              layout.download_notes(atlas, state, len(frame)))


def _register_details_and_search(app: dash.Dash, atlas: Any) -> None:
    """The details panel (a clicked or found gmina) and the town search's options."""

    @app.callback(
        Output("details", "children"),
        # the found town and the language (the controller moves these controls only when they change), and the
        # year and evidence levels when an open card was drawn for others (card-basis), not the whole state: any
        # other filter change does not re-draw the panel
        Input("map", "clickData"), Input("town", "value"), Input("lang", "value"), Input("card-basis", "data"),
        State("state", "data"),
        prevent_initial_call=True,
    )
    def details(click, town, lang, _basis, state_data):
        stored = FilterState.from_dict(state_data, known_projects=query.derived(atlas).project_ids)
        state = stored.replace(focus=town, lang=lang)
        click_terc = next((p.get("location") for p in _points(click) if p.get("curveNumber", 0) == 0
                           and isinstance(p.get("location"), str)), None)
        # a click shows the clicked gmina; a new search result (focus) shows the found one
        terc = (click_terc or state.focus) if ctx.triggered_id == "map" else (state.focus or click_terc)
        return layout.details_panel(atlas, terc, state.lang, state)

    @app.callback(
        Output("town", "options"),
        Input("town", "search_value"), State("town", "value"), State("lang", "value"),
        prevent_initial_call=True,
    )
    def town_options(search, value, lang):
        lang = lang if lang in LANGS else "pl"
        options = search_towns(atlas, search if isinstance(search, str) else None, lang)
        known = isinstance(value, str) and value in query.derived(atlas).gmina_pos
        if known and all(o["value"] != value for o in options):
            options.append(town_option(atlas, value, lang))
        return options if options or search else no_update


def _register_language(app: dash.Dash, atlas: Any) -> None:
    """The language toggle -> every text of the page (layout.I18N_KEYS), option lists, strip, table columns (the
    map's figure and toolbar come with the controller's answer: VIEW_OUTPUTS)."""

    @app.callback(
        *[Output(f"i18n-{key}", "children") for key in layout.I18N_KEYS],
        Output("projects", "options"), Output("match", "options"), Output("metric", "options"),
        Output("unknown-year", "options"), Output("projects", "placeholder"),
        Output("voivodeships", "placeholder"), Output("town", "placeholder"),
        Output("evidence", "options"), Output("asof-play", "children"),
        *[Output(d, "labels") for d in layout.DROPDOWNS],
        *[Output(f"{g}-list-summary", "children") for g in layout.PICK_CHARTS],
        Input("lang", "value"),
        prevent_initial_call=True,
    )
    def lang_texts(lang):
        lang = lang if lang in LANGS else "pl"
        labels = dropdown_labels(lang)
        return (*[t(k, lang) for k in layout.I18N_KEYS], layout.project_options(atlas, lang),
                layout.match_options(lang), layout.metric_options(lang), layout.unknown_options(lang),
                t("projects_placeholder", lang), t("voivodeships_placeholder", lang), t("town_placeholder", lang),
                layout.evidence_options(lang), layout.play_label(False, lang),
                *[labels for _ in layout.DROPDOWNS], *[t("chart_list", lang) for _ in layout.PICK_CHARTS])



def _register_play(app: dash.Dash, atlas: Any) -> None:
    """The "as of" play button: a dcc.Interval steps the year slider; the controller turns each step into a
    state and the views into a Patch."""

    @app.callback(
        Output("asof-tick", "disabled"), Output("asof-play", "children", allow_duplicate=True),
        Output("asof-play", "data-playing"), Output("asof", "value", allow_duplicate=True),
        Input("asof-play", "n_clicks"), State("asof-tick", "disabled"), State("asof", "value"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def play(n_clicks, stopped, year, lang):
        """Start (from the first year when at the last) or pause stepping through the years."""
        lang = lang if lang in ("pl", "en") else "pl"
        if not n_clicks:
            return no_update, no_update, no_update, no_update
        if stopped:
            lo, hi = layout.asof_bounds(atlas)
            start = lo if not isinstance(year, int) or year >= hi else no_update
            return False, layout.play_label(True, lang), "true", start
        return True, layout.play_label(False, lang), "false", no_update

    @app.callback(
        Output("asof", "value", allow_duplicate=True), Output("asof-tick", "disabled", allow_duplicate=True),
        Output("asof-play", "children", allow_duplicate=True),
        Output("asof-play", "data-playing", allow_duplicate=True),
        Input("asof-tick", "n_intervals"), State("asof", "value"), State("lang", "value"),
        prevent_initial_call=True,
    )
    def tick(_n, year, lang):
        """One step of the play button: the next year (each step redraws the map as a Patch); stop at the last."""
        lang = lang if lang in ("pl", "en") else "pl"
        lo, hi = layout.asof_bounds(atlas)
        year = year if isinstance(year, int) and lo <= year <= hi else lo
        if year >= hi:
            return no_update, True, layout.play_label(False, lang), "false"
        return year + 1, year + 1 >= hi, (layout.play_label(False, lang) if year + 1 >= hi else no_update), \
            ("false" if year + 1 >= hi else no_update)


def chip_outputs(atlas: Any, state: FilterState, before: Sequence[tuple[str, str]] | None = None) -> list:
    """chip-keys, chips-none hidden/text, then children and hidden of every chip slot. `before`: the chips shown
    before (None: unknown, e.g. a new language: every slot). A slot that shows the same chip as before, or was
    empty and stays so, is left alone (no_update): the chips are a live region, and a chip sent again was read out
    again (its "(Usuń filtr)" on every step of the play)."""
    chips = layout.chips_for(atlas, state)[:layout.MAX_CHIPS]
    before = list(before)[:layout.MAX_CHIPS] if before is not None else [("", "")] * layout.MAX_CHIPS
    remove = t("remove_filter", state.lang)
    children: list = [no_update if i < len(before) and before[i] == chip else
                      [chip[1], html.Span(f" ({remove})", className="sr-only"),
                       html.Span("×", className="chip-x", **{"aria-hidden": "true"})] for i, chip in enumerate(chips)]
    hidden: list = [no_update if child is no_update else False for child in children]
    touched = max(len(chips), len(before))
    children += [""] * (touched - len(chips)) + [no_update] * (layout.MAX_CHIPS - touched)
    hidden += [True] * (touched - len(chips)) + [no_update] * (layout.MAX_CHIPS - touched)
    return [[key for key, _ in chips], bool(chips), t("no_filters", state.lang), *children, *hidden]


def text_outputs(atlas: Any, state: FilterState) -> list:
    """The render's HTML outputs besides the chips: the map's legend (with the undated note), the filter count and
    the join year's note (the slider cannot show "unknown year only": a full range looked like no filter)."""
    n = len(layout.chips_for(atlas, state))
    return [layout.legend(figures.map_update(atlas, state)), t("filters_on", state.lang, n=n),
            t("years_unknown_only", state.lang), not state.is_unknown_only]


def chart_texts(atlas: Any, state: FilterState, updates: dict[str, Any] | None = None) -> list:
    """The charts' text alternatives (drawn with the charts, by "below"): the summaries, then the bars' buttons
    (layout.bar_lists)."""
    updates = updates or layout.chart_updates(atlas, state)
    summaries = layout.chart_summaries(atlas, state, updates)
    return [*[summaries[g] for g in layout.PICK_CHARTS], layout.bar_lists(atlas, state, updates)]


def map_changes(atlas: Any, state: FilterState, zoom: bool, clear_selection: bool = True) -> dict[str, Any]:
    """What the filters change on the live map (no colorbar: its legend is HTML), compact: the gminy of each class,
    of the undated veil and of the focus outline by position (the figure's locations are in atlas.gminy order), the
    colours, the selection (and the view on a new focus). assets/atlas.js mapPatch makes the Patch: 2,477 class
    numbers were 3.3 KB of every answer, the positions of the coloured gminy are a few hundred bytes."""
    upd = figures.map_update(atlas, state)
    pos = query.derived(atlas).gmina_pos
    z = np.asarray(upd["z"])
    changes = {
        "classes": {str(c): np.flatnonzero(z == c).tolist() for c in np.unique(z) if c},
        "zmax": upd["zmax"], "colorscale": upd["colorscale"], "selectedpoints": upd["selectedpoints"],
        "undated": [pos[terc] for terc in upd["undated"]], "focus": [pos[terc] for terc in upd["focus"]],
        # remove the drawn box/lasso only when the selection was cleared (chip, clear all): clearing it when
        # nothing was selected makes plotly announce a de-selection, i.e. one more useless controller round trip
        "clear_selection": not state.selected and clear_selection,
        # the state's address: a new value for every new state, so the browser always redraws after it
        "state": state.to_query(),
    }
    if zoom:
        view = figures.map_view_update(atlas, state)
        changes["view"] = {k: view[k] for k in ("center", "scale", "uirevision")}
    return changes


def growth_patch(upd: dict[str, Any]) -> Patch:
    p = Patch()
    p["data"][0]["y"] = upd["y"]
    p["data"][0]["customdata"] = upd["dated"]
    p["data"][0]["selectedpoints"] = upd["selectedpoints"]
    p["data"][2]["y"] = upd["unknown_y"]
    p["data"][2]["selectedpoints"] = upd["unknown_selectedpoints"]
    p["data"][3]["y"] = upd["down"]
    p["data"][3]["customdata"] = upd["left"]
    p["data"][4]["y"] = upd["dated"]
    p["layout"]["yaxis"]["range"] = upd["yaxis"]["range"]
    p["layout"]["yaxis"]["dtick"] = upd["yaxis"]["dtick"]
    p["layout"]["yaxis2"]["range"][0] = -upd["below"] * upd["totals_step"]
    return p


def bar_patch(upd: dict[str, Any]) -> Patch:
    p = Patch()
    for key, value in upd.items():
        p["data"][0][key] = value
    return p


def register_embed(app: dash.Dash, atlas: Any, urls: Any, main_path: str) -> None:
    """/embed: the view of the query (same parameters as the main page) and a tap or click -> details."""
    @app.callback(
        Output("map", "figure"), Output("map", "config"), Output("legend", "children"), Output("legend", "aria-label"),
        Output("embed-title", "children"), Output("embed-open", "href"), Output("embed-open", "children"),
        Output("embed-source", "children"), Output("embed", "lang"), Output("details", "children"),
        Output("embed-view", "children"), Output("embed-view", "title"),
        Input("url", "search"),
    )
    def embed_view(search):
        state = query.address_view(atlas, search)   # (a tampered address's notice is in the page's layout)
        lang = state.lang
        fig, config = layout.live_map(atlas, state, urls, article=True)
        query_string = state.to_query()
        href = main_path + (("?" + query_string) if query_string else "")
        card = layout.details_panel(atlas, state.focus, lang, state, level=2) if state.focus else []
        if not search:  # the layout is the default view already: do not draw the map twice
            fig = no_update
        filters = layout.embed_filters(atlas, state)
        return (fig, config, layout.legend(figures.map_update(atlas, state)),
                t("legend_heading", lang), layout.embed_title(state), href, t("embed_open", lang),
                t("export_source", lang), lang, card, filters, filters)

    @app.callback(
        Output("details", "children", allow_duplicate=True),
        Input("map", "clickData"), State("url", "search"),
        prevent_initial_call=True,
    )
    def embed_details(click, search):
        state = query.address_view(atlas, search)
        terc = clicked_gmina(click)
        return layout.details_panel(atlas, terc, state.lang, state, level=2) if terc else no_update

    @app.callback(
        Output("details", "children", allow_duplicate=True), Output("map", "clickData"),
        Input("details-close", "n_clicks"),
        prevent_initial_call=True,
    )
    def embed_details_closed(n_clicks):
        """No card; the map forgets its click, so that a click on the same gmina opens its card again (its click
        data did not change: nothing happened)."""
        if not n_clicks:
            return no_update, no_update
        return [], None
