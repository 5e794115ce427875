"""The page as the server sends it, before any script has run: the page's frame with the map of the asked-for view
drawn as an SVG (dashboard.view.picture), so a visitor sees the map at once (issue 10). assets/atlas-boot.js keeps
the picture over the live map's place until plotly has drawn the same view there, then removes it.

The frame is the page's own components (the header, the map card's head, the legend) written out as HTML, so it has
the page's sizes and the map lands where the live one will be. It is inert and aria-hidden: the live page that
replaces it is the accessible one (a keyboard or a screen reader meets nothing before it).
"""
from __future__ import annotations

import html as html_text
from functools import lru_cache
from typing import Any, Callable

import dash
from dash import html
from flask import request

import geodata
from dashboard.i18n import t
from dashboard.model import query
from dashboard.model.state import FilterState
from dashboard.view import callbacks, figures, layout, picture

# Dash's scripts are fetched in parallel but, as plain <script> tags, run while the page is parsed: no frame is painted
# until they have all run (~0.8 s here). Deferred, they run after the first paint of the page and its picture; the
# renderer starts once they have run (DOMContentLoaded comes after the deferred scripts).
RENDERER = "var renderer = new DashRenderer();"
DEFERRED_RENDERER = ('window.addEventListener("DOMContentLoaded", function () { '
                     'window.renderer = new DashRenderer(); });')
VOID = {"img", "input", "br", "hr", "meta", "link"}
ATTRIBUTES = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex"}


def static_html(node: Any) -> str:
    """Dash html components as HTML text (ids dropped: the live page has them). Other components (dcc controls)
    become an empty <div> of the same class; text is escaped."""
    if node is None:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(static_html(n) for n in node)
    if isinstance(node, (str, int, float)):
        return html_text.escape(str(node))
    props = {k: v for k, v in node.to_plotly_json()["props"].items() if k not in ("id", "children")}
    if getattr(node, "_type", "") == "RadioItems":
        return _radio_items(props)
    if getattr(node, "_namespace", "") != "dash_html_components":
        return f'<div class="{html_text.escape(str(props.get("className", "")))}"></div>'
    tag = node._type.lower()
    attrs = "".join(_attribute(k, v) for k, v in props.items())
    inner = "" if tag in VOID else static_html(getattr(node, "children", None)) + f"</{tag}>"
    return f"<{tag}{attrs}>{inner}"


def _radio_items(props: dict[str, Any]) -> str:
    """A segmented dcc.RadioItems (the language toggle) as Dash 4 draws it, its value chosen."""
    options = "".join(
        f'<label class="dash-options-list-option{" selected" if o["value"] == props.get("value") else ""} '
        f'dash-radioitems-inline"><span class="dash-options-list-option-wrapper"><input type="radio" '
        f'class="dash-options-list-option-checkbox"{" checked" if o["value"] == props.get("value") else ""}>'
        f'</span><span class="dash-options-list-option-text"><span>{html_text.escape(str(o["label"]))}</span>'
        "</span></label>" for o in props.get("options", []))
    return (f'<div class="dash-options-list dash-radioitems {html_text.escape(str(props.get("className", "")))}">'
            f"{options}</div>")


def _attribute(name: str, value: Any) -> str:
    if name == "style":
        value = ";".join(f"{k}:{v}" for k, v in value.items())
    elif isinstance(value, bool):
        return f" {name}" if value else ""
    elif name == "n_clicks" or value is None:
        return ""
    return f' {ATTRIBUTES.get(name, name)}="{html_text.escape(str(value))}"'


def frame(atlas: Any, state: FilterState, svg: str, upd: dict[str, Any] | None = None) -> str:
    """The main page's frame: header, the filters button and column, the map card with the picture and its legend,
    the details column (empty: their texts come with the live page)."""
    lang = state.lang
    upd = upd or figures.map_update(atlas, state)
    head = [html.H2(t("map_title", lang), className="panel-title"),
            html.P(t("map_help", lang), className="muted help")]
    return (_opening("app", state, upd)
            + static_html(layout._header(lang)) + '<main><div class="main-grid">'
            + static_html(layout._filters_toggle(lang, len(callbacks.chips_for(atlas, state))))
            + '<div class="filters"></div>'
            + '<section class="card map-card"><div class="card-head">' + static_html(head) + "</div>"
            + _map(svg, upd) + '</section><section class="card side"></section></div></main></div>')


def embed_frame(atlas: Any, state: FilterState, svg: str, upd: dict[str, Any] | None = None) -> str:
    """/embed's frame: the title, the map with its legend, the first lines of the details, the source line."""
    lang = state.lang
    upd = upd or figures.map_update(atlas, state)
    head = [html.H1(t("map_title", lang), className="embed-title"),
            html.Span(t("embed_open", lang), className="embed-open")]
    return (_opening("embed", state, upd) + f'<div class="embed-head">{static_html(head)}</div>'
            + '<main class="embed-main">' + _map(svg, upd)
            + f'<div class="details embed-details">{static_html(layout.embed_guide(lang))}</div>'
            + f'</main><p class="embed-source">{html_text.escape(t("export_source", lang))}</p></div>')


def _opening(page: str, state: FilterState, upd: dict[str, Any]) -> str:
    return (f'<div id="boot" class="{page} boot" aria-hidden="true" inert data-z="{_z(upd)}" '
            f'data-view="{figures.view_key(state)}">')


def _map(svg: str, upd: dict[str, Any]) -> str:
    return (f'<div class="map-wrap"><div class="map-graph boot-map" aria-hidden="true">{svg}</div></div>'
            f'<div class="map-legend">{static_html(layout.legend(upd))}</div>')


def _z(upd: dict[str, Any]) -> str:
    """The map's class per gmina as the live map's z joined (the script compares it with the drawn figure)."""
    return "".join(str(z) for z in upd["z"])


def install(app: dash.Dash, atlas: Any, page_frame: Callable[..., str] = frame, title_key: str = "title") -> None:
    """Serve `page_frame` with the map of the request's view in front of the app's entry point, and the page's
    language, title (TEXT[title_key]) and description in the view's language (a shared link's preview, a screen
    reader's first words)."""
    shapes = picture.load_shapes(geodata.web_asset("gminy"), geodata.web_asset("wojewodztwa"),
                                 tuple(atlas.gminy["terc"]))
    known, places = set(query.derived(atlas).project_ids), query.known_places(atlas)

    @lru_cache(maxsize=64)   # the key is the view's canonical query: crafted queries fold onto valid views
    def page(view_query: str) -> str:
        state = FilterState.from_query(view_query, known_projects=known, known_places=places)
        upd = figures.map_update(atlas, state)
        return page_frame(atlas, state, picture.map_svg(atlas, state, shapes, upd), upd)

    interpolate: Callable[..., str] = app.interpolate_index

    def interpolate_index(**parts: str) -> str:
        state = FilterState.from_query(request.query_string.decode("utf-8", "replace"), known_projects=known,
                                       known_places=places)
        parts["app_entry"] = page(state.to_query()) + parts["app_entry"]
        if RENDERER in parts["renderer"]:   # (another Dash may start its renderer otherwise: then nothing is deferred)
            parts["scripts"] = parts["scripts"].replace("<script src=", "<script defer src=")
            parts["renderer"] = parts["renderer"].replace(RENDERER, DEFERRED_RENDERER)
        parts["title"] = t(title_key, state.lang)
        parts["metas"] = parts["metas"].replace(f'content="{t("subtitle")}"', f'content="{t("subtitle", state.lang)}"')
        return interpolate(**parts).replace('<html lang="pl">', f'<html lang="{state.lang}">', 1)

    app.interpolate_index = interpolate_index
