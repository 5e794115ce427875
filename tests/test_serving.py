"""The real dashboard behind gunicorn (the `make serve` command, on a test port): security headers, compression,
immutable caching of the content-hashed geometry, JSON errors, and the page running in headless Chromium under
the Content-Security-Policy with zero console errors and no request leaving 127.0.0.1."""
from __future__ import annotations

import json
import re
import time
from urllib.parse import urlparse

import pytest
import requests

from tests.dash_client import DashPage, walk_components
from tests.serving_support import headless_chromium, page, server  # noqa: F401 - fixtures


def _geojson_urls(page: DashPage) -> list[str]:
    urls = []
    for comp in walk_components(page.layout):
        figure = comp["props"].get("figure")
        if isinstance(figure, dict):
            urls += [t["geojson"] for t in figure.get("data", []) if isinstance(t.get("geojson"), str)]
    return urls


def test_index_headers(server):
    response = requests.get(server.base + "/", headers={"Accept-Encoding": "br"}, timeout=10)
    assert response.status_code == 200
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert h["Content-Encoding"] == "br"
    assert '"ui":false' in response.text and '"props_check":false' in response.text   # no dev tools


def test_callbacks_and_layout_are_compressed_and_not_cached(server, page):
    layout = requests.get(server.base + "/_dash-layout", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert layout.headers["Content-Encoding"] == "gzip"
    assert int(layout.headers["Content-Length"]) < len(layout.content) or len(layout.content) > 0
    assert "no-store" in layout.headers.get("Cache-Control", "")
    controller = next(d for d in page.server_callbacks() if d["output"].startswith("..state.data"))
    body = page.payload(controller, {("url", "search"): "?woj=14"}, changed=["url.search"])
    response = requests.post(page.callback_url(), json=body, headers={"Accept-Encoding": "br"}, timeout=30)
    assert response.status_code == 200
    assert response.json()["response"]["state"]["data"]["voivodeships"] == ["14"]


def test_geometry_asset_is_content_hashed_and_cached_forever(server, page):
    urls = _geojson_urls(page)
    assert urls, "the map figure should reference the geometry by URL, not inline"
    for url in set(urls):
        assert re.search(r"\.[0-9a-f]{8,}\.geojson$", url), url
        response = requests.get(server.base + url, headers={"Accept-Encoding": "br"}, timeout=30)
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
        assert response.headers["Content-Encoding"] in {"br", "deflate", "gzip"}
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        data = response.json()
        assert data["type"] == "FeatureCollection" and data["features"]
        etag = response.headers.get("ETag")
        if etag:
            again = requests.get(server.base + url, headers={"If-None-Match": etag, "Accept-Encoding": "br"},
                                 timeout=30)
            assert again.status_code == 304
    wrong = requests.get(server.base + "/geo/gminy.0000000000.geojson", timeout=10)
    assert wrong.status_code == 404 and wrong.headers["Content-Type"].startswith("application/json")


def test_crafted_paths_of_the_app_routes_never_fail(server):
    crafted = ["/geo/" + "a" * 5000 + ".geojson", "/geo/..%2f..%2fetc%2fpasswd", "/geo/topojson/%00.json",
               "/geo/topojson/../../app.py", "/v/" + "x" * 3000, "/v/%ff%fe", "/v/../../etc/passwd",
               "/v/0000000000", "/_dash-layout?" + "a=1&" * 2000, "/" + "ż" * 1000]
    for path in crafted:
        response = requests.get(server.base + path, timeout=30)
        assert response.status_code < 500, (path[:40], response.status_code)
        assert "Traceback" not in response.text and "site-packages" not in response.text, path[:40]


def test_a_killed_worker_is_replaced_and_the_service_goes_on(server):
    import os
    import signal

    before = server.workers()
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = server.workers()
        if before[0] not in now and len(now) == len(before):
            break
        time.sleep(0.1)
    assert before[0] not in now and len(now) == len(before), (before, now)
    for _ in range(10):
        assert requests.get(server.base + "/_dash-dependencies", timeout=10).status_code == 200


def test_errors_are_json_without_internals(server):
    for method, path in (("DELETE", "/"), ("GET", "/_dash-component-suites/dash/nope.js"),
                         ("POST", "/_dash-update-component")):
        response = requests.request(method, server.base + path, timeout=10, data=b"{x",
                                    headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, path
        assert response.headers["Content-Type"].startswith("application/json"), path
        assert "Traceback" not in response.text and "site-packages" not in response.text


@pytest.mark.browser
def test_dashboard_runs_under_the_csp_with_no_console_errors_and_no_external_requests(server, request):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = headless_chromium(request)
    driver.get(server.base + "/?p=P1&woj=14")
    WebDriverWait(driver, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#map .choroplethlocation")) > 2000)
    # the page's last callbacks have answered: the charts and the table, drawn after the map
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "const c = document.getElementById('table-count'); return !!c && c.textContent.includes('(') && "
        "document.querySelectorAll('#by-project .barlayer path').length > 0;"))
    logs = driver.get_log("browser")
    network = driver.get_log("performance")
    problems = [e["message"] for e in logs if e["level"] in ("SEVERE", "WARNING")]
    assert not problems, problems
    hosts = set()
    for entry in network:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith("http"):
                hosts.add(urlparse(url).netloc)
    assert hosts == {f"127.0.0.1:{server.port}"}, hosts
