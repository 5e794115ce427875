"""The local base topojson really replaces plotly's CDN: a plotly.js page in headless Chromium draws the gminy
choropleth on plotly geo (scopes europe/world, resolutions 50/110) with every request going to our local server,
no console error, and land drawn the right way round (clockwise rings: a small Poland, not an inverted globe)."""
from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import time
from pathlib import Path

import plotly
import pytest

import geodata

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script src="/plotly.min.js"></script></head>
<body><div id="europe" style="width:900px;height:700px"></div><div id="world" style="width:900px;height:500px">
</div><script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
fetch('/gminy.geojson').then(r => r.json()).then(gj => {
  const ids = gj.features.map(f => f.id);
  const trace = {type: 'choropleth', geojson: '/gminy.geojson', featureidkey: 'id', locations: ids,
                 z: ids.map((_, i) => i % 7), marker: {line: {width: 0.2}}};
  const config = {topojsonURL: '/topojson/'};
  return Promise.all([
    Plotly.newPlot('europe', [trace], {geo: {scope: 'europe', resolution: 50, fitbounds: 'locations',
        showland: true, showcountries: true, showsubunits: true, showlakes: true, showrivers: true,
        showocean: true, showcoastlines: true}}, config),
    Plotly.newPlot('world', [{...trace, z: ids.map(() => 1)}], {geo: {scope: 'world', resolution: 110,
        showland: true, landcolor: 'rgb(200,0,0)'}}, config),
  ]);
}).then(() => { window.__done = true; }, e => { window.__errors.push(String(e)); window.__done = true; });
</script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, fmt, *args):
        _Quiet.requests.append(self.path)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("geo-page")
    shutil.copy(geodata.web_asset("gminy"), root / "gminy.geojson")
    shutil.copytree(geodata.web_asset("topojson_dir"), root / "topojson")
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", root / "plotly.min.js")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),   # a free port
                                             functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver

    from dashboard.export.render import HEADLESS_SHELL
    from tests.conftest import chromedriver

    options = webdriver.ChromeOptions()
    options.binary_location = HEADLESS_SHELL
    for arg in ("--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1400",
                # any host but 127.0.0.1 fails to resolve: a CDN request could not succeed by accident
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=chromedriver(), options=options)
    yield driver
    driver.quit()


def test_plotly_geo_uses_only_the_local_topojson(site, browser):
    _Quiet.requests.clear()
    browser.get(site + "/index.html")
    deadline = time.time() + 60
    while not browser.execute_script("return window.__done === true") and time.time() < deadline:
        time.sleep(0.2)
    assert browser.execute_script("return window.__done === true"), "plot did not finish in 60 s"
    assert browser.execute_script("return window.__errors") == []
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls and all(u.startswith(site) for u in urls), [u for u in urls if not u.startswith(site)]
    assert not any("cdn.plot.ly" in u for u in urls)
    assert "/topojson/europe_50m.json" in _Quiet.requests and "/topojson/world_110m.json" in _Quiet.requests
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    # every gmina drawn in both maps
    assert browser.execute_script("return document.querySelectorAll('#europe .choroplethlocation').length") == 2477
    # land (= Poland's outline, clockwise) covers exactly the gminy; an inverted ring would fill the whole sphere
    land, gminy = browser.execute_script("""
        const box = el => { const b = el.getBBox(); return [b.x, b.y, b.width, b.height]; };
        return [box(document.querySelector('#world .layer.land path')),
                box(document.querySelector('#world .choroplethlayer'))];""")
    assert all(abs(a - b) < 0.02 * gminy[2] + 1 for a, b in zip(land, gminy)), (land, gminy)
