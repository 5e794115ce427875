"""Bounded export jobs (dashboard.serving.export_queue): N renders at once per machine, a FIFO queue with its
position reported, 429 "busy" beyond it, a per-client share; and a burst of crafted export requests against the
real server (gunicorn + DiskcacheManager): Chromium processes and memory stay bounded, every accepted export
completes, the others get 429."""
from __future__ import annotations

import os
import threading
import time

import psutil
import pytest

from dashboard.serving.export_queue import Busy, ExportQueue, Limits


@pytest.fixture
def queue(tmp_path):
    return ExportQueue(tmp_path / "q", Limits(slots=1, queue=2, per_client=2))


def test_admission_is_bounded_by_the_queue_and_by_client(queue):
    assert queue.admit("a1", "10.0.0.1") == 0
    assert queue.admit("a1", "10.0.0.1") == 0          # the same request again: still one ticket
    assert queue.admit("a2", "10.0.0.1") == 1
    with pytest.raises(Busy, match="client"):
        queue.admit("a3", "10.0.0.1")                   # this client's share (2) is used
    assert queue.admit("b1", "10.0.0.2") == 2
    with pytest.raises(Busy, match="full"):
        queue.admit("c1", "10.0.0.3")                   # 1 slot + 2 waiting
    assert queue.counts() == {"tickets": 3, "rendering": 0}


def test_a_ticket_of_a_dead_job_no_longer_counts(queue):
    import json
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    queue.admit("x", "10.0.0.1")
    path = next(queue.folder.glob("t-*.json"))
    ticket = json.loads(path.read_text())
    path.write_text(json.dumps({**ticket, "adopted": True, "pid": dead.pid}))
    assert queue.counts()["tickets"] == 0 and not path.exists()


def test_a_ticket_of_a_killed_job_not_yet_reaped_no_longer_counts(queue):
    """A killed job is a zombie until its web worker reaps it (when that worker starts another job): its ticket
    held the head of the queue and the exports behind it waited for minutes."""
    import json

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        while psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.01)
        queue.admit("x", "10.0.0.1")
        path = next(queue.folder.glob("t-*.json"))
        path.write_text(json.dumps({**json.loads(path.read_text()), "adopted": True, "pid": pid}))
        assert queue.counts()["tickets"] == 0 and not path.exists()
    finally:
        os.waitpid(pid, 0)


def test_one_render_at_a_time_first_come_first_served_with_the_place_reported(queue):
    running, most, order, told = [0], [0], [], {}
    lock = threading.Lock()

    def job(name: str, hold: float) -> None:
        with queue.slot(name, on_wait=lambda n: told.setdefault(name, []).append(n)):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
                order.append(name)
            time.sleep(hold)
            with lock:
                running[0] -= 1

    queue.admit("first", "a")
    queue.admit("second", "b")
    queue.admit("third", "c")
    threads = [threading.Thread(target=job, args=(n, 0.4)) for n in ("third", "second", "first")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert most[0] == 1
    assert order == ["first", "second", "third"]        # the order of admission, not of arrival at the slot
    assert told.get("third", [])[:1] == [2] and told.get("second", [])[:1] == [1], told
    assert queue.counts() == {"tickets": 0, "rendering": 0}
    assert queue.admit("later", "a") == 0                # every ticket was given back


# --- the burst against the real server ---------------------------------------------------------------------------
SEEN: dict = {}
SLOTS, WAITING, BURST = 1, 1, 50


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.gunicorn_server import Gunicorn, own_cache_dir

    env = {"ATLAS_EXPORT_SLOTS": str(SLOTS), "ATLAS_EXPORT_QUEUE": str(WAITING), "ATLAS_EXPORT_PER_CLIENT": "100",
           "ATLAS_CACHE": "off", "ATLAS_CACHE_DIR": str(own_cache_dir(tmp_path_factory.mktemp("burst") / "cache"))}
    with Gunicorn("app:server", workers=2, extra_env=env) as running:
        yield running


def _chromium(server, memory: bool = True) -> tuple[int, int, int]:
    """(Chromium browser instances, Chromium processes, memory (PSS) of all the server's processes in MB, or 0
    without `memory`: reading every process's PSS costs ~2 ms of CPU each, the rest ~0.1 ms).

    A browser instance is a running Chromium without ``--type=`` whose parent is no Chromium: its helpers are
    children of the browser (or of its zygote), and one that is just forked (it still shows the browser's command
    line) or on its way out (an exiting or zombie process shows an empty one) is not a second browser."""
    root = psutil.Process(server.proc.pid)
    procs = {}
    for p in [root, *root.children(recursive=True)]:
        try:
            # PSS: shared pages counted once (job processes are forks of a worker)
            procs[p.pid] = (p.name(), p.cmdline(), p.ppid(), p.status(), p.memory_full_info().pss if memory else 0)
        except psutil.Error:
            continue
    browsers = processes = rss = 0
    for pid, (name, cmd, ppid, status, mem) in procs.items():
        rss += mem
        if "chrom" not in name:
            continue
        processes += 1
        parent = procs.get(ppid, ("",))[0]
        if (cmd and status != psutil.STATUS_ZOMBIE and "chrom" not in parent and "crashpad" not in name
                and not any(a.startswith("--type=") for a in cmd)):
            browsers += 1
            SEEN.setdefault(pid, (name, cmd[:2], ppid, parent))
    return browsers, processes, rss // 2**20


@pytest.mark.slow
def test_a_burst_of_export_requests_is_bounded_and_every_accepted_export_completes(server):
    import requests

    from tests.dash_client import DashPage

    with requests.Session() as session:
        page = DashPage.load(session, server.base)
    dep = page.background_callbacks()[0]
    trigger = (dep["inputs"][0]["id"], dep["inputs"][0]["property"])

    def body(i: int) -> dict:
        return page.payload(dep, {trigger: f"1-{time.time_ns():x}-{i}", ("export-format", "value"): "svg",
                                  ("export-preset", "value"): "social"}, changed=[".".join(trigger)])

    samples: list[tuple[int, int, int]] = []
    stop = threading.Event()

    def sample() -> None:   # the processes 5 times a second, their memory once a second
        n = 0
        while not stop.is_set():
            samples.append(_chromium(server, memory=n % 5 == 0))
            n += 1
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    baseline_mb = _chromium(server)[2]
    results: dict[int, tuple] = {}
    barrier = threading.Barrier(BURST)

    def user(i: int) -> None:
        with requests.Session() as s:
            barrier.wait(30)
            results[i] = page.run_background(s, body(i), timeout=240, poll_s=0.5)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    stop.set()
    sampler.join(5)
    statuses = sorted(r.status_code for r, _ in results.values())
    accepted = [r for r, _ in results.values() if r.status_code == 200]
    refused = [r for r, _ in results.values() if r.status_code == 429]
    assert len(results) == BURST and len(accepted) + len(refused) == BURST, (statuses, server.log_tail())
    assert len(accepted) == SLOTS + WAITING, statuses
    for r in refused:
        assert r.headers.get("Retry-After") and "Busy" in r.json()["message"]
    for r in accepted:                                   # every accepted export came back with its file
        outputs = r.json()["response"]
        assert "export-download" in outputs, outputs.get("export-status")   # e.g. "the export did not happen"
        data = outputs["export-download"]["data"]
        assert data["filename"].endswith(".svg") and data["content"]
    browsers = max(s[0] for s in samples)
    processes = max(s[1] for s in samples)
    peak_mb = max(s[2] for s in samples)
    print(f"burst of {BURST}: {len(accepted)} accepted, {len(refused)} refused; at most {browsers} Chromium "
          f"instance(s), {processes} Chromium processes; memory {baseline_mb} -> peak {peak_mb} MB")
    assert browsers <= SLOTS, SEEN
    assert processes <= 15 * SLOTS                       # one Chromium is ~8-12 processes here
    assert peak_mb - baseline_mb < 700 * SLOTS + 150 * WAITING + 300


def _block_slot(folder, name: str):
    """A ticket of a live process (this one) that holds a place in the queue: an export behind it waits."""
    import json

    from dashboard.serving import export_queue

    ExportQueue(folder).admit(name, name)
    path = folder / f"t-{export_queue.ticket_id(name)}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "adopted": True, "pid": os.getpid()}))
    return path


PANEL = """const q = id => document.getElementById(id);
const s = {queue: q('export-queue').textContent, queue_hidden: q('export-queue').hidden,
           status: q('export-status').textContent, disabled: q('export-button').disabled};"""


def _panel(dc) -> dict:
    return dc.driver.execute_script(PANEL + "return s;")


def _wait_panel(dc, check: str, timeout=60) -> dict:
    """The panel's state once `check` (JavaScript over the state `s`) holds, waited for in the page."""
    from tests.conftest import wait_for_js

    return wait_for_js(dc.driver, f"{PANEL} return ({check}) ? s : null;", timeout)


@pytest.mark.browser
@pytest.mark.slow
def test_in_the_panel_a_queued_export_shows_its_place_and_a_refused_one_says_try_again(request, tmp_path,
                                                                                        monkeypatch):
    """The machine's one render slot is taken (a ticket of a live process): the export waits and the panel says
    how many are ahead, then renders when the slot is free. With the slot and the queue full, the request is
    refused (429) and the panel says so, with the button enabled again for a retry."""
    from dashboard.app import create_app
    from dashboard.model.atlas import get_atlas
    from dashboard.serving import export_queue
    from tests.conftest import dash_browser

    folder = tmp_path / "q"
    folder.mkdir()
    monkeypatch.setattr(export_queue, "queue_dir", lambda: folder)
    monkeypatch.setenv("ATLAS_EXPORT_SLOTS", "1")
    monkeypatch.setenv("ATLAS_EXPORT_QUEUE", "1")

    blocker = _block_slot(folder, "someone-else")
    with dash_browser(request, create_app(get_atlas()), str(tmp_path)) as dc:
        dc.driver.get(dc.server_url + "/")
        dc.wait_for_element("#export-section summary", timeout=30).click()
        dc.find_element("#export-button").click()
        state = _wait_panel(dc, "s.queue.includes('kolejce') && !s.queue_hidden")
        assert "1" in state["queue"] and state["disabled"]
        blocker.unlink()                                                    # the slot is free: it renders
        _wait_panel(dc, "s.status.includes('Gotowe') && !s.disabled", timeout=120)
        time.sleep(1.5)
        assert "Gotowe" in _panel(dc)["status"]          # and it stays (no "did not happen" after the file)
        _block_slot(folder, "first")
        _block_slot(folder, "second")                                       # 1 slot + 1 waiting: full
        dc.find_element("#export-button").click()
        state = _wait_panel(dc, "s.status.includes('spróbuj')")
        assert not state["disabled"] and state["queue_hidden"], state


@pytest.mark.browser
@pytest.mark.slow
def test_in_the_panel_an_export_whose_job_dies_says_it_did_not_happen(request, tmp_path, monkeypatch):
    """The job is killed while it waits for its turn (as when its web worker is stopped): the panel says the export
    did not happen, in the page's language, and the button is enabled again for a retry."""
    import json
    import signal

    from dashboard.app import create_app
    from dashboard.i18n import t
    from dashboard.model.atlas import get_atlas
    from dashboard.serving import export_queue
    from tests.conftest import dash_browser

    folder = tmp_path / "q"
    folder.mkdir()
    monkeypatch.setattr(export_queue, "queue_dir", lambda: folder)
    monkeypatch.setenv("ATLAS_EXPORT_SLOTS", "1")
    _block_slot(folder, "someone-else")                                 # the slot is taken by a live process

    def waiting_job() -> int | None:   # the job adopted its ticket: its pid is in it
        for ticket in folder.glob("t-*.json"):
            data = json.loads(ticket.read_text())
            if data.get("adopted") and data.get("pid") != os.getpid():
                return data["pid"]
        return None

    with dash_browser(request, create_app(get_atlas()), str(tmp_path)) as dc:
        dc.driver.get(dc.server_url + "/?lang=en")
        dc.wait_for_element("#export-section summary", timeout=30).click()
        dc.find_element("#export-button").click()
        _wait_panel(dc, "s.queue.includes('Queued') && s.disabled")
        job = waiting_job()
        assert job is not None
        os.kill(job, signal.SIGTERM)
        # the button comes back with the job's end; the message follows from the next (clientside) callback
        state = _wait_panel(dc, "!s.disabled && s.status")
        assert state["status"] == t("export_lost", "en"), state
        time.sleep(1.5)
        assert _panel(dc)["status"] == t("export_lost", "en")
