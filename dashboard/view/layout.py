"""The page: thin Dash components around the pure figures. Built once per app (no per-user data).

Every translatable text element carries the id "i18n-<key>" (plain string ids: the callback guard of
dashboard.serving.guard checks ids literally) and is listed in I18N_KEYS, so one callback can switch the language;
option lists and the strip are re-rendered by the same callback. Active-filter chips use a fixed pool of
MAX_CHIPS buttons ("chip-0" …) for the same reason.
"""
from __future__ import annotations

import re
from typing import Any

from dash import dash_table, dcc, html

from dashboard.view import figures

from dashboard.model import query
from dashboard.serving.geo_routes import GeoUrls
from dashboard.i18n import figure_label, format_figure, format_number, t
from dashboard.model.state import FilterState

MAX_CHIPS = 24
I18N_KEYS: list[str] = []  # filled by tr() while the layout is built (same keys for every app)
STRIP_KEYS = ("members", "new_members", "projects", "project_cities", "publications", "ave_pln")
_URL = re.compile(r"https?://[^\s;,)]+")


def tr(key: str, lang: str = "pl", tag=html.Span, **kwargs: Any):
    """A translatable text element."""
    if key not in I18N_KEYS:
        I18N_KEYS.append(key)
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
    label = "label_pl" if lang == "pl" else "label_en"
    return [{"label": str(r[label]), "value": str(r["id"])} for _, r in atlas.projects.iterrows()]


def voivodeship_options(atlas: Any) -> list[dict[str, str]]:
    return [{"label": name, "value": code} for code, name in query.derived(atlas).voivodeship_names.items()]


def match_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("match_any", lang), "value": "any"}, {"label": t("match_all", lang), "value": "all"}]


def metric_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("metric_projects", lang), "value": "projects"},
            {"label": t("metric_membership", lang), "value": "membership"}]


def unknown_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t("include_unknown", lang), "value": "yes"}]


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


def strip(atlas: Any, lang: str) -> list:
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
    cov = query.coverage(atlas)
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


def coverage_note(atlas: Any, lang: str) -> list:
    cov = query.coverage(atlas)
    total = cov["published_members"]
    parts = [t("coverage", lang, members=format_number(cov["members"], lang),
               total=format_number(total, lang) if total else "?",
               known_year=format_number(cov["known_year"], lang)), " "]
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


def details_panel(atlas: Any, terc: str | None, lang: str) -> list:
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
    for e in info["entities"]:
        status = (f"{t('member', lang)} · {t('join_year', lang)}: "
                  f"{e['join_year'] if e['join_year'] is not None else t('unknown', lang)}"
                  if e["is_member"] else t("not_member", lang))
        projects = [project_item(p, lang) for p in e["projects"]]
        body.append(html.Div([
            html.H4(e["name"]),
            html.Div(f"{status} · TERYT {e['teryt']}", className="status"),
            html.Div(linkify(e["member_source"]), className="source") if e["member_source"] else None,
            html.Ul(projects, className="project-list") if projects else html.P(t("no_projects", lang),
                                                                                 className="muted"),
        ], className="entity"))
    return head + body


def table_columns(lang: str) -> list[dict[str, str]]:
    keys = {"name": "col_name", "teryt": "col_teryt", "voivodeship": "col_voivodeship", "member": "col_member",
            "join_year": "col_join_year", "n_projects": "col_n_projects", "projects": "col_projects"}
    return [{"name": t(keys[c], lang), "id": c, **({"type": "numeric"} if c == "n_projects" else {})}
            for c in query.TABLE_COLUMNS]


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

    def chart(key: str, gid: str, fig) -> html.Section:
        return html.Section([
            html.H2(tr(key, lang), className="panel-title"),
            dcc.Graph(id=gid, figure=fig.to_dict(),
                      config={**graph_config(urls, f"atlas-zmp-{gid}"), "displayModeBar": False},
                      className="chart-graph", responsive=True),
        ], className="card chart-card")

    charts = html.Div([
        chart("growth_title", "growth", figures.growth_figure(atlas, state)),
        chart("voiv_title", "by-voivodeship", figures.voivodeship_figure(atlas, state)),
        chart("project_title", "by-project", figures.project_figure(atlas, state)),
    ], className="charts")

    rows = query.table_frame(atlas, state)
    table = html.Section([
        html.Div([
            html.H2([tr("table_title", lang),
                     html.Span(f" ({len(rows)})", id="table-count", className="count")],
                    className="panel-title"),
            html.Button(tr("download_csv", lang), id="csv-button", className="button", n_clicks=0),
            html.Button(tr("download_xlsx", lang), id="xlsx-button", className="button", n_clicks=0),
            dcc.Download(id="csv-download"),
        ], className="card-head row"),
        dash_table.DataTable(
            id="table", columns=table_columns(lang), data=rows.to_dict("records"),
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
        html.Div(coverage_note(atlas, lang), id="coverage", className="coverage"),
        html.Div(id="notice", className="notice", role="status", hidden=True),
        html.Main([filters, map_card, side], className="main-grid"),
        charts,
        table,
        html.Footer([html.H2(tr("sources_heading", lang)), html.P(tr("sources_text", lang))],
                    id="sources", className="sources"),
    ], className="app", lang=lang)
