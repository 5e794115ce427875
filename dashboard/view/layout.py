"""The page: thin Dash components around the pure figures. Built once per app (no per-user data).

Every translatable text element carries the id "i18n-<key>" (plain string ids: the callback guard of
dashboard.serving.guard checks ids literally); its key must be one of I18N_KEYS, the texts the language callback
re-sends (an element made with another key is an error at build time, not a text that never switches);
option lists and the strip are re-rendered by the same callback. Active-filter chips use a fixed pool of
MAX_CHIPS buttons ("chip-0" …) for the same reason.
"""
from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from dash import dcc, html
from dash.development.base_component import Component
from flask import Response, request
from plotly.utils import PlotlyJSONEncoder

from dashboard import config
from dashboard.i18n import (
    PLOTLY_LOCALE_PL,
    cited_source,
    display_name,
    dropdown_labels,
    figure_label,
    format_figure,
    format_number,
    join_words,
    plural_form,
    t,
    voivodeship_name,
)
from dashboard.ingest.values import fold
from dashboard.model import membership, query
from dashboard.model.atlas import rows_needing_attention
from dashboard.model.query import UNKNOWN_ONLY
from dashboard.model.state import EVIDENCE_DEFAULT, EVIDENCE_LEVELS, FilterState
from dashboard.view import figures
from dashboard.view.atlas_map import AtlasMap
from dashboard.view.table import COLUMN_KEYS, TABLE_COLUMNS
from dashboard.view.towns import gmina_kind
from dashboard.view.urls import GeoUrls

MAX_CHIPS = 24
# The page's translatable text elements (ids "i18n-<key>"): the language callback sends one text per key.
I18N_KEYS: tuple[str, ...] = (
    "title", "subtitle", "lang_toggle_label", "filters", "metric", "asof", "evidence", "projects", "match",
    "voivodeships", "join_years", "town_search", "active_filters", "clear_all", "export", "map_sr", "map_title",
    "map_help", "map_empty", "map_no_list", "asof_pause", "details_cue", "details", "growth_title", "voiv_title",
    "project_title",
    "table_title", "download_csv", "download_xlsx", "sources_heading", "sources_text", "sources_readme",
    # the accessible layout (issue 12): skip link, filter sheet, embed box, the table's headers and caption
    "skip_to_map", "filters_open", "filters_close", "embed_heading", "embed_help", "embed_code_label", "embed_copy",
    "table_sort_hint", "col_name", "col_teryt", "col_voivodeship", "col_member", "col_join_year", "col_n_projects",
    "col_projects", "legend_heading", "data_attention", "data_attention_how",
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


def graph_config(urls: GeoUrls, filename: str, lang: str = "pl") -> dict[str, Any]:
    """plotly config: local topojson, no cloud upload, the toolbar's texts in `lang` (plotly locale "pl")."""
    return {
        "displaylogo": False,
        "locale": "pl" if lang == "pl" else "en-US",
        "locales": {"pl": {"dictionary": PLOTLY_LOCALE_PL}} if lang == "pl" else {},
        "topojsonURL": urls.topojson,
        # no "Share chart..." (plotly 7 uploads the chart to Plotly Cloud): nothing leaves this machine
        "modeBarButtonsToRemove": ["toImage", "sendDataToCloud", "sendChartToCloud", "hoverClosestGeo"],
        "toImageButtonOptions": {"filename": filename},
        "scrollZoom": True,
        "responsive": True,
    }


def live_map(atlas: Any, state: FilterState, urls: GeoUrls, article: bool = False) -> tuple[Any, dict[str, Any]]:
    """The live map's figure and plotly config of `state`. In an article (/embed) a drag does nothing, the mouse
    wheel scrolls the article and the toolbar only zooms: nothing there filters by a selection (a drag drew a box
    that only faded the map), the wheel trapped the reader's scrolling, and plotly's pan turns this projection
    (the map tilts and lags the pointer) — a hover or a tap still shows a gmina, a click its details."""
    fig = figures.map_figure(atlas, state, urls.gminy, outline=urls.wojewodztwa, colorbar=False)
    config = graph_config(urls, "atlas-zmp-mapa", state.lang)
    if article:
        fig.update_layout(dragmode=False)
        config = {**config, "scrollZoom": False,
                  "modeBarButtonsToRemove": [*config["modeBarButtonsToRemove"], "select2d", "lasso2d", "pan2d"]}
    return fig, config


def project_options(atlas: Any, lang: str) -> list[dict[str, str]]:
    return [{"label": label, "value": pid} for pid, label in query.project_labels(atlas, lang).items()]


def voivodeship_options(atlas: Any, lang: str) -> list[dict[str, str]]:
    """The voivodeships; the dropdown's search also reads each name without its diacritics ("slask" finds
    "śląskie", as the town search and the address do)."""
    names = query.voivodeship_names(atlas)
    return [{"label": voivodeship_name(name, lang), "value": code, "search": fold(name)}
            for code, name in names.items()]


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
    return query.year_range(atlas)


def decade_marks(lo: int, hi: int, end_gap: int) -> dict[int, str]:
    """Slider marks: both ends and the decades between them, except a decade closer than 4 years to the start or
    `end_gap` years to the end (its label would overlap the end's: at 1024 px the filter column's sliders give a
    year ~6 px, and "2020" ran into "2025")."""
    marks = {lo: str(lo), hi: str(hi)}
    for y in range((lo // 10 + 1) * 10, hi, 10):
        if y - lo >= 4 and hi - y >= end_gap:
            marks[y] = str(y)
    return marks


def asof_marks(atlas: Any) -> dict[int, str]:
    return decade_marks(*asof_bounds(atlas), end_gap=6)


def play_label(playing: bool, lang: str) -> list:
    """The play button's text: "▶ Odtwórz lata" / "❚❚ Zatrzymaj", the glyph hidden from screen readers (it was read
    as "❚❚ Zatrzymaj"). The label says the state, so the button has no aria-pressed: "Zatrzymaj, naciśnięty" said
    it twice. ("❚❚", not "⏸": the emoji font draws that one as an orange square beside the plain ▶.)"""
    return [html.Span("❚❚" if playing else "▶", className="glyph", **{"aria-hidden": "true"}),
            t("asof_pause" if playing else "asof_play", lang)]


def asof_control(atlas: Any, state: FilterState, lang: str) -> html.Div:
    """The "as of" year (slider + play button stepping through the years) and the evidence levels shown."""
    lo, hi = asof_bounds(atlas)
    return html.Div([
        html.Label(tr("asof", lang), htmlFor="asof", className="control-label"),
        html.Div([
            html.Button(play_label(False, lang), id="asof-play", className="button small", n_clicks=0,
                        **{"data-playing": "false"}),
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
    return decade_marks(*year_bounds(atlas), end_gap=6)


def strip(atlas: Any, lang: str, state: FilterState | None = None) -> list:
    """The year in numbers: published 2020 key figures (source on hover, and in words for screen readers) next to
    what the public data covers (at the state's date). The cards are text, not Tab stops."""
    summary = atlas.summary.set_index("key")
    cards = []
    for key in STRIP_KEYS:
        if key not in summary.index:
            continue
        row = summary.loc[key]
        label = figure_label(row["label_pl"] if lang == "pl" else row["label_en"], str(row["unit"]))
        source = f"{t('source', lang)}: {cited_source(row['source'], lang)}"
        shown = format_figure(float(row["value"]), str(row["unit"]), lang)
        cards.append(html.Li([
            html.Div(shown, className="figure-value"),
            html.Div(label, className="figure-label"),
            html.Span(f" ({source})", className="sr-only"),
        ], className="figure-card", title=source))
    members, participants = strip_numbers(atlas, FilterState(lang=lang) if state is None else state)
    data_cards = [
        html.Li([
            html.Div(members, id="strip-members", className="figure-value"),
            html.Div(t("members_shown", lang), className="figure-label"),
        ], className="figure-card data", title=t("strip_in_data", lang)),
        html.Li([
            html.Div(participants, id="strip-participants", className="figure-value"),
            html.Div(t("participants_shown", lang), className="figure-label"),
        ], className="figure-card data", title=t("strip_in_data", lang)),
    ]
    # each group's title and cards wrap together (on a laptop the data group starts a row of its own)
    return [
        html.Div([
            html.Div([html.H2(t("strip_heading", lang), className="strip-heading", id="strip-heading"),
                      html.Span(t("strip_published", lang), className="strip-tag")], className="strip-group-title"),
            html.Ul(cards, className="strip-cards"),
        ], className="strip-group"),
        html.Div([
            html.Div([html.Span(t("strip_in_data", lang), className="strip-tag data")], className="strip-group-title"),
            html.Ul(data_cards, className="strip-cards data"),
        ], className="strip-group data"),
    ]


def strip_numbers(atlas: Any, state: FilterState) -> tuple[Any, str]:
    """The strip's two figures of the public data: the gminy's members and project participants at the state's date
    and evidence levels, whatever the other filters (they stand next to the union's published totals). A filter
    change sends only these, not the whole strip. The members say how many of them only later sources list (in
    1991: 171 "members in the data", 162 of them with their status then unknown, read as the members of 1991)."""
    cov = query.coverage_at(atlas, state)
    lang = state.lang
    members: Any = format_number(cov["members_on_map"], lang)
    later = cov["undated_on_map"]
    if later:
        members = [members, html.Span(t("members_later", lang, n=format_number(later, lang),
                                        who=plural_form("known_later", later, lang)), className="figure-sub")]
    return members, format_number(cov["participants_on_map"], lang)


def coverage_note(atlas: Any, state: FilterState) -> list:
    lang = state.lang
    cov = query.coverage(atlas)
    at = query.coverage_at(atlas, state)
    date = figures.date_label(membership.year_end(at["year"]), lang)
    numbers = {"date": date, "year": at["year"],
               **{key: f"{format_number(at[key], lang)} {plural_form('coverage_' + key, at[key], lang)}"
                  for key in ("dated", "undated")}}
    # the published total's own date: only 2020's is a year's end (321 members "at the end of 2019" were counted
    # on 19.09.2019)
    parts = [t("coverage_asof", lang, total=format_number(at["published"], lang),
               total_date=figures.date_label(at["published_as_of"], lang), **numbers)
             if at["published"] is not None else t("coverage_asof_no_total", lang, **numbers), " "]
    if cov["powiat_participants"]:
        parts += [t("powiat_note", lang, n=format_number(cov["powiat_participants"], lang)), " "]
    parts.append(html.A(t("coverage_sources", lang), href="#sources"))
    return parts


def linkify(text: str) -> list:
    """Source text with its URLs as links (external links open in a new tab, without referrer), each written as a
    browser's address bar writes it ("samorząd-miasta", not "samorz%C4%85d-miasta")."""
    out: list = []
    last = 0
    for m in _URL.finditer(text or ""):
        if m.start() > last:
            out.append(text[last:m.start()])
        out.append(html.A(unquote(m.group(0), errors="replace"), href=m.group(0), target="_blank",
                          rel="noopener noreferrer"))
        last = m.end()
    if last < len(text or ""):
        out.append(text[last:])
    return out


def details_guide(lang: str) -> list:
    """What the details panel shows before anything is clicked: how to read and use the map. In the panel's live
    region only its first line is read out when it comes back ("Wyczyść wszystko" read the whole ~470-character
    guide again); the list is there to be read, not announced."""
    return [
        html.P(t("details_empty", lang), className="muted"),
        html.Ul([
            html.Li([html.Span(className="swatch", style={"background": figures.PROJECT_COLOURS[1]}),
                     t("guide_colour", lang)]),
            html.Li([html.Span(className="swatch", style={"background": figures.OTHER_GREY}), t("guide_grey", lang)]),
            html.Li([html.Span(className="swatch", style={"background": "#fff", "borderColor": figures.OUTLINE}),
                     t("guide_outline", lang)]),
            html.Li(t("guide_select", lang)),
            html.Li(t("guide_bars", lang)),
            html.Li(t("guide_share", lang)),
        ], className="guide", **{"aria-live": "off"}),
    ]


def source_details(lang: str, notes: list, source: str = ""):
    """A fact's notes (labelled lines: a quotation from the source, the researchers' own words, often English) and its
    source, folded behind "source details": the panel shows the facts in the page's language, the evidence one click
    away. None without any."""
    parts = [*[n for n in notes if n is not None], html.Div(linkify(source), className="source") if source else None]
    if not any(parts):
        return None
    return html.Details([html.Summary(t("source_details", lang)), *[x for x in parts if x is not None]],
                        className="source-details")


def research_note(text: str, lang: str):
    """The researchers' note, labelled as theirs (it is not translated); None when there is none."""
    return html.Div([html.Span(f"{t('research_note', lang)}: "), text], className="role") if text else None


# The researchers put what a source says word for word in single quotes at the start of an event's note, and their
# own words (a date's context, a summary) after it or instead of it.
_SOURCE_QUOTE = re.compile(r"'(?P<quote>.+?)'(?=$|[\s.,;:)])\s*(?P<rest>.*)", re.S)


def event_notes(note: str, lang: str) -> list:
    """An event's note as labelled lines: the source's words as a quotation, the rest as the researchers' note (a
    journalist must tell a quotation from a summary)."""
    found = _SOURCE_QUOTE.fullmatch((note or "").strip())
    if not found:
        return [research_note((note or "").strip(), lang)]
    quote = html.Div([html.Span(f"{t('source_quote', lang)}: "), html.Q(found["quote"].strip())], className="role")
    rest = found["rest"].strip(" –-")
    if rest[:1] == "(" and rest[-1:] == ")" and rest.count("(") == 1:   # "(year from page context)"
        rest = rest[1:-1]
    return [quote, research_note(rest, lang)]


def embed_guide(lang: str) -> html.P:
    """The embedded map's line under its legend: a click opens a gmina's card (the embed has no town search)."""
    return html.P(t("details_empty_embed", lang), className="muted embed-guide")


def project_item(p: dict, lang: str):
    """One project of a city in the details panel: the project, the role's short label (PL/EN) and, behind
    "source details", the research note as the source states it and the source itself."""
    label = p.get("role_label_pl" if lang == "pl" else "role_label_en", "")
    return html.Li([
        html.Strong(p["label_pl"] if lang == "pl" else p["label_en"]),
        html.Div([html.Span(f"{t('role', lang)}: "), label], className="role") if label else None,
        html.Div(t("role_not_counted", lang), className="muted") if not p.get("counts", True) else None,
        source_details(lang, [research_note(p["role"], lang)], p["source"]),
    ])


HEADINGS = {2: html.H2, 3: html.H3, 4: html.H4, 5: html.H5, 6: html.H6}


def details_panel(atlas: Any, terc: str | None, lang: str, state: FilterState | None = None, level: int = 3) -> list:
    """A gmina's details: its name as a heading of `level` (3 under the page's "Szczegóły", 2 in the embed, under
    its title), its cities' status, facts and projects one level below."""
    if not terc:
        return details_guide(lang)
    info = query.gmina_details(atlas, terc)
    if info is None:
        return details_guide(lang)
    # a name two gminy share (Braniewo, urban and rural) says which one: a narrow embed hides TERYT and voivodeship
    heading = f"{info['name']} ({gmina_kind(info['gmina_type'], lang)})" if info["name_shared"] else info["name"]
    state = state or FilterState(lang=lang)
    head = [
        HEADINGS[level](heading, **{"data-basis": card_basis(state)}),
        html.Dl([html.Dt(t("teryt", lang)), html.Dd(info["terc"]),
                 html.Dt(t("voivodeship", lang)), html.Dd(voivodeship_name(info["voivodeship"], lang))],
                className="kv"),
    ]
    if not info["entities"]:
        return head + [html.P(t("details_none", lang), className="muted")]
    body = []
    ids = query.derived(atlas).entities["entity_id"]
    statuses = dict(zip(ids, query.member_status(atlas, state)))
    shown = dict(zip(ids, query.evidence_shown(atlas, state)))
    date = figures.date_label(membership.year_end(query.asof_year(atlas, state)), lang)
    for e in info["entities"]:
        at = statuses.get(e["entity_id"], "")
        status = (t("status_at", lang, date=date) + ": " + t(f"status_{at}", lang) if at
                  else t("not_member", lang))
        projects = [project_item(p, lang) for p in e["projects"]]
        name = display_name(e["name"], lang)
        named = name not in (info["name"], heading) or len(info["entities"]) > 1   # else the heading names it
        sub = HEADINGS[level + 2 if named else level + 1]   # the history's and the projects' headings
        body.append(html.Div([
            HEADINGS[level + 1](name) if named else None,
            html.Div(status if e["teryt"] == info["terc"] else f"{status} · TERYT {e['teryt']}", className="status"),
            None if shown.get(e["entity_id"], True) or at in ("", "not_member") else
            html.Div(t("status_hidden" if level == 3 else "status_hidden_embed", lang,   # the embed has no filters
                       level=t("ev_" + e["evidence"], lang)), className="status"),
            source_details(lang, [research_note(e["member_note"], lang)], e["member_source"]),
            membership_history(e, lang, sub),
            html.Div([sub(t("project_list", lang)),
                      html.Ul(projects, className="project-list")], className="entity-projects") if projects
            else html.P(t("no_projects", lang), className="muted"),
        ], className="entity"))
    return head + body


def card_basis(state: FilterState) -> str:
    """What a city's card depends on beyond its gmina and language: the year it is as of, the evidence levels shown
    (assets/atlas.js cardBasis asks for the card again when the state's differ)."""
    return f"{state.asof}|{','.join(sorted(state.evidence))}"


def membership_history(entity: dict, lang: str, heading: Any = html.H4):
    """The city's membership facts, oldest first: each event with its date, quote and source; its evidence. Under
    a heading one level below the city's (h4 under the gmina's h3, h5 under a named city's h4: a screen reader's
    outline skipped a level)."""
    if not entity.get("history"):
        return None
    items = [html.Li([
        html.Strong((figures.date_label(h["date"], lang) + (t("date_or_later", lang) if h.get("open") is True else ""))
                    if h["date"] else t("date_unknown", lang)),
        f" — {t('ev_' + h['event'], lang)}",
        source_details(lang, event_notes(h["quote"], lang), h["source"]) if h["event"] != "listed" else None,
    ]) for h in entity["history"]]
    evidence = entity.get("evidence")
    return html.Div([
        heading(t("history", lang)),
        html.Div(f"{t('evidence_level', lang)}: {t('ev_' + evidence, lang)}", className="status") if evidence
        else None,
        html.Ol(items, className="history"),
    ], className="membership-history")


SORT_ICONS = {"asc": "▲", "desc": "▼", None: "↕"}
ARIA_SORT = {"asc": "ascending", "desc": "descending", None: "none"}
DROPDOWNS = ("projects", "voivodeships", "town")
# a dropdown's open panel (search box and "select all" included): Dash's 200 px showed 3 of the 10 projects
DROPDOWN_MAX_PX = 380
PICK_CHARTS = ("growth", "by-voivodeship", "by-project")  # the charts whose bars have a list of buttons


# columns whose few texts repeat down the table (a voivodeship, a status, "unknown", a project's name)
TABLE_WORD_COLUMNS = ("voivodeship", "member", "join_year", "projects")
# the cells' classes by column (assets/style.css: a number right-aligned, the long texts given room)
TABLE_CELL_CLASSES = {"member": "member", "n_projects": "num", "projects": "projects"}


def table_rows(records: list[dict[str, Any]]) -> dict[str, list]:
    """The table's rows as plain lists in column order (TABLE_COLUMNS). assets/atlas.js (renderTable, a
    clientside callback) writes them into the <tbody>: the city's name as the row header (th scope=row), the other
    values as cells. Dash's renderer needs ~4 s for 60 rows of html.Tr/Td components and ~57 s for 250 (measured),
    a DOM write of 300 rows takes milliseconds.

    The texts of TABLE_WORD_COLUMNS are sent once, in "words", and the rows hold their index there ("coded": the
    column positions): the same status on 38 rows was a third of the answer. "classes": each column's cell class."""
    words: dict[str, int] = {}
    coded = [i for i, c in enumerate(TABLE_COLUMNS) if c in TABLE_WORD_COLUMNS]

    def cell(value: Any, i: int) -> Any:
        value = "" if value is None else value
        return words.setdefault(str(value), len(words)) if i in coded else value

    rows = [[cell(r.get(c), i) for i, c in enumerate(TABLE_COLUMNS)] for r in records]
    return {"words": list(words), "coded": coded, "rows": rows,
            "classes": [TABLE_CELL_CLASSES.get(c, "") for c in TABLE_COLUMNS]}


def sort_state(sort_by: Any) -> dict[str, str | None]:
    """Column -> "asc" / "desc" / None for the header buttons (sort_by: [{column_id, direction}])."""
    current = {s.get("column_id"): s.get("direction") for s in sort_by if isinstance(s, dict)} \
        if isinstance(sort_by, list) else {}
    return {c: current.get(c) if current.get(c) in ("asc", "desc") else None for c in TABLE_COLUMNS}


def data_table(atlas: Any, state: FilterState) -> html.Table:
    """One real <table>: a caption, column headers that are sort buttons (aria-sort on the th), row headers."""
    lang = state.lang
    heads = []
    for c in TABLE_COLUMNS:
        heads.append(html.Th(html.Button([
            tr(COLUMN_KEYS[c], lang),
            html.Span(SORT_ICONS[None], id=f"sort-{c}-icon", className="sort-icon", **{"aria-hidden": "true"}),
        ], id=f"sort-{c}", className="sort-button", n_clicks=0, type="button"),
            scope="col", id=f"th-{c}", className="num" if TABLE_CELL_CLASSES.get(c) == "num" else None,
            **{"aria-sort": "none"}))
    return html.Table([
        html.Caption(tr("table_sort_hint", lang), className="sr-only"),
        html.Thead(html.Tr(heads)),
        html.Tbody([], id="table-body"),   # filled by assets/atlas.js from the store "table-data"
    ], id="table", className="data-table",   # named by its title (the caption's sort hint named it), hinted by it
        **{"aria-labelledby": "i18n-table_title", "aria-describedby": "i18n-table_sort_hint"})


def stripes(colours: list[str]) -> str:
    """One swatch's background showing every colour side by side (the lighter classes beside the legend's note: a
    swatch each made the note a line longer in a small embed, and its source line left the frame)."""
    if len(colours) == 1:
        return colours[0]
    step = 100 / len(colours)
    return "linear-gradient(90deg, " + ", ".join(
        f"{c} {i * step:g}% {(i + 1) * step:g}%" for i, c in enumerate(colours)) + ")"


def legend(upd: dict[str, Any]) -> list:
    """The map's classes as HTML (beside/under the map, never on it): a title, one swatch per class, the note on
    the lighter members (known only from later sources) when the date shown has any, and the chosen town's outline."""
    title = str(upd.get("legend_title") or upd["colorbar"]["title"]["text"]).replace("<br>", " ")
    note = upd.get("undated_note")
    return [
        html.Span(title, className="legend-title"),
        *([html.Span(upd["date"], className="legend-date")] if upd.get("date") else []),
        html.Ul([html.Li([html.Span(className="swatch", style={"background": colour}), text])
                 for colour, text in figures.legend_items(upd)], className="legend-items"),
        *([html.Span([html.Span(className="swatch", style={"background": stripes(upd["undated_colours"])}), note],
                     className="legend-note")] if note else []),
        *([html.Span([html.Span(className="swatch outline", style={"borderColor": figures.FOCUS}),
                      upd["focus_label"]], className="legend-note legend-town")] if upd.get("focus_label") else []),
    ]


def chart_updates(atlas: Any, state: FilterState) -> dict[str, dict[str, Any]]:
    """The charts' data (figures.*_update) per chart id: computed once per state for the Patches, the summaries and
    the bars' lists."""
    return {"growth": figures.growth_update(atlas, state), "by-voivodeship": figures.voivodeship_update(atlas, state),
            "by-project": figures.project_update(atlas, state)}


def chart_summaries(atlas: Any, state: FilterState, updates: dict[str, Any] | None = None) -> dict[str, str]:
    """A sentence per chart: what it shows and its largest values (the charts' text alternative)."""
    lang = state.lang
    u = updates or chart_updates(atlas, state)
    v, p = u["by-voivodeship"], u["by-project"]
    return {"growth": _growth_summary(atlas, u["growth"], lang),
            "by-voivodeship": _bars_summary("voiv_summary", v["x"], v["y"], lang, total=True),
            # the projects' names as text (the chart's hovertext is escaped for plotly's markup: "&amp;")
            "by-project": _bars_summary("project_summary", p["x"],
                                        [query.project_labels(atlas, lang).get(c, c) for c in p["customdata"]], lang)}


def _growth_summary(atlas: Any, g: dict[str, Any], lang: str) -> str:
    years = figures.growth_years(atlas)
    if not years:
        return t("growth_title", lang)
    totals = figures.published_totals(atlas)
    last = totals.iloc[-1] if len(totals) else None
    common = dict(lo=years[0], hi=years[-1], unknown=format_number(g["unknown_y"][0], lang),
                  left=format_number(-sum(g["down"]), lang),   # the departures (bars down): they were left out
                  last=format_number(int(last["members"]), lang) if last is not None else "–",
                  last_year=int(last["year"]) if last is not None else "–")
    total = sum(g["y"])
    if not total:
        return t("growth_summary_none", lang, **common)
    top_year, top = _largest(years, g["y"], lang)
    return t("growth_summary", lang, total=format_number(total, lang), top_year=top_year, top=top, **common)


def _bars_summary(key: str, values: list, names: list, lang: str, total: bool = False) -> str:
    """A bar chart's sentence: its largest bar (and the sum); "none" when every bar is empty."""
    if not any(values):
        return t(f"{key}_none", lang)
    extra = {"total": format_number(sum(values), lang)} if total else {}
    top, n = _largest(names, values, lang)
    return t(key, lang, top=top, n=n, **extra)


def _largest(names: list, values: list, lang: str) -> tuple[str, str]:
    """(the largest bar's name, its value); bars tied for it all named, up to three ("1991, 1994 i 2019", "po 1"):
    one of them named as the largest told a screen reader that the others were smaller."""
    top = max(values)
    tied = [str(name) for name, value in zip(names, values) if value == top]
    n = format_number(top, lang)
    if len(tied) == 1:
        return tied[0], n
    return join_words(tied[:3] + ([t("others", lang)] if len(tied) > 3 else []), lang), t("each", lang, n=n)


def pick_keys(atlas: Any) -> dict[str, list[str]]:
    """The buttons of each chart's list, in layout order: years (+ "unknown"), voivodeship codes, project ids."""
    d = query.derived(atlas)
    return {"growth": [str(y) for y in figures.growth_years(atlas)] + ["unknown"],
            "by-voivodeship": list(d.voivodeship_names), "by-project": list(d.project_ids)}


def pick_outputs(atlas: Any, state: FilterState, updates: dict[str, Any] | None = None
                 ) -> dict[str, tuple[list[str], list[str]]]:
    """Per chart: (button texts, aria-pressed values) of its list, in pick_keys order — the same numbers and the
    same choice as the bars."""
    lang = state.lang
    d = query.derived(atlas)
    keys = pick_keys(atlas)
    u = updates or chart_updates(atlas, state)
    g = u["growth"]
    years = figures.growth_years(atlas)
    chosen = set(g["selectedpoints"] or []) if g["selectedpoints"] is not None else set()
    growth_text = [f"{y}: {format_number(n, lang)}" for y, n in zip(years, g["y"])] + \
        [f"{t('year_unknown', lang)}: {format_number(g['unknown_y'][0], lang)}"]
    growth_pressed = [str(i in chosen).lower() for i in range(len(years))] + \
        [str(bool(g["unknown_selectedpoints"]) and state.years is not None).lower()]
    v = u["by-voivodeship"]
    vcount = dict(zip(v["customdata"], v["x"]))
    voiv_text = [f"{voivodeship_name(d.voivodeship_names[c], lang)}: {format_number(vcount.get(c, 0), lang)}"
                 for c in keys["by-voivodeship"]]
    voiv_pressed = [str(c in state.voivodeships).lower() for c in keys["by-voivodeship"]]
    p = u["by-project"]
    ptext = dict(zip(p["customdata"], p["text"]))   # its count, or "no list" (no source lists its participants)
    plabel = query.project_labels(atlas, lang)   # plain text (the chart's hovertext is escaped for plotly)
    proj_text = [f"{plabel.get(c, c)}: {ptext[c]}" for c in keys["by-project"]]
    proj_pressed = [str(c in state.projects).lower() for c in keys["by-project"]]
    return {"growth": (growth_text, growth_pressed), "by-voivodeship": (voiv_text, voiv_pressed),
            "by-project": (proj_text, proj_pressed)}


def bar_lists(atlas: Any, state: FilterState, updates: dict[str, Any] | None = None) -> dict[str, Any]:
    """The bars' buttons as one value for assets/atlas.js barLists: {"texts": {chart: [text per key]}, "pressed":
    {chart: [keys]}}, in the order of the list's data-keys (pick_keys)."""
    picks = pick_outputs(atlas, state, updates)
    keys = pick_keys(atlas)
    return {"texts": {chart: picks[chart][0] for chart in PICK_CHARTS},
            "pressed": {chart: [k for k, p in zip(keys[chart], picks[chart][1]) if p == "true"]
                        for chart in PICK_CHARTS}}


def embed_base() -> str:
    """Where the /embed page is: ATLAS_PUBLIC_URL when set, else the path on the page's own origin."""
    return config.public_url() or config.url_prefix()


def embed_snippet(base_url: str, search: str, lang: str) -> str:
    """The <iframe> for an article: the /embed page of the current view, a title, a height that fits the map."""
    from html import escape

    src = f"{base_url.rstrip('/')}/embed{search or ''}"
    return (f'<iframe src="{escape(src, quote=True)}" title="{escape(t("embed_frame_title", lang), quote=True)}" '
            f'width="100%" height="640" style="border:0;max-width:100%" loading="lazy"></iframe>')


def _control(label_key: str, control_id: str, lang: str, *children: Any) -> html.Div:
    """A labelled filter control (the label names the control for screen readers)."""
    return html.Div([html.Label(tr(label_key, lang), htmlFor=control_id, className="control-label"), *children],
                    className="control")


def _chips_control(lang: str) -> html.Div:
    """The active filters as a fixed pool of chip buttons (MAX_CHIPS), filled by the chips callback."""
    return html.Div([
        html.Div([html.Span(tr("active_filters", lang), className="control-label"),
                  html.Button(tr("clear_all", lang), id="clear", className="button-link", n_clicks=0)],
                 className="chips-head"),
        html.Div([html.Span(t("no_filters", lang), id="chips-none", className="muted")] + [
            html.Button("", id=f"chip-{i}", className="chip", n_clicks=0, hidden=True)
            for i in range(MAX_CHIPS)
        ], id="chips", className="chips", **{"aria-live": "polite"}),
        dcc.Store(id="chip-keys", data=[]),
    ], className="control")


def _export_section(export_panel: Any, lang: str) -> html.Details:
    """The export panel and the embed box (the current view as an <iframe> snippet to copy)."""
    return html.Details([
        html.Summary(tr("export", lang)),
        export_panel.layout(lang),
        html.Div([
            html.H3(tr("embed_heading", lang), className="control-label", id="embed-heading"),
            html.P(tr("embed_help", lang), className="muted help"),
            html.Label(tr("embed_code_label", lang), htmlFor="embed-code", className="sr-only"),
            # the view's snippet comes from the server without the page's origin (answers are shared by every
            # host name of the server); the browser completes it (assets/atlas.js absoluteEmbed)
            dcc.Store(id="embed-snippet", data=embed_snippet(embed_base(), "", lang)),
            dcc.Textarea(id="embed-code", value="", readOnly=True, rows=4, className="embed-code"),
            html.Button(tr("embed_copy", lang), id="embed-copy", className="button", n_clicks=0, type="button"),
            html.Span("", id="embed-copied", className="muted embed-copied", role="status",
                      **{"data-copied-pl": t("embed_copied", "pl"), "data-copied-en": t("embed_copied", "en")}),
        ], className="control embed-box"),
    ], className="export-panel", id="export-section")


def _slot(component: Any, kind: str = "dropdown") -> html.Div:
    """A box with the height of a dropdown or slider, for one: Dash loads their code after the page has started
    (0.5-1.5 s later), and the filters moved down by ~40 px per control when they appeared."""
    return html.Div(component, className=f"slot-{kind}")


def _filters(atlas: Any, state: FilterState, export_panel: Any) -> html.Section:
    """The filter panel (a sheet opened by a button below 900 px)."""
    lang = state.lang
    lo, hi = year_bounds(atlas)
    labels = dropdown_labels(lang)
    return html.Section([
        html.H2(tr("filters", lang), className="panel-title"),
        _control("metric", "metric", lang,
                 dcc.RadioItems(id="metric", options=metric_options(lang), value=state.metric,
                                className="segmented metric", inline=True)),
        asof_control(atlas, state, lang),
        _control("projects", "projects", lang,
                 _slot(dcc.Dropdown(id="projects", options=project_options(atlas, lang), value=[], multi=True,
                                    placeholder=t("projects_placeholder", lang), className="dropdown", labels=labels,
                                    maxHeight=DROPDOWN_MAX_PX)),
                 html.Div([
                     html.Span(tr("match", lang), className="inline-label"),
                     dcc.RadioItems(id="match", options=match_options(lang), value=state.match, inline=True,
                                    className="segmented small"),
                 ], className="match-row")),
        _control("voivodeships", "voivodeships", lang,
                 _slot(dcc.Dropdown(id="voivodeships", options=voivodeship_options(atlas, lang), value=[], multi=True,
                                    placeholder=t("voivodeships_placeholder", lang), className="dropdown",
                                    labels=labels, maxHeight=DROPDOWN_MAX_PX))),
        _control("join_years", "years", lang,
                 _slot(dcc.RangeSlider(id="years", min=lo, max=hi, step=1, value=[lo, hi], marks=year_marks(atlas),
                                       allowCross=False, updatemode="mouseup", tooltip={"placement": "bottom"},
                                       className="years"), "slider"),
                 dcc.Checklist(id="unknown-year", options=unknown_options(lang), value=["yes"], className="check"),
                 html.P(t("years_unknown_only", lang), id="years-note", className="muted years-note", hidden=True)),
        _control("town_search", "town", lang,
                 _slot(dcc.Dropdown(id="town", options=[], value=None, searchable=True, clearable=True,
                                    placeholder=t("town_placeholder", lang), className="dropdown", debounce=False,
                                    search_order="original", labels=labels))),
        _chips_control(lang),
        _export_section(export_panel, lang),
        html.Button(tr("filters_close", lang), id="filters-close", className="button filters-close", type="button",
                    n_clicks=0),
    ], id="filters", className="filters", **{"aria-labelledby": "i18n-filters"})


def _filters_toggle(lang: str, n: int = 0) -> html.Button:
    return html.Button([
        tr("filters_open", lang), html.Span(" ", className="sep"),
        html.Span(t("filters_on", lang, n=n), id="filters-count", className="filters-count"),
    ], id="filters-toggle", className="button filters-toggle", type="button", n_clicks=0,
        **{"aria-expanded": "false", "aria-controls": "filters"})


def _map_card(atlas: Any, state: FilterState, urls: GeoUrls) -> html.Section:
    """The map with its HTML legend (the figure has no colorbar, so no legend box covers the country)."""
    lang = state.lang
    map_fig, map_config = live_map(atlas, state, urls)
    return html.Section([
        html.Div([html.H2(tr("map_title", lang), className="panel-title", id="map-heading"),
                  html.P(tr("map_help", lang), className="muted help")], className="card-head"),
        tr("map_sr", lang, tag=html.P, className="sr-only"),
        html.Div([
            AtlasMap(id="map", figure=map_fig.to_dict(), config=map_config, className="map-graph"),
            tr("map_empty", lang, tag=html.Div, className="map-empty", role="status", hidden=True),
            tr("map_no_list", lang, tag=html.Div, className="map-empty", role="status", hidden=True),
            # while the years play (assets/atlas.js shows it): on a phone the play button is in the closed filter sheet
            html.Button([html.Span("❚❚", className="glyph", **{"aria-hidden": "true"}), tr("asof_pause", lang)],
                        id="map-pause", className="button small map-pause", type="button"),
            html.P(id="asof-status", className="sr-only", role="status"),   # each year the play shows, read out
            # a clicked gmina's details below the fold (a tablet, a phone): whose they are, and a way there
            html.A(tr("details_cue", lang), id="details-cue", href="#details-heading", className="details-cue"),
        ], className="map-wrap", role="figure", **{"aria-labelledby": "map-heading"}),
        tr("legend_heading", lang, className="sr-only"),   # the legend's name, in the page's language
        html.Div(legend(figures.map_update(atlas, state)), id="legend", className="map-legend",
                 role="group", **{"aria-labelledby": "i18n-legend_heading"}),
    ], id="map-section", className="card map-card", tabIndex="-1", **{"aria-labelledby": "map-heading"})


def _details_card(atlas: Any, lang: str) -> html.Section:
    return html.Section([
        html.H2(tr("details", lang), className="panel-title", id="details-heading"),
        html.Div(details_panel(atlas, None, lang), id="details", className="details", **{"aria-live": "polite"}),
    ], className="card side", **{"aria-labelledby": "details-heading"})


def _chart_card(urls: GeoUrls, lang: str, key: str, gid: str, summary: str, keys: list[str]) -> html.Section:
    """A chart, its summary and the list of its bars as buttons. The chart is drawn after the map
    (dashboard.view.callbacks "below"): an empty, axis-less placeholder until then. The buttons are written by
    assets/atlas.js barLists from the "bar-lists" store, one per key of data-keys, not made Dash components: Dash
    visits every component of the page on each update, and these 62 would be a third of them."""
    return html.Section([
        html.H2(tr(key, lang), className="panel-title", id=f"{gid}-heading"),
        html.Div(dcc.Graph(id=gid, figure=PLACEHOLDER_FIGURE,
                           config={**graph_config(urls, f"atlas-zmp-{gid}", lang), "displayModeBar": False},
                           className="chart-graph", responsive=True),
                 className="chart-wrap", role="figure",
                 **{"aria-labelledby": f"{gid}-heading", "aria-describedby": f"{gid}-summary"}),
        html.P(summary, id=f"{gid}-summary", className="chart-summary"),
        html.Details([
            html.Summary(t("chart_list", lang), className="chart-list-summary", id=f"{gid}-list-summary"),
            html.Ul(className="pick-list", **{"data-chart": gid, "data-keys": json.dumps(keys)}),
        ], className="chart-list"),
    ], className="card chart-card", **{"aria-labelledby": f"{gid}-heading"})


def _charts(atlas: Any, state: FilterState, urls: GeoUrls) -> html.Div:
    summaries = chart_summaries(atlas, state)
    keys = pick_keys(atlas)
    return html.Div([_chart_card(urls, state.lang, key, gid, summaries[gid], keys[gid])
                     for key, gid in (("growth_title", "growth"), ("voiv_title", "by-voivodeship"),
                                      ("project_title", "by-project"))], className="charts")


def _table_card(atlas: Any, state: FilterState) -> html.Section:
    lang = state.lang
    return html.Section([
        html.Div([
            html.H2([tr("table_title", lang),
                     html.Span("", id="table-count", className="count")],
                    className="panel-title", id="table-heading"),
            html.Button(tr("download_csv", lang), id="csv-button", className="button", n_clicks=0, type="button"),
            html.Button(tr("download_xlsx", lang), id="xlsx-button", className="button", n_clicks=0, type="button"),
            dcc.Download(id="csv-download"),
            dcc.Store(id="table-sort", data=[]),
            dcc.Store(id="table-data", data=None),  # rows come with the charts, after the map ("below")
            dcc.Store(id="table-rendered"),
        ], className="card-head row"),
        # the scroll container is one Tab stop (keyboard scrolling); Tab and Shift+Tab leave it as anywhere else
        html.Div(data_table(atlas, state), className="table-scroll", tabIndex="0", role="region",
                 **{"aria-labelledby": "table-heading"}),
    ], className="card table-card")


def _header(lang: str) -> html.Header:
    return html.Header([
        html.Div([html.H1(tr("title", lang)), html.P(tr("subtitle", lang), className="subtitle")],
                 className="titles"),
        html.Div([
            html.Span(tr("lang_toggle_label", lang), className="sr-only"),
            dcc.RadioItems(id="lang", options=[{"label": "PL", "value": "pl"}, {"label": "EN", "value": "en"}],
                           value=lang, inline=True, className="segmented lang"),
        ], className="lang-toggle"),
    ], className="app-header")


def _footer(urls: GeoUrls, lang: str, attention: int) -> html.Footer:
    """The sources; and, when rows of the office's files need attention (left off the map), how many and where to
    read which (hidden when none)."""
    return html.Footer([html.H2(tr("sources_heading", lang)),
                        html.P([tr("sources_text", lang), " ", tr("sources_readme", lang, tag=html.A,
                                                                  href=urls.data_readme), "."]),
                        html.P([tr("data_attention", lang), ": ", html.Strong(str(attention)), ". ",
                                tr("data_attention_how", lang)], id="data-attention", className="data-attention",
                               hidden=not attention)],
                       id="sources", className="sources")


def shown_view(state: FilterState) -> dict[str, Any]:
    """What the map shows of `state` (the "view" store): its language, its geo view, whether a box is drawn."""
    return {"lang": state.lang, "focus": figures.view_key(state), "sel": bool(state.selected)}


def build_layout(atlas: Any, urls: GeoUrls, export_panel: Any, lang: str = "pl") -> html.Div:
    """The page of the default view in `lang` (another view's page is this with that view's props set:
    dashboard.app, with_props). `export_panel` is dashboard.export.panel (passed in: this module stays import-light).

    DOM order = reading and Tab order at every width: skip link, header, then in <main> the filters (a sheet opened
    by a button below 900 px), the map with its legend, the details, the key figures, the charts, the table."""
    state = FilterState(lang=lang)
    return html.Div([
        html.A(tr("skip_to_map", lang), href="#map-section", className="skip-link"),
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="state", data=state.to_dict()),
        dcc.Store(id="card-basis", data=None),   # the state's year and evidence, when an open card has others
        dcc.Store(id="view", data=shown_view(state)),
        dcc.Store(id="map-changes", data=None),   # a filter change, compact (callbacks.map_changes)
        # the charts and the table are drawn after the map: assets/atlas-below.js bumps "below-ready" each time
        # the map has been painted with new values; "below-view" is the language the charts were drawn in
        # (None = not yet: full figures next)
        dcc.Store(id="below-ready", data=0),
        dcc.Store(id="below-view", data=None),
        # the texts and pressed states of the bars' buttons (bar_lists), written into the lists by
        # assets/atlas.js barLists; a press of one of them comes back as "pick" ({chart, key, n})
        dcc.Store(id="bar-lists", data=bar_lists(atlas, state)),
        # not None: a memory Store whose data is None sets it on mounting, and the controller would take that
        # for the event of the first load instead of the address
        dcc.Store(id="pick", data={}),
        _header(lang),
        html.Main([
            html.Div(id="notice", className="notice", role="status", hidden=True),
            html.Div([_filters_toggle(lang), _filters(atlas, state, export_panel), _map_card(atlas, state, urls),
                      _details_card(atlas, lang)], className="main-grid"),
            html.Section(strip(atlas, lang), id="strip", className="strip", **{"aria-labelledby": "strip-heading"}),
            html.Div(coverage_note(atlas, state), id="coverage", className="coverage"),
            _charts(atlas, state, urls),
            _table_card(atlas, state),
        ], id="main"),
        _footer(urls, lang, rows_needing_attention(atlas)),
    ], className="app")


def chips_for(atlas: Any, state: FilterState) -> list[tuple[str, str]]:
    """(chip key, visible label) for every active filter."""
    lang = state.lang
    d = query.derived(atlas)
    plabel = query.project_labels(atlas, lang)
    chips = [(f"project:{p}", f"{t('chip_project', lang)}: {plabel.get(p, p)}") for p in state.projects]
    if len(state.projects) > 1 and state.match == "all":
        chips.append(("match:all", t("chip_match_all", lang)))
    names = query.voivodeship_names(atlas)
    chips += [(f"voivodeship:{v}", f"{t('chip_voivodeship', lang)} {voivodeship_name(names.get(v, v), lang)}")
              for v in state.voivodeships]
    if state.years == UNKNOWN_ONLY:
        chips.append(("years:", t("year_unknown", lang)))
    elif state.years is not None:
        lo, hi = state.years
        chips.append(("years:", f"{t('chip_years', lang)} {lo}–{hi}" if lo != hi else f"{t('chip_year', lang)} {lo}"))
    if not state.include_unknown_year and state.years != UNKNOWN_ONLY:
        chips.append(("unknown:", t("chip_no_unknown", lang)))
    if state.selected:
        chips.append(("selected:", f"{t('chip_selected', lang)}: {len(state.selected)}"))
    if state.focus:
        pos = d.gmina_pos.get(state.focus)
        name = atlas.gminy["name"].iloc[pos] if pos is not None else state.focus
        chips.append(("town:", f"{t('chip_town', lang)}: {name}"))
    if set(state.evidence) != set(EVIDENCE_DEFAULT):   # it decides who is a member: ev=weak left 13 of 178
        levels = ", ".join(t(f"ev_{level}", lang) for level in EVIDENCE_LEVELS if level in state.evidence)
        chips.append(("evidence:", f"{t('evidence', lang)}: {levels or '–'}"))
    return chips


def embed_filters(atlas: Any, state: FilterState) -> str:
    """The embed's line under its title: the view's date and its filters as the chips say them (the town has its
    card)."""
    date = figures.as_of_text(atlas, state)
    return " · ".join([date] + [text for key, text in chips_for(atlas, state) if key != "town:"])


def download_notes(atlas: Any, state: FilterState, rows: int) -> list[str]:
    """What the table's XLSX says of its rows on its second sheet, as a desk cites them: the view (its date and
    filters, as the chips say them), how many rows, the source line and the data's date, and the public address
    of the view — none when no public address is configured (a local one reopens nothing for a reader)."""
    lang = state.lang
    view = embed_filters(atlas, state)   # the view's date and filters (a found town filters nothing)
    notes = [f"Atlas ZMP — {t('table_title', lang)}", view[:1].upper() + view[1:],
             t("download_rows", lang, n=format_number(rows, lang)), t("export_source", lang),
             figures.data_date_line(atlas, lang)]
    try:
        public = config.public_url()
    except config.ConfigError:
        public = None
    if public:
        query_text = state.to_query()
        notes.append(f"{t('download_view_link', lang)}: {public}/" + (f"?{query_text}" if query_text else ""))
    return notes


NOTICE_FIELDS = {  # FilterState notice prefix -> the i18n key of the control it concerns
    "projects": "projects", "match": "match", "voivodeships": "voivodeships", "years": "join_years",
    "include_unknown_year": "include_unknown", "selected": "chip_selected", "metric": "metric",
    "lang": "lang_toggle_label", "town": "town_search", "asof": "asof", "evidence": "evidence",
    "query": "notice_query",
}


def notice_text(state: FilterState, embed: bool = False) -> str | None:
    """The visible notice for a tampered/invalid address: which controls fell back to their default, localised.
    (The technical detail of each notice is in FilterState.notices, e.g. for logs.) `embed`: said of the map's
    address, not of the page's settings (an article's reader has none)."""
    if not state.notices:
        return None
    names: list[str] = []
    for field in state.notice_fields:
        key = "chip_town" if embed and field == "town" else NOTICE_FIELDS.get(field)   # the embed has no search box
        label = t(key, state.lang) if key else t("notice_unknown_param", state.lang)
        if label not in names:
            names.append(label)
    return t("notice_invalid_embed" if embed else "notice_invalid", state.lang, details=", ".join(names))


def embed_title(state: FilterState) -> str:
    """What an embedded map shows, for an article's reader ("Mapa gmin" said nothing of the union)."""
    return t("embed_title_membership" if state.metric == "membership" else "embed_title", state.lang)


def embed_layout(atlas: Any, urls: GeoUrls, view: FilterState) -> html.Div:
    """/embed of `view` (in its language, with its legend): the map with its legend, title, source line and a link
    to the full atlas; no filter chrome. The view comes from the same query as the main page (read by the embed
    callback)."""
    state = FilterState(lang=view.lang)
    lang = state.lang
    fig, config = live_map(atlas, state, urls, article=True)
    filters, notice = embed_filters(atlas, view), notice_text(view, embed=True)
    return html.Div([
        dcc.Location(id="url", refresh=False),
        # every part in a landmark (axe: region): the head a banner, the map main, the source line contentinfo
        html.Header([
            html.H1(embed_title(view), id="embed-title", className="embed-title"),
            html.A(t("embed_open", lang), id="embed-open", href="/", target="_blank", rel="noopener",
                   className="embed-open"),
            # the view's filters ("Projekt: … · Woj. małopolskie"): an article's reader must not take a filtered map
            # for the whole country's (empty for the default view)
            html.P(filters, id="embed-view", className="embed-view", title=filters),
            # a tampered address: the journalist checking the article sees that the map is not the one asked for
            # (one line: in a small frame a longer one pushed the source line out; a screen reader reads it whole)
            html.P(notice, id="notice", className="notice embed-notice", role="status", hidden=not notice,
                   title=notice),
        ], className="embed-head"),
        html.Main([
            html.Div(AtlasMap(id="map", figure=fig.to_dict(), config=config, className="map-graph"),
                     className="map-wrap", role="figure", **{"aria-labelledby": "embed-title"}),
            html.Div(legend(figures.map_update(atlas, view)), id="legend", className="map-legend", role="group",
                     **{"aria-label": t("legend_heading", lang)}),
            # a clicked gmina's details: a card over the map's corner (below the map they took the map's height:
            # 514 -> 355 px in a 640 px frame, and cut the source line of a 300 px one), with a close button. The
            # guide stays in its line beside the card: the map keeps its box when a card opens or closes
            html.Div([
                html.Button("×", id="details-close", className="details-close", type="button", n_clicks=0,
                            **{"aria-label": t("details_close", lang)}),
                html.Div([], id="details", className="details embed-details", **{"aria-live": "polite"}),
            ], className="embed-card"),
            embed_guide(lang),
        ], className="embed-main"),
        html.Footer(t("export_source", lang), id="embed-source", className="embed-source"),
    ], className="embed", id="embed")


def with_props(tree: Any, props: dict[tuple[str, str], Any]) -> Any:
    """`tree` (a layout) with `props` ({(id, prop): value}) set on its components; every id must be in it."""
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif isinstance(node, Component):
            if isinstance(getattr(node, "id", None), str):
                found[node.id] = node
            walk(getattr(node, "children", None))

    walk(tree)
    missing = sorted({ident for ident, _ in props} - found.keys())
    if missing:
        raise KeyError(f"no component of the layout has the id(s) {missing}")
    for (ident, prop), value in props.items():
        setattr(found[ident], prop, value)
    return tree


def in_the_pages_view(app: Any, atlas: Any, build: Callable[[FilterState], Any]) -> None:
    """`app`'s layout for the view of the page that asks for it: /_dash-layout's Referer is the page's address.
    The page starts in its view: its language (not the default Polish switched by the first answer: 0.5-1.3 s of
    Polish headings, filters and legend measured), its legend under the early map of that view (the all-Poland
    legend, replaced at the first answer, moved the map by 11-22 px), its controls, figures and map figure (the
    first answer patched the early map and had it drawn again, and the charts asked for a second time), and a
    tampered address's notice (it came with that answer, ~1 s after the map).
    The default view's layout is app.layout as usual; another view's is built and serialised once (the last 64
    kept, as the page itself: dashboard.view.boot) and answered from a before_request hook (a layout function
    instead would put the whole layout into the page for Dash's callback validation: +165 KB of HTML)."""
    app.layout = build(FilterState())
    path = app.config.requests_pathname_prefix + "_dash-layout"

    # the key: the view's canonical query and the settings a tampered address got wrong (its notice names them, not
    # the values): crafted queries fold onto valid views
    @lru_cache(maxsize=64)
    def answer(view_query: str, wrong: tuple[str, ...]) -> str:
        view = dataclasses.replace(query.address_view(atlas, view_query), notices=wrong)
        return json.dumps(build(view), cls=PlotlyJSONEncoder)

    def layout_of_the_pages_view():
        if request.path != path or request.method != "GET" or not request.referrer:
            return None
        view = query.address_view(atlas, urlsplit(request.referrer).query)
        key = (view.to_query(), view.notice_fields)
        return Response(answer(*key), mimetype="application/json") if any(key) else None

    app.server.before_request(layout_of_the_pages_view)
