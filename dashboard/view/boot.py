"""The page as the server sends it, before any script has run: the page's frame with the map of the asked-for view
drawn as an SVG (dashboard.view.picture), so a visitor sees the map at once (issue 10), and the live map's figure,
which plotly.js draws over the picture as soon as it has run, before Dash's page starts (assets/atlas-map.js; the
map component takes that plot over). assets/atlas-boot.js removes the frame when the live page shows the same view.

The frame is the page's own components (the header, the map card's head, the legend) written out as HTML, so it has
the page's sizes and the map lands where the live one will be. It is aria-hidden and all but the map is inert: the
live page that replaces it is the accessible one (a keyboard or a screen reader meets nothing before it).
"""
from __future__ import annotations

import html as html_text
import json
import re
from functools import lru_cache
from typing import Any, Callable

import dash
from dash import html
from flask import request

import geodata
from dashboard.i18n import t
from dashboard.model import query
from dashboard.model.state import FilterState
from dashboard.view import figures, layout, picture
from dashboard.view.urls import GeoUrls

# The order of the page's start. Dash's scripts, as plain <script> tags, run while the page is parsed: no frame is
# painted until they have all run (~0.8 s here). Instead: plotly.js and the assets are deferred (they run after the
# first paint of the page and its picture), and assets/atlas-map.js draws the live map with them; Dash's own scripts
# (React, the renderer, dcc, ...: ~0.15 s of running them, ~0.4 s with the renderer's start) are downloaded at once
# (preloaded) but run only after the map has been painted, in their order, and then the renderer starts. What the
# renderer fetches first (its layout, its callbacks) is asked for then too, not while the server sends the map's files.
RENDERER = "var renderer = new DashRenderer();"
DASH_SCRIPT = re.compile(r'<script src="([^"]*(?:/_dash-component-suites/|/_atlas/js/regenerator-runtime)[^"]*)">'
                         r"</script>\n?")
LATER = "text/x-after-the-map"   # the type of their <script> tags: the browser neither loads nor runs them
AFTER_THE_MAP = """window.addEventListener("DOMContentLoaded", function () {
  Promise.resolve(window.atlasMapReady).then(function () {
    window.requestAnimationFrame(function () { window.setTimeout(load, 0); });   /* after the map's paint */
  });
  function load() {
    %s.forEach(function (url) {   /* what the renderer fetches first: the layout and the callbacks */
      var link = document.createElement("link");
      link.rel = "preload"; link.as = "fetch"; link.crossOrigin = "anonymous"; link.href = url;
      document.head.appendChild(link);
    });
    var later = document.querySelectorAll('script[type="%s"]'), left = later.length;
    Array.prototype.forEach.call(later, function (tag) {
      var script = document.createElement("script");
      script.src = tag.src;
      script.async = false;   /* run in this order */
      script.onload = script.onerror = function () { left -= 1; if (!left) { window.renderer = new DashRenderer(); } };
      document.body.appendChild(script);
    });
  }
});"""
LT = "\\u003c"   # "<" in a JSON string, as a <script> holding JSON must have it
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
    if name == "style":   # React's camelCase names as CSS's (borderColor -> border-color)
        value = ";".join(f"{re.sub('([A-Z])', lambda m: '-' + m[1].lower(), k)}:{v}" for k, v in value.items())
    elif isinstance(value, bool):
        return f" {name}" if value else ""
    elif name == "n_clicks" or value is None:
        return ""
    return f' {ATTRIBUTES.get(name, name)}="{html_text.escape(str(value))}"'


def frame(atlas: Any, state: FilterState, svg: str, upd: dict[str, Any] | None = None) -> str:
    """The main page's frame: header, the filters button and column, the map card with the picture and its legend,
    the details column (empty: their texts come with the live page). All but the map's box is inert: it only looks
    like the page (the early map is drawn in that box: see `early_map`)."""
    lang = state.lang
    upd = upd or figures.map_update(atlas, state)
    head = [html.H2(t("map_title", lang), className="panel-title"),
            html.P(t("map_help", lang), className="muted help")]
    return (_opening("app", state, upd)
            + _inert(static_html(layout._header(lang))) + '<main><div class="main-grid">'
            + _inert(static_html(layout._filters_toggle(lang, len(layout.chips_for(atlas, state)))))
            + '<div class="filters"></div>'
            + '<section class="card map-card"><div class="card-head" inert>' + static_html(head) + "</div>"
            + _map(svg, upd) + '</section><section class="card side"></section></div></main></div>')


def embed_frame(atlas: Any, state: FilterState, svg: str, upd: dict[str, Any] | None = None) -> str:
    """/embed's frame: the title, the map with its legend, the first lines of the details, the source line."""
    lang = state.lang
    upd = upd or figures.map_update(atlas, state)
    filters = layout.embed_filters(atlas, state)
    head = [html.H1(layout.embed_title(state), className="embed-title"),
            html.Span(t("embed_open", lang), className="embed-open"),
            html.P(filters, className="embed-view", title=filters)]
    return (_opening("embed", state, upd) + f'<div class="embed-head" inert>{static_html(head)}</div>'
            + '<main class="embed-main">' + _map(svg, upd)
            + _inert(static_html(layout.embed_guide(lang)))
            + f'</main><p class="embed-source" inert>{html_text.escape(t("export_source", lang))}</p></div>')


def _opening(page: str, state: FilterState, upd: dict[str, Any]) -> str:
    return (f'<div id="boot" class="{page} boot" aria-hidden="true" data-z="{_z(upd)}" '
            f'data-view="{figures.view_key(state)}">')


def _inert(markup: str) -> str:
    """The element (HTML text of one element) made inert: no focus, no clicks."""
    return re.sub(r"^<(\w+)", r"<\1 inert", markup, count=1)


def _map(svg: str, upd: dict[str, Any]) -> str:
    return (f'<div class="map-wrap"><div class="map-graph boot-map">{svg}</div></div>'
            f'<div class="map-legend" inert>{static_html(layout.legend(upd))}</div>')


def early_map(atlas: Any, state: FilterState, urls: GeoUrls, article: bool = False) -> str:
    """The live map's figure and config of the view (as the page's layout would have them; `article`: /embed's),
    for assets/atlas-map.js to draw before Dash's page has started: a JSON <script> (not run; "<" escaped, so no
    text in it ends it)."""
    fig, config = layout.live_map(atlas, state, urls, article)
    data = '{"figure": ' + fig.to_json() + ', "config": ' + json.dumps(config, ensure_ascii=False) + "}"
    return f'<script type="application/json" id="atlas-map-figure">{data.replace("<", LT)}</script>'


def _z(upd: dict[str, Any]) -> str:
    """The map's class per gmina as the live map's z joined (the script compares it with the drawn figure)."""
    return "".join(str(z) for z in upd["z"])


def install(app: dash.Dash, atlas: Any, urls: GeoUrls, article: bool = False) -> None:
    """Serve the page's frame (`article`: /embed's) with the map of the request's view (its picture and its live
    figure) in front of the app's entry point, and the page's language, title and description in the view's
    language (a shared link's preview, a screen reader's first words)."""
    page_frame, title_key = (embed_frame, "embed_frame_title") if article else (frame, "title")
    shapes = picture.load_shapes(geodata.web_asset("gminy"), geodata.web_asset("wojewodztwa"),
                                 tuple(atlas.gminy["terc"]))

    @lru_cache(maxsize=64)   # the key is the view's canonical query: crafted queries fold onto valid views
    def page(view_query: str) -> tuple[str, str]:
        """(the frame, the early map's figure): the figure goes to the end of the page, after the frame (the
        picture is painted before the browser has read it)."""
        state = query.address_view(atlas, view_query)
        upd = figures.map_update(atlas, state)
        return (page_frame(atlas, state, picture.map_svg(atlas, state, shapes, upd), upd),
                early_map(atlas, state, urls, article))

    interpolate: Callable[..., str] = app.interpolate_index
    prefix = app.config.requests_pathname_prefix
    first_fetches = json.dumps([f"{prefix}_dash-layout", f"{prefix}_dash-dependencies"])

    def interpolate_index(**parts: str) -> str:
        state = query.address_view(atlas, request.query_string.decode("utf-8", "replace"))
        shown, live = page(state.to_query())
        parts["app_entry"] = shown + parts["app_entry"]
        parts["scripts"] = live + parts["scripts"]
        if RENDERER in parts["renderer"]:   # (another Dash may start its renderer otherwise: then nothing changes)
            later = DASH_SCRIPT.findall(parts["scripts"])
            parts["scripts"] = DASH_SCRIPT.sub(rf'<script type="{LATER}" src="\1"></script>\n', parts["scripts"])
            parts["scripts"] = parts["scripts"].replace("<script src=", "<script defer src=")
            parts["renderer"] = parts["renderer"].replace(RENDERER, AFTER_THE_MAP % (first_fetches, LATER))
            # (in the body: after plotly.js's preload in the head, which is parsed first)
            parts["scripts"] = "".join(f'<link rel="preload" href="{url}" as="script">' for url in later) + parts[
                "scripts"]
        parts["title"] = t(title_key, state.lang)
        parts["metas"] = parts["metas"].replace(f'content="{t("subtitle")}"', f'content="{t("subtitle", state.lang)}"')
        return interpolate(**parts).replace('<html lang="pl">', f'<html lang="{state.lang}">', 1)

    app.interpolate_index = interpolate_index
