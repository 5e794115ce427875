"""The page: thin Dash components around the pure figures. Built once per app (no per-user data).

Every translatable text element carries the id "i18n-<key>" (plain string ids: the callback guard of
dashboard.serving.guard checks ids literally); its key must be one of I18N_KEYS, the texts the language callback
re-sends (an element made with another key is an error at build time, not a text that never switches);
option lists and the strip are re-rendered by the same callback. Active-filter chips use a fixed pool of
MAX_CHIPS buttons ("chip-0" …) for the same reason.
"""
from __future__ import annotations

import re
from typing import Any

from dash import dash_table, dcc, html

from dashboard.i18n import figure_label, format_figure, format_number, t
from dashboard.model import membership, query
from dashboard.model.state import EVIDENCE_LEVELS, FilterState
from dashboard.view import figures
from dashboard.view.table import table_columns
from dashboard.view.urls import GeoUrls

MAX_CHIPS = 24
# The page's translatable text elements (ids "i18n-<key>"): the language callback sends one text per key.
I18N_KEYS: tuple[str, ...] = (
    "title", "subtitle", "lang_toggle_label", "filters", "metric", "asof", "evidence", "projects", "match",
    "voivodeships", "join_years", "town_search", "active_filters", "clear_all", "export", "map_sr", "map_title",
    "map_help", "map_empty", "details", "growth_title", "voiv_title", "project_title", "table_title", "download_csv",
    "download_xlsx", "sources_heading", "sources_text", "sources_readme",
)
STRIP_KEYS = ("members", "new_members", "projects", "project_cities", "publications", "ave_pln")
_URL = re.compile(r"https?://[^\s;,)]+")


#: What a chart shows before it is filled: nothing (no axes, no grid), at its final size (CSS).
PLACEHOLDER_FIGURE = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                                             "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                             "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}


def tr(key: str, lang: str = "pl", tag=html.Span, **kwargs: Any):
    """A translatable text element (its key must be in I18N_KEYS, or the language toggle would miss it)."""
    if key not in I18N_KEYS:
        raise KeyError(f"{key!r} is not in layout.I18N_KEYS: add it there so that the language toggle updates it")
    return tag(t(key, lang), id=f"i18n-{key}", **kwargs)


def graph_config(urls: GeoUrls, filename: str) -> dict[str, Any]:
    return {
        "displaylogo": False,
        "topojsonURL": urls.topojson,
        # no "Share chart..." (plotly 7 uploads the chart to Plotly Cloud): nothing leaves this machine
        "modeBarButtonsToRemove": ["toImage", "sendDataToCloud", "sendChartToCloud"],
        "toImageButtonOptions": {"filename": filename},
        "scrollZoom": True,
        "responsive": True,
    }


def project_options(atlas: Any, lang: str) -> list[dict[str, str]]:
    return [{"label": label, "value": pid} for pid, label in query.project_labels(atlas, lang).items()]


def voivodeship_options(atlas: Any) -> list[dict[str, str]]:
    return [{"label": name, "value": code} for code, name in query.voivodeship_names(atlas).items()]


def match_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("match_any", lang), "value": "any"}, {"label": t("match_all", lang), "value": "all"}]


def metric_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("metric_projects", lang), "value": "projects"},
            {"label": t("metric_membership", lang), "value": "membership"}]


def unknown_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("include_unknown", lang), "value": "yes"}]


def evidence_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"ev_{lv}", lang), "value": lv} for lv in EVIDENCE_LEVELS]


def asof_bounds(atlas: Any) -> tuple[int, int]:
    return membership.FIRST_YEAR, membership.last_year(atlas)


def asof_marks(atlas: Any) -> dict[int, str]:
    lo, hi = asof_bounds(atlas)
    marks = {lo: str(lo), hi: str(hi)}
    for y in range((lo // 10 + 1) * 10, hi, 10):
        if y - lo >= 4 and hi - y >= 3:
            marks[y] = str(y)
    return marks


def asof_control(atlas: Any, state: FilterState, lang: str) -> html.Div:
    """The "as of" year (slider + play button stepping through the years) and the evidence levels shown."""
    lo, hi = asof_bounds(atlas)
    return html.Div([
        html.Label(tr("asof", lang), htmlFor="asof", className="control-label"),
        html.Div([
            html.Button(t("asof_play", lang), id="asof-play", className="button small", n_clicks=0,
                        **{"aria-pressed": "false"}),
            html.Div(dcc.Slider(id="asof", min=lo, max=hi, step=1, value=query.asof_year(atlas, state),
                                marks=asof_marks(atlas), updatemode="mouseup",
                                tooltip={"placement": "bottom", "always_visible": False}), className="asof-slider"),
        ], className="asof-row"),
        dcc.Interval(id="asof-tick", interval=1500, disabled=True),
        html.Span(tr("evidence", lang), className="control-label"),
        dcc.Checklist(id="evidence", options=evidence_options(lang), value=list(state.evidence),
                      className="check evidence", inline=True),
    ], className="control")


def year_bounds(atlas: Any) -> tuple[int, int]:
    known = query.derived(atlas).known_years
    return known if known else (1990, 2024)


def year_marks(atlas: Any) -> dict[int, str]:
    lo, hi = year_bounds(atlas)
    marks = {lo: str(lo), hi: str(hi)}
    for y in range((lo // 10 + 1) * 10, hi, 10):
        if y - lo >= 4 and hi - y >= 4:
            marks[y] = str(y)
    return marks


def strip(atlas: Any, lang: str, state: FilterState | None = None) -> list:
    """The year in numbers: published 2020 key figures (source on hover) next to what the public data covers."""
    summary = atlas.summary.set_index("key")
    cards = []
    for key in STRIP_KEYS:
        if key not in summary.index:
            continue
        row = summary.loc[key]
        label = figure_label(row["label_pl"] if lang == "pl" else row["label_en"], str(row["unit"]))
        source = f"{t('source', lang)}: {row['source']}"
        shown = format_figure(float(row["value"]), str(row["unit"]), lang)
        cards.append(html.Div([
            html.Div(shown, className="figure-value"),
            html.Div(label, className="figure-label"),
        ], className="figure-card", title=source, tabIndex="0", **{"aria-label": f"{label}: {shown}. {source}"}))
    cov = query.coverage_at(atlas, FilterState(lang=lang) if state is None else state)
    data_cards = [
        html.Div([
            html.Div(format_number(cov["members_on_map"], lang), className="figure-value"),
            html.Div(t("members_shown", lang), className="figure-label"),
        ], className="figure-card data", title=t("strip_in_data", lang), tabIndex="0"),
        html.Div([
            html.Div(format_number(cov["participants_on_map"], lang), className="figure-value"),
            html.Div(t("participants_shown", lang), className="figure-label"),
        ], className="figure-card data", title=t("strip_in_data", lang), tabIndex="0"),
    ]
    return [
        html.Div([html.Span(t("strip_heading", lang), className="strip-heading"),
                  html.Span(t("strip_published", lang), className="strip-tag")], className="strip-group-title"),
        html.Div(cards, className="strip-cards"),
        html.Div([html.Span(t("strip_in_data", lang), className="strip-tag data")], className="strip-group-title"),
        html.Div(data_cards, className="strip-cards data"),
    ]


def coverage_note(atlas: Any, state: FilterState) -> list:
    lang = state.lang
    cov = query.coverage(atlas)
    at = query.coverage_at(atlas, state)
    date = figures.date_label(membership.year_end(at["year"]), lang)
    numbers = {"date": date, "year": at["year"], "dated": format_number(at["dated"], lang),
               "undated": format_number(at["undated"], lang)}
    parts = [t("coverage_asof", lang, total=format_number(at["published"], lang), **numbers)
             if at["published"] is not None else t("coverage_asof_no_total", lang, **numbers), " "]
    if cov["powiat_participants"]:
        parts += [t("powiat_note", lang, n=format_number(cov["powiat_participants"], lang)), " "]
    parts.append(html.A(t("coverage_sources", lang), href="#sources"))
    return parts


def linkify(text: str) -> list:
    """Source text with its URLs as links (external links open in a new tab, without referrer)."""
    out: list = []
    last = 0
    for m in _URL.finditer(text or ""):
        if m.start() > last:
            out.append(text[last:m.start()])
        out.append(html.A(m.group(0), href=m.group(0), target="_blank", rel="noopener noreferrer"))
        last = m.end()
    if last < len(text or ""):
        out.append(text[last:])
    return out


def details_guide(lang: str) -> list:
    """What the details panel shows before anything is clicked: how to read and use the map."""
    return [
        html.P(t("details_empty", lang), className="muted"),
        html.Ul([
            html.Li([html.Span(className="swatch", style={"background": figures.SEQUENTIAL[1]}),
                     t("guide_colour", lang)]),
            html.Li([html.Span(className="swatch", style={"background": figures.OTHER_GREY}), t("guide_grey", lang)]),
            html.Li([html.Span(className="swatch", style={"background": "#fff", "borderColor": figures.OUTLINE}),
                     t("guide_outline", lang)]),
            html.Li(t("guide_select", lang)),
            html.Li(t("guide_bars", lang)),
            html.Li(t("guide_share", lang)),
        ], className="guide"),
    ]


def project_item(p: dict, lang: str):
    """One project of a city in the details panel: the project, the role's short label (PL/EN) and, behind
    "source details", the research note as the source states it and the source itself."""
    label = p.get("role_label_pl" if lang == "pl" else "role_label_en", "")
    note = [html.Div([html.Span(f"{t('role_note', lang)}: "), p["role"]], className="role") if p["role"] else None,
            html.Div(linkify(p["source"]), className="source") if p["source"] else None]
    return html.Li([
        html.Strong(p["label_pl"] if lang == "pl" else p["label_en"]),
        html.Div([html.Span(f"{t('role', lang)}: "), label], className="role") if label else None,
        html.Div(t("role_not_counted", lang), className="muted") if not p.get("counts", True) else None,
        html.Details([html.Summary(t("source_details", lang)), *[x for x in note if x is not None]],
                     className="source-details") if any(note) else None,
    ])


def details_panel(atlas: Any, terc: str | None, lang: str, state: FilterState | None = None) -> list:
    if not terc:
        return details_guide(lang)
    info = query.gmina_details(atlas, terc)
    if info is None:
        return details_guide(lang)
    head = [
        html.H3(info["name"]),
        html.Dl([html.Dt(t("teryt", lang)), html.Dd(info["terc"]),
                 html.Dt(t("voivodeship", lang)), html.Dd(info["voivodeship"])], className="kv"),
    ]
    if not info["entities"]:
        return head + [html.P(t("details_none", lang), className="muted")]
    body = []
    state = state or FilterState(lang=lang)
    statuses = dict(zip(query.derived(atlas).entities["entity_id"], query.member_status(atlas, state)))
    date = figures.date_label(membership.year_end(query.asof_year(atlas, state)), lang)
    for e in info["entities"]:
        at = statuses.get(e["teryt"], "")
        status = (t("status_at", lang, date=date) + ": " + t(f"status_{at}", lang) if at
                  else t("not_member", lang))
        projects = [project_item(p, lang) for p in e["projects"]]
        body.append(html.Div([
            html.H4(e["name"]),
            html.Div(f"{status} · TERYT {e['teryt']}", className="status"),
            html.Div(linkify(e["member_source"]), className="source") if e["member_source"] else None,
            membership_history(e, lang),
            html.Ul(projects, className="project-list") if projects else html.P(t("no_projects", lang),
                                                                                 className="muted"),
        ], className="entity"))
    return head + body


def membership_history(entity: dict, lang: str):
    """The city's membership facts, oldest first: each event with its date, quote and source; its evidence."""
    if not entity.get("history"):
        return None
    items = [html.Li([
        html.Strong(figures.date_label(h["date"], lang) if h["date"] else t("date_unknown", lang)),
        f" — {t('ev_' + h['event'], lang)}",
        html.Div(f"„{h['quote']}”" if lang == "pl" else f"“{h['quote']}”", className="quote") if h["quote"] and
        h["event"] != "listed" else None,
        html.Div(linkify(h["source"]), className="source") if h["source"] and h["event"] != "listed" else None,
    ]) for h in entity["history"]]
    evidence = entity.get("evidence")
    return html.Div([
        html.H5(t("history", lang)),
        html.Div(f"{t('evidence_level', lang)}: {t('ev_' + evidence, lang)}", className="status") if evidence
        else None,
        html.Ol(items, className="history"),
    ], className="membership-history")


def build_layout(atlas: Any, urls: GeoUrls, export_panel: Any) -> html.Div:
    """The page. `export_panel` is dashboard.export.panel (passed in, so this module stays import-light)."""
    state = FilterState()
    lang = state.lang
    lo, hi = year_bounds(atlas)
    map_fig = figures.map_figure(atlas, state, urls.gminy, outline=urls.wojewodztwa)
    filters = html.Aside([
        html.H2(tr("filters", lang), className="panel-title"),
        html.Div([
            html.Label(tr("metric", lang), htmlFor="metric", className="control-label"),
            dcc.RadioItems(id="metric", options=metric_options(lang), value=state.metric, className="segmented metric",
                           inline=True),
        ], className="control"),
        asof_control(atlas, state, lang),
        html.Div([
            html.Label(tr("projects", lang), htmlFor="projects", className="control-label"),
            dcc.Dropdown(id="projects", options=project_options(atlas, lang), value=[], multi=True,
                         placeholder=t("projects_placeholder", lang), className="dropdown"),
            html.Div([
                html.Span(tr("match", lang), className="inline-label"),
                dcc.RadioItems(id="match", options=match_options(lang), value=state.match, inline=True,
                               className="segmented small"),
            ], className="match-row"),
        ], className="control"),
        html.Div([
            html.Label(tr("voivodeships", lang), htmlFor="voivodeships", className="control-label"),
            dcc.Dropdown(id="voivodeships", options=voivodeship_options(atlas), value=[], multi=True,
                         placeholder=t("voivodeships_placeholder", lang), className="dropdown"),
        ], className="control"),
        html.Div([
            html.Label(tr("join_years", lang), htmlFor="years", className="control-label"),
            dcc.RangeSlider(id="years", min=lo, max=hi, step=1, value=[lo, hi], marks=year_marks(atlas),
                            allowCross=False, updatemode="mouseup", tooltip={"placement": "bottom"},
                            className="years"),
            dcc.Checklist(id="unknown-year", options=unknown_options(lang), value=["yes"], className="check"),
        ], className="control"),
        html.Div([
            html.Label(tr("town_search", lang), htmlFor="town", className="control-label"),
            dcc.Dropdown(id="town", options=[], value=None, searchable=True, clearable=True,
                         placeholder=t("town_placeholder", lang), className="dropdown", debounce=False,
                         search_order="original"),
        ], className="control"),
        html.Div([
            html.Div([html.Span(tr("active_filters", lang), className="control-label"),
                      html.Button(tr("clear_all", lang), id="clear", className="button-link", n_clicks=0)],
                     className="chips-head"),
            html.Div([html.Span(t("no_filters", lang), id="chips-none", className="muted")] + [
                html.Button("", id=f"chip-{i}", className="chip", n_clicks=0, hidden=True)
                for i in range(MAX_CHIPS)
            ], id="chips", className="chips", **{"aria-live": "polite"}),
            dcc.Store(id="chip-keys", data=[]),
        ], className="control"),
        html.Details([
            html.Summary(tr("export", lang)),
            export_panel.layout(lang),
        ], className="export-panel", id="export-section"),
    ], className="filters", **{"aria-label": t("filters", lang)})

    map_card = html.Section([
        tr("map_sr", lang, tag=html.P, className="sr-only"),
        html.Div([html.H2(tr("map_title", lang), className="panel-title"),
                  html.P(tr("map_help", lang), className="muted help")], className="card-head"),
        html.Div([
            dcc.Graph(id="map", figure=map_fig.to_dict(), config=graph_config(urls, "atlas-zmp-mapa"),
                      className="map-graph", responsive=True),
            tr("map_empty", lang, tag=html.Div, className="map-empty", role="status", hidden=True),
        ], className="map-wrap"),
    ], className="card map-card")

    side = html.Aside([
        html.H2(tr("details", lang), className="panel-title"),
        html.Div(details_panel(atlas, None, lang), id="details", className="details", **{"aria-live": "polite"}),
    ], className="card side")

    def chart(key: str, gid: str) -> html.Section:
        # drawn after the map (dashboard.view.callbacks "below"): an empty, axis-less placeholder until then
        return html.Section([
            html.H2(tr(key, lang), className="panel-title"),
            dcc.Graph(id=gid, figure=PLACEHOLDER_FIGURE,
                      config={**graph_config(urls, f"atlas-zmp-{gid}"), "displayModeBar": False},
                      className="chart-graph", responsive=True),
        ], className="card chart-card")

    charts = html.Div([
        chart("growth_title", "growth"),
        chart("voiv_title", "by-voivodeship"),
        chart("project_title", "by-project"),
    ], className="charts")

    table = html.Section([
        html.Div([
            html.H2([tr("table_title", lang),
                     html.Span("", id="table-count", className="count")],
                    className="panel-title"),
            html.Button(tr("download_csv", lang), id="csv-button", className="button", n_clicks=0),
            html.Button(tr("download_xlsx", lang), id="xlsx-button", className="button", n_clicks=0),
            dcc.Download(id="csv-download"),
        ], className="card-head row"),
        dash_table.DataTable(
            id="table", columns=table_columns(lang), data=[],  # rows come with the charts, after the map
            sort_action="custom", sort_mode="single", sort_by=[], page_action="none", fixed_rows={"headers": True},
            style_table={"maxHeight": "420px", "overflowY": "auto"},
            style_cell={"fontFamily": figures.FONT, "fontSize": "13px", "padding": "6px 10px",
                        "textAlign": "left", "whiteSpace": "normal", "height": "auto", "minWidth": "80px",
                        "maxWidth": "420px", "border": "none", "borderBottom": "1px solid #e4e7eb"},
            style_header={"fontWeight": "600", "backgroundColor": "#f5f7fa", "color": figures.INK,
                          "whiteSpace": "normal", "height": "auto"},
            style_header_conditional=[{"if": {"column_id": "n_projects"}, "textAlign": "left"}],
            style_cell_conditional=[
                {"if": {"column_id": "n_projects"}, "textAlign": "right", "width": "110px"},
                {"if": {"column_id": "teryt"}, "width": "90px"},
                {"if": {"column_id": "member"}, "width": "80px"},
                {"if": {"column_id": "join_year"}, "width": "130px"},
                {"if": {"column_id": "voivodeship"}, "width": "170px"},
            ],
        ),
    ], className="card table-card")

    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="state", data=state.to_dict()),
        dcc.Store(id="view", data={"lang": lang, "focus": figures.view_key(state)}),
        # the charts and the table are drawn after the map: assets/atlas-below.js bumps "below-ready" each time
        # the map has been painted with new values; "below-view" is the language the charts were drawn in
        # (None = not yet: full figures next)
        dcc.Store(id="below-ready", data=0),
        dcc.Store(id="below-view", data=None),
        html.Header([
            html.Div([html.H1(tr("title", lang)), html.P(tr("subtitle", lang), className="subtitle")],
                     className="titles"),
            html.Div([
                html.Span(tr("lang_toggle_label", lang), className="sr-only"),
                dcc.RadioItems(id="lang", options=[{"label": "PL", "value": "pl"}, {"label": "EN", "value": "en"}],
                               value=lang, inline=True, className="segmented lang"),
            ], className="lang-toggle"),
        ], className="app-header"),
        html.Section(strip(atlas, lang), id="strip", className="strip"),
        html.Div(coverage_note(atlas, state), id="coverage", className="coverage"),
        html.Div(id="notice", className="notice", role="status", hidden=True),
        html.Main([filters, map_card, side], className="main-grid"),
        charts,
        table,
        html.Footer([html.H2(tr("sources_heading", lang)),
                     html.P([tr("sources_text", lang), " ", tr("sources_readme", lang, tag=html.A,
                                                               href=urls.data_readme), "."])],
                    id="sources", className="sources"),
    ], className="app", lang=lang)
