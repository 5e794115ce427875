"""Load test of the served dashboard: `python -m bench.load_test` (part of `make bench`).

Everything runs on 127.0.0.1 and stops by itself (bounded in time and in number of requests):

1. ceiling   — a bare Dash app with one callback (bench/ceiling_app.py), served by gunicorn exactly like the
               atlas (same gunicorn.conf.py, same hardening), hammered closed-loop by C clients: the callback
               rate Dash + gunicorn can do on this machine.
2. filter    — the atlas (`gunicorn -c gunicorn.conf.py app:server`, i.e. `make serve`), its filter action (the
               controller callback and every callback it sets off, like the renderer) hammered the same way.
               Phases 1 and 2 alternate in 2-s windows so other load on the machine weighs on both alike; the
               filter rate is reported as a share of the ceiling (requests/s).
3. users     — 50 simulated users for 60 s: each loads the page (index, layout, dependencies, the initial
               callbacks) and then changes a filter every ~2 s by posting the renderer's real
               /_dash-update-component payload. In two windows (20-40 % and 60-80 % of the run) 2 exports run back
               to back (background callbacks driven like the renderer: post, poll), so filter latency with and
               without exports is compared within one run; half-way one gunicorn worker is killed with SIGKILL
               and the failed requests around it are counted.

Reported: requests/s, p50/p95/p99 latency (ms) overall and per kind, errors, ceiling ratio, filter p95 with and
without exports running, failed requests in the kill window, time until the worker was replaced.

Environment knobs (defaults = the issue's scenario): LOAD_USERS=50 LOAD_SECONDS=60 LOAD_THINK_S=2
LOAD_EXPORTS=2 LOAD_SATURATE_SECONDS=10 LOAD_SATURATE_CLIENTS=8 LOAD_PORT=8141 (ceiling: LOAD_PORT+1, the atlas
without its answer cache: LOAD_PORT+2)
ATLAS_WORKERS (passed to gunicorn).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.dash_client import DashPage
from tests.gunicorn_server import HOST, Gunicorn, port_is_free  # noqa: F401 (bench's API)

ROOT = Path(__file__).resolve().parent.parent
# Filter controls the simulated users change, in order of preference (ids in the dashboard's layout).
FILTER_CONTROL_IDS = ("filter-projects", "filter-voivodeships", "projects", "voivodeships", "choice")
BROWSER_HEADERS = {"Accept-Encoding": "br, gzip", "User-Agent": "atlas-load-test"}


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# -- measuring ----------------------------------------------------------------------------------------------
@dataclass
class Sample:
    t: float            # start, seconds since the scenario began
    kind: str
    ms: float
    ok: bool
    status: int         # HTTP status, 0 = connection error / timeout
    error: str = ""
    cached: bool = False  # answered from the callback-response cache (X-Atlas-Cache: hit)


@dataclass
class Recorder:
    t0: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def fetch(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 30,
          headers: dict | None = None) -> tuple[int, bytes, bool]:
    """One request on a fresh connection (gunicorn's sync workers close after each response).
    Returns (status, body, answered from the response cache)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        hdrs = dict(BROWSER_HEADERS)
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        response = conn.getresponse()
        data = response.read()   # compressed like a browser gets it, and decoded like a browser does
        return response.status, _decoded(data, response.getheader("Content-Encoding")), \
            response.getheader("X-Atlas-Cache") == "hit"
    finally:
        conn.close()


def _decoded(data: bytes, encoding: str | None) -> bytes:
    if not encoding or not data:
        return data
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    if encoding == "deflate":
        import zlib

        return zlib.decompress(data)
    raise ValueError(f"unexpected Content-Encoding {encoding!r}")


def timed(rec: Recorder, kind: str, port: int, method: str, path: str, body: bytes | None = None,
          ok_statuses: tuple[int, ...] = (200, 204), timeout: float = 30) -> tuple[int, bytes]:
    start = time.perf_counter()
    try:
        status, data, cached = fetch(port, method, path, body, timeout=timeout)
        error = "" if status in ok_statuses else data[:120].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        status, data, error, cached = 0, b"", f"{type(exc).__name__}: {exc}"[:120], False
    rec.add(Sample(start - rec.t0, kind, (time.perf_counter() - start) * 1000, not error, status, error, cached))
    return status, data


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 1)


def summary(samples: list[Sample], seconds: float | None = None) -> dict:
    ms = [s.ms for s in samples]
    out = {"requests": len(samples), "errors": sum(not s.ok for s in samples),
           "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "p99_ms": pct(ms, 99)}
    if seconds:
        out["rps"] = round(len(samples) / seconds, 1)
    if any(s.cached for s in samples):
        out["cache_hit_share"] = round(sum(s.cached for s in samples) / len(samples), 3)
    return out


# -- the page's callbacks -----------------------------------------------------------------------------------
@dataclass
class Scenario:
    """How one app is driven: the page's callbacks, the filter control a user changes, the export (if any)."""

    page: DashPage
    filter_dep: dict
    filter_control: tuple[str, str]
    filter_choices: list
    export_body: dict | None

    @classmethod
    def discover(cls, base: str) -> "Scenario":
        with requests.Session() as session:
            page = DashPage.load(session, base)
        control, dep = None, None
        candidates = [i for i in FILTER_CONTROL_IDS if i in page.components] + sorted(page.components)
        for ident in candidates:
            props = page.components[ident]["props"]
            if "options" in props and page.callbacks_with_input(ident, "value"):
                deps = [d for d in page.callbacks_with_input(ident, "value") if not d.get("background")
                        and not d.get("clientside_function")]
                if deps:
                    control, dep = (ident, "value"), deps[0]
                    break
        if dep is None:
            raise RuntimeError(f"no filter control with options and a server callback among {candidates[:10]}")
        options = page.components[control[0]]["props"]["options"]
        choices = [o["value"] if isinstance(o, dict) else o for o in options]
        export_body = None
        exports = page.background_callbacks()
        if exports:
            dep_export = exports[0]
            trigger = dep_export["inputs"][0]
            overrides = {(trigger["id"], trigger["property"]): 1} if trigger["property"] == "n_clicks" else {}
            export_body = page.payload(dep_export, overrides, changed=[f"{trigger['id']}.{trigger['property']}"])
        return cls(page, dep, control, choices, export_body)

    def export_body_titled(self, title: str) -> dict:
        """The export request with its own title: two identical export requests share one Dash job key (and
        only one of them gets the file), so concurrent simulated users export different things."""
        body = json.loads(json.dumps(self.export_body))
        for entry in body.get("state", []):
            if isinstance(entry, dict) and "title" in str(entry.get("id")) and entry.get("property") == "value":
                entry["value"] = title
        return body

    @property
    def callback_path(self) -> str:
        return self.page.callback_url().split(str(self.page.base), 1)[1]

    def _post_chain(self, rec: Recorder, port: int, kind: str, dep_output: str, body: dict,
                    values: dict, depth: int = 0) -> None:
        """Post one callback and, like the renderer, the callbacks its response triggers (bounded depth)."""
        status, data = timed(rec, f"{kind}:{_short(dep_output)}", port, "POST", self.callback_path,
                             json.dumps(body).encode())
        if status != 200 or depth >= 3:
            return
        try:
            response = json.loads(data)
        except ValueError:
            return
        for follow in self.page.follow(response, values, source=dep_output):
            self._post_chain(rec, port, kind, follow["output"], follow, values, depth + 1)

    def load_page(self, rec: Recorder, port: int, values: dict) -> None:
        """What a browser does on opening the page (the JS bundles and geometry are cached by then)."""
        timed(rec, "page:index", port, "GET", "/")
        timed(rec, "page:layout", port, "GET", "/_dash-layout")
        timed(rec, "page:dependencies", port, "GET", "/_dash-dependencies")
        for dep in self.page.initial_callbacks():
            self._post_chain(rec, port, "page", dep["output"], self.page.payload(dep, values), values)

    def change_filter(self, rec: Recorder, port: int, rng: random.Random, values: dict, kind: str = "filter"):
        """One user action: a new value of the filter control, then every callback it sets off."""
        props = self.page.components[self.filter_control[0]]["props"]
        if props.get("multi") or isinstance(props.get("value"), list):
            value = rng.sample(self.filter_choices, k=rng.randint(0, min(3, len(self.filter_choices))))
        else:
            value = rng.choice(self.filter_choices)
        values[self.filter_control] = value
        body = self.page.payload(self.filter_dep, values, changed=[".".join(self.filter_control)])
        self._post_chain(rec, port, kind, self.filter_dep["output"], body, values)


def _short(output_spec: str) -> str:
    """'..state.data...url.search..' -> 'state.data+1'; 'echo.children' -> 'echo.children'."""
    parts = output_spec.strip(".").split("...")
    return parts[0] + (f"+{len(parts) - 1}" if len(parts) > 1 else "")


# -- phases -------------------------------------------------------------------------------------------------
def saturate(port: int, scenario: Scenario, seconds: float, clients: int, kind: str) -> dict:
    """Closed loop: `clients` threads repeat filter actions back to back for `seconds`."""
    rec = Recorder()
    stop = time.perf_counter() + seconds
    actions = [0]

    def client(seed: int) -> None:
        rng = random.Random(seed)
        values: dict = {}
        while time.perf_counter() < stop:
            scenario.change_filter(rec, port, rng, values, kind)
            with rec.lock:
                actions[0] += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    out = summary(rec.samples, seconds)
    out["actions_per_s"] = round(actions[0] / seconds, 1)
    out["requests_per_action"] = round(len(rec.samples) / max(1, actions[0]), 2)
    return out


def interleaved_saturation(ceiling_port: int, bare: Scenario, atlas_port: int, scenario: Scenario,
                           rounds: int, window: float, clients: int) -> tuple[dict, dict]:
    """Saturate the bare app and the atlas in alternating short windows, so that whatever else the machine
    is doing weighs on both rates alike (the ratio is what matters)."""
    parts: dict[str, list[dict]] = {"bare": [], "filter": []}
    for _ in range(rounds):
        parts["bare"].append(saturate(ceiling_port, bare, window, clients, "bare"))
        parts["filter"].append(saturate(atlas_port, scenario, window, clients, "filter"))

    def merge(runs: list[dict]) -> dict:
        total = rounds * window
        requests_ = sum(r["requests"] for r in runs)
        return {
            "rps": round(requests_ / total, 1),
            "actions_per_s": round(sum(r["actions_per_s"] * window for r in runs) / total, 1),
            "requests_per_action": round(sum(r["requests_per_action"] for r in runs) / rounds, 2),
            "errors": sum(r["errors"] for r in runs),
            "p50_ms_median_window": sorted(r["p50_ms"] for r in runs)[rounds // 2],
            "p95_ms_median_window": sorted(r["p95_ms"] for r in runs)[rounds // 2],
            "rps_windows": [r["rps"] for r in runs],
        }

    return merge(parts["bare"]), merge(parts["filter"])


def users_run(server: Gunicorn, scenario: Scenario, users: int, seconds: float, think: float, exports: int,
              kill_at: float | None, export_windows: list[tuple[float, float]]) -> dict:
    """The user scenario. Exports are started only inside `export_windows` (seconds from the start), so filter
    latency with and without exports running is measured in the same run, interleaved in time."""
    rec = Recorder()
    export_log: list[tuple[float, float, bool, str]] = []    # (start, end, ok, note)
    kill_info: dict = {}

    def running() -> bool:
        return time.perf_counter() - rec.t0 < seconds

    threads = [threading.Thread(target=_user, args=(scenario, rec, server.port, i, seconds, think, running),
                                daemon=True) for i in range(users)]
    if scenario.export_body is not None:
        threads += [threading.Thread(target=_exporter, args=(scenario, rec, 100 + i, export_windows, export_log,
                                                             running), daemon=True) for i in range(exports)]
    if kill_at is not None:
        threads.append(threading.Thread(target=_kill_one_worker, args=(server, rec, kill_at, kill_info),
                                        daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 200)
    return _users_result(rec.samples, users, seconds, scenario, kill_at, kill_info, export_log)


def _user(scenario: Scenario, rec: Recorder, port: int, seed: int, seconds: float, think: float, running) -> None:
    """One simulated user: a ramp-up pause, the page load, then a filter change every ~`think` seconds."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, min(5.0, seconds / 4)))          # ramp-up
    if not running():
        return
    values: dict = {}
    scenario.load_page(rec, port, values)
    while running():
        time.sleep(think * rng.uniform(0.75, 1.25))
        if not running():
            break
        scenario.change_filter(rec, port, rng, values)


def _exporter(scenario: Scenario, rec: Recorder, seed: int, windows: list[tuple[float, float]],
              export_log: list, running) -> None:
    """Exports back to back, started only inside `windows`; each logged as (start, end, ok, note)."""
    session = requests.Session()
    session.headers.update(BROWSER_HEADERS)
    count = 0
    while running():
        start = time.perf_counter() - rec.t0
        if not any(a <= start < b for a, b in windows):
            time.sleep(0.1)
            continue
        count += 1
        body = scenario.export_body_titled(f"Load test {seed}-{count}")
        try:
            response, _ = scenario.page.run_background(session, body, timeout=180, poll_s=0.5)
            ok = response.status_code == 200 and b"\"response\"" in response.content
            note = "" if ok else f"HTTP {response.status_code}: {response.text[:120]}"
        except requests.RequestException as exc:
            ok, note = False, f"{type(exc).__name__}: {exc}"[:160]
        export_log.append((start, time.perf_counter() - rec.t0, ok, note))


def _kill_one_worker(server: Gunicorn, rec: Recorder, kill_at: float, kill_info: dict) -> None:
    """SIGKILL one gunicorn worker at `kill_at` s and time its replacement (into `kill_info`)."""
    time.sleep(kill_at)
    victims = server.workers()
    if not victims:
        kill_info["note"] = "no worker found"
        return
    victim = victims[0]
    kill_info["t"] = time.perf_counter() - rec.t0
    kill_info["pid"] = victim
    os.kill(victim, signal.SIGKILL)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        now = server.workers()
        if victim not in now and len(now) >= len(victims):
            kill_info["replaced_after_s"] = round(time.perf_counter() - rec.t0 - kill_info["t"], 2)
            return
        time.sleep(0.05)


def _users_result(samples: list, users: int, seconds: float, scenario: Scenario, kill_at: float | None,
                  kill_info: dict, export_log: list) -> dict:
    result: dict = {"users": users, "seconds": seconds, **summary(samples, seconds)}
    filters = [s for s in samples if s.kind.startswith("filter:")]
    result["filter"] = summary(filters, seconds)
    for kind in sorted({s.kind for s in filters}):
        result[kind] = summary([s for s in filters if s.kind == kind])
    result["page_load"] = summary([s for s in samples if s.kind.startswith("page:")])
    errors = [s for s in samples if not s.ok]
    result["error_examples"] = sorted({f"{s.kind} {s.status} {s.error}"[:150] for s in errors})[:5]
    if kill_info.get("t") is not None:
        result["worker_kill"] = _kill_summary(errors, kill_info)
    elif kill_at is not None:
        result["worker_kill"] = {"note": kill_info.get("note", "not done")}
    if scenario.export_body is None:
        result["exports"] = {"note": "the app has no background (export) callback"}
    else:
        result.update(_export_summary(filters, export_log, kill_info.get("t", -99)))
    return result


def _kill_summary(errors: list, kill_info: dict) -> dict:
    """Failed requests in flight when the worker was killed, the others, and how soon it was replaced."""
    t_kill = kill_info["t"]
    window = [s for s in errors if t_kill - 35 <= s.t <= t_kill + 0.5]
    in_flight = [s for s in window if s.t <= t_kill <= s.t + s.ms / 1000 + 0.05]
    return {"at_s": round(t_kill, 2), "replaced_after_s": kill_info.get("replaced_after_s"),
            "failed_in_flight": len(in_flight), "failed_other": len(errors) - len(in_flight)}


def _export_summary(filters: list, export_log: list, t_kill: float) -> dict:
    """The exports, and filter latency while one runs vs while none does (the kill's seconds left out)."""
    done = [e for e in export_log if e[2]]
    # a 204: the job died with its web worker; the panel says the export did not happen and offers the retry
    reported = [e for e in export_log if not e[2] and e[3].startswith("HTTP 204")]
    busy = [(a, b) for a, b, _, _ in export_log]

    def during_export(s: Sample) -> bool:
        return any(a <= s.t <= b for a, b in busy)

    clean = [s for s in filters if not (t_kill - 1 <= s.t <= t_kill + 5)]
    return {
        "exports": {"started": len(export_log), "completed": len(done), "died_and_reported": len(reported),
                    "lost": len(export_log) - len(done) - len(reported),
                    "p50_s": pct([b - a for a, b, _, _ in done], 50),
                    "failures": sorted({e[3] for e in export_log if not e[2]})[:3]},
        "filter_without_exports": summary([s for s in clean if s.t >= 5 and not during_export(s)]),
        "filter_with_exports": summary([s for s in clean if during_export(s)]),
    }


def run() -> dict:
    users = int(_env("LOAD_USERS", 50))
    seconds = _env("LOAD_SECONDS", 60)
    think = _env("LOAD_THINK_S", 2.0)
    exports = int(_env("LOAD_EXPORTS", 2))
    sat_seconds = _env("LOAD_SATURATE_SECONDS", 10)
    sat_clients = int(_env("LOAD_SATURATE_CLIENTS", 8))
    port = int(_env("LOAD_PORT", 8141))
    workers = int(os.environ["ATLAS_WORKERS"]) if os.environ.get("ATLAS_WORKERS") else None
    result: dict = {"loadavg_1min_before": round(os.getloadavg()[0], 2)}
    # a fresh cache folder (callback answers, export jobs): no answers left over from an earlier run
    os.environ["ATLAS_CACHE_DIR"] = tempfile.mkdtemp(prefix="atlas-load-")

    with Gunicorn("bench.ceiling_app:server", port + 1, workers=workers) as ceiling, \
            Gunicorn("app:server", port, workers=workers) as atlas:
        bare = Scenario.discover(ceiling.base)
        scenario = Scenario.discover(atlas.base)
        result["workers"] = len(atlas.workers())
        result["filter_control"] = ".".join(scenario.filter_control)
        saturate(ceiling.port, bare, 2, sat_clients, "warm-up")
        saturate(atlas.port, scenario, 2, sat_clients, "warm-up")
        rounds = max(1, int(sat_seconds // 2))
        result["ceiling"], result["filter_saturated"] = interleaved_saturation(
            ceiling.port, bare, atlas.port, scenario, rounds=rounds, window=2.0, clients=sat_clients)
        # the target: filter callbacks >= 50% of the bare callback's rate (requests/s, same clients)
        result["filter_vs_ceiling"] = round(result["filter_saturated"]["rps"] / result["ceiling"]["rps"], 3)
        # the same without the callback-answer cache (every request computed): the cold-cache worst case
        with Gunicorn("app:server", port + 2, workers=workers, extra_env={"ATLAS_CACHE": "off"}) as cold:
            cold_scenario = Scenario.discover(cold.base)
            ceiling_again, result["filter_saturated_no_cache"] = interleaved_saturation(
                ceiling.port, bare, cold.port, cold_scenario, rounds=max(1, rounds // 2), window=2.0,
                clients=sat_clients)
            result["filter_vs_ceiling_no_cache"] = round(
                result["filter_saturated_no_cache"]["rps"] / ceiling_again["rps"], 3)
        ceiling.__exit__(None, None, None)   # the user scenario runs against the atlas alone
        result["load"] = users_run(atlas, scenario, users, seconds, think, exports,
                                   kill_at=seconds / 2,
                                   export_windows=[(0.2 * seconds, 0.4 * seconds), (0.6 * seconds, 0.8 * seconds)])
        result["workers_after"] = len(atlas.workers())
    # the machine may be shared: what else ran shows in the load average (2 cores here)
    result["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    shutil.rmtree(os.environ.pop("ATLAS_CACHE_DIR"), ignore_errors=True)
    return result


if __name__ == "__main__":
    outcome = run()
    print(json.dumps(outcome, indent=2, ensure_ascii=False))
