"""This dashboard against a naive Dash page of the same 2,477 gminy, in headless Chromium, side by side (issue 10).

    flock /tmp/atlas-heavy.lock .venv/bin/python -m bench browser      # (make bench runs it with the others)

Pages (bench/browser_apps.py, each on its own werkzeug server process): `atlas` (this dashboard as served),
`atlas_full_plotly` (the same with ATLAS_PLOTLY_BUNDLE=full: what the partial bundle buys), `naive` (px.choropleth,
GeoJSON inline, callbacks answer whole figures), and `baseline` when BENCH_BASELINE_DIR names an older checkout
(e.g. `git archive <commit> | tar -x -C DIR`: before/after in one run). For each, BROWSER_RUNS (default 5) runs,
each in a fresh Chromium profile (cold cache), 1440x900; medians of:
- first_map_paint_ms: navigation start -> the frame after the first choropleth trace holds 2,477 paths (live map);
- first_map_visible_ms: navigation start -> the frame after a map is on screen: the server-drawn picture of the view
  (dashboard/view/boot.py) when the page has one, else the live map;
- click_to_map_repaint_ms: mousedown on a voivodeship bar -> the frame after the map's paths changed;
  release_to_map_repaint_ms: the same from the mouseup (a click is a press and a release; the page can act on the
  release only, and the time between them is the driver's, ~90 ms here, or the hand's);
  click_to_map_settled_ms: mousedown -> plotly.js's own redraw of the map done (plotly_afterplot): where the page
  recolours the drawn map first (assets/atlas.js recolour), the zoom and the overlays follow then;
- click_to_first_request_ms / click_to_last_answer_ms: mousedown -> first callback request sent / last answer;
- filter_requests, filter_bytes_transfer, filter_bytes_decoded: callback requests of that click (Resource Timing);
- layout_bytes_transfer / layout_bytes_decoded: /_dash-layout; page_bytes_*: the HTML page itself;
  script_bytes_decoded: all JavaScript of the page.
The cold CLI export against its floor is bench/bench_cold_export.py.
Numbers are printed and returned, never asserted.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N_GMINY = 2477
PORTS = {"atlas": 8151, "atlas_full_plotly": 8152, "naive": 8153}

PROBE_JS = r"""
(function () {
  var t = window.__bench = {};
  // the live map wherever it is drawn: the early map in the page's frame, then the same plot in #map
  function firstTrace() { return document.querySelector('.choroplethlayer .trace'); }
  function count() { var l = firstTrace(); return l ? l.querySelectorAll('path.choroplethlocation').length : 0; }
  function painted(key) {
    requestAnimationFrame(function () { setTimeout(function () { t[key] = performance.now(); }, 0); });
  }
  function tick() {
    if (count() >= %(n)d) { t.mapDom = performance.now(); painted('mapPaint'); return; }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
  function pictureTick() {  // the map as the server drew it (dashboard/view/boot.py), before any script
    if (document.querySelector('#boot svg, .boot-overlay svg')) { painted('mapPicture'); return; }
    if (!t.mapDom) { requestAnimationFrame(pictureTick); }
  }
  requestAnimationFrame(pictureTick);
  document.addEventListener('mousedown', function () {
    t.click = performance.now(); t.release = null; t.mapChanged = null; t.mapRepaint = null; t.mapSettled = null;
    var map = document.querySelector('#map .choroplethlayer');
    if (!map) return;
    var gd = document.querySelector('#map .js-plotly-plot');
    if (gd && gd.once) { gd.once('plotly_afterplot', function () { painted('mapSettled'); }); }
    var mo = new MutationObserver(function () {
      mo.disconnect(); t.mapChanged = performance.now(); painted('mapRepaint');
    });
    mo.observe(map, {subtree: true, attributes: true, childList: true});
  }, true);
  document.addEventListener('mouseup', function () { if (t.release === null) { t.release = performance.now(); } },
                            true);
})();
""" % {"n": N_GMINY}


def _median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


BASELINE_SERVER = """
import sys
from werkzeug.serving import make_server
from dashboard.app import create_app
make_server("127.0.0.1", int(sys.argv[1]), create_app().server, threaded=True).serve_forever()
"""


def _start_server(kind: str, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    if kind == "atlas_full_plotly":
        env["ATLAS_PLOTLY_BUNDLE"] = "full"
    env["ATLAS_CACHE"] = "off"  # measure the callbacks, not the answer cache (the naive page has none)
    if kind == "baseline":  # an older checkout of this dashboard (BENCH_BASELINE_DIR), same data and geodata
        env.setdefault("ATLAS_CACHE_DIR", str(ROOT / ".cache"))
        cmd, cwd = [sys.executable, "-c", BASELINE_SERVER, str(port)], os.environ["BENCH_BASELINE_DIR"]
    else:
        cmd, cwd = [sys.executable, "-m", "bench.browser_apps", "naive" if kind == "naive" else "atlas",
                    str(port)], ROOT
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    import urllib.request

    end = time.time() + 180
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited: {proc.stdout.read()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-layout", timeout=30).read()
            return proc
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{kind} server did not start on {port}")


def _stop(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _driver(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,900",
                "--force-device-scale-factor=1", f"--user-data-dir={profile}", "--no-first-run",
                "--disable-background-networking",
                # a desktop with a mouse, as the 1440x900 window and the mouse clicks say: headless Chromium reports
                # (hover: none) like a phone, and on such a device plotly.js sets the page's cursor on every press
                # and release of a chart, a style change of the whole document (40-70 ms per click here)
                "--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,"
                "availablePointerTypes=4"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS})
    return driver


def _wait(driver, script: str, timeout: float):
    end = time.time() + timeout
    value = None
    while time.time() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.02)
    return value


RESOURCES_JS = """
return performance.getEntriesByType('resource').map(e => ({name: e.name, type: e.initiatorType,
  start: e.startTime, end: e.responseEnd, transfer: e.transferSize, decoded: e.decodedBodySize}));
"""


def one_run(kind: str, port: int) -> dict[str, Any]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="atlas-bench-profile-")
    driver = _driver(profile)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        paint = _wait(driver, "return window.__bench.mapPaint || null;", 60)
        _wait(driver, "return document.querySelectorAll('#by-voivodeship g.point path').length > 0;", 30)
        time.sleep(1.5)  # let the page settle (the bars, the table, the first callbacks)
        resources = driver.execute_script(RESOURCES_JS)
        layout = [r for r in resources if r["name"].endswith("/_dash-layout")]
        scripts = [r for r in resources if r["type"] == "script" or r["name"].split("?")[0].endswith(".js")]
        outside = [r["name"] for r in resources if not r["name"].startswith("http://127.0.0.1")]
        bars = driver.find_elements(By.CSS_SELECTOR, "#by-voivodeship g.point path")
        ActionChains(driver).move_to_element(bars[-1]).click().perform()
        repaint = _wait(driver, "return window.__bench.mapRepaint || null;", 20)
        time.sleep(1.5)  # every request of this click has come back
        t = driver.execute_script("return window.__bench;")
        after = [r for r in driver.execute_script(RESOURCES_JS)
                 if "_dash-update-component" in r["name"] and r["start"] >= (t.get("click") or 0)]
        page = driver.execute_script("var n = performance.getEntriesByType('navigation')[0];"
                                     "return [n.transferSize, n.decodedBodySize];")
        return {
            "first_map_paint_ms": paint,
            "first_map_visible_ms": min(paint, t.get("mapPicture") or paint),
            "click_to_map_repaint_ms": (repaint - t["click"]) if repaint and t.get("click") else None,
            "release_to_map_repaint_ms": (repaint - t["release"]) if repaint and t.get("release") else None,
            "click_to_map_settled_ms": (t["mapSettled"] - t["click"]) if t.get("mapSettled") else None,
            "click_to_first_request_ms": (min(r["start"] for r in after) - t["click"]) if after else None,
            "click_to_last_answer_ms": (max(r["end"] for r in after) - t["click"]) if after else None,
            "filter_requests": len(after),
            "filter_bytes_transfer": sum(r["transfer"] for r in after),
            "filter_bytes_decoded": sum(r["decoded"] for r in after),
            "page_bytes_transfer": page[0],
            "page_bytes_decoded": page[1],
            "layout_bytes_transfer": layout[0]["transfer"] if layout else None,
            "layout_bytes_decoded": layout[0]["decoded"] if layout else None,
            "script_bytes_decoded": sum(r["decoded"] for r in scripts),
            "requests_outside_127": len(outside),
        }
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def measure_pages(runs: int) -> dict[str, dict[str, Any]]:
    """Every page's server runs for the whole measurement, and the runs take turns (atlas, full plotly, naive,
    baseline, atlas, ...): this machine's speed drifts by more than the differences measured (the same page took
    1.4 s in one hour and 2.5 s in the next), and taking turns lets each ratio compare loads made minutes apart at
    most, not a whole page's series apart."""
    ports = dict(PORTS)
    if os.environ.get("BENCH_BASELINE_DIR"):
        ports["baseline"] = 8154
    procs: dict[str, subprocess.Popen] = {}
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ports}
    try:
        for kind, port in ports.items():
            procs[kind] = _start_server(kind, port)
            one_run(kind, port)  # warm-up of the server (imports, first callbacks), not counted
        for _ in range(runs):
            for kind, port in ports.items():
                samples[kind].append(one_run(kind, port))
    finally:
        for proc in procs.values():
            _stop(proc)
    out: dict[str, dict[str, Any]] = {}
    for kind, series in samples.items():
        out[kind] = {key: _median([s[key] for s in series]) for key in series[0]}
        out[kind]["runs"] = runs
        print(kind, out[kind], flush=True)
    return out


def run() -> dict[str, Any]:
    runs = int(os.environ.get("BROWSER_RUNS", "5"))
    pages = measure_pages(runs)
    result: dict[str, Any] = {"pages": pages}
    a, n = pages["atlas"], pages["naive"]
    if a.get("first_map_paint_ms") and n.get("first_map_paint_ms"):
        result["paint_speedup_vs_naive"] = round(n["first_map_paint_ms"] / a["first_map_paint_ms"], 2)
    if a.get("first_map_visible_ms") and n.get("first_map_visible_ms"):
        result["visible_speedup_vs_naive"] = round(n["first_map_visible_ms"] / a["first_map_visible_ms"], 2)
    if a.get("click_to_map_repaint_ms") and n.get("click_to_map_repaint_ms"):
        result["repaint_speedup_vs_naive"] = round(n["click_to_map_repaint_ms"] / a["click_to_map_repaint_ms"], 2)
    result["loadavg_1min"] = round(os.getloadavg()[0], 2)
    result["targets"] = ("paint >=2.5x naive and <=1.5 s; click->repaint <=300 ms; <=15 KB decoded per filter; "
                         "layout <=200 KB")
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
