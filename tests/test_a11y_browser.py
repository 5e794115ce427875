"""Every screen and every reader, in headless Chromium (issue 12):

- axe-core (npm, pinned in tests/axe/package.json + package-lock.json, installed by the set-up below into the
  git-ignored tests/axe/node_modules, injected with selenium) on the default, filtered, English, phone (390x844) and
  tablet (768x1024) views: no critical or serious violation; moderate and minor ones are printed;
- the phone: the map first, at least 90% of the viewport's width, no sideways scrolling;
- keyboard only: Tab walks every control, the table and the export panel and comes back out (no trap); sorting and
  the bars' lists work from the keyboard;
- touch: a tap on a gmina opens its details and puts it in the address; a swipe over the map or a chart scrolls;
- /embed in an <iframe> of a page on another loopback origin (127.0.0.2): 2,477 gminy, no console errors.
"""
from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import CALLBACK_LOG, GMINA_PATH, dash_browser, wait_for_js, wait_for_quiet_callbacks
from tests.system_tools import need

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N_GMINY = 2477
AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js from the pinned npm package (npm ci into tests/axe/node_modules on first use)."""
    path = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        subprocess.run([need("npm"), "ci", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)], check=True, timeout=300)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def duo(request, tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.model.atlas import get_atlas

    with dash_browser(request, create_app(get_atlas()), str(tmp_path_factory.mktemp("download"))) as dc:
        script = dc.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CALLBACK_LOG})
        yield dc
        dc.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def screen(duo, width: int, height: int, mobile: bool = False) -> None:
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    duo.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile, "maxTouchPoints": 5})


def load(duo, query: str = "", path: str = "/") -> None:
    duo.driver.get(duo.server_url + path + query)
    wait_js(duo, f"return document.querySelectorAll('#map .choroplethlayer .trace:first-child path.choroplethlocation')"
                 f".length >= {N_GMINY};", timeout=30)
    wait_for_quiet_callbacks(duo.driver, quiet_ms=300)  # the language texts, the bars' lists


def js(duo, script: str, *args):
    return duo.driver.execute_script(script, *args)


def wait_js(duo, script: str, timeout: float = 10.0):
    return wait_for_js(duo.driver, script, timeout)


def run_axe(duo, axe_source: str, label: str) -> list[dict]:
    js(duo, axe_source)
    result = duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']}).then(r => done(r.violations.map(v => ("
        "{id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 6), n: v.nodes.length}"
        "))), e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)], n: 1}]));", AXE_TAGS)
    for v in result:
        print(f"axe [{label}] {v['impact']}: {v['id']} ({v['n']} nodes) {v['nodes']}")
    if not result:
        print(f"axe [{label}]: no violations")
    return result


VIEWS = [  # label, query, (width, height, mobile)
    ("default", "", (1600, 1100, False)),
    ("filtered", "?p=P1&woj=14,24&years=2000-2020&metric=membership", (1600, 1100, False)),
    ("english", "?lang=en", (1600, 1100, False)),
    ("phone", "", (390, 844, True)),
    ("tablet", "?lang=en&woj=02", (768, 1024, True)),
]


@pytest.mark.parametrize("label, query, size", VIEWS, ids=[v[0] for v in VIEWS])
def test_axe_finds_no_critical_or_serious_violation(duo, axe_source, label, query, size):
    screen(duo, *size)
    try:
        load(duo, query)
        violations = run_axe(duo, axe_source, label)
    finally:
        screen(duo, 1600, 1100)
    bad = [v for v in violations if v["impact"] in ("critical", "serious")]
    assert bad == [], json.dumps(bad, ensure_ascii=False, indent=1)


def test_a_dropdown_is_named_by_its_label_and_described_by_what_it_shows(duo):
    """A screen reader hears which projects and voivodeships are chosen and which export size: with values chosen
    a dropdown was named by its label and described by its label again ("Województwa, Województwa"), and the export
    size was always just "Format". The names are words, not capitals."""
    load(duo, "?p=P1&woj=14,24")
    js(duo, "document.querySelectorAll('details').forEach(d => d.open = true);")
    described = """return Object.fromEntries(['projects', 'voivodeships', 'town', 'export-preset'].map(id => {
      const ids = (document.getElementById(id).getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
      return [id, ids.map(i => document.getElementById(i).textContent).join(' ').toLowerCase()];
    }));"""
    wait_js(duo, "return document.getElementById('voivodeships').getAttribute('aria-describedby')"
                 ".includes('voivodeships-value-count');")
    name = {i: duo.find_element(f"#{i}").accessible_name for i in ("projects", "voivodeships", "town",
                                                                  "export-preset")}
    # as written, not as drawn: the labels' capitals are small capitals (a text-transform made "PROJEKTY" the name)
    assert name == {"projects": "Projekty", "voivodeships": "Województwa", "town": "Szukaj miasta",
                    "export-preset": "Format"}, name
    text = js(duo, described)
    assert text["projects"] == "rozwój średnich i małych miast", text
    assert re.fullmatch(r"mazowieckie ?śląskie wybrane: 2", text["voivodeships"]), text
    assert text["town"].startswith("np. ") and text["export-preset"].startswith("a4 "), text


def test_new_dropdowns_are_fixed_at_once_and_swatches_keep_their_colours_in_high_contrast_and_print(duo):
    """assets/atlas.js names Dash's sliders and takes its dropdowns' hidden inputs out of the Tab order each time
    Dash renders them. It waited for the next frame: a script running in between (axe-core, seen once in a test run:
    "aria-hidden-focus", "aria-input-field-name") found them unfixed. Now right after the task that rendered them."""
    load(duo)
    fixed = duo.driver.execute_async_script("""
      const done = arguments[arguments.length - 1];
      const proxy = document.createElement('input');
      proxy.className = 'dash-dropdown-focus-target';
      document.getElementById('filters').appendChild(proxy);       // as Dash renders a dropdown
      setTimeout(() => { done([proxy.disabled, proxy.getAttribute('tabindex')]); proxy.remove(); }, 0);""")
    assert fixed == [True, "-1"]
    # the same page in Windows' high contrast and printed without background graphics: the legend's swatches keep
    # the map's colours (they were empty boxes: the legend could not be matched to the map)
    swatches = ("return Array.from(document.querySelectorAll('#legend .swatch')).map(s => [s.style.background, "
                "(s.style.backgroundImage.includes('gradient') ? getComputedStyle(s).backgroundImage "
                ": getComputedStyle(s).backgroundColor)]);")   # (the lighter colours' striped swatch: an image)
    for media, features in (("screen", [{"name": "forced-colors", "value": "active"}]), ("print", [])):
        duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media, "features": features})
        try:
            seen = js(duo, swatches)
            assert seen and all(own == computed for own, computed in seen), (media, seen)
            assert js(duo, "return getComputedStyle(document.querySelector('#legend .swatch'))"
                           ".printColorAdjust;") == "exact"
        finally:
            duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})


SCREENS = [(320, 568), (360, 740), (390, 844), (844, 390), (768, 1024), (1024, 768), (1280, 800), (1440, 900),
           (1920, 1080)]


def test_no_sideways_scrolling_and_the_legend_is_off_the_map(duo):
    """Loaded on the smallest phone, then turned and widened through tablet and desktop sizes (one page load: the
    layout is CSS and the map follows its box, so every width is checked as it settles). First in English on the
    smallest phone ("PLN 87.7 million" could not wrap: the page was 340 px wide), then in Polish; a phone turned
    sideways has the whole map in its height (it was 720 px tall in a 390 px screen)."""
    screen(duo, *SCREENS[0], mobile=True)
    try:
        load(duo, "?lang=en")
        assert js(duo, "return document.documentElement.scrollWidth;") <= SCREENS[0][0]
        js(duo, "document.querySelector('#lang input[value=\"pl\"]').click();")
        wait_js(duo, "return document.documentElement.lang === 'pl';")
        for width, height in SCREENS:
            screen(duo, width, height, mobile=width < 900)
            # the map has followed its new box (plotly redraws it on the window's resize; the plot reaches 2 px
            # past the box on each side, assets/style.css)
            wait_js(duo, "const box = document.getElementById('map').getBoundingClientRect();"
                         "const svg = document.querySelector('#map .main-svg').getBoundingClientRect();"
                         "return Math.abs(svg.width - box.width - 4) <= 1 && box.width > 0;")
            # no sideways scrolling once the charts have followed too: plotly resizes each plot on the window's
            # resize, one after another, and for a moment a chart keeps its old width in its new place
            wait_js(duo, "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;")
            sizes = js(duo, """
              const map = document.getElementById('map').getBoundingClientRect();
              const legend = document.getElementById('legend').getBoundingClientRect();
              const filters = document.getElementById('filters').getBoundingClientRect();
              // the key figures' rows: how many cards share each row, per group (the union's, the data's)
              const rows = [...document.querySelectorAll('.strip-cards')].map(group => {
                const tops = [...group.children].map(c => Math.round(c.getBoundingClientRect().top));
                return [...new Set(tops)].map(top => tops.filter(t => t === top).length);
              });
              // the growth chart's year labels as shown
              const years = [...document.querySelectorAll('#growth .xaxislayer-above .xtick text')]
                .filter(t => getComputedStyle(t).display !== 'none').map(t => t.getBoundingClientRect())
                .map(r => [Math.round(r.left), Math.round(r.right), Math.round(r.top)]);
              // the year-unknown bar's label, and the chart's right edge
              const unknown = [...document.querySelectorAll('#growth .xaxislayer-above .x2tick text')]
                .map(t => t.getBoundingClientRect()).map(r => [Math.round(r.left), Math.round(r.right)]);
              const chart = document.querySelector('#growth .main-svg').getBoundingClientRect();
              // the table's rows: a cell taller than two lines, a project's name than two (in its sideways-scrolling
              // box a phone gave "tak (wg późniejszego źródła)" and the projects' names 100 px: 4-8 lines a row);
              // below 560 px the city's column, which stays in view, is narrower: a long name may take three
              const lines = c => { const r = document.createRange(); r.selectNodeContents(c);
                                   return Math.round(r.getBoundingClientRect().height / parseFloat(getComputedStyle(c).lineHeight)); };
              const tallRows = [...document.querySelectorAll('#table tbody tr')].filter(r => {
                const cells = [...r.children], n = Number(cells[5].textContent);
                return lines(cells[0]) > (innerWidth < 560 ? 3 : 2) || Math.max(...cells.slice(1, 6).map(lines)) > 2
                  || lines(cells[6]) > 2 * Math.max(n, 1);
              }).map(r => r.children[0].textContent);
              // the city's cell stays at the box's left edge when the table is scrolled sideways
              const box = document.querySelector('.table-scroll'), th = document.querySelector('#table tbody th');
              box.scrollLeft = box.scrollWidth;
              const cityKept = Math.round(th.getBoundingClientRect().left - box.getBoundingClientRect().left);
              box.scrollLeft = 0;
              return {mapLeft: map.left, mapWidth: map.width, mapTop: map.top, mapBottom: map.bottom,
                      legendTop: legend.top, filtersHeight: filters.height, stripRows: rows, years: years,
                      unknown: unknown, chartRight: Math.round(chart.right), tallRows: tallRows, cityKept: cityKept};""")
            print(width, sizes)
            assert sizes["legendTop"] >= sizes["mapBottom"] - 1, (width, sizes)  # under the map, never on it
            assert sizes["tallRows"] == [], (width, sizes["tallRows"])
            assert sizes["cityKept"] in (0, 1), (width, sizes["cityKept"])   # (the box's border)
            years = sizes["years"]   # level, and at least 4 px apart (slanted 10 px labels were hard to read)
            assert len(years) >= 4 and len({top for _, _, top in years}) == 1, (width, years)
            assert all(right + 4 <= left for (_, right, _), (left, _, _) in zip(years, years[1:])), (width, years)
            # "year unknown" under its bar, whole, inside the chart and clear of the last year shown
            (unknown,) = sizes["unknown"]
            assert years[-1][1] + 4 <= unknown[0] and unknown[1] <= sizes["chartRight"], (width, sizes)
            if width < 900:
                assert sizes["mapWidth"] >= 0.9 * width, (width, sizes)          # the map first, at full width
                assert sizes["mapBottom"] - sizes["mapTop"] <= max(height, 300), (width, sizes)
                assert sizes["filtersHeight"] == 0, width                         # the filters wait in their sheet
                # the figures in full rows (a tablet had 5 + 1, the last card stretched alone across the page)
                assert sizes["stripRows"] == ([[3, 3], [2]] if width >= 560 else [[2, 2, 2], [2]]), (width, sizes)
    finally:
        screen(duo, 1600, 1100)


TEXT_SIZES = """return [document.documentElement, document.querySelector('.control-label'),
                         document.querySelector('#details'), document.querySelector('#legend')]
                        .map(e => parseFloat(getComputedStyle(e).fontSize));"""


def test_the_readers_own_text_size_scales_the_pages_text(duo):
    """A reader who has set a larger default text size in the browser (20 px; 16 px is the usual) gets the page's
    text that much larger — it was set in px, which ignores that setting — and on a phone nothing scrolls sideways."""
    screen(duo, *SCREENS[0], mobile=True)
    try:
        load(duo)
        usual = js(duo, TEXT_SIZES)
        duo.driver.execute_cdp_cmd("Page.setFontSizes", {"fontSizes": {"standard": 20, "fixed": 16}})
        load(duo)
        larger = js(duo, TEXT_SIZES)
        assert usual[0] == 14 and all(abs(big / size - 1.25) < 0.01 for big, size in zip(larger, usual)), (usual, larger)
        assert js(duo, "return document.documentElement.scrollWidth;") <= SCREENS[0][0]
    finally:
        duo.driver.execute_cdp_cmd("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})
        screen(duo, 1600, 1100)


MEASURE = """const source = document.getElementById('embed-source').getBoundingClientRect();
  const map = document.getElementById('map').getBoundingClientRect();
  return {sourceBottom: source.bottom, mapHeight: map.height, view: innerHeight,
          scroll: document.documentElement.scrollHeight};"""


@pytest.mark.parametrize("query", ["", "?lang=en&metric=membership&asof=2005&town=1061011",
                                   "?lang=en&woj=12&town=2801022"])
def test_an_embed_in_a_short_article_frame_shows_its_source_line(duo, query):
    """An article's small iframe (420×340, a phone's 320×300): the embed's map gives up height, never the source
    line — the attribution a newsroom must print — and the frame does not scroll (the whole country's legend is the
    tallest, the membership one in English above all: a two-line heading and note). One page load, the frame
    narrowed after it (as the article's column does): the layout is CSS and the map follows its box. A town's link
    (`town=`): its card takes the legend's place, under the map, so the town the map is zoomed to stays in view
    (over the map it covered it). In a narrow frame with height to spare, the view's filters are written out whole
    (at 320×480 one line read "as of 31 Dec 2020 · Vo…"). A stale town code in the article's link (2801022 is no gmina): the notice takes
    one line (three pushed the source line out). A click's card keeps the map's box (a card taller than the
    legend it stood in for took 3 px from the map at 520×400; a phone's 320×480 column pushed the source line out, and
    so did a map kept at least 220 px tall in a 521×440 frame and 140 px in a 320×330 one)."""
    frames = ((420, 340), (320, 300), (320, 480), (320, 330))
    if not query:
        frames += ((520, 400), (521, 440))
    if "town=1061011" in query:   # wider frames, a common article column's too: the card floats beside the town
        frames += ((700, 560), (600, 340), (521, 560))
    try:
        for i, (width, height) in enumerate(frames):
            screen(duo, width, height, mobile=width < 900)
            if i == 0:
                load(duo, query, path="/embed")
            wait_js(duo, "const box = document.getElementById('map').getBoundingClientRect();"
                         "const svg = document.querySelector('#map .main-svg').getBoundingClientRect();"
                         "return Math.abs(svg.width - box.width - 4) <= 1 && Math.abs(svg.height - box.height - 4) <= 1;")
            sizes = js(duo, MEASURE)
            assert sizes["sourceBottom"] <= sizes["view"] and sizes["scroll"] <= sizes["view"], (width, sizes)
            assert sizes["mapHeight"] >= 80, (width, sizes)
            if width < 480 and height >= 360:   # what the view is filtered to, whole (one line: "as of … · Vo…")
                view = js(duo, "const v = document.getElementById('embed-view');"
                               "return [v.scrollWidth - v.clientWidth, v.scrollHeight - v.clientHeight, v.textContent];")
                assert view[0] <= 0 and view[1] <= 0, (width, view)
            if not query:   # Warszawa's card, then closed
                js(duo, "window.dash_clientside.set_props('map', {clickData: {points: [{location: '1465011'}]}});")
                wait_js(duo, "return document.querySelector('#details h2') !== null;")
                assert js(duo, MEASURE) == sizes, (width, "a card open")
                duo.find_element("#details-close").click()
                wait_js(duo, "return document.querySelector('#details h2') === null;")
            if "2801022" in query:   # said, in one line
                notice = js(duo, "const n = document.getElementById('notice'); return [n.hidden, n.textContent,"
                                 " n.getBoundingClientRect().height];")
                assert not notice[0] and notice[1] == "Invalid values in the map's address were left out: Town." and \
                    notice[2] < 20, notice
            if "town=1061011" in query:
                boxes = js(duo, """const box = e => { const r = e.getBoundingClientRect();
                    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
                  const focus = document.querySelectorAll('#map .choroplethlayer .trace')[2].querySelector('path');
                  const card = document.querySelector('.embed-card'), legend = document.getElementById('legend');
                  return {town: box(focus), map: box(document.getElementById('map')), card: box(card),
                          overflow: card.scrollWidth - card.clientWidth,
                          legend: getComputedStyle(legend).visibility === 'visible' ? box(legend) : null};""")
                town, card, frame = boxes["town"], boxes["card"], boxes["map"]
                assert frame["left"] <= town["left"] < town["right"] <= frame["right"], (width, boxes)
                assert frame["top"] <= town["top"] < town["bottom"] <= frame["bottom"], (width, boxes)
                assert card["bottom"] - card["top"] >= 60 and boxes["overflow"] <= 0, (width, boxes)
                apart = card["top"] >= town["bottom"] or card["right"] <= town["left"]   # under it, or beside it
                assert apart, (width, boxes)
                if width > 520:   # beside it: the legend stays (a 700 px frame had it hidden by a 76 px strip)
                    assert card["right"] <= town["left"] and boxes["legend"], (width, boxes)
                    assert boxes["legend"]["bottom"] <= sizes["view"], (width, boxes)
                # every part in a landmark, headings one level at a time (axe: region, heading-order — the town's
                # name was an h3 straight under the embed's h1, its title and source line in no landmark)
                outline = js(duo, """const shown = [...document.querySelectorAll(`#embed h1, #embed h2, #embed h3,
                    #embed h4, #embed h5, #embed p, #embed a, #embed button, #embed-source`)]
                    .filter(e => e.getClientRects().length);
                  return {outside: shown.filter(e => !e.closest('header, main, footer')).map(e => e.id || e.tagName),
                          levels: shown.filter(e => /^H\d$/.test(e.tagName)).map(e => +e.tagName[1])};""")
                assert outline["outside"] == [] and outline["levels"][:2] == [1, 2], outline
                assert all(b - a <= 1 for a, b in zip(outline["levels"], outline["levels"][1:])), outline
    finally:
        screen(duo, 1600, 1100)


def test_the_filter_sheet_opens_from_a_button_that_counts_the_filters(duo):
    screen(duo, 390, 844, mobile=True)
    try:
        load(duo, "?p=P1&woj=14&asof=2000")   # (a play of 19 years: still playing when paused below)
        toggle = duo.find_element("#filters-toggle")
        wait_js(duo, "return document.getElementById('filters-count').textContent.includes('2');")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        wait_js(duo, "return document.getElementById('filters').getBoundingClientRect().height > 200;")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert js(duo, "return document.activeElement.closest('#filters') !== null;")
        ActionChains(duo.driver).send_keys(Keys.ESCAPE).perform()
        wait_js(duo, "return document.getElementById('filters').getBoundingClientRect().height === 0;")
        assert js(duo, "return document.activeElement.id;") == "filters-toggle"
        # the play button closes the sheet (it covered the map the play is for), the map's date is by its legend,
        # and a pause button is over the map
        toggle.click()
        wait_js(duo, "return document.getElementById('filters').getBoundingClientRect().height > 200;")
        play = duo.find_element("#asof-play")
        # its name says what it does, without the glyph ("❚❚ Zatrzymaj, naciśnięty" said the state twice)
        assert (play.accessible_name, play.get_attribute("aria-pressed")) == ("Odtwórz lata", None)
        play.click()
        wait_js(duo, "return document.getElementById('filters').getBoundingClientRect().height === 0;")
        wait_js(duo, "const r = document.getElementById('map').getBoundingClientRect();"
                     "return r.top >= -1 && r.top < innerHeight / 2;")
        # from 2000, a year on (P1 began in 2019: the date is membership's)
        wait_js(duo, "return /stan członkostwa na 31\\.12\\.20(0[1-9]|1[0-8])/.test(document.querySelector('#legend "
                     ".legend-date').textContent);", timeout=15)
        pause = duo.find_element("#map-pause")
        assert pause.accessible_name == "Zatrzymaj"
        assert js(duo, "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight;",
                  pause)
        pause.click()
        wait_js(duo, "return document.getElementById('asof-play').getAttribute('data-playing') === 'false';")
    finally:
        screen(duo, 1600, 1100)


KRAKOW_CENTRE = """
  const gd = document.querySelector('#map .js-plotly-plot');
  const i = gd.data[0].locations.indexOf('1261011');
  const p = document.querySelector('#map .choroplethlayer .trace').querySelectorAll('path.choroplethlocation')[i];
  %s
  const r = p.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"""


def _tap_krakow(duo) -> None:
    """A tap (a touch that does not move) on Kraków, scrolled into the middle of the screen first."""
    js(duo, KRAKOW_CENTRE % "p.scrollIntoView({block: 'center'});")
    point = js(duo, KRAKOW_CENTRE % "")
    for kind in ("touchStart", "touchEnd"):
        duo.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {
            "type": kind, "touchPoints": [{"x": point[0], "y": point[1]}] if kind == "touchStart" else []})
        time.sleep(0.05)   # a finger rests a moment


def _swipe_up(duo, x: float, y: float, distance: float = 240) -> None:
    duo.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 9):
        duo.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {
            "type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 8}]})
    duo.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    # the swipe's fling goes on for a moment (a touch during it only stops it): until the page is still
    duo.driver.execute_async_script("""const done = arguments[arguments.length - 1];
      let last = -1, still = 0;
      (function frame() {
        still = window.scrollY === last ? still + 1 : 0;
        last = window.scrollY;
        if (still >= 10) { done(); } else { requestAnimationFrame(frame); }
      })();""")


def test_on_a_touch_screen_a_tap_shows_a_gmina_and_a_swipe_scrolls_the_page_and_selects_nothing(duo):
    """A tap on a gmina opens its details and puts it in the address, and is not a zoom. The map and the charts
    are as wide as a phone: a one-finger swipe over them must scroll the page (over the map before and after the
    tap, a new figure), never start a box selection (it selected 1,939 gminy and logged plotly's TypeErrors; over
    a chart it filtered ten voivodeships)."""
    screen(duo, 375, 667, mobile=True)   # a small phone: the details are below the fold
    try:
        load(duo)
        duo.driver.get_log("browser")
        for tapped in (False, True):
            if tapped:
                _tap_krakow(duo)
                wait_js(duo, "return window.location.search.includes('town=1261011');")
                wait_js(duo, "return document.getElementById('details').textContent.includes('Kraków');")
                wait_for_quiet_callbacks(duo.driver, quiet_ms=300)
                assert js(duo, "return document.querySelector('#map .js-plotly-plot')._fullLayout"
                               ".geo.projection.scale;") < 2   # the view stays on the whole country
                # the details are below the fold: a cue at the map's foot names the gmina and goes there
                js(duo, "window.scrollTo(0, 0);")
                cue = "const c = document.getElementById('details-cue');"
                assert wait_js(duo, cue + "return getComputedStyle(c).display !== 'none' && c.dataset.name;") == "Kraków"
                duo.find_element("#details-cue").click()
                wait_js(duo, "const r = document.getElementById('details-heading').getBoundingClientRect();"
                             "return r.top >= -1 && r.top < innerHeight / 2 && "   # (scrolled to a fraction of a px)
                             "document.activeElement.id === 'details-heading';")
                wait_js(duo, cue + "return getComputedStyle(c).display === 'none';")
                assert js(duo, "return window.location.hash;") == ""
            js(duo, "window.scrollTo(0, 0);")
            box = js(duo, "const r = document.getElementById('map').getBoundingClientRect();"
                          "return [r.left + r.width / 2, r.top + r.height * 0.7];")
            _swipe_up(duo, *box)
            wait_js(duo, "return window.scrollY > 50;")
            assert "sel=" not in js(duo, "return window.location.search;")
            errors = [e["message"] for e in duo.driver.get_log("browser") if e.get("level") == "SEVERE"]
            assert errors == [], (tapped, errors)
        before = js(duo, "return window.location.search;")
        for chart in ("by-voivodeship", "growth"):
            js(duo, f"document.getElementById('{chart}').scrollIntoView({{block: 'start'}});")
            top = js(duo, "return window.scrollY;")
            box = js(duo, f"const r = document.getElementById('{chart}').getBoundingClientRect();"
                          "return [r.left + r.width / 2, r.top + r.height * 0.7];")
            _swipe_up(duo, *box, distance=160)
            wait_js(duo, f"return window.scrollY > {top} + 40;")
            assert js(duo, "return window.location.search;") == before, chart
    finally:
        screen(duo, 1600, 1100)


def _active(duo) -> dict:
    return js(duo, """
      const e = document.activeElement;
      const box = e.getBoundingClientRect();
      const style = getComputedStyle(e);
      return {tag: e.tagName.toLowerCase(), id: e.id || '', cls: String(e.className || ''),
              type: e.getAttribute('type') || '', text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40),
              role: e.getAttribute('role') || '', inTable: !!e.closest('#table'), inExport: !!e.closest('#export-section'),
              name: e.getAttribute('name') || '', visible: box.width > 0 && box.height > 0,
              ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
              ringClipped: (() => {   // the ring reaches past a box that clips what overflows it
                const grow = (parseFloat(style.outlineOffset) || 0) + (parseFloat(style.outlineWidth) || 0);
                for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                  if (getComputedStyle(a).overflow === 'visible') continue;
                  const r = a.getBoundingClientRect();
                  if (box.top - grow < r.top - 0.5 || box.left - grow < r.left - 0.5 ||
                      box.right + grow > r.right + 0.5 || box.bottom + grow > r.bottom + 0.5) return a.id || a.className;
                }
                return null; })()};""")


def _key(active: dict) -> str:
    return "|".join(str(active[k]) for k in ("tag", "id", "name", "text"))


def test_keyboard_only_reaches_every_control_and_leaves_the_table(duo):
    load(duo)
    js(duo, "document.getElementById('export-section').open = true;")  # the export panel, walked below
    js(duo, "document.activeElement.blur(); window.scrollTo(0, 0);")
    body = duo.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    walk = [_active(duo)]
    for _ in range(400):
        ActionChains(duo.driver).send_keys(Keys.TAB).perform()
        now = _active(duo)
        walk.append(now)
        if now["tag"] == "body" or (len(walk) > 5 and _key(now) == _key(walk[0])):
            break
    keys = [_key(a) for a in walk]
    print("Tab order:", [f"{a['tag']}#{a['id'] or a['name']}" for a in walk])
    assert walk[0]["cls"] == "skip-link"
    ids = {a["id"] for a in walk} | {a["name"] for a in walk}
    for wanted in ("lang", "metric", "projects", "match", "voivodeships", "unknown-year", "town", "export-preset",
                   "export-format", "export-title", "export-button", "embed-code", "embed-copy", "csv-button",
                   "sort-name", "sort-projects"):
        assert wanted in ids, (wanted, sorted(ids))
    assert any(a["cls"].startswith("rc-slider-handle") or a["role"] == "slider" for a in walk)  # the year slider
    # the table: its scroll box is one stop, then its sort buttons, and the next Tab leaves it (no trap)
    scroll = [i for i, a in enumerate(walk) if "table-scroll" in a["cls"]]
    assert len(scroll) == 1, keys
    in_table = [i for i, a in enumerate(walk) if a["inTable"]]
    assert in_table == list(range(scroll[0] + 1, scroll[0] + 8)), keys   # the 7 header buttons
    after = walk[in_table[-1] + 1]
    assert not after["inTable"] and "table-scroll" not in after["cls"], after
    # the walk came back out of the page (to the browser / the start), it did not get stuck anywhere
    assert len(set(keys)) > 40 and len(walk) < 400
    # no key-figure card is a Tab stop
    assert not [a for a in walk if "figure-card" in a["cls"]]
    # every stop is visible with a focus ring (the plotly toolbar's buttons included)
    hidden = [a for a in walk if not a["visible"] and a["tag"] != "body" and a["type"] != "radio"
              and a["type"] != "checkbox"]
    assert hidden == [], hidden
    # the map toolbar's rings whole (at plotly's place the map's box cut off their top)
    toolbar = [a for a in walk if "modebar-btn" in a["cls"]]
    assert toolbar and not [a for a in toolbar if a["ringClipped"]], toolbar
    # and backwards: Shift+Tab from the table's scroll box goes back to the sort buttons, not stuck either
    js(duo, "document.querySelector('.table-scroll').focus();")
    ActionChains(duo.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert _active(duo)["id"] != "" and "table-scroll" not in _active(duo)["cls"]


def test_sorting_and_choosing_bars_from_the_keyboard(duo):
    load(duo)
    js(duo, "document.getElementById('sort-n_projects').focus();")
    ActionChains(duo.driver).send_keys(Keys.ENTER).perform()
    wait_js(duo, "return document.getElementById('th-n_projects').getAttribute('aria-sort') === 'ascending';")
    ActionChains(duo.driver).send_keys(Keys.ENTER).perform()
    wait_js(duo, "return document.getElementById('th-n_projects').getAttribute('aria-sort') === 'descending';")
    wait_js(duo, """const v = Array.from(document.querySelectorAll('#table tbody tr td:nth-child(6)'))
                      .map(td => Number(td.textContent)); return v.length > 10 && v[0] >= v[v.length - 1] && v[0] > 0;""")
    assert js(duo, "return document.activeElement.id;") == "sort-n_projects"  # focus stays on the header
    # the voivodeships' bars as a list of buttons: open it, choose one with Enter
    summary = duo.find_element("#by-voivodeship-list-summary")
    js(duo, "arguments[0].focus();", summary)
    ActionChains(duo.driver).send_keys(Keys.ENTER).perform()
    button = wait_js(duo, "return Array.from(document.querySelectorAll('.chart-list[open] .pick'))"
                          ".find(b => b.textContent.startsWith('mazowieckie')) || null;")
    js(duo, "arguments[0].focus();", button)
    ActionChains(duo.driver).send_keys(Keys.ENTER).perform()
    wait_js(duo, "return window.location.search.includes('woj=14');")
    wait_js(duo, "return Array.from(document.querySelectorAll('.pick[aria-pressed=true]'))"
                 ".some(b => b.textContent.startsWith('mazowieckie'));")
    summary_text = duo.find_element("#by-voivodeship-summary").text
    assert summary_text.startswith("Wykres słupkowy")
    # the lists are updated in place: the pressed button keeps the focus, and a second Enter takes the choice back
    assert js(duo, "const b = document.activeElement; return b.classList.contains('pick') && "
                   "b.getAttribute('aria-pressed') === 'true' && b.textContent.startsWith('mazowieckie');")
    ActionChains(duo.driver).send_keys(Keys.ENTER).perform()
    wait_js(duo, "return !window.location.search.includes('woj=14');")
    wait_js(duo, "return document.activeElement.getAttribute('aria-pressed') === 'false';")


def test_the_page_language_follows_the_toggle_everywhere(duo):
    """The PL/EN toggle: the page's texts, its address, its document language and title, the names a screen
    reader reads (filters, slider thumbs, legend), plotly's toolbar and the charts' labels."""
    load(duo)
    assert duo.find_element("h1").text == "Atlas Związku Miast Polskich"
    assert js(duo, "return document.documentElement.lang;") == "pl"
    assert js(duo, "return document.title;") == "Atlas Związku Miast Polskich"
    titles = js(duo, "return Array.from(document.querySelectorAll('#map .modebar-btn')).map(b => b.dataset.title);")
    assert "Przesuń" in titles and "Pan" not in titles, titles
    duo.find_element("#projects").click()
    wait_js(duo, "return document.querySelector('.dash-dropdown-content') !== null;")
    texts = js(duo, "return document.querySelector('.dash-dropdown-content').innerText + ' ' + "
                    "Array.from(document.querySelectorAll('.dash-dropdown-content input')).map(i => i.placeholder).join(' ');")
    assert "Search" not in texts and "Select All" not in texts, texts
    thumbs = "Array.from(document.querySelectorAll('#years [role=slider]')).map(t => t.getAttribute('aria-label'))"
    assert js(duo, f"return {thumbs};") == ["Rok przystąpienia: od", "Rok przystąpienia: do"]   # not "Minimum"
    legend = "document.getElementById(document.getElementById('legend').getAttribute('aria-labelledby')).textContent"
    assert js(duo, f"return {legend};") == "Legenda mapy"
    ActionChains(duo.driver).send_keys(Keys.ESCAPE).perform()
    duo.driver.find_element(By.CSS_SELECTOR, "#lang input[value='en']").find_element(By.XPATH, "./../..").click()
    wait_js(duo, "return document.documentElement.lang === 'en';")
    wait_js(duo, "return document.title === 'Atlas of the Association of Polish Cities';")
    wait_js(duo, "return window.location.search.includes('lang=en');")
    wait_js(duo, "return document.querySelector('h1').textContent.startsWith('Atlas of');")
    assert "Filters" in duo.find_element(".filters").text
    wait_js(duo, "return document.getElementById('strip').textContent.includes('Members in the data');")
    wait_js(duo, "return Array.from(document.querySelectorAll('#growth text'))"
                 ".some(t => t.textContent.includes('unknown'));")
    assert js(duo, "return document.querySelector('.app').getAttribute('lang');") in (None, "en")
    name_of_filters = js(duo, "const id = document.getElementById('filters').getAttribute('aria-labelledby');"
                              "return document.getElementById(id).textContent;")
    assert name_of_filters == "Filters"
    wait_js(duo, f"return JSON.stringify({thumbs}) === JSON.stringify(['Join year: from', 'Join year: to']);")
    wait_js(duo, f"return {legend} === 'Map legend';")
    wait_js(duo, "return Array.from(document.querySelectorAll('#map .modebar-btn')).some(b => b.dataset.title === 'Pan');")


class _HostPage(http.server.BaseHTTPRequestHandler):
    """An article on another origin (127.0.0.2) that embeds the atlas."""
    src = ""

    def do_GET(self):  # noqa: N802 — http.server's name
        body = (f'<!doctype html><html lang="en"><head><title>An article</title></head><body>'
                f'<h1>An article</h1><div style="max-width:720px">{self.src}</div></body></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _hover(duo, element, text: str, tries: int = 3) -> None:
    """The mouse over `element` until plotly's hover label shows `text`. A pointer's move is one event: plotly draws
    the label on it, and a redraw of the map in between (a late answer on a busy machine; seen once in a CI run) takes
    it away until the next move, which a hand on a mouse always makes."""
    for attempt in range(tries):
        ActionChains(duo.driver).move_to_element_with_offset(element, attempt, 0).perform()   # a new spot each try
        try:
            wait_js(duo, f"return document.querySelector('#map .hoverlayer').textContent.includes({text!r});", 4)
            return
        except AssertionError:
            if attempt == tries - 1:
                shown = js(duo, "const r = arguments[0].getBoundingClientRect(), e = document.elementFromPoint("
                                "r.x + r.width / 2, r.y + r.height / 2); return [document.querySelector("
                                "'#map .hoverlayer').textContent, e && e.outerHTML.slice(0, 120)];", element)
                raise AssertionError(f"no hover label with {text!r}: the label said {shown[0]!r}, under the pointer "
                                     f"{shown[1]!r}") from None


def test_the_embed_works_in_an_iframe_on_another_origin(duo):
    load(duo, "?p=P1&lang=en")
    js(duo, "document.getElementById('export-section').open = true;")
    snippet = wait_js(duo, "const v = document.getElementById('embed-code').value;"
                           "return v.includes('/embed?p=P1') ? v : null;")
    assert 'title="Map of gminy' in snippet and 'height="640"' in snippet
    _HostPage.src = snippet
    host = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _HostPage)
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    try:
        duo.driver.get_log("browser")
        duo.driver.get(f"http://127.0.0.2:{host.server_port}/")
        frame = wait_js(duo, "return document.querySelector('iframe');")
        duo.driver.switch_to.frame(frame)
        wait_js(duo, f"return document.querySelectorAll('#map .choroplethlayer .trace:first-child "
                     f"path.choroplethlocation').length >= {N_GMINY};", timeout=30)
        wait_js(duo, "return document.getElementById('embed-open').textContent === 'Open the full atlas';")
        wait_js(duo, "return document.getElementById('embed-open').href.includes('lang=en');")   # its answer
        assert js(duo, "return document.querySelectorAll('#map .choroplethlayer .trace:first-child "
                       "path.choroplethlocation').length;") == N_GMINY
        assert "/?p=P1&lang=en" in js(duo, "return document.getElementById('embed-open').href;")
        assert "Source" in duo.find_element("#embed-source").text
        assert "other gminy" in duo.find_element("#legend").text
        assert not duo.driver.find_elements(By.ID, "filters")
        scripts = js(duo, "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
                          ".filter(p => p.endsWith('.js') && p.includes('plotly'));")
        assert len(scripts) == 1 and "/_atlas/js/plotly-atlas." in scripts[0], scripts   # not the 4.8 MB one
        width = js(duo, "return document.querySelector('#map .main-svg').getBoundingClientRect().width;")
        assert 650 <= width <= 720  # as wide as its frame
        # still interactive: a click on a gmina shows its details in the frame
        gmina = js(duo, GMINA_PATH, "1261011")
        # a drag over the article's map selects nothing, clicks nothing and leaves the map as it is (it drew a box
        # that faded it; its button going up opened the card of the gmina where it went up)
        before = gmina.rect
        js(duo, "window.mapClicks = []; document.querySelector('#map .js-plotly-plot')"
                ".on('plotly_click', e => mapClicks.push(e.points[0].location));")
        ActionChains(duo.driver).move_to_element(gmina).click_and_hold().move_by_offset(30, 10) \
            .move_by_offset(30, 10).release().perform()
        assert js(duo, "const gd = document.querySelector('#map .js-plotly-plot'); return [gd.data[0].selectedpoints "
                       "|| null, document.querySelectorAll('#map .selectionlayer path, #map .select-outline').length, "
                       "mapClicks];") == [None, 0, []]
        gmina = js(duo, GMINA_PATH, "1261011")
        assert gmina.rect == before
        _hover(duo, gmina, "Kraków")
        box = "const r = document.getElementById('map').getBoundingClientRect(); return [r.top, r.height];"
        map_box = js(duo, box)
        ActionChains(duo.driver).click(gmina).perform()
        assert js(duo, "return mapClicks;") == ["1261011"]   # a click is still a click
        wait_js(duo, "return document.getElementById('details').textContent.includes('Kraków');")
        # the details are a card over the map's corner: the map keeps its box, the source line stays in view
        assert js(duo, box) == map_box
        assert js(duo, "return document.getElementById('embed-source').getBoundingClientRect().bottom "
                       "<= innerHeight;")
        # its × closes the card, the focus on the map's title (it fell to the page's start); and so does Esc
        duo.find_element("#details-close").click()
        wait_js(duo, "return !document.getElementById('details').textContent.includes('Kraków') && "
                     "document.activeElement.id === 'embed-title';")
        ActionChains(duo.driver).click(js(duo, GMINA_PATH, "1261011")).perform()
        wait_js(duo, "return document.getElementById('details').textContent.includes('Kraków');")
        duo.find_element("#details-close").send_keys(Keys.ESCAPE)
        wait_js(duo, "return !document.getElementById('details').textContent.includes('Kraków') && "
                     "document.activeElement.id === 'embed-title';")
        duo.driver.switch_to.default_content()
        time.sleep(0.5)
        severe = [e for e in duo.driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe
    finally:
        duo.driver.switch_to.default_content()
        host.shutdown()
        host.server_close()
