"""Dashboard performance, measured (never asserted): `python -m bench.bench_dashboard`.

- /_dash-layout: bytes (raw and gzip) and server ms (in-process Flask test client, median of 30)
- one filter click, i.e. its two callbacks (the controller: a project choice -> the new state, the map's changes,
  chips and key figures; then the charts and the table below the map): response bytes and server ms p50/p95 over
  200 clicks from varied states, next to the full figures a language switch gets, as a ratio
- first map paint in headless Chromium: navigation start -> 2,477 gmina paths in the DOM (cold cache and warm)

Targets (issue 4): layout <= 200 KB and <= 50 ms; a filter click <= 15 KB, each of its callbacks <= 20 ms p95; first
paint <= 2.5 s.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import threading
import time
from typing import Any

os.environ.setdefault("ATLAS_GEODATA_MIRROR", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "geodata"))

PORT = 8125
N_CALLS = 200


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _states(atlas, n: int, seed: int = 7) -> list[dict]:
    from dashboard.model import query
    from dashboard.model.state import VOIVODESHIP_CODES, FilterState

    rng = random.Random(seed)
    projects = list(query.derived(atlas).project_ids)
    terc = list(atlas.gminy["terc"])
    out = []
    for _ in range(n):
        s = FilterState(
            projects=tuple(rng.sample(projects, rng.choice([0, 0, 1, 2]))),
            match=rng.choice(["any", "all"]),
            voivodeships=tuple(sorted(rng.sample(VOIVODESHIP_CODES, rng.choice([0, 0, 1, 3])))),
            years=rng.choice([None, None, (1990, 2019), (2019, 2021)]),
            include_unknown_year=rng.choice([True, True, False]),
            selected=tuple(sorted(rng.sample(terc, rng.choice([0, 0, 40, 300])))),
            metric=rng.choice(["projects", "membership"]),
        )
        out.append(s.to_dict())
    return out


def _post(client, body: dict) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                    headers={"Accept-Encoding": "identity"})
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"callback answered {r.status_code}: {r.data[:300]!r}")
    return ms, r.data


def _inline_figure_bytes(atlas) -> int:
    """What one map figure would weigh with the GeoJSON inline (the anti-pattern we avoid): the figure drawn with a
    placeholder, the GeoJSON put in its traces' place and the whole written as plotly writes it — the same bytes as
    a figure built with the GeoJSON, without plotly's validation copying 1.7 MB of coordinates per trace (3 s)."""
    import plotly.io as pio

    import geodata
    from dashboard.model.state import FilterState
    from dashboard.view import figures

    geojson = json.loads(geodata.web_asset("gminy").read_text(encoding="utf-8"))
    placeholder = "inline-geojson"
    figure = figures.map_figure(atlas, FilterState(), placeholder).to_dict()
    for trace in figure["data"]:
        if trace.get("geojson") == placeholder:
            trace["geojson"] = geojson
    return len(pio.to_json(figure, validate=False))


def measure_server(app, atlas) -> dict[str, Any]:
    """The layout's and a filter click's figures, through the app's Flask test client."""
    client = app.server.test_client()
    client.get("/")
    return {**_measure_layout(client), **_measure_filter_click(client, atlas)}


def _measure_layout(client) -> dict[str, Any]:
    times, body = [], b""
    for _ in range(30):
        t0 = time.perf_counter()
        r = client.get("/_dash-layout", headers={"Accept-Encoding": "identity"})
        times.append((time.perf_counter() - t0) * 1000)
        body = r.data
    return {
        "layout_bytes": len(body),
        "layout_gzip_bytes": len(gzip.compress(body, 6)),
        "layout_ms_p50": round(statistics.median(times), 1),
        "layout_ms_p95": round(_pct(times, 0.95), 1),
    }


def _measure_filter_click(client, atlas) -> dict[str, Any]:
    """One filter click = two callbacks: the controller (a control's new value -> the new state, the map's changes,
    the chips and key figures) and, once the map is painted, the charts and the table below it."""
    from dashboard.model.state import FilterState
    from dashboard.view.figures import view_key
    from tests.dash_client import DashPage

    page = DashPage.of(client.get("/_dash-layout").get_json(), client.get("/_dash-dependencies").get_json())
    controller = next(d for d in page.server_callbacks() if "map.figure" in d["output"] and "state.data" in d["output"])
    below = next(d for d in page.server_callbacks() if "growth.figure" in d["output"])
    states = _states(atlas, N_CALLS)

    def click(i: int, view_lang: str) -> tuple[dict, dict]:
        """The bodies of one project choice, from the i-th state, with the map drawn in `view_lang` (the state's
        language is Polish: "en" makes the controller answer the full figure, as on a language change)."""
        old = states[i]
        chosen = states[(i + 1) % len(states)]["projects"]
        if chosen == old["projects"]:
            chosen = [] if old["projects"] else ["P1"]
        view = {"lang": view_lang, "focus": view_key(FilterState.from_dict(old)), "sel": bool(old["selected"])}
        first = page.payload(controller, {("projects", "value"): chosen, ("state", "data"): old,
                                          ("view", "data"): view}, changed=["projects.value"])
        address = "?" + FilterState.from_dict({**old, "projects": chosen}).to_query()
        second = page.payload(below, {("below-ready", "data"): i + 1, ("url", "search"): address,
                                      ("below-view", "data"): view_lang}, changed=["below-ready.data"])
        return first, second

    def measure(indices: range, view_lang: str) -> tuple[list[list[float]], list[int], list[int]]:
        """Per click: the server ms of each of its two callbacks, and the bytes (raw, gzip) of both answers."""
        times, sizes, gz = [], [], []
        for i in indices:
            answers = [_post(client, body) for body in click(i, view_lang)]
            times.append([ms for ms, _ in answers])
            sizes.append(sum(len(data) for _, data in answers))
            gz.append(sum(len(gzip.compress(data, 6)) for _, data in answers))
        return times, sizes, gz

    measure(range(5), "pl")  # warm-up
    times, sizes, gz = measure(range(N_CALLS), "pl")
    full_times, full_sizes, _ = measure(range(min(20, N_CALLS)), "en")
    return {
        "filter_cb_bytes_p50": int(statistics.median(sizes)),
        "filter_cb_bytes_max": max(sizes),
        "filter_cb_gzip_bytes_p50": int(statistics.median(gz)),
        "filter_cb_ms_p50": round(_pct([sum(t) for t in times], 0.5), 1),
        "filter_cb_ms_p95": round(_pct([sum(t) for t in times], 0.95), 1),
        "controller_cb_ms_p95": round(_pct([t[0] for t in times], 0.95), 1),
        "below_cb_ms_p95": round(_pct([t[1] for t in times], 0.95), 1),
        "full_figures_bytes_p50": int(statistics.median(full_sizes)),
        "full_figures_ms_p50": round(_pct([sum(t) for t in full_times], 0.5), 1),
        "full_vs_patch_bytes_ratio": round(statistics.median(full_sizes) / statistics.median(sizes), 1),
        "inline_geojson_map_figure_bytes": _inline_figure_bytes(atlas),
    }


FIRST_PAINT_JS = """
(function () {
  function check() {
    var layer = document.querySelector('#map .choroplethlayer .trace');
    if (layer && layer.querySelectorAll('path.choroplethlocation').length >= 2477) {
      window.__mapPaint = performance.now();
      return;
    }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();
"""


def measure_first_paint(app, runs: int = 3) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", PORT, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1440,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_PAINT_JS})
        paints = []
        for _ in range(runs):
            driver.get(f"http://127.0.0.1:{PORT}/")
            end = time.time() + 30
            value = None
            while time.time() < end and value is None:
                value = driver.execute_script("return window.__mapPaint || null;")
                time.sleep(0.05)
            paints.append(value)
        return {"first_paint_ms_cold": round(paints[0], 0) if paints[0] else None,
                "first_paint_ms_warm": round(min(p for p in paints[1:] if p), 0) if any(paints[1:]) else None}
    finally:
        driver.quit()
        server.shutdown()


def run() -> dict[str, Any]:
    from dashboard.app import create_app
    from dashboard.model.atlas import get_atlas

    os.environ["ATLAS_CACHE"] = "off"  # measure the callbacks, not the answer cache (it keeps answers between runs)
    atlas = get_atlas()
    app = create_app(atlas)
    result = measure_server(app, atlas)
    result.update(measure_first_paint(app))
    result["loadavg_1min"] = round(os.getloadavg()[0], 2)  # this machine is shared: timings depend on it
    result["targets"] = "layout<=200KB,<=50ms; filter click<=15KB, its callbacks <=20ms p95 each; first paint<=2.5s"
    return result


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:32s} {v}")
