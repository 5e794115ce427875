"""The dashboard's partial plotly.js (dashboard.serving.plotly_bundle): built from js/ at the plotly.js version of
the pinned plotly package, verified by its recorded sha256, served at a hashed immutable URL and at the URL
dcc.Graph's loader asks for; the full bundle (and one log line) when it is missing or does not verify."""
from __future__ import annotations

import logging
import re

import pytest

from dashboard.serving import plotly_bundle
from tests.system_tools import need

N_GMINY = 2477


@pytest.fixture(scope="module")
def bundle():
    """The built, verified bundle (built here when missing, with Node.js and npm from `make system`)."""
    found, why = plotly_bundle.check()
    if found is None:
        need("node")
        need("npm")
        assert plotly_bundle.build() == 0
        found, why = plotly_bundle.check()
    assert found is not None, why
    return found


def registered_traces() -> set[str]:
    entry = (plotly_bundle.JS_DIR / "entry.js").read_text(encoding="utf-8")
    return {"scatter", *re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)} - {"core"}


def test_the_bundle_registers_every_trace_type_the_dashboard_and_the_export_draw(mini_atlas):
    from dashboard.model.state import FilterState
    from dashboard.view import figures

    state = FilterState()
    figs = [figures.map_figure(mini_atlas, state, "/geo/g.geojson", outline="/geo/w.geojson"),
            figures.growth_figure(mini_atlas, state), figures.voivodeship_figure(mini_atlas, state),
            figures.project_figure(mini_atlas, state)]
    drawn = {t.type for f in figs for t in f.data}
    assert drawn <= registered_traces(), drawn - registered_traces()
    # the press map may add town markers and labels (scattergeo): it is in the bundle too
    assert {"choropleth", "scattergeo", "bar", "scatter"} <= registered_traces()


def test_the_pinned_plotly_js_is_the_version_the_python_package_embeds():
    import json

    pinned = json.loads((plotly_bundle.JS_DIR / "package.json").read_text())["dependencies"]["plotly.js"]
    assert pinned == plotly_bundle.plotlyjs_version()
    lock = json.loads((plotly_bundle.JS_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/plotly.js"]["version"] == pinned
    assert "integrity" in lock["packages"]["node_modules/esbuild"]


def test_check_refuses_a_file_whose_sha256_is_not_the_recorded_one(tmp_path):
    fake = tmp_path / "plotly-atlas.min.js"
    fake.write_bytes(b"/**\n* plotly.js v" + plotly_bundle.plotlyjs_version().encode() + b"\n*/ var Plotly={};")
    found, why = plotly_bundle.check(fake)
    assert found is None and "sha256" in why
    found, why = plotly_bundle.check(tmp_path / "missing.js")
    assert found is None and "missing" in why


def _app():
    import dash
    from dash import dcc

    app = dash.Dash(__name__, serve_locally=True)
    app.layout = dcc.Graph(id="g")
    return app


def test_without_the_bundle_the_full_one_is_served_and_one_line_says_why(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    app = _app()
    with caplog.at_level(logging.WARNING, logger="dashboard.serving.plotly_bundle"):
        assert plotly_bundle.register(app) is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "full" in lines[0] and "missing" in lines[0], lines
    response = app.server.test_client().get("/" + plotly_bundle.DASH_PLOTLY_PATH)
    assert response.status_code == 200 and len(response.data) > 4_000_000  # Dash's own, untouched


def test_served_at_a_hashed_immutable_url_and_at_dash_s_plotly_url(bundle):
    app = _app()
    assert plotly_bundle.register(app).plotly == bundle
    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'<link rel="preload" href="(/_atlas/js/plotly-atlas\.[0-9a-f]{12}\.min\.js)" as="script">',
                    page).group(1)
    first = re.search(r'<script[^>]* src="([^"]+)"', page).group(1)
    assert first == url   # the page's first script: dcc.Graph's loader finds window.Plotly and loads nothing
    hashed = client.get(url)
    assert hashed.status_code == 200 and hashed.data == bundle.data
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert hashed.mimetype == "application/javascript"
    assert client.get("/_atlas/js/plotly-atlas.000000000000.min.js").status_code == 404
    legacy = client.get("/" + plotly_bundle.DASH_PLOTLY_PATH)
    assert legacy.status_code == 200 and legacy.data == bundle.data
    etag = legacy.headers["ETag"]
    assert client.get("/" + plotly_bundle.DASH_PLOTLY_PATH, headers={"If-None-Match": etag}).status_code == 304
    assert len(bundle.data) < 2_000_000  # vs 4.8 MB


def test_dash_s_polyfill_script_loads_the_verified_regenerator_runtime_instead(bundle):
    runtime, why = plotly_bundle.check_runtime()
    assert runtime is not None, why
    app = _app()
    served = plotly_bundle.register(app)
    assert served.runtime_url == f"/_atlas/js/{runtime.filename}"
    client = app.server.test_client()
    scripts = re.findall(r'<script src="([^"]+)"', client.get("/").get_data(as_text=True))
    assert scripts[:2] == [served.plotly_url, served.runtime_url], scripts
    assert not [s for s in scripts if "polyfill" in s], scripts
    answer = client.get(served.runtime_url)
    assert answer.status_code == 200 and answer.data == runtime.data and b"regeneratorRuntime" in answer.data
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_swap_polyfill_changes_only_the_polyfill_s_address():
    url = "/p/_atlas/js/regenerator-runtime.0123456789ab.min.js"
    scripts = ('<script src="/p/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.12.1.min.js"></script>'
               '<script defer src="/p/_dash-component-suites/dash/deps/react@18.v4_4_1m1.3.1.min.js"></script>')
    assert plotly_bundle.swap_polyfill(scripts, url) == scripts.replace(
        "/p/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.12.1.min.js", url)
    deferred = scripts.replace("<script src", "<script defer src")
    assert f'<script defer src="{url}"></script>' in plotly_bundle.swap_polyfill(deferred, url)
    without = '<script src="/_dash-component-suites/dash/deps/react@18.min.js"></script>'
    assert plotly_bundle.swap_polyfill(without, url) == without


def test_without_the_runtime_dash_s_polyfill_stays_and_one_line_says_why(bundle, tmp_path, monkeypatch, caplog):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / plotly_bundle.BUNDLE_NAME).write_bytes(bundle.data)
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    app = _app()
    with caplog.at_level(logging.WARNING, logger="dashboard.serving.plotly_bundle"):
        served = plotly_bundle.register(app)
    assert served.plotly.data == bundle.data and served.runtime_url is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "polyfill" in lines[0] and "missing" in lines[0], lines
    page = app.server.test_client().get("/").get_data(as_text=True)
    assert "polyfill@" in page and "regenerator-runtime" not in page


def test_full_on_request(bundle, monkeypatch):
    monkeypatch.setenv("ATLAS_PLOTLY_BUNDLE", "full")
    app = _app()
    assert plotly_bundle.register(app) is None
    assert "_atlas/js/" not in app.server.test_client().get("/").get_data(as_text=True)


def test_without_the_small_bundle_the_page_runs_the_full_plotly_js_once(request, tmp_path, monkeypatch):
    """The fallback (ATLAS_PLOTLY_BUNDLE=full): no early map; the map's component and dcc.Graph's loader for the
    charts share one <script> of Dash's plotly.js (a second would run its 4.8 MB again)."""
    from dashboard.app import create_app
    from dashboard.model.atlas import get_atlas
    from tests.conftest import dash_browser, wait_for_js

    monkeypatch.setenv("ATLAS_PLOTLY_BUNDLE", "full")
    with dash_browser(request, create_app(get_atlas()), str(tmp_path)) as duo:
        duo.driver.get(duo.server_url + "/")
        run = duo.driver.execute_script
        wait_for_js(duo.driver, "const layer = document.querySelector('#map .choroplethlayer .trace'); "
                         f"return !!layer && layer.querySelectorAll('path.choroplethlocation').length === {N_GMINY};",
                    40)
        wait_for_js(duo.driver, "return ['growth', 'by-voivodeship', 'by-project'].every(g => "
                         "document.querySelectorAll('#' + g + ' .barlayer path').length > 0);", 20)
        scripts = run("return Array.from(document.scripts).map(s => s.getAttribute('src') || '')"
                      ".filter(s => s.includes('plotly'));")
        assert scripts == ["/" + plotly_bundle.DASH_PLOTLY_PATH], scripts
        assert run("return Plotly.version") == plotly_bundle.plotlyjs_version()
        severe = [e for e in duo.driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe
