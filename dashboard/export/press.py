"""Press export: the press figure built from the dashboard's map, and the texts generated for it.

Three modules, one job each (every public name is importable from here):
- ``export_spec``: presets (sizes, type sizes, DPI) and ExportSpec (the validated, serialisable request);
- ``export_layout``: text measurement and the arrangement of the page (pure geometry);
- ``export`` (this one): texts generated from the filters, the legend, the short link, and the plotly figure.
No Dash, no browser here. ``render.py`` turns the figure into PNG/SVG/PDF bytes; ``export_cli`` and
``export_panel`` are the two front doors. User-facing words live in dashboard/i18n.py (the export section).

The press figure is the dashboard's own ``map_figure(atlas, state, geojson)`` (same projection, same classes,
same colours) sized for the preset and framed like a press graphic:

    ┌───────────────────────────────────────────────┐   title (bold), subtitle: generated from the filters,
    │ ▬ Title                                       │   editable, PL/EN
    │ subtitle                                      │
    │ ┌───────────────────────┐  Legend title       │   legend: the map's classes with their counts
    │ │          map          │  ■ class (n)        │   (beside the map on landscape pages, under it on
    │ └───────────────────────┘  ■ class (n)        │   portrait ones)
    │ ───────────────────────────────────────────── │
    │ Źródło: Związek Miast Polskich; granice: …    │   source line (+ gazetteer credit when town points
    │ Stan danych: … · https://…/?p=P1       [logo] │   are drawn), data date, short URL of the view, logo
    └───────────────────────────────────────────────┘

Every measure is in CSS px of the preset (1 px = 1/96 in); print presets are rendered at 300 dpi.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from dashboard import config
from dashboard.export.page import (  # noqa: F401 - re-exported: dashboard.export.press is the public face
    FONT_FAMILY,
    GEO_BOX_ASPECT,
    GEO_INSETS,
    LINE,
    MAP_ASPECT,
    Box,
    Legend,
    LegendEntry,
    PressLayout,
    PressTexts,
    _legend_head_h,
    _legend_row_h,
    geo_domain,
    layout_press,
    text_width,
    wrap,
)
from dashboard.export.spec import (  # noqa: F401 - re-exported
    CSS_DPI,
    FORMATS,
    MAX_SUBTITLE_CHARS,
    MAX_TITLE_CHARS,
    MIME,
    MM_PER_IN,
    PRESETS,
    ExportSpec,
    ExportSpecError,
    Preset,
    get_preset,
)
from dashboard.i18n import escape_markup, format_number, plural_form, plural_pl, t  # noqa: F401 - plural_pl re-exported
from dashboard.model import query
from dashboard.model.state import LANGS, FilterState
from dashboard.view import figures
from dashboard.view.figures import INK, MUTED

RULE = "#c9ced6"
ACCENT = "#c8102e"          # the red of the Polish flag / ZMP's identity colour, used only for the accent bar

SOURCE_LINE = {lang: t("export_source", lang) for lang in LANGS}   # attribution is data: on every export
GAZETTEER_CREDIT = {lang: t("export_gazetteer_credit", lang) for lang in LANGS}


# --- texts generated from the filters ------------------------------------------------------------------------
def _project_labels(atlas: Any, ids: Sequence[str], lang: str) -> list[str]:
    labels = query.project_labels(atlas, lang)
    return [labels.get(pid, pid) for pid in ids]


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t("export_and", lang) + items[-1]


_QUOTES = re.compile("[„”“\"'‘’«»]")


def _quote(text: str, lang: str) -> str:
    return t("export_quote", lang, text=text)


def cities_word(n: int, lang: str) -> str:
    """'1 miasto', '3 miasta', '5 miast' / '1 city', '5 cities' (the number never parts from its noun)."""
    return f"{format_number(n, lang)}\u00a0{plural_form('export_cities', n, lang)}"


def default_title(atlas: Any, state: FilterState, lang: str) -> str:
    labels = _project_labels(atlas, state.projects, lang)
    if not labels:
        return t("export_title_members" if state.metric == "membership" else "export_title_all", lang)
    if len(labels) == 1:
        kinds = atlas.projects.set_index("id")["kind"] if "kind" in atlas.projects else {}
        if kinds.get(state.projects[0]) == "campaign" or _QUOTES.search(labels[0]):
            # a campaign's label names itself ("Kampania „Jedno dla wszystkich”"): no "Projekt", no extra quotes
            return t("export_title_named", lang, label=labels[0])
        return t("export_title_project", lang, label=_quote(labels[0], lang))
    quoted = [x if _QUOTES.search(x) else _quote(x, lang) for x in labels]
    return t("export_title_projects", lang, labels=_join(quoted, lang))


def default_subtitle(atlas: Any, state: FilterState, lang: str, n_cities: int) -> str:
    parts: list[str] = []
    if len(state.projects) > 1:
        parts.append(t("export_match_any" if state.match == "any" else "export_match_all", lang))
    names = query.voivodeship_names(atlas)
    if state.voivodeships:
        woj = [names.get(c, c) for c in state.voivodeships]
        parts.append(t("export_voivodeship" if len(woj) == 1 else "export_voivodeships", lang,
                       names=_join(woj, lang)))
    else:
        parts.append(t("export_all_poland", lang))
    if state.years is not None:
        lo, hi = state.years
        span = str(lo) if lo == hi else f"{lo}–{hi}"
        parts.append(t("export_joined", lang, span=span)
                     + (t("export_or_unknown", lang) if state.include_unknown_year else ""))
    elif not state.include_unknown_year:
        parts.append(t("export_known_year_only", lang))
    if state.selected:
        k = len(state.selected)
        parts.append(t("export_selection", lang, n=format_number(k, lang), gminy=plural_form("export_gminy", k, lang)))
    parts.append(cities_word(n_cities, lang))
    if state.metric == "membership":
        parts.append(t("export_colour_membership", lang))
    return " · ".join(parts)


def _base(base_url: str | None) -> str:
    return base_url.rstrip("/") if base_url else config.public_url()


def view_url(state: FilterState, base_url: str | None = None) -> str:
    """The dashboard URL that reopens this view (base from $ATLAS_PUBLIC_URL; query = FilterState.to_query)."""
    query = state.to_query()
    return f"{_base(base_url)}/?{query}" if query else f"{_base(base_url)}/"


MAX_PRINTED_QUERY = 60   # longer queries (e.g. a map selection of 300 gminy) are printed as a short link


def link_key(query: str) -> str:
    """Content-addressed key of a view's query: the same view always gets the same short link."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(query.encode("utf-8")).digest()).decode("ascii")[:10].lower()


LINK_PATH = "v/"   # short links: <base>/v/<key> -> <base>/?<query> (export_panel registers the route)


def press_link(state: FilterState, base_url: str | None = None) -> tuple[str, tuple[str, str] | None]:
    """(URL printed on the map, (key, query) to store when it is a short link). A short query is printed as is
    (readable, needs no server state); a long one becomes <base>/v/<key>."""
    query = state.to_query()
    if len(query) <= MAX_PRINTED_QUERY:
        return view_url(state, base_url), None
    key = link_key(query)
    return f"{_base(base_url)}/{LINK_PATH}{key}", (key, query)



def data_date(atlas: Any) -> str:
    """The date of the data shown: the "as of" of the union's latest published membership figure."""
    totals = getattr(atlas, "totals", None)
    if totals is None or not len(totals) or "year" not in totals:
        return "–"
    latest = totals.sort_values("year").iloc[-1]
    as_of = latest.get("as_of") if hasattr(latest, "get") else None
    return str(as_of) if isinstance(as_of, str) and as_of.strip() else str(int(latest["year"]))


def data_date_line(atlas: Any, lang: str, today: _dt.date | None = None) -> str:
    today = today or _dt.date.today()
    return t("export_date_line", lang, date=data_date(atlas), today=today.strftime(t("export_today", lang)))


def map_legend(atlas: Any, state: FilterState) -> Legend:
    """The map's stepped legend as (colour, class label, number of gminy), from the map's own classification
    (figures.map_classes), so the press legend is exactly what the dashboard map shows."""
    in_view, _, classes = figures.map_classes(atlas, state)
    entries = [LegendEntry(c, label, n) for c, label, n in zip(classes.colours, classes.labels, classes.counts)]
    entries.append(LegendEntry(figures.OTHER_GREY, t("legend_other", state.lang),
                               len(atlas.gminy) - int(in_view.sum())))
    # figures' legend title may carry its own line break and count note ("Liczba projektów<br>(liczba gmin)")
    lines = [re.sub(r"<[^>]+>", "", x).strip() for x in re.split(r"<br\s*/?>", classes.title)]
    lines = [x for x in lines if x]
    count_label = "" if len(lines) > 1 else "gminy"   # the counts count gminy (the word is used in English too)
    return Legend(title="\n".join(lines), entries=tuple(entries), count_label=count_label)



def key_facts(n_cities: int, top: tuple[str, int] | None, lang: str) -> tuple[str, ...]:
    if n_cities <= 0:   # an empty view says so where the number would stand
        return (format_number(0, lang), t("export_no_match", lang))
    facts = (format_number(n_cities, lang), plural_form("export_in_view", n_cities, lang))
    if top is not None and top[1] < n_cities:
        facts += (t("export_most", lang, name=top[0], n=format_number(top[1], lang)),)
    return facts


def press_texts(atlas: Any, spec: ExportSpec, legend: Legend, n_cities: int, *, uses_gazetteer: bool,
                top: tuple[str, int] | None = None, today: _dt.date | None = None) -> PressTexts:
    lang, state = spec.lang, spec.state
    source = SOURCE_LINE[lang]
    if uses_gazetteer:
        source += "; " + GAZETTEER_CREDIT[lang]
    link = press_link(state, spec.base_url)
    return PressTexts(
        title=spec.title or default_title(atlas, state, lang),
        subtitle=spec.subtitle if spec.subtitle is not None else default_subtitle(atlas, state, lang, n_cities),
        source=source,
        date_line=data_date_line(atlas, lang, today),
        url=link[0],
        link=link[1],
        legend=legend,
        facts=key_facts(n_cities, top, lang),
    )


def logo_path() -> Path | None:
    """$ATLAS_LOGO, else assets/logo.svg or assets/logo.png when the office has put one there (not shipped: it is
    the union's trademark). An SVG logo stays vector in PDF/SVG exports."""
    override = config.logo()
    if override:
        path = Path(override)
        if not path.is_file() or path.suffix.lower() not in (".svg", ".png"):
            raise ExportSpecError(f"ATLAS_LOGO={override!r} is not an .svg or .png file")
        return path
    assets = Path(__file__).resolve().parents[2] / "assets"
    for name in ("logo.svg", "logo.png"):
        if (assets / name).is_file():
            return assets / name
    return None


def _logo_source(path: Path) -> str:
    import base64

    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")



def is_zoomed(fig: Any) -> bool:
    """True when the map shows less than all of Poland (figures zoom with the projection's scale)."""
    scale = fig.layout.geo.projection.scale
    return scale is not None and scale > 1.0001


@dataclass(frozen=True)
class PressFigure:
    figure: Any            # go.Figure sized for the preset
    texts: PressTexts
    entities: Any          # DataFrame of the cities/JST in view (query.filter_entities)


def press_figure(atlas: Any, spec: ExportSpec, geojson: str | dict, *, outline: str | dict | None = None,
                 today: _dt.date | None = None) -> PressFigure:
    """The press graphic for ``spec``: the dashboard's ``map_figure`` for the view, framed for the preset.

    geojson/outline: the gminy and województwa GeoJSON (dicts, or URLs the renderer can read)."""
    state = spec.state
    map_fig = figures.map_figure(atlas, state, geojson, outline=outline)
    entities = query.filter_entities(atlas, state)
    legend = map_legend(atlas, state)
    # a town point (from the gazetteer) is used as the centre of a view zoomed on a town; the map draws no markers
    points = entities.iloc[0:0]
    if state.focus:
        points = query.derived(atlas).entities
        points = points[points["gmina_teryt"] == state.focus]
    sources = set(points.get("point_source", [])) if len(points) else set()
    by_woj = entities["voivodeship"].astype(str).value_counts()
    top = (str(by_woj.index[0]), int(by_woj.iloc[0])) if len(by_woj) else None
    fig, texts = build_press_figure(atlas, spec, map_fig, legend=legend, n_cities=len(entities), top=top,
                                    today=today, uses_gazetteer="gazetteer" in sources)
    return PressFigure(fig, texts, entities)


def build_press_figure(atlas: Any, spec: ExportSpec, map_fig: Any, *, legend: Legend, n_cities: int,
                       top: tuple[str, int] | None = None, uses_gazetteer: bool = False,
                       today: _dt.date | None = None):
    """(figure, texts): ``map_fig`` (the dashboard's map for spec.state) re-framed for spec's preset."""
    import plotly.graph_objects as go

    preset = spec.preset_obj
    texts = press_texts(atlas, spec, legend, n_cities, uses_gazetteer=uses_gazetteer, top=top, today=today)
    logo = logo_path() if spec.logo else None
    lay = layout_press(preset, texts, with_logo=logo is not None)
    W, H = lay.width, lay.height
    ls, ns = preset.legend_size, preset.note_size

    def px(x: float) -> float:
        return x / W

    def py(y: float) -> float:
        return 1 - y / H

    fig = go.Figure(map_fig)
    for tr in fig.data:
        if tr.type == "choropleth":
            tr.update(showscale=False)   # the selection (selectedpoints) stays highlighted as on the dashboard
        tr.update(showlegend=False)
    # the national view is placed by the measured insets (Poland's outline fills the map box); a zoomed view (a town,
    # or województwa) fills the whole geo box, cut square at its edges: it gets a box of the geo's own aspect inside
    # the map box (another aspect moves plotly's centre off the view's centre), framed by a thin rule
    mb = lay.map_box
    zoomed = bool(spec.state.focus) or is_zoomed(map_fig)
    dom = Box(mb.x, mb.y + (mb.h - mb.w / GEO_BOX_ASPECT) / 2, mb.w, mb.w / GEO_BOX_ASPECT) if zoomed \
        else geo_domain(mb)
    fig.update_geos(domain=dict(x=[px(dom.x), px(dom.x + dom.w)], y=[py(dom.y + dom.h), py(dom.y)]))
    fig.update_layout(
        width=W, height=H, autosize=False,
        margin=dict(l=0, r=0, t=0, b=0, pad=0),
        paper_bgcolor="white", plot_bgcolor="white",
        font=dict(family=FONT_FAMILY, color=INK, size=ls),
        title=None, showlegend=False, dragmode=False, hovermode=False,
        annotations=[], shapes=[], images=[],
        meta=None,
    )
    ann: list[dict] = []
    shapes: list[dict] = []
    if zoomed:
        shapes.append(dict(type="rect", xref="paper", yref="paper", x0=px(dom.x), x1=px(dom.x + dom.w),
                           y0=py(dom.y + dom.h), y1=py(dom.y), line=dict(color=RULE, width=max(0.5, ns * 0.08)),
                           fillcolor="rgba(0,0,0,0)", layer="above"))

    def text(x, y, s, size, *, color=INK, bold=False, xanchor="left", yanchor="top"):
        body = f"<b>{s}</b>" if bold else s
        ann.append(dict(x=px(x), y=py(y), xref="paper", yref="paper", text=body, showarrow=False,
                        xanchor=xanchor, yanchor=yanchor, align="left" if xanchor == "left" else "right",
                        font=dict(size=size, color=color, family=FONT_FAMILY), borderpad=0))

    ab = lay.accent_box
    shapes.append(dict(type="rect", xref="paper", yref="paper", x0=px(ab.x), x1=px(ab.x + ab.w),
                       y0=py(ab.y + ab.h), y1=py(ab.y), fillcolor=ACCENT, line=dict(width=0)))
    text(lay.title_box.x, lay.title_box.y, "<br>".join(escape_markup(x) for x in lay.title_lines), lay.title_size,
         bold=True)
    if lay.subtitle_lines:
        text(lay.subtitle_box.x, lay.subtitle_box.y, "<br>".join(escape_markup(x) for x in lay.subtitle_lines),
             lay.subtitle_size, color=MUTED)

    # legend: title, then one row per class: swatch, label, count (right-aligned)
    lg, lb = texts.legend, lay.legend_box
    if lg.entries:
        head = lg.title.split("\n")
        text(lb.x, lb.y, "<br>".join([f"<b>{escape_markup(head[0])}</b>"] + [escape_markup(x) for x in head[1:]]), ls)
        if lg.count_label:
            text(lb.x + lb.w, lb.y + ls * 0.15, escape_markup(lg.count_label), ls * 0.8, color=MUTED, xanchor="right")
        row_y = lb.y + _legend_head_h(lg, ls)
        sw = ls * 1.15
        for e, lines in zip(lg.entries, lay.legend_rows):
            top = row_y + (ls * 1.75 - sw) / 2
            shapes.append(dict(type="rect", xref="paper", yref="paper", x0=px(lb.x), x1=px(lb.x + sw),
                               y0=py(top + sw), y1=py(top), fillcolor=e.color,
                               line=dict(color="#8a9099", width=max(0.5, ls * 0.04))))
            mid = top + sw / 2
            text(lb.x + sw + ls * 0.6, mid - ls * LINE / 2, "<br>".join(escape_markup(x) for x in lines), ls)
            text(lb.x + lb.w, mid, format_number(e.count, spec.lang), ls, color=MUTED, xanchor="right",
                 yanchor="middle")
            row_y += _legend_row_h(lines, ls)

    if lay.facts_box is not None:
        fb, big = lay.facts_box, preset.title_size * 1.5
        text(fb.x, fb.y, escape_markup(texts.facts[0]), big, color=ACCENT, bold=True)
        if texts.facts[1:]:
            text(fb.x, fb.y + big * 1.15, "<br>".join(escape_markup(x) for x in texts.facts[1:]), ls, color=MUTED)

    shapes.append(dict(type="line", xref="paper", yref="paper", x0=px(preset.margin), x1=px(W - preset.margin),
                       y0=py(lay.rule_y), y1=py(lay.rule_y), line=dict(color=RULE, width=max(0.5, ns * 0.08))))
    text(lay.footer_box.x, lay.footer_box.y, "<br>".join(escape_markup(x) for x in lay.footer_lines), ns, color=MUTED)
    if logo is not None and lay.logo_box is not None:
        b = lay.logo_box
        fig.add_layout_image(dict(source=_logo_source(logo), xref="paper", yref="paper", x=px(b.x + b.w),
                                  y=py(b.y), sizex=b.w / W, sizey=b.h / H, xanchor="right", yanchor="top",
                                  sizing="contain", layer="above"))
    fig.update_layout(annotations=ann, shapes=shapes)
    return fig, texts
