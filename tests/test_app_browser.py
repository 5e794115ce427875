"""The dashboard in a real browser (headless Debian Chromium via dash[testing]), against the real atlas and the
real 2,477 gminy. One app server and one browser for the whole module; the tests run in order and each starts
from a fresh page load of the URL it needs."""
from __future__ import annotations

import csv
import os
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.model.state import FilterState
from dashboard.serving import plotly_bundle
from dashboard.view.layout import strip_numbers
from tests.conftest import CALLBACK_LOG, GMINA_PATH, dash_browser, wait_for_js, wait_for_quiet_callbacks
from tests.system_tools import output

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N_GMINY = 2477


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.fixture(scope="module")
def duo(request, atlas, tmp_path_factory):
    """A module-scoped dash_duo: one threaded server + one headless Chromium."""
    from dashboard.app import create_app

    with dash_browser(request, create_app(atlas), str(tmp_path_factory.mktemp("download"))) as dc:
        dc.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                  {"width": 1600, "height": 1100, "deviceScaleFactor": 1, "mobile": False})
        yield dc


def load(duo, query: str = "") -> None:
    duo.driver.get(duo.server_url + "/" + query)
    wait_js(duo, f"return gminy_paths() >= {N_GMINY}", timeout=20)
    wait_js(duo, "return below_drawn();", timeout=20)  # the charts and the table come after the map
    duo.driver.get_log("browser")  # start each test with an empty console log? no: keep for the first test


HELPERS = """
window.gminy_paths = function() {
  const layer = document.querySelector('#map .choroplethlayer .trace');
  return layer ? layer.querySelectorAll('path.choroplethlocation').length : 0;
};
window.below_drawn = function() {
  const count = document.getElementById('table-count');
  return !!count && count.textContent.includes('(') &&
    ['growth', 'by-voivodeship', 'by-project'].every(
      g => document.querySelectorAll('#' + g + ' .barlayer path').length > 0);
};
"""


def _text(children) -> str:
    """The text a component's children show (a string, or a list of strings and components)."""
    if isinstance(children, str):
        return children
    return "".join(_text(c) if isinstance(c, (str, list)) else _text(c.children) for c in children)


def js(duo, script: str, *args):
    return duo.driver.execute_script(HELPERS + script, *args)


def wait_js(duo, script: str, timeout: float = 10.0):
    return wait_for_js(duo.driver, script, timeout, prelude=HELPERS)


def graph_data(duo, gid: str):
    return js(duo, f"const gd = document.querySelector('#{gid} .js-plotly-plot'); "
                   "return gd.data.map((t, i) => ({z: gd._fullData[i].z ? Array.from(gd._fullData[i].z) : t.z, "
                   "x: t.x, y: t.y, customdata: t.customdata, "
                   "selectedpoints: t.selectedpoints, locations: t.locations}));")


def fills(duo):
    return js(duo, "return Array.from(document.querySelector('#map .choroplethlayer .trace')"
                   ".querySelectorAll('path.choroplethlocation')).map(p => getComputedStyle(p).fill);")


def search(duo) -> str:
    return js(duo, "return window.location.search;")


COLOURED_BOXES = """
const union = (els) => els.map(e => e.getBoundingClientRect()).reduce((a, b) => [
  Math.min(a[0], b.left), Math.min(a[1], b.top), Math.max(a[2], b.right), Math.max(a[3], b.bottom)],
  [Infinity, Infinity, -Infinity, -Infinity]);
const grey = 'rgb(240, 242, 245)';
const focus = Array.from(document.querySelectorAll('#map .choroplethlayer path'))
  .filter(p => getComputedStyle(p).stroke === 'rgb(215, 38, 61)');   // figures.FOCUS
// a found town: its outline; else the coloured gminy (the picture draws a class as one path, with its gminy
// around the view too: those compare only where the view holds all of them)
const live = union(focus.length ? focus : Array.from(document.querySelector('#map .choroplethlayer .trace')
  .querySelectorAll('path'))
  .filter(p => getComputedStyle(p).fill !== grey));
const page = await (await fetch(location.href)).text();
const svg = new DOMParser().parseFromString(page, 'text/html').querySelector('#boot svg');
const r = document.querySelector('#map').getBoundingClientRect();
const box = document.createElement('div');
box.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px`;
box.appendChild(document.importNode(svg, true));
box.firstChild.style.cssText = 'width:calc(100% + 4px);height:calc(100% + 4px);margin:-2px;display:block';
document.body.appendChild(box);
const pic = union(focus.length ? Array.from(box.querySelectorAll('path[stroke="#d7263d"]'))
  : Array.from(box.querySelectorAll('path[fill^="#"]')).filter(p => p.getAttribute('fill') !== '#f0f2f5'));
box.remove();
// plotly clips its paths to the view; the picture's paths reach past it: compare inside it
const clamp = (u) => [Math.max(u[0], r.left), Math.max(u[1], r.top), Math.min(u[2], r.right), Math.min(u[3], r.bottom)];
return [clamp(live), clamp(pic)];
"""


# --- the first look: what the page of an address does from its first parsed frame on, every probe at once -------
# XMLHttpRequests of the page: plotly.js fetches GeoJSON and topojson with them
XHR_LOG = """window.__xhr = []; const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url) { window.__xhr.push(String(url)); return open.apply(this, arguments); };"""

# the first plot with every gmina, wherever it is drawn: where it was and whether Dash's scripts had run by then
EARLY = """
window.__early = null;
(function tick() {
  const trace = document.querySelector('.choroplethlayer .trace');
  if (trace && trace.querySelectorAll('path.choroplethlocation').length >= %d) {
    const gd = trace.closest('.js-plotly-plot');
    window.__early = {gd: gd, inBoot: !!gd.closest('#boot'), dash: typeof window.DashRenderer !== 'undefined'};
    return;
  }
  requestAnimationFrame(tick);
})();
""" % N_GMINY

# plotly drawings of the map (Plotly.react on the plot in the page's frame or in #map), counted from plotly.js's start
COUNT_MAP_DRAWS = """
(function () {
  var plotly;
  window.__mapDraws = 0;
  Object.defineProperty(window, 'Plotly', {configurable: true, get: function () { return plotly; },
    set: function (value) {
      plotly = value;
      var react = value.react;
      value.react = function (gd) {
        var map = gd && gd.closest && gd.closest('#map, #boot');
        if (map) { window.__mapDraws += 1; }
        var drawn = react.apply(this, arguments);
        if (map && window.__mapDraws === 1) {   // the component's "not drawn again" (assets/atlas-map.js)
          gd.on('atlas_shown', function () { window.__shown = true; });
        }
        return drawn;
      };
    }});
})();
"""

# every text the page's <h1>, its legend and its notice have had, every height the map's box has had and every set
# of heights of the filters
TEXTS_AND_BOXES = """
window.__h1 = []; window.__legends = []; window.__heights = []; window.__filters = []; window.__notices = [];
new MutationObserver(function () {
  var notice = document.getElementById('notice'), shown = notice && !notice.hidden ? notice.textContent : '';
  if (notice && window.__notices.indexOf(shown) < 0) { window.__notices.push(shown); }
  document.querySelectorAll('h1').forEach(function (h) {
    if (window.__h1.indexOf(h.textContent) < 0) { window.__h1.push(h.textContent); }
  });
  var legend = document.getElementById('legend'), box = document.getElementById('map');
  if (legend && window.__legends.indexOf(legend.textContent) < 0) { window.__legends.push(legend.textContent); }
  var controls = Array.from(document.querySelectorAll('#filters .control'))
    .map(function (c) { return Math.round(c.getBoundingClientRect().height); }).join(',');
  if (controls && window.__filters.indexOf(controls) < 0) { window.__filters.push(controls); }
  if (box && !box.__watched) {
    box.__watched = true;
    new ResizeObserver(function (entries) {
      var height = Math.round(entries[0].contentRect.height);
      if (window.__heights.indexOf(height) < 0) { window.__heights.push(height); }
    }).observe(box);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

READ_FIRST_LOOK = """
const e = window.__early, paths = document.querySelectorAll('#map .choroplethlayer .trace:first-child path');
return {early: e && {inBoot: e.inBoot, dash: e.dash, same: e.gd === document.querySelector('#map .js-plotly-plot')},
        mapDraws: window.__mapDraws, shown: !!window.__shown, gminy: paths.length,
        chartRequests: window.__cbLog.filter(o => String(o).includes('by-project.figure')).length,
        h1: window.__h1, legends: window.__legends, heights: window.__heights, filters: window.__filters,
        notices: window.__notices, search: location.search,
        xhrGeometry: window.__xhr.filter(u => /geojson|topojson/.test(u)),
        resources: performance.getEntriesByType('resource').map(e => e.name),
        boot: document.documentElement.getAttribute('data-boot'),
        strip: (document.getElementById('strip') || {}).textContent || '',
        coverage: (document.getElementById('coverage') || {}).textContent || '',
        toolbar: Array.from(document.querySelectorAll('#map .modebar-btn')).map(b => b.dataset.title),
        plotly: window.Plotly.version,
        embedView: (document.getElementById('embed-view') || {}).textContent || null,
        asofBox: (i => i && getComputedStyle(i).display !== 'none' && i.getBoundingClientRect().width > 20 ? i.value : null)(
          document.querySelector('#asof input')),
        cursors: document.getElementById('by-voivodeship') && {noHover: matchMedia('(any-hover: none)').matches,
          page: getComputedStyle(document.documentElement).cursor,
          bars: getComputedStyle(document.querySelector('#by-voivodeship .nsewdrag')).cursor}};
"""

FIRST_LOOK_PATHS = {  # the addresses the tests below look at, and which are English
    "/": False, "/?woj=24,12&p=P1&asof=2010": False, "/?town=1261011&metric=membership&lang=en": True,
    "/?lang=en": True, "/?lang=en&woj=02,12&p=P1": True, "/embed?woj=12&p=P1&lang=en": True,
    "/embed?woj=12&lang=en": True,
    "/?woj=99&years=abc&p=P1&lang=en": True,   # tampered: its notice, and the view of what is left
}


@pytest.fixture(scope="module")
def first_look(duo):
    """`first_look(path)`: what the page of `path` did from its first parsed frame until it settled (the map
    taken over, the charts drawn, the callbacks quiet) — one page load per address for all the tests below."""
    seen: dict[str, dict] = {}

    def look(path: str) -> dict:
        if path not in seen:
            seen[path] = _first_look(duo, path)
        return seen[path]

    return look


def _first_look(duo, path: str) -> dict:
    embed = path.startswith("/embed")
    probes = [duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
              for source in (XHR_LOG, EARLY, COUNT_MAP_DRAWS, CALLBACK_LOG, TEXTS_AND_BOXES)]
    try:
        duo.driver.get_log("browser")
        duo.driver.get(duo.server_url + path)
        wait_js(duo, f"return gminy_paths() >= {N_GMINY} && !document.getElementById('boot');", timeout=30)
        if embed:   # its first answer brings the whole figure: the component draws it again or finds it shown
            wait_js(duo, "return window.__shown || window.__mapDraws > 1;", timeout=20)
            wait_js(duo, "return document.getElementById('embed-open').href.includes('woj=12');")
        else:   # the slider's code is an async chunk of Dash's: under load it may come after the map and charts
            wait_js(duo, "return below_drawn() && document.querySelector('#asof input');", timeout=20)
        wait_for_quiet_callbacks(duo.driver, quiet_ms=800)
        seen = js(duo, READ_FIRST_LOOK)
        seen["severe"] = [e for e in duo.driver.get_log("browser") if e.get("level") == "SEVERE"]
        if not embed:
            seen["boxes"] = _coloured_boxes(duo)
        return seen
    finally:
        for probe in probes:
            duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", probe)


def _coloured_boxes(duo) -> list:
    """The boxes round the coloured gminy of the live map and of the server-drawn picture, once the picture has gone
    and the plot fits its box (the first answer may change the map's box: the plot follows it a moment later)."""
    wait_js(duo, "return !document.querySelector('#boot, .boot-overlay');", timeout=5)
    wait_js(duo, "const gd = document.querySelector('#map .js-plotly-plot'), full = gd._fullLayout;"
                 "return Math.abs(full.width - gd.clientWidth) <= 1 && Math.abs(full.height - gd.clientHeight) <= 1;",
            timeout=5)
    return duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; (async () => {" + COLOURED_BOXES + "})().then(done);")


def test_page_loads_clean_offline_with_every_gmina(first_look):
    seen = first_look("/")
    assert seen["gminy"] == N_GMINY
    assert seen["severe"] == [], seen["severe"]
    outside = [u for u in seen["resources"] if urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == [], outside
    # the page's start (issue 10): regenerator-runtime instead of Dash's @babel/polyfill; the layout, the callbacks
    # and the geometry fetched once each, from the head's preloads; plotly.js was handed the geometry (atlas-geo.js)
    paths = [urlparse(u).path for u in seen["resources"]]
    assert [p for p in paths if "/regenerator-runtime." in p] and not [p for p in paths if "polyfill@" in p], paths
    geometry = [p for p in paths if p.endswith((".geojson", "/world_110m.json"))]
    assert len(geometry) == len(set(geometry)) == 3, geometry
    assert paths.count("/_dash-layout") == paths.count("/_dash-dependencies") == 1, paths
    assert seen["xhrGeometry"] == []
    # the partial plotly.js (dashboard.serving.plotly_bundle), and not Dash's own as well
    assert [p for p in paths if p.startswith("/_atlas/js/plotly-atlas.")], paths
    assert "/" + plotly_bundle.DASH_PLOTLY_PATH not in paths, paths
    assert seen["plotly"] == plotly_bundle.plotlyjs_version()
    # the strip and the coverage note are there, with Polish number formats
    assert "333" in seen["strip"] and "członków" in seen["coverage"]
    # nothing leaves the machine: plotly 7's "Share chart..." (upload to Plotly Cloud) is not offered; the toolbar
    # speaks Polish on the Polish page (plotly locale "pl")
    titles = seen["toolbar"]
    assert "Zaznacz prostokątem" in titles and not [x for x in titles if "Share" in x or "Cloud" in x], titles


@pytest.mark.parametrize("path", [p for p in FIRST_LOOK_PATHS if not p.startswith("/embed")])
def test_the_server_drawn_map_lines_up_with_the_live_one_and_gives_way_to_it(first_look, path):
    """The page carries the view's map as an SVG (dashboard/view/boot.py): it must sit where plotly draws the same
    view, and go once plotly has drawn it (not on the 3 s fallback)."""
    seen = first_look(path)
    assert seen["boot"] == "view"
    live, pic = seen["boxes"]
    # the box round the coloured gminy, in px: the same classes in the same places
    assert None not in live + pic, (live, pic)
    wide = 10 if "town=" in path else 100   # a found town compares its outline, else the coloured gminy
    assert all(abs(a - b) <= 2.0 for a, b in zip(live, pic)) and live[2] - live[0] > wide, (live, pic)


def test_the_live_map_is_drawn_before_dash_starts_and_then_taken_over(first_look):
    """Issue 10: plotly.js draws the view's map while Dash's scripts wait (assets/atlas-map.js), and the map
    component takes that plot over: #map holds the very plot drawn first, not a second drawing."""
    assert first_look("/")["early"] == {"inBoot": True, "dash": False, "same": True}


@pytest.mark.parametrize("path", FIRST_LOOK_PATHS)
def test_the_page_draws_the_map_of_its_address_once(first_look, path):
    """The early map draws the address's view; the page's first answer does not draw it again (the embed's brings
    that same whole figure, found shown already). A filtered address's page starts in its view (dashboard.app: the
    layout has what the first answer set): before, that answer patched the early map (a second drawing) and the
    charts were asked for a second time."""
    seen = first_look(path)
    assert seen["mapDraws"] == 1, seen["mapDraws"]
    if path.startswith("/embed"):
        assert seen["shown"]
    else:
        assert seen["chartRequests"] == 1, seen["chartRequests"]


@pytest.mark.parametrize("path", [p for p, english in FIRST_LOOK_PATHS.items() if english])
def test_an_english_link_is_english_from_the_first_frame_on(first_look, path):
    """Dash's layout comes in the page's language (its Referer's lang=): an English page never shows the default
    Polish page between the frame the server drew and the first answer."""
    seen = first_look(path)["h1"]
    assert seen and all("Związku" not in t and "Mapa gmin" not in t and "Członk" not in t for t in seen), seen


@pytest.mark.parametrize("path", FIRST_LOOK_PATHS)
def test_a_page_starts_with_its_own_legend_and_the_map_keeps_its_box(first_look, path):
    """Dash's layout comes with the legend of the page's view (its Referer's address): the legend under the early
    map is the view's from the start, and the first answer neither changes it nor moves the map (the all-Poland
    legend it replaced was shorter or longer: 11-22 px measured). The filters keep their heights while Dash loads
    the dropdowns' and sliders' code (they moved down by ~40 px per control)."""
    seen = first_look(path)
    assert len(seen["legends"]) == 1 and len(seen["heights"]) == 1, (seen["legends"], seen["heights"])
    assert len(seen["filters"]) == (0 if path.startswith("/embed") else 1), seen["filters"]


@pytest.mark.parametrize("path", [p for p in FIRST_LOOK_PATHS if not p.startswith("/embed")])
def test_a_tampered_address_says_so_from_the_start_and_gets_its_canonical_form(first_look, atlas, path):
    """A hand-edited or damaged link: its page starts with the notice naming the settings it got wrong (it came
    with the first answer, ~1 s after the map) and shows the view of what is left; every address takes its
    canonical form."""
    from dashboard.model.query import address_view
    from dashboard.view.layout import notice_text

    seen, view = first_look(path), address_view(atlas, urlparse(path).query)
    assert seen["notices"] == [notice_text(view) or ""], seen["notices"]
    assert seen["search"] == ("?" + view.to_query() if view.to_query() else "")


KRAKOW_ON_THE_EARLY_MAP = """
const gd = window.__early.gd;
if (document.getElementById('map')) { return null; }   // Dash's page has started already
const i = gd.data[0].locations.indexOf('1261011');
const p = gd.querySelector('.choroplethlayer .trace').querySelectorAll('path.choroplethlocation')[i];
const r = p.getBoundingClientRect();
return [r.x + r.width / 2, r.y + r.height / 2];
"""


# Dash's page starts when window.atlasMapReady settles (dashboard/view/boot.py): here, not before window.__start()
HOLD_THE_START = """
(function () {
  var go = new Promise(function (resolve) { window.__start = resolve; }), ready;
  Object.defineProperty(window, 'atlasMapReady', {configurable: true, get: function () { return ready; },
                                                  set: function (p) { ready = Promise.all([p, go]); }});
})();
"""


def test_a_click_on_the_map_before_the_page_has_started_is_not_lost(duo):
    """A click on the early map, before Dash's page runs (as on a slow phone), is given to the page once it has
    started: Kraków's details and address, as for a click on the started page."""
    mouse = "Input.dispatchMouseEvent"
    probes = [duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
              for source in (EARLY, HOLD_THE_START)]
    try:
        duo.driver.get(duo.server_url + "/")
        wait_js(duo, "return !!window.__early;", timeout=30)
        x, y = js(duo, KRAKOW_ON_THE_EARLY_MAP)
        duo.driver.execute_cdp_cmd(mouse, {"type": "mouseMoved", "x": x, "y": y})
        wait_js(duo, "return !!(window.__early.gd._hoverdata || []).length;", timeout=10)   # hover works already
        for kind in ("mousePressed", "mouseReleased"):
            duo.driver.execute_cdp_cmd(mouse, {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
        assert js(duo, "return !document.getElementById('map');")   # (the page has not started)
        js(duo, "window.__start();")
    finally:
        for probe in probes:
            duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", probe)
    wait_js(duo, "return document.getElementById('details').textContent.includes('Kraków');", timeout=30)
    wait_js(duo, "return window.location.search.includes('town=1261011');")


GAPS = """
const box = document.getElementById('map').getBoundingClientRect();
const layer = document.querySelector('#map .choroplethlayer').getBoundingClientRect();
const gaps = [layer.left - box.left, layer.top - box.top, box.right - layer.right, box.bottom - layer.bottom];
"""  # px from each edge of the map's box to the drawn gminy (plotly's paths are clipped to its frame)
FILLED = GAPS + "return gaps.every(g => g <= 0.5);"   # up to the box's edges (or past them: the plot bleeds 2 px)


@pytest.mark.parametrize("size", [(390, 844), (1920, 900)])   # a frame taller than Poland's box, a wider one
def test_a_zoomed_map_fills_its_frame(duo, size):
    """plotly clips a geo map to its lon/lat ranges' box fitted into the plot: with Poland's box, a zoomed view was
    cut along straight lines inside the frame, a band on two sides empty (assets/atlas-frame.js). A voivodeship in
    the middle of the country, a zoom by hand and the country again: the gminy reach every edge of the frame when
    zoomed, and the whole country is drawn as large as before, in the same place."""
    width, height = size
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    try:
        load(duo)
        country = js(duo, GAPS + "return gaps;")
        assert min(country) > 5, country                       # the country has air around it
        load(duo, "?woj=10")
        wait_js(duo, "return window.location.search.includes('woj=10');")
        wait_js(duo, FILLED, timeout=10)
        js(duo, "document.getElementById('clear').click();")   # the whole country again, through a patch
                                                               # (the button is in the closed sheet on a phone)
        wait_js(duo, "return !window.location.search.includes('woj');")
        wait_js(duo, GAPS + f"return gaps.every((g, i) => Math.abs(g - {country}[i]) <= 1);", timeout=10)
        js(duo, "Plotly.relayout(document.querySelector('#map .js-plotly-plot'), {'geo.projection.scale': 4});")
        wait_js(duo, FILLED, timeout=10)   # a zoom by hand fills it too
    finally:
        duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 1600, "height": 1100, "deviceScaleFactor": 1, "mobile": False})


def test_before_the_page_starts_the_early_maps_toolbar_is_hidden(duo):
    """The early map's frame is aria-hidden: its toolbar must not take the keyboard's focus there (it did: six
    buttons a screen reader did not announce). It shows once the page has started, on the same plot."""
    probes = [duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
              for source in (EARLY, HOLD_THE_START)]
    try:
        duo.driver.get(duo.server_url + "/")
        wait_js(duo, "return !!window.__early && !!document.querySelector('#boot .modebar-container');", timeout=30)
        assert js(duo, "return getComputedStyle(document.querySelector('#boot .modebar-container')).display;") \
            == "none"
        js(duo, "window.__start();")
        wait_js(duo, "return !document.getElementById('boot') && getComputedStyle("
                     "document.querySelector('#map .modebar-container')).display !== 'none';", timeout=30)
    finally:
        for probe in probes:
            duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", probe)


# every drawing of the projects chart (with bars): its selected points, from the first parsed frame on; and the
# page's first answer (the controller's: it writes the "state" store) held back 1.5 s, as from a busy server
PROJECT_DRAWS = """
window.__draws = [];
var realFetch = window.fetch, held = false;
window.fetch = function (url, init) {
  if (!held && init && String(init.body).indexOf('..state.data...') >= 0) {
    held = true;
    return new Promise(function (resolve) { setTimeout(resolve, 1500); }).then(function () {
      return realFetch(url, init);
    });
  }
  return realFetch.apply(this, arguments);
};
new MutationObserver(function () {
  var gd = document.querySelector('#by-project .js-plotly-plot');
  if (gd && gd.on && !gd.__watched) {
    gd.__watched = true;
    gd.on('plotly_afterplot', function () {
      var trace = gd.data && gd.data[0];
      if (trace && trace.x && trace.x.length) { window.__draws.push(trace.selectedpoints || null); }
    });
  }
}).observe(document, {subtree: true, childList: true});
"""

# the frame in which the map had every gmina and the one in which the charts and the table were there
MAP_AND_BELOW_AT = HELPERS + """
window.__at = {};
(function frame(n) {
  if (gminy_paths() >= %d && !('map' in window.__at)) { window.__at.map = n; }
  if (below_drawn() && !('below' in window.__at)) { window.__at.below = n; }
  if (!('map' in window.__at && 'below' in window.__at)) { requestAnimationFrame(() => frame(n + 1)); }
})(0);
""" % N_GMINY


def test_the_charts_and_the_table_are_drawn_after_the_map(duo):
    """Below the fold waits for the map (issue 10): the bars and the table rows come once the map is on screen,
    for the address's filters from their first drawing on, even when the page's first answer is late (they were
    drawn for the whole country first: the early map is painted before the page has its state)."""
    probes = [duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
              for source in (PROJECT_DRAWS, MAP_AND_BELOW_AT)]
    try:
        duo.driver.get(duo.server_url + "/?p=P1")
        seen = wait_js(duo, "const at = window.__at; return 'map' in at && 'below' in at ? at : null;", timeout=30)
        assert seen["map"] <= seen["below"], seen
        wait_js(duo, "return window.__draws.length > 0;")
        draws = js(duo, "return window.__draws;")
    finally:
        for probe in probes:
            duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", probe)
    assert all(d is not None and len(d) == 1 for d in draws), draws   # P1 chosen in every drawing


def test_a_map_slow_to_draw_has_the_charts_asked_for_once(duo):
    """assets/atlas-below.js on a device slower than its 6 s fallback: the fallback asked for the charts on each
    30 ms turn until the frame it waits for came (five chart requests were seen on a loaded machine); now once.
    The script alone on a blank page; the test holds its frames back and lets them go."""
    source = (Path(__file__).resolve().parent.parent / "assets" / "atlas-below.js").read_text(encoding="utf-8")
    duo.driver.get("about:blank")
    js(duo, """
      window.__bumps = []; window.__frames = []; window.__turns = 0; window.__skew = 0;
      window.dash_clientside = {set_props: (id, props) => window.__bumps.push([id, props.data])};
      document.body.innerHTML = '<div id="by-voivodeship"></div>';
      window.requestAnimationFrame = callback => window.__frames.push(callback);
      const later = window.setTimeout, now = Date.now;
      window.setTimeout = (fn, ms) => later(() => { if (ms === 30) { window.__turns += 1; } fn(); }, ms);
      Date.now = () => now() + window.__skew;
    """ + source)
    js(duo, "window.__skew = 7000;")   # 7 s on, and no map drawn: the fallback's time
    wait_js(duo, "return window.__turns >= 12;")
    assert js(duo, "return window.__frames.length;") == 1
    js(duo, "window.__frames.splice(0).forEach(callback => callback());")
    wait_js(duo, "return window.__bumps.length > 0;")
    assert js(duo, "return window.__bumps;") == [["below-ready", 1]]


def test_choosing_a_project_changes_map_colours_and_charts(duo, atlas):
    load(duo)
    before_fills = fills(duo)
    before_voiv = graph_data(duo, "by-voivodeship")[0]["x"]
    dropdown = duo.find_element("#projects")
    dropdown.click()
    option = wait_js(duo, "const o = Array.from(document.querySelectorAll('[role=option]'))"
                          ".find(e => e.textContent.includes('Rozwój średnich')); return o || null;")
    option.click()
    wait_js(duo, "return window.location.search.includes('p=P1');")
    duo.driver.find_element(By.TAG_NAME, "body").click()
    wait_js(duo, "const t = document.querySelector('#map .choroplethlayer .trace');"
                 f"return JSON.stringify(Array.from(t.querySelectorAll('path.choroplethlocation')).map(p => getComputedStyle(p).fill)) !== {repr(__import__('json').dumps(before_fills))};")
    after_fills = fills(duo)
    assert after_fills != before_fills
    # P1 has fewer cities than the whole data: fewer coloured gminy
    grey = before_fills.count(max(set(before_fills), key=before_fills.count))
    assert after_fills.count(max(set(after_fills), key=after_fills.count)) > grey
    wait_js(duo, f"const gd = document.querySelector('#by-voivodeship .js-plotly-plot');"
                 f"return JSON.stringify(gd.data[0].x) !== '{__import__('json').dumps(before_voiv)}';")
    # each chart is redrawn on its own: the projects' one may come a frame after the voivodeships'
    wait_js(duo, "const gd = document.querySelector('#by-project .js-plotly-plot');"
                 "return Array.isArray(gd.data[0].selectedpoints);")
    proj = graph_data(duo, "by-project")[0]
    assert [proj["customdata"][i] for i in proj["selectedpoints"]] == ["P1"]
    assert "Rozwój średnich" in duo.find_element("#chips").text


def test_a_bar_click_filters_the_map(duo, atlas):
    load(duo)
    data = graph_data(duo, "by-voivodeship")[0]
    top = data["customdata"][-1]  # horizontal bars: the largest is drawn last (on top)
    bars = duo.driver.find_elements(By.CSS_SELECTOR, "#by-voivodeship g.point path")
    ActionChains(duo.driver).move_to_element(bars[-1]).click().perform()
    wait_js(duo, f"return window.location.search.includes('woj={top}');")
    wait_js(duo, "const gd = document.querySelector('#map .js-plotly-plot');"
                 f"return Array.from(gd._fullData[0].z).every((v, i) => v === 0 "
                 f"|| gd.data[0].locations[i].startsWith('{top}'));")
    z = graph_data(duo, "map")[0]
    coloured = [loc for loc, v in zip(z["locations"], z["z"]) if v > 0]
    assert coloured and all(loc.startswith(top) for loc in coloured)
    # the same bar clicked again clears the filter at once (plotly's deselection that comes with the click was
    # read first: it took two clicks), and the next click sets it again
    for expected in ("", f"?woj={top}"):
        bars = duo.driver.find_elements(By.CSS_SELECTOR, "#by-voivodeship g.point path")
        ActionChains(duo.driver).move_to_element(bars[-1]).click().perform()
        wait_js(duo, f"return window.location.search === {expected!r};")


def test_a_filter_change_recolours_the_drawn_map_before_plotly_redraws_it_in_plotlys_colours(duo, atlas):
    """assets/atlas.js recolours the drawn gminy as the controller's answer arrives, before Dash runs mapPatch, which
    hands plotly its Patch a frame later: the colours seen when mapPatch starts must be the ones plotly draws, and
    plotly's own data must still be the old one then."""
    load(duo)
    js(duo, """
      window.__early = null;
      const patch = window.dash_clientside.atlas.mapPatch;
      window.dash_clientside.atlas.mapPatch = function () {
        const gd = document.querySelector('#map .js-plotly-plot');
        window.__early = {fills: Array.from(document.querySelector('#map .choroplethlayer .trace')
                                             .querySelectorAll('path.choroplethlocation'))
                                   .map(p => getComputedStyle(p).fill),
                          plotlyZ: Array.from(gd._fullData[0].z)};
        return patch.apply(this, arguments);
      };""")
    before = fills(duo)
    top = graph_data(duo, "by-voivodeship")[0]["customdata"][-1]
    bars = duo.driver.find_elements(By.CSS_SELECTOR, "#by-voivodeship g.point path")
    ActionChains(duo.driver).move_to_element(bars[-1]).click().perform()
    wait_js(duo, "const gd = document.querySelector('#map .js-plotly-plot');"
                 f"return Array.from(gd._fullData[0].z).every((v, i) => v === 0 "
                 f"|| gd.data[0].locations[i].startsWith('{top}'));")
    early = js(duo, "return window.__early;")
    final_z = graph_data(duo, "map")[0]["z"]
    assert early, "the map's Patch did not go through assets/atlas.js mapPatch"
    assert early["plotlyZ"] != final_z   # the recolour came before mapPatch and plotly's redraw
    assert early["fills"] == fills(duo) != before


@pytest.mark.parametrize("path", [p for p in FIRST_LOOK_PATHS if p.startswith("/embed")])
def test_an_embedded_map_says_what_it_is_filtered_to(first_look, atlas, path):
    """An article's reader took a filtered embed ("Mapa gmin" and its legend) for the whole country's map: its
    title says what it shows, and its date and filters are written under it, as the atlas's chips say them."""
    from dashboard.model.query import address_view
    from dashboard.view.layout import chips_for, embed_title

    view = address_view(atlas, urlparse(path).query)
    chips = [text for key, text in chips_for(atlas, view) if key != "town:"]
    seen = first_look(path)
    line = seen["embedView"].split(" · ")
    assert chips and line[1:] == chips and re.fullmatch(r"(stan na \d\d\.\d\d\.|as of \d{1,2} \w{3} )\d{4}", line[0])
    assert seen["h1"][-1] == embed_title(view) and "ZMP" in seen["h1"][-1]


@pytest.mark.parametrize("path", [p for p in FIRST_LOOK_PATHS if not p.startswith("/embed")])
def test_the_maps_year_is_written_beside_its_slider(first_look, atlas, path):
    """On a desktop's narrow filter column Dash hid the as-of slider's number box: the map's year could be told
    only from the handle's place between the decades' marks."""
    from dashboard.model.query import address_view, asof_year

    view = address_view(atlas, urlparse(path).query)
    assert first_look(path)["asofBox"] == str(asof_year(atlas, view))


@pytest.mark.parametrize("path", [p for p in FIRST_LOOK_PATHS if not p.startswith("/embed")])
def test_where_nothing_hovers_a_tap_on_a_bar_leaves_the_pages_cursor_as_it_is(first_look, path):
    """Headless Chromium has no hover, like a phone: plotly.js sets <html>'s cursor to the bar's on a press, which
    restyles the whole page unless it is the same already (assets/style.css)."""
    assert first_look(path)["cursors"] == {"noHover": True, "page": "pointer", "bars": "pointer"}


def test_a_box_select_on_the_map_filters_the_charts_and_after_a_pan_a_click_finds_its_gmina(duo):
    load(duo)
    before = sum(graph_data(duo, "by-voivodeship")[0]["x"])
    rect = js(duo, "const r = document.querySelector('#map .js-plotly-plot').getBoundingClientRect();"
                   "return {x: r.left, y: r.top, w: r.width, h: r.height};")
    # a real mouse drag (dragmode "select") over the south-east of the map area, in viewport coordinates
    start = (rect["x"] + rect["w"] * 0.55, rect["y"] + rect["h"] * 0.55)
    end = (rect["x"] + rect["w"] * 0.75, rect["y"] + rect["h"] * 0.8)
    builder = ActionBuilder(duo.driver)
    builder.pointer_action.move_to_location(int(start[0]), int(start[1]))
    builder.pointer_action.pointer_down()
    for f in (0.2, 0.4, 0.6, 0.8, 1.0):
        builder.pointer_action.move_to_location(int(start[0] + (end[0] - start[0]) * f),
                                                int(start[1] + (end[1] - start[1]) * f))
    builder.pointer_action.pointer_up()
    builder.perform()
    wait_js(duo, "return window.location.search.includes('sel=');", timeout=10)
    # the charts follow once the map has been repainted
    wait_js(duo, "const gd = document.querySelector('#by-voivodeship .js-plotly-plot'); "
                 f"return gd.data[0].x.reduce((a, b) => a + b, 0) < {before};", timeout=10)
    after = graph_data(duo, "by-voivodeship")
    assert 0 < sum(after[0]["x"]) < before
    sel = graph_data(duo, "map")[0]["selectedpoints"]
    assert sel and len(sel) < N_GMINY
    # plotly's pan (its toolbar's button), in two moves: then a click on Kraków as drawn opens Kraków (the map was
    # left drawn one move behind the projection that a click reads: Krzeszowice, 25 km west, opened)
    js(duo, "document.querySelector('#map .modebar-btn[data-val=\"pan\"]').click();")
    wait_js(duo, "return document.querySelector('#map .js-plotly-plot')._fullLayout.dragmode === 'pan';")
    ActionChains(duo.driver).move_to_element(js(duo, GMINA_PATH, "1261011")).click_and_hold() \
        .move_by_offset(30, 10).move_by_offset(30, 10).release().perform()
    ActionChains(duo.driver).click(js(duo, GMINA_PATH, "1261011")).perform()
    wait_js(duo, "return new URLSearchParams(window.location.search).get('town') !== null;")
    assert "town=1261011" in js(duo, "return window.location.search;")


def test_the_url_round_trips_and_a_tampered_url_gives_a_notice(duo, atlas):
    load(duo, "?p=P2&woj=14&lang=en&metric=membership")
    wait_js(duo, "return document.querySelector('h1').textContent.includes('Atlas of');")
    assert search(duo) == "?p=P2&woj=14&metric=membership&lang=en"
    wait_js(duo, "const gd = document.querySelector('#by-project .js-plotly-plot'); "
                 "return (gd.data[0].selectedpoints || []).length === 1;")  # the charts follow the map
    data = graph_data(duo, "by-project")[0]
    assert [data["customdata"][i] for i in data["selectedpoints"]] == ["P2"]
    assert "other gminy" in duo.find_element("#legend").text  # the HTML legend under the map
    # a reload restores the same view
    duo.driver.refresh()
    wait_js(duo, f"return gminy_paths() >= {N_GMINY};", timeout=20)
    wait_js(duo, "return document.querySelector('h1').textContent.includes('Atlas of');")
    assert search(duo) == "?p=P2&woj=14&metric=membership&lang=en"
    # tampered: the default view for the bad parts, a visible notice, no error
    load(duo, "?woj=99&years=abc&p=P1")
    wait_js(duo, "const n = document.getElementById('notice'); return n && !n.hidden && n.textContent.length > 0;")
    assert search(duo) == "?p=P1"
    severe = [e for e in duo.driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe
    # the address rewritten to its canonical form replaces the one opened: Back leaves it (it came back to it and
    # was rewritten again, a trap)
    duo.driver.back()
    wait_js(duo, "return window.location.search === '?p=P2&woj=14&metric=membership&lang=en';")


def test_town_search_is_diacritics_insensitive_and_zooms_with_details(duo):
    load(duo)
    # typed straight onto the closed town search, as a fast typist does: "o" goes down before "l" is up, and comes
    # up only once the search box has the focus (the "o" was lost: "ldz" found nothing)
    duo.driver.execute_script("arguments[0].focus();", wait_js(duo, "return document.getElementById('town');"))
    ActionChains(duo.driver).key_down("l").key_down("o").key_up("l").perform()
    wait_js(duo, "const b = document.querySelector('.dash-dropdown-search'); return !!b && document.activeElement === b;")
    ActionChains(duo.driver).key_up("o").send_keys("dz").perform()
    wait_js(duo, "return document.querySelector('.dash-dropdown-search').value === 'lodz';")
    option = wait_js(duo, "return Array.from(document.querySelectorAll('[role=option]'))"
                          ".find(e => e.textContent.startsWith('Łódź')) || null;")
    option.click()
    wait_js(duo, "return window.location.search.includes('town=1061011');")
    wait_js(duo, "const gd = document.querySelector('#map .js-plotly-plot');"
                 "return gd._fullLayout.geo.projection.scale > 3;")
    details = duo.find_element("#details").text
    assert "Łódź" in details and "1061011" in details
    assert graph_data(duo, "map")[2]["locations"] == ["1061011"]  # the focus outline
    legend = "document.getElementById('legend').textContent"
    assert js(duo, f"return {legend};").endswith("Łódź – wybrane miasto")   # the legend explains the outline
    # the open card follows the map's year and evidence levels (it kept "Stan na 31.12.2020" after the year changed,
    # and said "member" of a city the evidence filter left grey)
    status = "document.querySelector('#details .status').textContent"
    assert js(duo, f"return {status};").startswith("Stan na 31.12.2020")
    js(duo, "window.dash_clientside.set_props('asof', {value: 2005});")
    wait_js(duo, f"return {status}.startsWith('Stan na 31.12.2005');")
    js(duo, "window.dash_clientside.set_props('evidence', {value: ['stated', 'role']});")
    wait_js(duo, "return document.getElementById('details').textContent.includes("
                 "'po zaznaczeniu podstawy „lista ZMP”');")
    # the filters now leave Łódź grey: its outline's line in the legend says so
    wait_js(duo, f"return {legend}.endsWith('Łódź – wybrane miasto, poza filtrami (bez koloru)');")
    # a second town typed with Łódź chosen: Dash puts the open search's focus on Łódź's option, and the letters
    # went nowhere (Enter then unchose Łódź); a hyphenated name typed without its diacritics: the dropdown's own
    # filter in the browser kept no option of the server's answer (its words had no hyphen)
    duo.find_element("#town").click()
    box = wait_js(duo, "return document.querySelector('.dash-dropdown-search') || null;")
    ActionChains(duo.driver).send_keys("bielsko-biala").perform()
    wait_js(duo, "return document.querySelector('.dash-dropdown-search').value === 'bielsko-biala';")
    wait_js(duo, "return Array.from(document.querySelectorAll('[role=option]'))"
                 ".some(e => e.textContent.startsWith('Bielsko-Biała'));")
    box.send_keys(Keys.ESCAPE)
    assert "town=1061011" in search(duo)
    # the voivodeships' search reads names without diacritics too ("slask" found nothing)
    duo.find_element("#voivodeships").click()
    box = wait_js(duo, "return document.querySelector('.dash-dropdown-search, input[type=search]') || null;")
    box.send_keys("slask")
    found = wait_js(duo, "const o = Array.from(document.querySelectorAll('[role=option]')).map(e => e.textContent);"
                         "return o.length ? o : null;")
    assert {o for o in found if o.endswith("kie")} == {"śląskie", "dolnośląskie"}, found   # of 16 voivodeships
    box.send_keys(Keys.ESCAPE)


def test_the_table_csv_holds_exactly_the_filtered_rows(duo, atlas):
    from dashboard.model.state import FilterState
    from dashboard.view.table import table_frame

    load(duo, "?woj=02")
    state = FilterState.from_query("woj=02")
    expected = table_frame(atlas, state)
    wait_js(duo, f"return document.getElementById('table-count').textContent.includes('({len(expected)})');")
    shown = js(duo, "return Array.from(document.querySelectorAll('#table tbody tr td:nth-child(2)')).map(td => td.textContent);")
    assert shown == list(expected["teryt"])
    folder = Path(duo.download_path)
    for f in folder.glob("*.csv"):
        f.unlink()
    duo.find_element("#csv-button").click()
    end = time.time() + 10
    while time.time() < end and not list(folder.glob("*.csv")):
        time.sleep(0.1)
    (path,) = list(folder.glob("*.csv"))
    time.sleep(0.2)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw      # Polish Excel: UTF-8 BOM, ';', CRLF
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:2] == ["Miasto / JST", "TERYT"]
    assert [r[1] for r in rows[1:]] == [f'="{code}"' for code in shown]   # TERYT stays text in Excel
    assert len(rows) - 1 == len(expected) > 0
    os.remove(path)


def _callback_requests(duo, quiet_ms: int = 600) -> list[str]:
    """The outputs of the /_dash-update-component requests the page sent since the last call, once the charts' and
    the table's request (the last of a filter change: it is sent after the map has been painted, which can take
    longer than `quiet_ms` on a busy machine) has been sent and the page's callbacks are quiet."""
    wait_js(duo, "return window.__cbLog.some(o => String(o).includes('growth.figure'));", timeout=20)
    wait_for_quiet_callbacks(duo.driver, quiet_ms)
    return js(duo, "return window.__cbLog.splice(0);")


def test_a_filter_change_costs_two_requests_and_keeps_the_language(duo):
    """the controller (state and map) -> the bars and the table; nothing else: the language texts, the export panel and the details are
    not re-run by a filter change (the controller used to send every control value back, lang.value included)."""
    # every request of the page is logged from its first script on (window.fetch wrapped before Dash loads)
    script = duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CALLBACK_LOG})
    try:
        load(duo, "?lang=en")
        wait_js(duo, "return document.querySelector('h1').textContent.includes('Atlas of');")
        _callback_requests(duo)
        counts = []
        for value in ("membership", "projects"):
            duo.driver.find_element(By.CSS_SELECTOR, f"#metric input[value='{value}']").find_element(
                By.XPATH, "./../..").click()
            wait_js(duo, "return window.location.search.includes('metric=membership') === "
                         f"{str(value != 'projects').lower()};")
            sent = _callback_requests(duo)
            counts.append(len(sent))
            assert not [o for o in sent if o.startswith(("..i18n-", "details", "..export"))], sent
        bars = duo.driver.find_elements(By.CSS_SELECTOR, "#by-voivodeship g.point path")
        ActionChains(duo.driver).move_to_element(bars[-1]).click().perform()
        wait_js(duo, "return window.location.search.includes('woj=');")
        counts.append(len(_callback_requests(duo)))
    finally:
        duo.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
    assert counts == [2, 2, 2]
    assert duo.find_element("h1").text.startswith("Atlas of")  # still English
    assert "Filters" in duo.find_element(".filters").text


def test_the_year_unknown_bar_has_a_readable_address_that_round_trips(duo):
    load(duo)
    # trace 2: the "year unknown" bar, in its own panel (subplot x2y3, drawn after the years' bars)
    bar = duo.driver.find_elements(By.CSS_SELECTOR, "#growth .barlayer g.point path")[-1]
    ActionChains(duo.driver).move_to_element(bar).click().perform()
    wait_js(duo, "return window.location.search === '?years=unknown';")
    wait_js(duo, "return document.getElementById('chips').textContent.includes('rok nieznany');")
    duo.driver.refresh()
    wait_js(duo, f"return gminy_paths() >= {N_GMINY};", timeout=20)
    wait_js(duo, "return below_drawn();", timeout=20)  # the charts come after the map
    wait_js(duo, "return document.getElementById('chips').textContent.includes('rok nieznany');")
    assert search(duo) == "?years=unknown"
    wait_js(duo, "const gd = document.querySelector('#growth .js-plotly-plot'); "
                 "return gd && JSON.stringify(gd.data[2].selectedpoints) === '[0]';")  # the charts follow the map
    g = graph_data(duo, "growth")
    assert g[2]["selectedpoints"] == [0] and g[0]["selectedpoints"] == []
    # an old link (years=1900-1900) opens the same view and is rewritten
    load(duo, "?years=1900-1900")
    wait_js(duo, "return window.location.search === '?years=unknown';")


def _dated_in_coverage(duo) -> int:
    text = duo.find_element("#coverage").text
    digits = text.split(":", 1)[1].strip().split(" ", 1)[0]   # "Stan na 31.12.2010: 13 członków z datą …"
    return int(digits.replace("\u00a0", ""))


def test_the_as_of_year_in_the_address_sets_map_figures_and_note(duo, atlas):
    load(duo, "?asof=2010")
    wait_js(duo, "return document.getElementById('coverage').textContent.includes('31.12.2010');")
    dated_2010 = _dated_in_coverage(duo)
    veiled_2010 = len(graph_data(duo, "map")[3]["locations"])
    # the strip's figures in the data follow the date (sent alone: the published ones stay as they are)
    members, participants = (_text(x) for x in strip_numbers(atlas, FilterState(asof=2010)))
    assert members != _text(strip_numbers(atlas, FilterState(asof=2020))[0])
    assert "w tym" in members   # how many of them only later sources list (status then unknown)
    wait_js(duo, f"return document.getElementById('strip-members').textContent === {members!r};")
    assert duo.find_element("#strip-participants").text == participants and "333" in duo.find_element("#strip").text
    assert duo.find_element("#asof [role=slider]").get_attribute("aria-valuenow") == "2010"
    load(duo, "?asof=2020")
    wait_js(duo, "return document.getElementById('coverage').textContent.includes('31.12.2020');")
    assert dated_2010 < _dated_in_coverage(duo)       # fewer dated members in 2010 than in 2020
    assert veiled_2010 > 0 and "333" in duo.find_element("#coverage").text
    # the year typed into the slider's box: Enter applies it (it waited for the box to lose focus), a year out of
    # range becomes the nearest one, an emptied box gets its year back (the thumb said "NaN")
    box = duo.find_element("#asof input.dash-range-slider-input")
    for typed, keys, year in (("2008", Keys.ENTER, 2008), ("1900", Keys.ENTER, 1990), ("", Keys.TAB, 1990)):
        box.click()
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(typed or Keys.BACKSPACE, keys)
        wait_js(duo, f"return document.getElementById('coverage').textContent.includes('31.12.{year}');")
        assert box.get_attribute("value") == str(year)
        assert duo.find_element("#asof [role=slider]").get_attribute("aria-valuenow") == str(year)


def test_the_play_button_steps_through_the_years_with_patches(duo, atlas):
    from dashboard.model import membership

    last = membership.last_year(atlas)
    load(duo, f"?asof={last - 2}")
    wait_js(duo, f"return document.getElementById('coverage').textContent.includes('31.12.{last - 2}');")
    js(duo, """
      window.__answers = [];
      const orig = window.fetch;
      window.fetch = function (url, opts) {
        const p = orig.apply(this, arguments);
        if (String(url).includes('_dash-update-component')) {
          p.then(r => r.clone().text().then(t => window.__answers.push(t)));
        }
        return p;
      };""")
    pause_shown = "return getComputedStyle(document.getElementById('map-pause')).display !== 'none';"
    assert not js(duo, pause_shown)
    duo.find_element("#asof-play").click()
    wait_js(duo, pause_shown)   # while the years play, a pause button over the map (a phone's sheet is closed)
    js(duo, "document.getElementById('map-pause').focus();")   # a keyboard user about to pause
    wait_js(duo, f"return window.location.search.includes('asof={last - 1}');", timeout=15)
    # a screen reader hears the date each step shows (a status region), not the chips again
    wait_js(duo, f"return document.getElementById('asof-status').textContent.includes('31.12.{last - 1}');")
    wait_js(duo, f"return window.location.search === '' || window.location.search.includes('asof={last}');",
            timeout=15)
    wait_js(duo, "return document.getElementById('asof-play').getAttribute('data-playing') === 'false';",
            timeout=15)
    # the play ended by itself and took the pause button away: the focus is on the map, not lost to the page
    wait_js(duo, "return document.activeElement.id === 'map-section';")
    # its last date is heard too (it comes with the button released: the status stayed on the year before)
    wait_js(duo, f"return document.getElementById('asof-status').textContent.includes('31.12.{last}');")
    # one redraw per year (the answers' bodies are read asynchronously: wait for both)
    wait_js(duo, """return window.__answers.filter(a => a.includes('"map-changes"')).length >= 2;""", timeout=15)
    answers = js(duo, "return window.__answers;")
    maps = [a for a in answers if '"map-changes"' in a]
    # each step: the compact changes (the browser patches the figure), never the figure or the geometry
    assert all('"classes"' in a and '"map":' not in a and "geojson" not in a for a in maps), maps
    assert f"31.12.{last}" in duo.find_element("#coverage").text
    # the play is one Back step (each year was one), back to the view it started from (history.length cannot
    # tell: the module's tab has 50 entries, the most it counts)
    duo.driver.back()
    wait_js(duo, f"return window.location.search.includes('asof={last - 2}');")
    assert not js(duo, pause_shown)
    # the pause over the map pauses the play and goes, the focus on the map's section
    duo.find_element("#asof-play").click()
    wait_js(duo, pause_shown)
    duo.find_element("#map-pause").click()
    wait_js(duo, "return document.getElementById('asof-play').getAttribute('data-playing') === 'false' && "
                 "document.activeElement.id === 'map-section';")
    assert not js(duo, pause_shown)


def test_removing_chips_one_by_one_and_clearing_leaves_no_stale_chip(duo):
    """Only the chip slots that change are sent: fewer chips must still hide the ones that went."""
    load(duo, "?p=P1&woj=24,12")
    shown = ("return Array.from(document.querySelectorAll('#chips .chip')).filter(b => !b.hidden)"
             ".map(b => b.textContent);")
    first = wait_js(duo, shown.replace("return ", "const c = ") + " return c.length === 3 ? c : null;")
    duo.find_element("#chip-0").click()
    after = wait_js(duo, shown.replace("return ", "const c = ") + " return c.length === 2 ? c : null;")
    assert first[0] not in after and set(after) <= set(first)
    duo.find_element("#clear").click()
    wait_js(duo, shown.replace("return ", "const c = ") + " return c.length === 0;")
    assert not duo.find_element("#chips-none").get_attribute("hidden")
    load(duo, "?woj=02")
    assert len(wait_js(duo, shown.replace("return ", "const c = ") + " return c.length ? c : null;")) == 1


def test_the_printed_page_has_the_map_and_every_row_and_no_screen_controls(duo, atlas, tmp_path):
    """Printed from the browser (A4 portrait): the map and its legend on the first page, the table in full (not a
    scroll box of a few rows), no buttons that only work on a screen."""
    import base64

    from dashboard.view.table import table_frame

    load(duo, "?woj=02")
    pdf = tmp_path / "page.pdf"
    pdf.write_bytes(base64.b64decode(duo.driver.execute_cdp_cmd(
        "Page.printToPDF", {"printBackground": True, "paperWidth": 8.27, "paperHeight": 11.69})["data"]))
    pages = output("pdftotext", str(pdf), "-").split("\f")
    assert "Mapa gmin" in pages[0] and "Liczba projektów" in pages[0]      # the map card and its legend, together
    text = "\n".join(pages)
    rows = table_frame(atlas, FilterState(voivodeships=("02",)))
    # a long name may wrap in its cell: each of its words is printed (pdftotext joins "Jedlina-|Zdrój")
    words, squashed = set(re.findall(r"\w+", text)), re.sub(r"\W+", "", text)
    missing = [n for n in rows["name"]
               if not set(re.findall(r"\w+", n)) <= words and re.sub(r"\W+", "", n) not in squashed]
    assert not missing, missing
    assert "Pobierz CSV" not in text and "Odtwórz lata" not in text
    # landscape: the map card (13.5 cm high while printing, assets/atlas-frame.js) still fits the first page with
    # its legend (with the screen's map it went to a page of its own, its bottom cut off)
    pdf.write_bytes(base64.b64decode(duo.driver.execute_cdp_cmd("Page.printToPDF", {
        "printBackground": True, "paperWidth": 8.27, "paperHeight": 11.69, "landscape": True})["data"]))
    pages = output("pdftotext", str(pdf), "-").split("\f")
    assert "Mapa gmin" in pages[0] and "Liczba projektów" in pages[0], pages[0]
    # and after printing, the map follows its box on the screen again
    wait_js(duo, "const box = document.getElementById('map').getBoundingClientRect();"
                 "const svg = document.querySelector('#map .main-svg').getBoundingClientRect();"
                 "return Math.abs(svg.width - box.width - 4) <= 1 && box.width > 700;")
