"""The map of the asked-for view drawn by the server (dashboard.view.picture, dashboard.view.boot): the same classes,
colours and view as the live map, in the page before any script (issue 10)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from dash import html

from dashboard.model.state import FilterState
from dashboard.view import boot, figures, picture


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.fixture(scope="module")
def shapes(atlas):
    import geodata

    return picture.load_shapes(geodata.web_asset("gminy"), geodata.web_asset("wojewodztwa"),
                               tuple(atlas.gminy["terc"]))


@pytest.fixture(scope="module")
def client(atlas):
    from dashboard.app import create_app

    return create_app(atlas).server.test_client()


def _fills(svg: str) -> list[str]:
    return re.findall(r'<path fill="(#[0-9a-f]{6})"', svg)


@pytest.mark.parametrize("query", ["", "p=P1&asof=2010", "metric=membership&woj=24,12", "sel=1465011,1261011"])
def test_the_picture_has_the_live_maps_colours(atlas, shapes, query):
    state = FilterState.from_query(query)
    upd = figures.map_update(atlas, state)
    svg = picture.map_svg(atlas, state, shapes)
    drawn = {c for c, _ in figures.legend_items(upd)} | {figures.OTHER_GREY}
    used = {[c for _, c in upd["colorscale"][::2]][z] for z in set(upd["z"])}
    assert set(_fills(svg)) == used and used <= drawn
    assert ('fill-opacity="0.35"' in svg) == bool(state.selected)


def test_the_view_box_is_the_range_box_as_plotly_fits_it():
    """plotly fits the range box's size to the element and puts geo.center in the element's middle. Parallels are
    arcs round the cone's apex in the north: the box's width and height run between the range box's corners and
    the middle of its southern parallel (plotly.js draws the box 0.001° inside the ranges: its clipPad)."""
    from dashboard.view.projection import CLIP_PAD

    box = picture.view_box(figures.GEO)
    (w, e), (s, n) = figures.GEO["lonaxis"]["range"], figures.GEO["lataxis"]["range"]
    w, e, s, n = w + CLIP_PAD, e - CLIP_PAD, s + CLIP_PAD, n - CLIP_PAD
    rot, centre = figures.GEO["projection"]["rotation"]["lon"], figures.GEO["center"]
    pts = picture.project(np.array([[w, s], [e, s], [w, n], [rot, s], [centre["lon"], centre["lat"]]]), rot, (49, 55))
    assert box.w == pytest.approx(pts[1, 0] - pts[0, 0], rel=1e-4)
    assert box.h == pytest.approx(pts[3, 1] - pts[2, 1], rel=1e-4)
    assert (box.x + box.w / 2, box.y + box.h / 2) == pytest.approx(tuple(pts[4]), abs=1e-9)


def test_a_zoomed_view_shows_the_gminy_around_its_centre_in_full_detail(atlas, shapes):
    state = FilterState.from_query("woj=12")
    svg = picture.map_svg(atlas, state, shapes)
    whole = picture.map_svg(atlas, FilterState(), shapes)
    box = picture.view_box(figures.geo_view(atlas, None, ("12",)))
    shown = picture._in_view(shapes, box)
    terc = np.asarray(atlas.gminy["terc"])
    assert shown[terc == "1261011"].all() and not shown[terc == "1465011"].any()   # Kraków in, Warsaw out
    assert len(svg) > 0.5 * len(whole)   # fewer gminy, each with all its points


def test_the_frame_is_inert_but_its_map_escapes_text_and_carries_the_views_classes(atlas, shapes):
    state = FilterState.from_query("woj=24")
    page = boot.frame(atlas, state, picture.map_svg(atlas, state, shapes))
    assert page.startswith('<div id="boot" class="app boot" aria-hidden="true" data-z=')
    # everything but the map's box is inert (the early map in it takes hover, zoom and taps: assets/atlas-map.js)
    for part in ("<header", "<button", '<div class="card-head"', '<div class="map-legend"'):
        assert re.search(re.escape(part) + r"[^>]* inert[ >]", page), part
    assert re.search(r'<div class="map-wrap"><div class="map-graph boot-map"><svg ', page)
    assert re.search(r'data-z="([0-9]+)"', page).group(1) == "".join(map(str, figures.map_update(atlas, state)["z"]))
    assert 'data-view="map-24"' in page
    assert re.findall(r' id="([^"]+)"', page) == ["boot"]   # none of the live page's ids
    assert boot.static_html(html.P(["<b>&", html.Span("x", id="s", className="c")], title='"q"')) == (
        '<p title="&quot;q&quot;">&lt;b&gt;&amp;<span class="c">x</span></p>')


def test_the_page_carries_the_view_of_its_address_and_runs_dash_after_the_map(client):
    page = client.get("/?lang=en&woj=02").get_data(as_text=True)
    assert page.index('<div id="boot"') < page.index('<div id="react-entry-point"')
    assert 'data-view="map-02"' in page and ">Map of gminy<" in page
    scripts = re.findall(r"<script ([^>]*)src=\"([^\"]+)\"", page)
    run_now = [url for attrs, url in scripts if attrs == "defer "]
    later = [url for attrs, url in scripts if attrs == f'type="{boot.LATER}" ']
    assert len(run_now) + len(later) == len(scripts)
    # plotly.js first, then the assets (the early map); Dash's own scripts after the map, preloaded meanwhile
    assert "/plotly" in run_now[0] and any("atlas-map.js" in u for u in run_now), run_now
    assert any("dash_renderer" in u for u in later) and any("react@" in u for u in later), later
    assert not [u for u in run_now if "_dash-component-suites" in u]
    assert all(f'<link rel="preload" href="{u}" as="script">' in page for u in later)
    start = page[page.index('<script id="_dash-renderer"'):]
    assert "atlasMapReady" in start and start.index("atlasMapReady") < start.index("new DashRenderer()")
    assert "_dash-layout" in start   # asked for once the map is drawn, not while its files are sent


def test_the_early_map_is_the_views_live_figure(client, atlas):
    """The figure in the page (drawn before Dash starts) is the figure the page's layout and callbacks draw for
    that view, in its language; nothing in it can end its <script>."""
    import base64
    import json

    page = client.get("/?lang=en&woj=02").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="atlas-map-figure">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data
    early = json.loads(data)
    state = FilterState.from_query("lang=en&woj=02")
    gminy = early["figure"]["data"][0]
    expected = figures.map_update(atlas, state)
    assert gminy["locations"] == list(atlas.gminy["terc"])
    assert gminy["geojson"].endswith(".geojson")
    assert early["figure"]["layout"]["uirevision"] == figures.view_key(state) == "map-02"
    assert early["config"]["locale"] == "en-US"
    z = gminy["z"]
    assert isinstance(z, dict) and z["dtype"] == "i1"   # plotly's typed array: the classes of the view
    assert list(base64.b64decode(z["bdata"])) == list(expected["z"])


@pytest.mark.parametrize("path, article", [("/embed", True), ("/", False)])
def test_an_article_map_leaves_the_drag_and_the_wheel_to_the_article(client, path, article):
    """In an article (/embed) a drag does nothing (it drew a box that only faded the map; plotly's pan tilts this
    projection), the wheel scrolls the article and the toolbar only zooms; the atlas page keeps its tools. The same
    in the early map, the layout and the first answer (each draws the map)."""
    import json

    from tests.dash_client import DashPage

    view = "?woj=12&lang=en"
    page = client.get(path + view).get_data(as_text=True)
    early = json.loads(re.search(r'id="atlas-map-figure">(.*?)</script>', page, re.S).group(1))
    prefix = path.rstrip("/") + "/"
    referer = {"Referer": f"http://atlas.example{path}{view}"}
    shown = DashPage.of(client.get(prefix + "_dash-layout", headers=referer).get_json(),
                        client.get(prefix + "_dash-dependencies").get_json())
    drawn = [(early["figure"], early["config"]), (shown.value("map", "figure"), shown.value("map", "config"))]
    if article:   # the embed's first answer draws the view (the controller's sends changes only)
        first = next(d for d in shown.dependencies if d["output"].startswith("..map.figure...map.config"))
        answer = client.post(prefix + "_dash-update-component",
                             json=shown.payload(first, {("url", "search"): view})).get_json()["response"]
        drawn.append((answer["map"]["figure"], answer["map"]["config"]))
    for figure, config in drawn:
        tools = set(config["modeBarButtonsToRemove"]) & {"select2d", "lasso2d", "pan2d"}
        assert (figure["layout"]["dragmode"], config["scrollZoom"], tools) == (
            (False, False, {"select2d", "lasso2d", "pan2d"}) if article else ("select", True, set()))


def test_a_crafted_address_gets_the_default_picture_and_no_echo(client):
    crafted = client.get('/?woj=<svg/onload=alert(1)>&p="><script>x</script>&asof=99999').get_data(as_text=True)
    default = client.get("/").get_data(as_text=True)
    assert "onload=alert" not in crafted and "<script>x" not in crafted
    assert re.search(r'data-z="[0-9]+"', crafted).group(0) == re.search(r'data-z="[0-9]+"', default).group(0)


def test_the_embed_page_carries_its_own_frame_with_the_view(client):
    page = client.get("/embed?woj=12&lang=en").get_data(as_text=True)
    assert '<div id="boot" class="embed boot"' in page and 'data-view="map-12"' in page
    assert 'class="embed-title">ZMP members and project cities<' in page and "<svg " in page
    assert re.search(r'class="embed-view"[^>]*>as of 31 Dec \d{4} · Voiv\. Małopolskie<', page)


def test_the_frame_shows_the_views_language_and_filter_count(atlas, shapes):
    state = FilterState.from_query("lang=en&woj=02,12&p=P1")
    page = boot.frame(atlas, state, "<svg></svg>")
    assert "active: 3" in page and "Filters" in page
    assert re.search(r'option selected dash-radioitems-inline"><span[^>]*><input type="radio" [^>]*checked>'
                     r"</span><span[^>]*><span>EN</span>", page)


def test_scripts_stay_as_they_are_when_the_renderer_start_is_unknown(client, monkeypatch):
    monkeypatch.setattr(boot, "RENDERER", "var renderer = new SomeOtherRenderer();")
    page = client.get("/").get_data(as_text=True)
    assert " defer " not in page and "var renderer = new DashRenderer();" in page and '<div id="boot"' in page
