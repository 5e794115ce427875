"""Export jobs under the real server (gunicorn, DiskcacheManager), driven over HTTP like the renderer:

- two users asking for the same export at the same moment both get the file (each click carries its own token,
  so the two background jobs do not share one Dash job key — before, one of them got an empty 204);
- the jobs render in the machine's one warm Chromium (the render service gunicorn's master starts), at a bounded
  CPU share; once the service is gone, each job renders in a Chromium of its own with the same bound;
- a job and its Chromium die with the web worker that started them, even when the browser hangs;
- after gunicorn is stopped (SIGTERM) no job process or Chromium of it is left (the render service's own end:
  tests/test_render_service.py).
"""
from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.dash_client import DashPage
from tests.gunicorn_server import Gunicorn, short_folder

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def temporary():
    """The server's temporary folder (TMPDIR: Chromium's profiles and sockets go there)."""
    with short_folder() as folder:
        yield folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, temporary):
    from tests.gunicorn_server import own_cache_dir

    env = {"ATLAS_CACHE_DIR": str(own_cache_dir(tmp_path_factory.mktemp("export-jobs") / "cache")),
           "TMPDIR": str(temporary)}
    with Gunicorn("app:server", workers=2, extra_env=env) as running:
        yield running


def _export_body(page: DashPage, token, title: str = "") -> dict:
    dep = page.background_callbacks()[0]
    trigger = dep["inputs"][0]
    assert (trigger["id"], trigger["property"]) == ("export-request", "data")
    overrides = {(trigger["id"], trigger["property"]): token, ("export-format", "value"): "svg",
                 ("export-preset", "value"): "social", ("export-title", "value"): title}
    return page.payload(dep, overrides, changed=[f"{trigger['id']}.{trigger['property']}"])


def _download(response: requests.Response) -> tuple[str, bytes]:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    result = response.json()["response"]
    data = result["export-download"]["data"]
    assert data, f"the export gave no file; the panel said: {result.get('export-status')}"
    return data["filename"], base64.b64decode(data["content"])


def test_two_identical_concurrent_exports_both_get_the_file(server):
    """Two sessions, the same view and settings, clicked at the same moment (each click its own token)."""
    results: dict[int, tuple] = {}

    def user(i: int) -> None:
        with requests.Session() as session:
            page = DashPage.load(session, server.base)
            body = _export_body(page, f"1-{time.time_ns():x}-{i}")
            results[i] = page.run_background(session, body, timeout=180, poll_s=0.3)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert sorted(results) == [0, 1]
    files = [_download(response) for response, _ in results.values()]
    for name, content in files:
        assert name == "atlas-zmp_social.svg" and b"<svg" in content[:2000]
        assert content.count(b"<path") >= 2477          # the whole map, in each of the two files


def _descendants(workers) -> dict[int, str]:
    tree: dict[int, str] = {}
    for w in workers:
        try:
            for p in psutil.Process(w).children(recursive=True):
                try:
                    tree[p.pid] = p.name()
                except psutil.Error:
                    pass
        except psutil.NoSuchProcess:
            pass
    return tree


def _job_tree(server, timeout: float = 90) -> dict[int, str]:
    """The workers' descendants (job process, choreographer's wrapper, Chromium) once Chromium is up."""
    workers = server.workers()
    deadline = time.monotonic() + timeout
    tree: dict[int, str] = {}
    while time.monotonic() < deadline:
        tree |= _descendants(workers)
        if any("chrom" in n for n in tree.values()):
            time.sleep(0.5)   # let Chromium start its helpers
            return tree | _descendants(workers)
        time.sleep(0.1)
    pytest.fail(f"no Chromium under the workers {workers} within {timeout} s: {tree}")


def _alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _start_export(server) -> None:
    with requests.Session() as session:
        page = DashPage.load(session, server.base)
        first = page.post(session, _export_body(page, f"1-{time.time_ns():x}", title="Ćwiczenie"))
    assert first.status_code == 200 and "cacheKey" in first.json()


def _owner_of_chromium(server, tree: dict[int, str]) -> int:
    """The worker whose job runs the Chromium in ``tree`` (walking up from a Chromium process). Not just any
    worker with descendants: the other worker may still be finishing an earlier test's job."""
    workers = set(server.workers())
    chromium = next(pid for pid, name in tree.items() if "chrom" in name)
    for parent in psutil.Process(chromium).parents():
        if parent.pid in workers:
            return parent.pid
    pytest.fail(f"Chromium {chromium} is not under any worker {sorted(workers)}")


def _wait_gone(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _chromium_under(pid: int, timeout: float = 60) -> dict[int, str]:
    """``pid``'s descendants once a Chromium is among them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = _descendants([pid])
        if any("chrom" in n for n in tree.values()):
            return tree
        time.sleep(0.1)
    pytest.fail(f"no Chromium under {pid} within {timeout} s: {_descendants([pid])}")


def test_exports_render_in_the_machines_one_warm_chromium_at_a_bounded_cpu_share(server):
    """No job starts a Chromium of its own: the render service's one renders export after export (through the app a
    median 5.1 s an export with a cold Chromium per job, 2.0 s so: bench/bench_export_jobs.py). The service and its
    Chromium get the export jobs' CPU bound."""
    service = server.render_service()
    assert service is not None, "gunicorn's master started no render service"
    browsers = {pid for pid, name in _chromium_under(service).items() if "chrom" in name}
    for n in range(2):
        with requests.Session() as session:
            page = DashPage.load(session, server.base)
            response, _ = page.run_background(session, _export_body(page, f"2-{time.time_ns():x}-{n}"), timeout=180)
        assert _download(response)[0] == "atlas-zmp_social.svg"
        assert not any("chrom" in name for name in _descendants(server.workers()).values())
    assert {pid for pid, name in _descendants([service]).items() if "chrom" in name} & browsers
    _assert_bounded_cpu_share({service: "render service", **_descendants([service])})


def _assert_bounded_cpu_share(tree: dict[int, str]) -> None:
    """Every process of ``tree``: SCHED_IDLE, and only the export CPUs (on a machine with more than one CPU, fewer
    than all of them); its Chromium's own session (autogroup) at a low weight."""
    from dashboard import config
    from dashboard.export.render import CHROMIUM_GROUP_NICE

    expected = set(config.export_cpus())
    assert len(expected) < len(os.sched_getaffinity(0)) or len(expected) == 1
    for pid, name in tree.items():
        try:
            policy, cpus = os.sched_getscheduler(pid), os.sched_getaffinity(pid)
        except ProcessLookupError:
            continue   # a short-lived helper that has ended
        assert (policy, cpus) == (os.SCHED_IDLE, expected), (pid, name, policy, cpus)
    # Chromium runs in a session of its own, i.e. its own autogroup: that group gets a low weight
    chromium = min(pid for pid, name in tree.items() if "chrom" in name)
    autogroup = Path(f"/proc/{chromium}/autogroup")
    if autogroup.exists():   # a kernel with autogroup (set once Chromium has answered kaleido)
        deadline, text = time.monotonic() + 20, ""
        while time.monotonic() < deadline and not text.endswith(f"nice {CHROMIUM_GROUP_NICE}"):
            text = autogroup.read_text().strip()
            time.sleep(0.05)
        assert text.endswith(f"nice {CHROMIUM_GROUP_NICE}"), text


def test_once_the_render_service_is_gone_each_job_renders_in_a_chromium_of_its_own(server):
    """The service gone for good (its supervisor killed too; a serving process that dies alone is started again:
    tests/test_render_service.py): exports go on, each in a Chromium of its job's, which gets the same CPU bound. The
    tests below run so too."""
    service = server.render_service()
    tree = [service, *_descendants([service])]   # its supervisor, the serving process and its Chromium
    os.kill(service, signal.SIGKILL)
    assert _wait_gone(tree, 10) == []
    done: list = []

    def export() -> None:
        with requests.Session() as session:
            page = DashPage.load(session, server.base)
            done.append(page.run_background(session, _export_body(page, f"3-{time.time_ns():x}"), timeout=180)[0])

    user = threading.Thread(target=export)
    user.start()
    owner = _owner_of_chromium(server, _job_tree(server))
    _assert_bounded_cpu_share({p.pid: p.name() for p in psutil.Process(owner).children(recursive=True)})
    user.join(200)
    assert done and _download(done[0])[0] == "atlas-zmp_social.svg"


def _chromium_folders(temporary: Path) -> set[str]:
    """The temporary folders of a job's Chromium once it writes to its profile: kaleido's page, the profile, and a
    full Chromium's singleton-socket folder (the profile's SingletonSocket links to it; the headless shell has none)."""
    deadline = time.monotonic() + 60
    while not (profiles := list(temporary.glob("tmp*/Default"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert profiles, sorted(p.name for p in temporary.iterdir())
    sockets = [Path(os.readlink(link)).parent.name for link in temporary.glob("tmp*/SingletonSocket")]
    return {p.name for p in temporary.glob("tmp*")} | set(sockets)


def test_a_job_replaced_by_a_newer_click_leaves_no_chromium_folder_behind(server, temporary):
    """A second export click while the first renders: Dash ends the first job (oldJob) with SIGKILL, its Chromium
    included, and Chromium's profile (2.4 MB) and socket folders stayed in /tmp, one pair a replaced export.
    The job is asked to stop first now, and removes them."""
    with requests.Session() as session:
        page = DashPage.load(session, server.base)
        first = page.post(session, _export_body(page, f"4-{time.time_ns():x}")).json()
        browsers = [pid for pid, name in _job_tree(server).items() if "chrom" in name]
        folders = _chromium_folders(temporary)
        response, _ = page.run_background(session, _export_body(page, f"5-{time.time_ns():x}"), replaces=first["job"])
    assert _download(response)[0] == "atlas-zmp_social.svg"
    assert _wait_gone(browsers, 10) == []
    assert folders & {p.name for p in temporary.iterdir()} == set()


def _may_leave_sched_idle() -> bool:
    import resource

    return os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20


def test_a_job_asked_to_stop_cleans_up_with_a_normal_share_of_the_cpu(tmp_path):
    """An export job runs at SCHED_IDLE: on busy cores (a full test run) it did not get to its SIGTERM handler
    within the wait, was killed, and its Chromium's folders stayed in /tmp. Asked to stop, it runs like the web
    workers: its handler sees SCHED_OTHER (where this process may not lift it, the job is stopped as it was)."""
    from dashboard.serving import jobs

    seen = tmp_path / "policy"
    job = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, sys, time
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        def stop(*_):
            open({str(seen)!r}, "w").write(str(os.sched_getscheduler(0)))
            os._exit(0)
        signal.signal(signal.SIGTERM, stop)
        print("ready", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert job.stdout.readline().strip() == "ready"
        jobs._ask_to_stop(job.pid)
        assert job.wait(10) == 0
        assert int(seen.read_text()) == (os.SCHED_OTHER if _may_leave_sched_idle() else os.SCHED_IDLE)
    finally:
        job.kill()
        job.wait()


def test_killed_worker_takes_its_job_and_a_hung_chromium_with_it(server):
    _start_export(server)
    tree = _job_tree(server)
    jobs = [pid for pid, name in tree.items() if "chrom" not in name and "python" not in name]
    assert jobs, tree
    owner = _owner_of_chromium(server, tree)
    mine = {p.pid for p in psutil.Process(owner).children(recursive=True)}
    tree = {pid: name for pid, name in tree.items() if pid in mine}
    for pid, name in tree.items():   # a stuck browser: the job would wait on it for minutes
        if "chrom" in name:
            os.kill(pid, signal.SIGSTOP)
    os.kill(owner, signal.SIGKILL)
    left = _wait_gone(tree, 10)
    assert left == [], {pid: tree[pid] for pid in left}


def test_no_job_or_chromium_outlives_gunicorn(server, temporary):
    """Nor anything of theirs in the temporary folder: the jobs' Chromium profiles (the jobs killed with a worker,
    replaced, or ended with gunicorn) and the render service's socket folder."""
    _start_export(server)
    tree = _job_tree(server)
    os.kill(server.proc.pid, signal.SIGTERM)          # `make serve` stopped: only the master is signalled
    server.proc.wait(60)
    left = _wait_gone(tree, 10)
    assert left == [], {pid: tree[pid] for pid in left}
    assert sorted(p.name for p in temporary.iterdir()) == []


@pytest.fixture
def local_jobs(monkeypatch, tmp_path):
    """This process's background-job manager (DiskcacheManager, no Redis), made afresh and dropped after."""
    from dashboard.serving import jobs

    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    jobs._manager.cache_clear()
    yield jobs.background_manager()
    jobs._manager.cache_clear()


def _ended(pid: int) -> psutil.Process:
    """The job process `pid` once it has ended and is not reaped yet (a zombie)."""
    job = psutil.Process(pid)
    deadline = time.monotonic() + 10
    while job.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.status() == psutil.STATUS_ZOMBIE
    return job


def _waits(monkeypatch) -> list:
    """The timeouts of every psutil wait asked for from now on (none is sat out)."""
    waits: list = []
    monkeypatch.setattr(psutil.Process, "wait", lambda self, timeout=None: waits.append(timeout))
    return waits


def test_a_job_that_ends_while_being_terminated_is_not_an_error(monkeypatch, local_jobs):
    """Seen under load (bench/load_test.py): the job process exited between Dash's pid_exists() and its
    children() walk, psutil raised NoSuchProcess and the poll answered 500. The race cannot be scheduled, so the
    children() walk is made to find the process gone, as it did then."""

    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pid = sleeper.pid

        def vanished(self, recursive=False):
            raise psutil.NoSuchProcess(pid)

        monkeypatch.setattr(psutil.Process, "children", vanished)
        local_jobs.terminate_job(pid)  # must not raise
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_job_that_has_ended_is_not_waited_for(monkeypatch, local_jobs):
    """Its answer read, Dash terminates a job that has ended: often another worker's child, a zombie until that
    worker reaps it. Nothing may wait for such a zombie to go: asking it to stop first sat out its whole 3 s on
    the poll that carried the export (2 of 9 exports of this module), and Dash's own kill its whole second."""

    worker = subprocess.Popen([sys.executable, "-c", "import subprocess, time; job = subprocess.Popen(['true']); "
                               "print(job.pid, flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        job = _ended(int(worker.stdout.readline()))   # the other worker's ended job, not reaped
        waits = _waits(monkeypatch)
        local_jobs.terminate_job(job.pid)
        assert waits == []
    finally:
        worker.kill()
        worker.wait()


def test_an_ended_job_of_this_worker_is_reaped_without_waiting(monkeypatch, local_jobs):
    """A job this worker started and that has ended is reaped at once (no zombie left, no wait)."""

    started = subprocess.Popen(["true"])   # kept: a dropped Popen is reaped by the next one started anywhere
    job = _ended(started.pid)
    waits = _waits(monkeypatch)
    local_jobs.terminate_job(job.pid)
    assert waits == [] and not psutil.pid_exists(job.pid)


def test_every_web_process_of_a_machine_signs_job_handles_with_one_key(tmp_path, monkeypatch):
    """Processes starting at once (gunicorn workers, a second instance) race to make the key: one wins, all read
    it; a key from the environment wins over the stored one; a short one stops the app with a clear message."""
    import multiprocessing

    from dashboard import config
    from dashboard.serving import jobs

    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_SECRET_KEY", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with multiprocessing.get_context("fork").Pool(6) as pool:
        keys = pool.map(_signing_secret, range(12))
    assert len(set(keys)) == 1 and len(keys[0]) >= 32
    stored = tmp_path / "signing-secret"
    assert stored.read_bytes() == keys[0] and stored.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["signing-secret"]   # no temporary file left behind
    monkeypatch.setenv("ATLAS_SECRET_KEY", "k" * 40)
    assert jobs.signing_secret() == b"k" * 40
    monkeypatch.setenv("ATLAS_SECRET_KEY", "short")
    with pytest.raises(config.ConfigError, match="ATLAS_SECRET_KEY has 5 characters"):
        config.validate()


def _signing_secret(_):
    from dashboard.serving import jobs

    return jobs.signing_secret()
