"""harden(app) on a small real Dash app: headers, CSP, compression, JSON errors, the callback guard —
and the same app served by real gunicorn (gunicorn.conf.py) and opened in headless Chromium with zero
console errors under the Content-Security-Policy."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from dashboard.serving.guard import MAX_CALLBACK_BYTES, content_security_policy, harden, inline_script_hashes
from tests.gunicorn_server import free_port

ROOT = Path(__file__).resolve().parent.parent
PORT = free_port()

TINY_APP = textwrap.dedent('''
    from dash import Dash, Input, Output, dcc, html
    import plotly.graph_objects as go
    from dashboard.serving.guard import harden

    app = Dash(__name__)
    app.layout = html.Div([
        dcc.Dropdown(id="pick", options=["a", "b", "c"], value="a"),
        html.Div(id="echo"),
        dcc.Graph(id="bars", figure=go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]))),
    ])

    @app.callback(Output("echo", "children"), Input("pick", "value"))
    def echo(value):
        return "picked " + str(value).upper()

    @app.callback(Output("bars", "figure"), Input("pick", "value"), prevent_initial_call=True)
    def bars(value):
        if value == "boom":
            raise RuntimeError("secret internal detail")
        return go.Figure(go.Bar(x=[value], y=[1]))

    harden(app)
    server = app.server
''')


@pytest.fixture(scope="module")
def tiny_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tinyapp")
    (folder / "tiny_hardened.py").write_text(TINY_APP, encoding="utf-8")
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def client(tiny_module):
    import tiny_hardened

    return tiny_hardened.app.server.test_client()


def _body(value="b", output="echo.children"):
    return {"output": output, "outputs": {"id": output.split(".")[0], "property": output.split(".")[1]},
            "inputs": [{"id": "pick", "property": "value", "value": value}],
            "changedPropIds": ["pick.value"], "state": []}


def test_index_has_security_headers_and_csp_hash_of_dash_inline_script(client):
    response = client.get("/")
    assert response.status_code == 200
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"]
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    # The renderer's inline script is allowed by its exact hash, nothing else inline.
    html = response.get_data(as_text=True)
    inline = re.search(r'<script id="_dash-renderer" type="application/javascript">(.*?)</script>', html, re.S)
    digest = base64.b64encode(hashlib.sha256(inline.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in script_src


def test_inline_script_hashes_skip_json_external_and_commented_scripts():
    html = ('<!--[if IE]><script>alert(1)</script><![endif]-->'
            '<script id="c" type="application/json">{"a":1}</script>'
            '<script src="/x.js"></script><script>var a=1;</script>')
    digest = base64.b64encode(hashlib.sha256(b"var a=1;").digest()).decode()
    assert inline_script_hashes(html) == [f"'sha256-{digest}'"]
    assert f"'sha256-{digest}'" in content_security_policy(inline_script_hashes(html))


def test_responses_are_compressed_when_the_client_accepts_it(client):
    plain = client.get("/_dash-layout")
    packed = client.get("/_dash-layout", headers={"Accept-Encoding": "br, gzip"})
    assert packed.headers.get("Content-Encoding") in {"br", "gzip"}
    assert len(packed.data) < len(plain.data)
    assert "Accept-Encoding" in packed.headers.get("Vary", "")


def test_valid_callback_still_works(client):
    response = client.post("/_dash-update-component", json=_body("b"))
    assert response.status_code == 200
    assert response.json["response"]["echo"]["children"] == "picked B"


@pytest.mark.parametrize("backend", ["", "memory"])
def test_identical_callback_requests_are_answered_from_the_cache(client, monkeypatch, tmp_path, backend):
    import uuid

    monkeypatch.setenv("ATLAS_CACHE", backend)
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    unique = uuid.uuid4().hex[:8]
    body = _body(f"c-{unique}")
    first = client.post("/_dash-update-component", json=body)
    second = client.post("/_dash-update-component", json=body)
    assert first.headers["X-Atlas-Cache"] == "miss" and second.headers["X-Atlas-Cache"] == "hit"
    assert first.json == second.json and second.json["response"]["echo"]["children"] == f"picked C-{unique.upper()}"
    other = client.post("/_dash-update-component", json=_body(f"d-{unique}"))
    assert other.json["response"]["echo"]["children"] == f"picked D-{unique.upper()}"
    if not backend:
        assert (tmp_path / "callback-answers").is_dir()   # shared by the workers of the machine
    monkeypatch.setenv("ATLAS_CACHE", "off")
    off = client.post("/_dash-update-component", json=body)
    assert "X-Atlas-Cache" not in off.headers and off.json == first.json


def test_apps_with_different_layouts_never_share_cached_answers(monkeypatch, tmp_path):
    """Same code, same callback, same request body, different data behind the layout: separate answers."""
    from dash import Dash, Input, Output, dcc, html

    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    answers = []
    for data in ("first atlas", "second atlas"):
        app = Dash("same_name")
        app.layout = html.Div([dcc.Dropdown(id="pick", options=["a"], value="a"), html.Div(id="echo"),
                               html.Span(data, id="data")])

        @app.callback(Output("echo", "children"), Input("pick", "value"))
        def echo(value, data=data):
            return f"{data}: {value}"

        harden(app)
        answers.append(app.server.test_client().post("/_dash-update-component", json=_body("a")).json)
    assert answers[0]["response"]["echo"]["children"] == "first atlas: a"
    assert answers[1]["response"]["echo"]["children"] == "second atlas: a"


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400),
    (b"[1, 2, 3]", 400),
    (b"null", 400),
    (b"[" * 50_000 + b"]" * 50_000, 400),                                   # nesting bomb
    (json.dumps({"output": "nope.children"}).encode(), 404),                 # unknown callback
    (json.dumps({"output": 5}).encode(), 400),
    (json.dumps({**_body(), "inputs": []}).encode(), 400),                   # missing input
    (json.dumps({**_body(), "inputs": [{"id": "other", "property": "value", "value": 1}]}).encode(), 400),
    (json.dumps({**_body(), "inputs": "pick"}).encode(), 400),
    (json.dumps({**_body(), "changedPropIds": [1, 2]}).encode(), 400),
    (json.dumps({**_body(), "outputs": "x"}).encode(), 400),
    (json.dumps(_body("x" * (MAX_CALLBACK_BYTES + 10))).encode(), 413),      # megabyte-ish string
])
def test_crafted_callback_requests_get_a_json_4xx_without_internals(client, raw, status):
    response = client.post("/_dash-update-component", data=raw, content_type="application/json")
    assert response.status_code == status
    assert response.is_json and set(response.json) == {"error", "status", "message"}
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_exception_in_a_callback_is_a_500_json_without_traceback(client):
    response = client.post("/_dash-update-component", json={**_body("boom", "bars.figure")})
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert response.is_json and "secret internal detail" not in text and "Traceback" not in text


def test_unknown_method_and_path_errors_are_json(client):
    response = client.delete("/_dash-layout")
    assert response.status_code == 405 and response.is_json
    for path in ("/_dash-component-suites/dash/nope.js", "/_dash-component-suites/nopkg/x.js",
                 "/_dash-component-suites/dash/../../etc/passwd"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json, path


def test_harden_is_idempotent(tiny_module):
    import tiny_hardened

    before = len(tiny_hardened.app.server.after_request_funcs[None])
    harden(tiny_hardened.app)
    assert len(tiny_hardened.app.server.after_request_funcs[None]) == before


# -- the same app behind real gunicorn, in a real browser -------------------------------------------------------
@pytest.fixture(scope="module")
def served(tiny_module):
    env = {**os.environ, "ATLAS_BIND": f"127.0.0.1:{PORT}", "ATLAS_WORKERS": "2",
           "PYTHONPATH": f"{tiny_module}{os.pathsep}{ROOT}"}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "tiny_hardened:server"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{PORT}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/_dash-layout", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("gunicorn did not start:\n" + proc.stdout.read().decode(errors="replace")[-3000:])
        time.sleep(0.3)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_gunicorn_serves_hardened_app_without_debug(served):
    response = requests.get(served + "/", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Content-Security-Policy" in response.headers
    crash = requests.post(served + "/_dash-update-component", json=_body("boom", "bars.figure"), timeout=10)
    assert crash.status_code == 500 and "Traceback" not in crash.text and "secret" not in crash.text


def test_chunked_body_without_content_length_is_still_limited(served):
    big = json.dumps(_body("y" * (MAX_CALLBACK_BYTES * 2))).encode()

    def chunks():
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    response = requests.post(served + "/_dash-update-component", data=chunks(), timeout=20,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413


@pytest.mark.browser
def test_page_runs_under_the_csp_with_no_console_errors(served, request):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.serving_support import headless_chromium

    driver = headless_chromium(request)
    driver.get(served + "/")
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "echo").text == "picked A")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#bars .main-svg"))
    time.sleep(1.0)
    logs = driver.get_log("browser")
    problems = [entry["message"] for entry in logs if entry["level"] in ("SEVERE", "WARNING")]
    assert not problems, problems
