"""Scale-out through Redis, for real: a redis-server (Debian package) on a free port, a Celery worker
subprocess, and the dashboard under gunicorn with REDIS_URL set. An export requested over HTTP runs in the
Celery worker (not in the web process) and comes back as a file we read; the view cache is shared through Redis.
redis-server comes from `make system` (a failure names it when it is missing)."""
from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.dash_client import DashPage
from tests.gunicorn_server import Gunicorn, free_port, own_cache_dir
from tests.redis_server import start_redis, stop_group

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):

    port = free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port, "--port", str(port), "--protected-mode", "yes")
    url = f"redis://127.0.0.1:{port}/0"
    yield url
    stop_group(proc)


@pytest.fixture(scope="module")
def machine(redis_url, tmp_path_factory) -> dict:
    """The environment of this module's web servers and Celery worker: one machine, with an export queue of its
    own (in the default cache folder, exports of other test processes could fill it: a job then answered "busy")."""
    return {"REDIS_URL": redis_url,
            "ATLAS_CACHE_DIR": str(own_cache_dir(tmp_path_factory.mktemp("scaleout") / "cache"))}


@pytest.fixture(scope="module")
def celery_worker(machine, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {**os.environ, **machine}
    celery = str(Path(sys.executable).with_name("celery"))
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [celery, "-A", "dashboard.serving.jobs:celery_app", "worker", "--loglevel=INFO", "--concurrency=1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "atlas-test@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while "ready." not in log_path.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_group(proc)
            pytest.fail("celery worker did not start:\n" + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.3)
    yield log_path
    stop_group(proc)


@pytest.fixture(scope="module")
def web(machine):
    with Gunicorn("app:server", workers=2, extra_env=machine) as running:
        yield running


def test_export_runs_in_the_celery_worker_and_returns_the_file(web, celery_worker):
    with requests.Session() as session:
        page = DashPage.load(session, web.base)
        exports = page.background_callbacks()
        assert exports, "the dashboard should register its export as a background callback"
        dep = exports[0]
        trigger = dep["inputs"][0]
        body = page.payload(dep, {(trigger["id"], trigger["property"]): 1},
                            changed=[f"{trigger['id']}.{trigger['property']}"])
        formats = {d["property"]: d for d in dep["state"]}
        assert formats
        response, polls = page.run_background(session, body, timeout=180, poll_s=0.5)
    assert response.status_code == 200, (response.text[:500], web.log_tail(), celery_worker.read_text()[-3000:])
    assert polls >= 1, "a background export answers first with a job handle, then with the result"
    result = response.json()["response"]
    download = next((v["data"] for v in result.values() if isinstance(v, dict) and isinstance(v.get("data"), dict)),
                    None)
    assert download, (result, web.log_tail(), celery_worker.read_text()[-3000:])
    content = base64.b64decode(download["content"]) if download.get("base64") else download["content"].encode()
    name = download["filename"]
    assert content, name
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        assert content[:5] == b"%PDF-" and len(PdfReader(io.BytesIO(content)).pages) == 1
    elif name.endswith(".png"):
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
    elif name.endswith(".svg"):
        assert b"<svg" in content[:2000]
    else:
        pytest.fail(f"unexpected export file {name}")
    # It ran in the Celery worker: the worker logged the task's success after we asked for it.
    log = celery_worker.read_text(encoding="utf-8", errors="replace")
    assert "succeeded" in log, log[-2000:]


@pytest.fixture(scope="module")
def second_web(machine):
    with Gunicorn("app:server", workers=1, extra_env=machine) as running:
        yield running


def test_two_web_instances_share_callback_answers_through_redis(web, second_web):
    """N web instances behind a load balancer: a view computed by one is answered from Redis by the other."""
    with requests.Session() as session:
        page = DashPage.load(session, web.base)
    controller = next(d for d in page.server_callbacks() if "map.figure" in d["output"])
    body = page.payload(controller, {("projects", "value"): ["P1"], ("voivodeships", "value"): ["14", "12"]},
                        changed=["projects.value"])
    first = requests.post(web.base + "/_dash-update-component", json=body, timeout=30)
    second = requests.post(second_web.base + "/_dash-update-component", json=body, timeout=30)
    assert first.status_code == second.status_code == 200, (first.text[:200], second.text[:300])
    assert first.headers["X-Atlas-Cache"] == "miss" and second.headers["X-Atlas-Cache"] == "hit"
    assert first.json() == second.json()


def test_cache_outage_costs_only_the_computation(monkeypatch):
    from dashboard.serving import answers as cache

    port = free_port()   # nothing listens there
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    assert cache.backend_name() == "redis"
    assert cache.get_response("cb:outage") is None
    cache.put_response("cb:outage", b"{}")            # logged, not raised
