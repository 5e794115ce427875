"""Dashboard performance, measured (never asserted): `python -m bench.bench_dashboard`.

- /_dash-layout: bytes (raw and gzip) and server ms (in-process Flask test client, median of 30)
- the filter callback (state -> Patch of map + 3 bars, chips): response bytes and server ms p50/p95 over 200
  calls with varied filters, next to a full-figure response (what a language switch sends) as a ratio
- the controller callback (a control change -> new FilterState): server ms p50/p95
- first map paint in headless Chromium: navigation start -> 2,477 gmina paths in the DOM (cold cache and warm)

Targets (issue 4): layout <= 200 KB and <= 50 ms; filter callback <= 15 KB and <= 20 ms p95; first paint <= 2.5 s.
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


def _spec(app, needle: str) -> tuple[str, list[dict]]:
    for key in app.callback_map:
        if needle in key:
            parts = key[2:-2].split("...") if key.startswith("..") else [key]
            outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
            return key, outputs
    raise KeyError(needle)


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
    """What one map figure would weigh with the GeoJSON inline (the anti-pattern we avoid)."""
    import plotly.io as pio

    import geodata
    from dashboard.model.state import FilterState
    from dashboard.view import figures

    geojson = json.loads(geodata.web_asset("gminy").read_text(encoding="utf-8"))
    return len(pio.to_json(figures.map_figure(atlas, FilterState(), geojson)))


def measure_server(app, atlas) -> dict[str, Any]:
    client = app.server.test_client()
    client.get("/")
    # /_dash-layout
    times, body = [], b""
    for _ in range(30):
        t0 = time.perf_counter()
        r = client.get("/_dash-layout", headers={"Accept-Encoding": "identity"})
        times.append((time.perf_counter() - t0) * 1000)
        body = r.data
    res: dict[str, Any] = {
        "layout_bytes": len(body),
        "layout_gzip_bytes": len(gzip.compress(body, 6)),
        "layout_ms_p50": round(statistics.median(times), 1),
        "layout_ms_p95": round(_pct(times, 0.95), 1),
    }
    # the filter callback (render): state -> Patch
    key, outputs = _spec(app, "map.figure")
    states = _states(atlas, N_CALLS)

    from dashboard.model.state import FilterState
    from dashboard.view.figures import view_key

    def render_body(state: dict, view_lang: str) -> dict:
        # the view already shows this state's zoom (a filter change, not a new focus): a pure Patch of colours
        view = {"lang": view_lang, "focus": view_key(FilterState.from_dict(state))}
        return {"output": key, "outputs": outputs,
                "inputs": [{"id": "state", "property": "data", "value": state}],
                "state": [{"id": "view", "property": "data", "value": view}],
                "changedPropIds": ["state.data"]}

    for s in states[:5]:  # warm-up
        _post(client, render_body(s, "pl"))
    times, sizes, gz = [], [], []
    for s in states:
        ms, data = _post(client, render_body(s, "pl"))
        times.append(ms)
        sizes.append(len(data))
        gz.append(len(gzip.compress(data, 6)))
    full_times, full_sizes = [], []
    for s in states[:20]:  # the view was rendered in another language: full figures
        ms, data = _post(client, render_body(s, "en"))
        full_times.append(ms)
        full_sizes.append(len(data))
    res.update({
        "filter_cb_bytes_p50": int(statistics.median(sizes)),
        "filter_cb_bytes_max": max(sizes),
        "filter_cb_gzip_bytes_p50": int(statistics.median(gz)),
        "filter_cb_ms_p50": round(_pct(times, 0.5), 1),
        "filter_cb_ms_p95": round(_pct(times, 0.95), 1),
        "full_figures_bytes_p50": int(statistics.median(full_sizes)),
        "full_figures_ms_p50": round(_pct(full_times, 0.5), 1),
        "full_vs_patch_bytes_ratio": round(statistics.median(full_sizes) / statistics.median(sizes), 1),
        "inline_geojson_map_figure_bytes": _inline_figure_bytes(atlas),
    })
    # the controller: a click on a control -> FilterState -> store + URL + controls
    ckey, coutputs = _spec(app, "state.data...url.search")
    dep = next(d for k, d in app.callback_map.items() if k == ckey)
    inputs_spec, state_spec = dep["inputs"], dep["state"]
    times = []
    for i, s in enumerate(states[:N_CALLS]):
        new_projects = states[(i + 1) % len(states)]["projects"]
        if new_projects == s["projects"]:
            new_projects = [] if s["projects"] else ["P1"]
        values = {("projects", "value"): new_projects, ("url", "search"): ""}
        inputs = [{"id": i["id"], "property": i["property"], "value": values.get((i["id"], i["property"]))}
                  for i in inputs_spec]
        st = [{"id": i["id"], "property": i["property"], "value": ([] if i["id"] == "chip-keys" else s)}
              for i in state_spec]
        body = {"output": ckey, "outputs": coutputs, "inputs": inputs, "state": st,
                "changedPropIds": ["projects.value"]}
        ms, _ = _post(client, body)
        times.append(ms)
    res["controller_cb_ms_p50"] = round(_pct(times, 0.5), 1)
    res["controller_cb_ms_p95"] = round(_pct(times, 0.95), 1)
    return res


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

    atlas = get_atlas()
    app = create_app(atlas)
    result = measure_server(app, atlas)
    result.update(measure_first_paint(app))
    result["loadavg_1min"] = round(os.getloadavg()[0], 2)  # this machine is shared: timings depend on it
    result["targets"] = "layout<=200KB,<=50ms; filter cb<=15KB,<=20ms p95; first paint<=2.5s"
    return result


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:32s} {v}")
