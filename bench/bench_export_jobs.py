"""Exports through the served app, with and without the machine's render service, in the same run:

    .venv/bin/python -m bench export_jobs          # (make bench runs it with the others)

Two `make serve` servers (gunicorn, 2 workers) on free ports, one with the render service (the default) and one
with ATLAS_RENDER_SERVICE=off (each export job starts its own Chromium). EXPORT_JOB_RUNS (default 5) exports of a
social-size SVG on each, alternating between the two (so both see the same machine load), each driven over HTTP
like the browser: load the page, post the export, poll every 0.1 s until the file comes; 2 s apart. Medians and
the ratio are printed and returned, never asserted.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.dash_client import DashPage
from tests.gunicorn_server import Gunicorn, own_cache_dir

SETTLE_S = 2.0   # a job's Chromium goes away after its export: the next export does not start during that


def _export_once(base: str, n: int) -> float:
    with requests.Session() as session:
        page = DashPage.load(session, base)
        dep = page.background_callbacks()[0]
        trigger = dep["inputs"][0]
        body = page.payload(dep, {(trigger["id"], trigger["property"]): f"bench-{time.time_ns():x}-{n}",
                                  ("export-format", "value"): "svg", ("export-preset", "value"): "social"},
                            changed=[f"{trigger['id']}.{trigger['property']}"])
        t0 = time.perf_counter()
        response, _ = page.run_background(session, body, timeout=180, poll_s=0.1)
        seconds = time.perf_counter() - t0
    data = response.json()["response"]["export-download"]["data"]
    if not data["filename"].endswith(".svg"):
        raise RuntimeError(f"expected an SVG export, got {data['filename']}")
    return seconds


def run() -> dict:
    runs = int(os.environ.get("EXPORT_JOB_RUNS", "5"))
    times: dict[str, list[float]] = {"service": [], "per_job": []}
    with tempfile.TemporaryDirectory() as tmp:
        def env(name: str, service: str) -> dict:
            return {"ATLAS_CACHE_DIR": str(own_cache_dir(Path(tmp) / name)), "ATLAS_RENDER_SERVICE": service}

        with Gunicorn("app:server", workers=2, extra_env=env("service", "on")) as service, \
                Gunicorn("app:server", workers=2, extra_env=env("per_job", "off")) as per_job:
            for n in range(runs + 1):   # round 0 warms both (page caches, the service's first render)
                for name, server in (("service", service), ("per_job", per_job)):
                    time.sleep(SETTLE_S)
                    seconds = _export_once(server.base, n)
                    if n:
                        times[name].append(seconds)
    result = {f"{name}_median_s": round(statistics.median(v), 2) for name, v in times.items()}
    result |= {f"{name}_s": [round(s, 2) for s in v] for name, v in times.items()}
    result["per_job_over_service"] = round(result["per_job_median_s"] / result["service_median_s"], 2)
    print(f"export through the app, social SVG, {runs} each: per-job Chromium {result['per_job_median_s']} s, "
          f"render service {result['service_median_s']} s ({result['per_job_over_service']}x)")
    return result


if __name__ == "__main__":
    run()
