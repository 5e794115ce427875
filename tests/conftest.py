"""Shared fixtures.

- `gminy_frame`: the real 2,477 gminy (terc, name, woj, powiat, voivodeship) from geodata, session-scoped.
- `mini_atlas`: a small, hand-made Atlas over the real gminy (8 cities, 3 projects) — known answers for the
  unit tests of query/figures, as a real dashboard.model.atlas.Atlas.
- `dash_browser`: a running app + headless Chromium (a context manager for module- or test-scoped use).
- Browser tests (dash_duo) run in headless Debian Chromium: pytest.ini passes --headless; the window size is set
  by `browser_window` (maps need a real size for gestures).
"""
from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from selenium.common.exceptions import WebDriverException

os.environ.setdefault("ATLAS_GEODATA_MIRROR", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "geodata"))

VOIVODESHIPS = {
    "02": "dolnośląskie", "04": "kujawsko-pomorskie", "06": "lubelskie", "08": "lubuskie", "10": "łódzkie",
    "12": "małopolskie", "14": "mazowieckie", "16": "opolskie", "18": "podkarpackie", "20": "podlaskie",
    "22": "pomorskie", "24": "śląskie", "26": "świętokrzyskie", "28": "warmińsko-mazurskie",
    "30": "wielkopolskie", "32": "zachodniopomorskie",
}


def shipped_rows(name: str) -> list[dict]:
    """The rows of a shipped data/ file, read with the csv module (independently of the app's reader)."""
    with open(Path(__file__).resolve().parent.parent / "data" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def gminy_frame() -> pd.DataFrame:
    import geodata

    g = geodata.load("gminy")
    frame = pd.DataFrame({"terc": g["terc"].astype(str), "name": g["name"].astype(str)})
    frame["woj"] = frame["terc"].str[:2]
    frame["powiat"] = frame["terc"].str[:4]
    frame["voivodeship"] = frame["woj"].map(VOIVODESHIPS)
    pts = g.geometry.representative_point()
    frame["lon"], frame["lat"] = pts.x.to_numpy(), pts.y.to_numpy()
    return frame


# name, teryt (gmina), is_member, join_year
MINI_CITIES = [
    ("Wrocław", "0264011", True, 2019),
    ("Bolesławiec", "0201011", True, None),
    ("Kraków", "1261011", True, 1990),
    ("Kwidzyn", "2207011", True, 1992),
    ("Białystok", "2061011", True, 2019),
    ("Łódź", "1061011", True, None),
    ("Hajnówka", "2005011", False, None),    # a project participant that is not a member (in the data)
    ("Cieszyn", "2403011", True, None),
]
MINI_PARTICIPATION = [  # project, city
    ("P1", "Hajnówka"), ("P1", "Cieszyn"), ("P1", "Bolesławiec"),
    ("P2", "Kraków"), ("P2", "Wrocław"), ("P2", "Cieszyn"),
    ("P3", "Cieszyn"),
]


def build_mini_atlas(gminy: pd.DataFrame):
    by_terc = gminy.set_index("terc")
    rows = []
    for i, (name, terc, member, year) in enumerate(MINI_CITIES):
        g = by_terc.loc[terc]
        rows.append({
            "entity_id": f"E{i:03d}", "name": name, "kind": "gmina", "teryt": terc, "gmina_teryt": terc,
            "voivodeship": g["voivodeship"], "woj": terc[:2], "is_member": member, "join_year": year,
            "lon": g["lon"], "lat": g["lat"], "point_source": "polygon",
            "member_source": "test" if member else "",
        })
    # a powiat participant (not on the gmina map)
    rows.append({"entity_id": "E900", "name": "powiat hajnowski", "kind": "powiat", "teryt": "2005",
                 "gmina_teryt": None, "voivodeship": "podlaskie", "woj": "20", "is_member": False,
                 "join_year": None, "lon": 23.6, "lat": 52.7, "point_source": "polygon", "member_source": ""})
    entities = pd.DataFrame(rows)
    entities["join_year"] = entities["join_year"].astype("Int64")
    ids = {r["name"]: r["entity_id"] for r in rows}
    participation = pd.DataFrame(
        [{"project_id": p, "entity_id": ids[c], "teryt": entities.set_index("entity_id").at[ids[c], "teryt"],
          "role": f"role of {c} in {p}", "source": f"https://example.org/{p}"} for p, c in MINI_PARTICIPATION]
        + [{"project_id": "P2", "entity_id": "E900", "teryt": "2005", "role": "partner", "source": "https://x"}]
    )
    projects = pd.DataFrame({
        "id": ["P1", "P2", "P3"],
        "name_pl": ["Rozwój miast", "Monitoring usług", "Rynek pracy"],
        "name_en": ["Town development", "Service monitoring", "Labour market"],
        "label_pl": ["Rozwój miast", "Monitoring usług", "Rynek pracy"],
        "label_en": ["Town development", "Service monitoring", "Labour market"],
        "kind": ["project"] * 3, "years": [""] * 3, "funding": [""] * 3, "lead": [""] * 3,
        "description": [""] * 3, "source": ["https://example.org"] * 3,
    })
    totals = pd.DataFrame({"year": [1918, 1991, 2019, 2019, 2020], "members": [75, 64, 303, 321, 333],
                           "source": ["s"] * 5, "era": ["interwar"] + ["post1990"] * 4})
    summary = pd.DataFrame({
        "key": ["projects", "members", "ave_pln", "project_cities"], "value": [9, 333, 87700000, 150],
        "unit": ["count", "count", "PLN", "count_at_least"],
        "label_pl": ["Projekty", "Członkowie", "AVE", "Miasta w projektach"],
        "label_en": ["Projects", "Members", "AVE", "Cities in projects"], "source": ["press release"] * 4,
    })
    from dashboard.model.atlas import Atlas, entity_projects

    lists = entity_projects(participation, projects["id"])
    entities["projects"] = [lists.get(e, ()) for e in entities["entity_id"]]
    entities["n_projects"] = entities["projects"].map(len)
    cols = dict(gminy=gminy[["terc", "name", "woj", "powiat", "voivodeship"]].reset_index(drop=True),
                entities=entities, participation=participation, projects=projects, totals=totals, summary=summary)

    return Atlas(**cols, report=None)


@pytest.fixture(scope="session")
def mini_atlas(gminy_frame):
    return build_mini_atlas(gminy_frame)


# --- browser tests -------------------------------------------------------------------------------------------
def pytest_setup_options():
    """dash[testing] hook: Chrome options for headless Debian Chromium (real window size, no sandbox)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"   # headed, for a test run watched with --headed
    for arg in ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1100",
                "--force-device-scale-factor=1", "--lang=pl-PL"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return options


# One headless Chromium for the whole session (started on first use, quit by pytest_sessionfinish): each user of
# it gets it reset — one blank tab, no cookies or HTTP cache, no device emulation, empty logs, the window size and
# download folder it asks for. Storage needs no clearing: every app runs on a new free port, i.e. a new origin.
_CHROMIUM: dict = {}


def chromedriver():
    """chromedriver for a test Chromium whose temporary files go to a folder removed at the session's end:
    chromedriver ends Chromium without its clean-up, and its socket's folder would stay in /tmp, one a browser."""
    from selenium.webdriver.chrome.service import Service

    if "tmp" not in _CHROMIUM:
        _CHROMIUM["tmp"] = tempfile.mkdtemp(prefix="atlas-test-chromium-")
    return Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": _CHROMIUM["tmp"]})


def _start_chromium(headless: bool):
    from selenium import webdriver

    from dashboard.export.render import HEADLESS_SHELL

    options = pytest_setup_options()
    if headless:   # the exports' headless shell: the same page for a fifth less CPU than chromium --headless=new
        options.binary_location = HEADLESS_SHELL
        # V8 on the page's thread only and without its top compiler (TurboFan): a page lives here a few seconds,
        # too short for TurboFan's code to repay its compiling, and the suite keeps both cores busy, so V8's helper
        # threads only take turns from other tests. The JS runs the same. The two browser files' Chromium took 9 %
        # less CPU (3 runs each, alternated: 126.7–135.4 s → 116.6–121.8 s)
        options.add_argument("--js-flags=--single-threaded --max-opt=2")
    options.add_experimental_option("prefs", {"download.prompt_for_download": False,
                                              "safebrowsing.disable_download_protection": True})
    driver = webdriver.Chrome(options=options, service=chromedriver())
    driver.implicitly_wait(0)
    return driver


def session_chromium(config, download_path: str = "", size: tuple[int, int] = (1600, 1100)):
    """The session's Chromium, reset for a new user (see above); started again if it died."""
    driver = _CHROMIUM.get("driver")
    if driver is not None:
        try:
            handles = driver.window_handles
        except Exception:   # it died (a crash in an earlier test): start another
            driver = None
    if driver is None:
        driver = _CHROMIUM["driver"] = _start_chromium(config.getoption("headless"))
        handles = driver.window_handles
    for extra in handles[1:]:
        driver.switch_to.window(extra)
        driver.close()
    driver.switch_to.window(handles[0])
    driver.get("about:blank")
    for command, params in (("Network.clearBrowserCookies", {}), ("Network.clearBrowserCache", {}),
                            ("Emulation.clearDeviceMetricsOverride", {}),
                            ("Emulation.setTouchEmulationEnabled", {"enabled": False}),
                            ("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_path}
                             if download_path else {"behavior": "default"})):
        driver.execute_cdp_cmd(command, params)
    driver.implicitly_wait(0)
    driver.set_window_size(*size)
    for kind in ("browser", "performance"):
        driver.get_log(kind)
    return driver


def pytest_sessionfinish(session):
    from dashboard.export.render import kill_renderer

    kill_renderer()   # the exports' Chromium of this test process, with its folders (xdist's workers skip atexit)
    driver = _CHROMIUM.pop("driver", None)
    if driver is not None:
        chromium = psutil.Process(driver.service.process.pid).children(recursive=True)
        driver.quit()
        # Chromium's processes outlive chromedriver a moment, writing to the folder below: removed before they
        # had gone, it stayed behind (an empty folder in /tmp every few runs)
        psutil.wait_procs(chromium, timeout=10)
    if "tmp" in _CHROMIUM:
        shutil.rmtree(_CHROMIUM.pop("tmp"), ignore_errors=True)


class _AppServer:
    """The app on werkzeug's threaded server in a thread, on a free port; `stop` shuts it down. (dash[testing]'s
    ThreadedRunner stops a Flask app by raising SystemExit in every thread started after its own — in a test
    process that is also other fixtures' threads, and each open keep-alive connection printed a warning.)"""

    def __init__(self, app):
        from werkzeug.serving import make_server

        from tests.gunicorn_server import free_port

        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app.server, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"app:{self.port}", daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@contextlib.contextmanager
def dash_browser(request, app, download_path: str):
    """The app on a threaded server (a free port) + the session's headless Chromium with a real window (maps need
    it for gestures), as dash[testing]'s dash_duo."""
    from dash.testing.composite import DashComposite

    driver = session_chromium(request.config, download_path)

    class SessionDash(DashComposite):
        def get_webdriver(self):
            return driver

        def __exit__(self, *exc):   # the session's Chromium stays up for the next user, on a blank page
            driver.get("about:blank")

    server = _AppServer(app)
    try:
        with SessionDash(server=server, browser="Chrome", headless=request.config.getoption("headless"),
                         download_path=download_path, percy_run=False, percy_finalize=False, pause=False) as dc:
            dc._url = server.url   # each user opens its own address (dash's start_server loads "/" first)
            yield dc
    finally:
        server.stop()


@pytest.fixture(scope="session")
def atlas_server():
    """The real app as `make serve` runs it (gunicorn -c gunicorn.conf.py app:server, 2 workers, the default
    environment) on a free port: one for the whole session. A module that needs other settings starts its own."""
    from tests.gunicorn_server import Gunicorn

    with Gunicorn("app:server", workers=2) as running:
        yield running


# --- test-fast selection ---------------------------------------------------------------------------------------
# Modules that start a server, a browser or Chromium (kaleido): `make test-fast` (-m "not browser and not server")
# leaves them out; `make test` runs everything.
SERVER_MODULES = {"test_crafted_requests", "test_export_jobs", "test_export_panel", "test_export_render",
                  "test_export_press", "test_export_queue", "test_export_cli", "test_scaleout", "test_serving",
                  "test_serving_config", "test_serving_hardening", "test_static_compression", "test_redis_store",
                  "test_plotly_bundle", "test_render_service",
                  "bench.tests.test_runner", "bench.tests.test_load_test"}   # bench's own tests (bench/tests/)


# Test files that share one test process under `make test` (--dist loadfile, a file's tests in one process):
# those on the session's gunicorn start it once instead of once per process, those that render in-process start
# one kaleido Chromium. (Each start: ~3-5 s of CPU.)
SHARED_PROCESS = {
    "atlas_server": {"test_crafted_requests", "test_serving", "test_serving_hardening"},
    "kaleido": {"test_export_render", "test_export_press", "test_export_cli", "test_export_panel"},
}


# The units (files, SHARED_PROCESS groups) that take longest start first, so the last minutes are short files that
# fill the processes evenly instead of one process still running a long file while the others have nothing left.
# Their order mixes those that keep the cores busy (the browser tests, the in-process exports) with those that
# mostly wait on servers and jobs: the export queue's jobs run beside the two browser files, and the kaleido
# group beside what follows them: both cores idle 12-17 s of a run, against 17-25 s with the waiting ones all
# after the browser files (measured on this machine).
LONGEST_FIRST = ("test_app_browser", "test_a11y_browser", "test_export_queue", "kaleido", "test_export_jobs",
                 "atlas_server", "test_scaleout", "test_load_test", "test_render_service", "test_properties",
                 "test_geodata", "test_plotly_bundle", "test_atlas_cache", "test_dashboard_bench")


def _unit(stem: str) -> str:
    """The unit a test file (its module's name) runs in: its SHARED_PROCESS group, else the file itself."""
    return next((group for group, modules in SHARED_PROCESS.items() if stem in modules), stem)


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.module.__name__
        if name in SERVER_MODULES or name.rsplit(".", 1)[-1] in SERVER_MODULES:
            item.add_marker(pytest.mark.server)
    rank = {unit: i for i, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_unit(item.module.__name__.rsplit(".", 1)[-1]), len(rank)))   # stable


def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile with SHARED_PROCESS's files as one unit each. (Not xdist's loadgroup: with pytest 9 its
    group suffix never reaches the node ids, so each test became a unit of its own.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False   # the units in collection order: LONGEST_FIRST's

    class SharedProcessScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:   # the unit a test belongs to (pytest-xdist pinned: 3.8.0)
            path = super()._split_scope(nodeid)
            unit = _unit(Path(path).stem)
            return unit if unit in SHARED_PROCESS else path

    return SharedProcessScheduling(config, log)


# `script`'s body as a function, called in the page every 40 ms until it returns something truthy (or the time is
# up): one WebDriver round trip per wait instead of one per poll (each ~6 ms of CPU in the test process, chromedriver
# and Chromium, measured: 10 polls a second through a whole browser test added up).
_IN_PAGE_WAIT = """
const done = arguments[arguments.length - 1], end = Date.now() + arguments[0];
let last = null;
/*PRELUDE*/
const check = () => { /*SCRIPT*/
};
(function poll() {
  try {
    const value = check();
    if (value) { done({value: value}); return; }
    last = String(value);
  } catch (e) { last = String(e); }
  if (Date.now() >= end) { done({last: last}); } else { setTimeout(poll, 40); }
})();"""


# the live map's drawn path of the gmina whose TERYT code is the script's first argument: what a reader points at
GMINA_PATH = """const gd = document.querySelector('#map .js-plotly-plot');
  return document.querySelector('#map .choroplethlayer .trace').querySelectorAll('path.choroplethlocation')
    [gd.data[0].locations.indexOf(arguments[0])];"""


def wait_for_js(driver, script: str, timeout: float = 10.0, prelude: str = ""):
    """What `script` (a function body, after `prelude`) returns once it returns something truthy, waited for in the
    page. A page that is still loading or goes away meanwhile (a navigation) is waited for again."""
    source = _IN_PAGE_WAIT.replace("/*PRELUDE*/", prelude).replace("/*SCRIPT*/", script)
    end = time.time() + timeout
    last = None
    while (left := end - time.time()) > 0:
        driver.set_script_timeout(left + 5)
        try:
            answer = driver.execute_async_script(source, int(left * 1000))
        except WebDriverException as exc:   # the document was replaced while waiting: wait in the new one
            last = exc
            time.sleep(0.05)
            continue
        if "value" in answer:
            return answer["value"]
        last = answer["last"]
    raise AssertionError(f"timed out waiting for: {script} (last: {last!r})")


# Every /_dash-update-component request of a page, logged from its first script on (install it with CDP's
# Page.addScriptToEvaluateOnNewDocument before loading): window.__cbLog has their outputs, __cbPending the ones in
# flight, __cbLast when the last one started or ended.
CALLBACK_LOG = """
  window.__cbLog = []; window.__cbPending = 0; window.__cbLast = Date.now();
  const orig = window.fetch;
  window.fetch = function (url, opts) {
    if (!String(url).includes('_dash-update-component')) { return orig.apply(this, arguments); }
    try { window.__cbLog.push(JSON.parse(opts.body).output); } catch (e) { window.__cbLog.push('?'); }
    window.__cbPending += 1; window.__cbLast = Date.now();
    const done = () => { window.__cbPending -= 1; window.__cbLast = Date.now(); };
    const answer = orig.apply(this, arguments);
    answer.then(done, done);
    return answer;
  };"""


def wait_for_quiet_callbacks(driver, quiet_ms: int = 600, timeout: float = 20.0) -> None:
    """Until no callback request is in flight and none has started or ended for `quiet_ms` (CALLBACK_LOG must be
    installed): the page has settled — a condition, not a fixed sleep."""
    wait_for_js(driver, f"return window.__cbPending === 0 && Date.now() - window.__cbLast >= {quiet_ms};", timeout)
