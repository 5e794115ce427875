"""The machine's warm Chromium for export jobs (dashboard.export.render_service, started by
dashboard.serving.render_host): one Chromium renders every export; a bad request gets a message and the service
goes on; it ends (Chromium first) with the process that started it; without it a job renders in its own process.
Under gunicorn: tests/test_export_jobs.py."""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import plotly.graph_objects as go
import psutil
import pytest

from dashboard.export import render_service
from dashboard.export.render_service import Client, parse_request
from tests.gunicorn_server import short_folder

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
FIGURE = go.Figure(go.Bar(x=["Kraków", "Łódź"], y=[3, 5]), layout={"title": {"text": "Żółć"}})


def _wait_until_it_answers(address: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(address)
                return
            except OSError:
                time.sleep(0.05)
    pytest.fail(f"no render service at {address} (exit code {proc.poll()})")


@pytest.fixture(scope="module")
def service():
    with short_folder() as folder:
        address = str(folder / "socket")
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.serving.render_host", address, "1", str(os.getpid())],
            cwd=ROOT, env={**os.environ, "ATLAS_JOB_SCHED": "normal"})   # its own CPU share
        try:
            _wait_until_it_answers(address, proc)
            yield proc, address
        finally:
            proc.terminate()
            proc.wait(20)


@pytest.fixture
def temporary():
    with short_folder() as folder:
        yield folder


def _chromium(pid: int) -> set[int]:
    found = set()
    for proc in psutil.Process(pid).children(recursive=True):
        try:
            if "chrom" in proc.name():
                found.add(proc.pid)
        except psutil.NoSuchProcess:
            pass   # a helper Chromium starts and ends while it starts
    return found


def _serving(supervisor: int) -> int:
    """The process that serves: the supervisor's (dashboard.serving.render_host) one Python child."""
    children = [p.pid for p in psutil.Process(supervisor).children() if "python" in p.name()]
    assert len(children) == 1, children
    return children[0]


def _ask(address: str, raw: bytes) -> bytes:
    """The service's whole answer to ``raw`` bytes sent as they are."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(60)
        conn.connect(address)
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_every_export_renders_in_one_warm_chromium(service):
    proc, address = service
    client = Client(address)
    png = client.render(FIGURE, "png", width=400, height=300, scale=2)
    browsers = _chromium(proc.pid)
    svg = client.render(FIGURE.to_plotly_json(), "svg", width=400, height=300)
    pdf = client.render(FIGURE, "pdf", width=400, height=300)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (800, 600)
    assert b"<svg" in svg[:500] and "Żółć".encode() in svg
    assert pdf[:5] == b"%PDF-"
    assert browsers and _chromium(proc.pid) == browsers   # the same Chromium, not one per export


@pytest.mark.parametrize("raw, said", [
    (b"hello", "the request is not JSON"),
    (json.dumps({"format": "png", "width": 10, "height": 10, "scale": 1}).encode(), "a figure object"),
    (json.dumps({"figure": {}, "format": "gif", "width": 10, "height": 10, "scale": 1}).encode(),
     "unknown export format 'gif'"),
    (json.dumps({"figure": {}, "format": "png", "width": -5, "height": 10, "scale": 1}).encode(),
     "width must be a number above 0"),
    (json.dumps({"figure": {}, "format": "png", "width": 10, "height": True, "scale": 1}).encode(),
     "height must be a number"),
    (json.dumps({"figure": {}, "format": "png", "width": 10, "height": 10, "scale": 1e9}).encode(),
     "scale must be a number above 0 and at most 10"),
])
def test_a_bad_request_is_answered_with_what_is_wrong(raw, said):
    with pytest.raises(ValueError, match=said):
        parse_request(raw)


def test_the_service_answers_a_bad_request_and_goes_on(service):
    proc, address = service
    answer = _ask(address, struct.pack(">I", 5) + b"hello")
    assert answer[4:5] == b"\x01" and b"not JSON" in answer[5:]
    too_big = _ask(address, struct.pack(">I", render_service.MAX_REQUEST + 1))
    assert b"over the limit" in too_big
    assert b"999 bytes short" in _ask(address, struct.pack(">I", 1000) + b"{")
    assert proc.poll() is None
    assert Client(address).render(FIGURE, "png", width=200, height=100)[:4] == b"\x89PNG"


def test_the_service_and_its_chromium_end_with_the_process_that_started_it(tmp_path, temporary):
    """gunicorn's master killed (SIGKILL: no on_exit hook runs): the service and its Chromium go too, and leave
    nothing in the temporary folder (the socket's folder, Chromium's profile, and a full Chromium's singleton socket's
    folder)."""
    starter = subprocess.Popen(
        [sys.executable, "-c", "import time; from dashboard.serving import render_host; "
                               "print(render_host.start().pid, flush=True); time.sleep(600)"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "ATLAS_CACHE_DIR": str(tmp_path), "ATLAS_JOB_SCHED": "normal",   # not idle: its start
             "TMPDIR": str(temporary)})
    try:
        pid = int(starter.stdout.readline())
        deadline = time.monotonic() + 30
        while not (browsers := _chromium(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert browsers, "the service started no Chromium"
        tree = {pid, _serving(pid), *browsers}
        profile = "atlas-render-*/chromium/tmp*/Default"   # Chromium's profile, once it writes there
        while not list(temporary.glob(profile)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(temporary.glob(profile)), sorted(temporary.rglob("*"))   # the check below looks at the right place
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait(10)
        gone = psutil.wait_procs([psutil.Process(p) for p in tree if psutil.pid_exists(p)], timeout=15)
        assert [p.pid for p in gone[1]] == []
        assert sorted(p.name for p in temporary.iterdir()) == []
    finally:
        starter.kill()
        starter.wait(10)


def test_a_service_that_dies_is_started_again(service):
    """The serving process killed (the OOM killer, say): its Chromium goes with it, and within seconds a new one
    answers at the same address; until then a job is told the service is unavailable (and renders at home)."""
    proc, address = service
    assert Client(address).render(FIGURE, "png", width=200, height=100)[:4] == b"\x89PNG"   # its Chromium is up
    old, browsers = _serving(proc.pid), _chromium(proc.pid)
    assert browsers
    temporary = Path(address).parent / "chromium"   # its Chromium's profile, left by a killed service: removed
    profiles = {p.name for p in temporary.glob("tmp*")}
    assert profiles, sorted(temporary.parent.rglob("*"))
    os.kill(old, signal.SIGKILL)
    deadline, png = time.monotonic() + 30, None
    while png is None and time.monotonic() < deadline:
        try:
            png = Client(address).render(FIGURE, "png", width=200, height=100)
        except render_service.Unavailable:
            time.sleep(0.1)
    assert png is not None and png[:4] == b"\x89PNG", "no render service answered again within 30 s"
    assert _serving(proc.pid) != old and proc.poll() is None
    assert psutil.wait_procs([psutil.Process(p) for p in browsers if psutil.pid_exists(p)], timeout=10)[1] == []
    assert _chromium(proc.pid) and not _chromium(proc.pid) & browsers
    assert profiles & {p.name for p in temporary.glob("tmp*")} == set()


def test_a_service_that_dies_during_a_render_sends_the_job_home(tmp_path):
    """The connection closes before the answer (the service was killed mid-render): the job renders at home
    (Unavailable), not a failed export."""
    address = str(tmp_path / "socket")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(address)
        server.listen(1)

        def die() -> None:
            conn, _ = server.accept()
            conn.recv(4)
            conn.close()

        dying = threading.Thread(target=die)
        dying.start()
        with pytest.raises(render_service.Unavailable, match="went away"):
            Client(address).render(FIGURE, "png", width=10, height=10)
        dying.join(5)


def test_without_an_answering_service_a_job_renders_in_its_own_process(monkeypatch, tmp_path):
    """The address a job inherited answers no more (the service died): its export is rendered in its own Chromium
    instead of failing."""
    from dashboard.export import render

    asked = []

    class Local:
        def render(self, fig, fmt, **size):
            asked.append((fmt, size))
            return b"local"

    monkeypatch.setattr(render, "get_renderer", Local)
    monkeypatch.setattr(render_service, "_address", str(tmp_path / "gone"))
    assert render._render(None, FIGURE, "png", width=10, height=20, scale=1) == b"local"
    assert asked == [("png", {"width": 10, "height": 20, "scale": 1})]
    monkeypatch.setattr(render_service, "_address", None)   # and a process of no web server renders at home
    assert render._render(None, FIGURE, "svg", width=10, height=20, scale=1) == b"local"
