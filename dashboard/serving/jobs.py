"""Background jobs (Dash background callbacks): which manager runs them.

- Default (one machine): DiskcacheManager on a diskcache in <cache>/dash-jobs — jobs run in a subprocess of the
  web worker, so rendering an export never blocks the callbacks that serve filter changes.
- When REDIS_URL is set (scale-out): CeleryManager with Redis as broker and result backend; the jobs run in
  separate Celery worker processes, on this or another machine. Start one (or more) with

      REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/celery -A dashboard.serving.jobs:celery_app worker \\
          --loglevel=INFO --concurrency=1

  from the repository root. The worker imports the app module (ATLAS_CELERY_IMPORTS, default "app") so that the
  background callbacks are registered as Celery tasks in it too; the web servers and the workers must run the
  same code with the same REDIS_URL.
"""
from __future__ import annotations

import functools
import os
import signal
import threading
from pathlib import Path

from dashboard import config
from dashboard.export.render import kill_descendants

REDIS_ENV = "REDIS_URL"


def redis_url() -> str | None:
    return config.redis_url()


def jobs_cache_dir() -> Path:
    return config.cache_dir() / "dash-jobs"


@functools.lru_cache(maxsize=4)
def _celery_app(url: str):
    from celery import Celery

    app = Celery("atlas_zmp", broker=url, backend=url)
    app.conf.update(
        imports=config.celery_imports(),
        # JSON only, never pickle: a message or result planted in a shared Redis must not run code in a worker
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
        task_track_started=True,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=1,   # an export is seconds of work: don't hoard them
        # a job whose worker dies is not lost: acknowledged only when done, requeued when its worker is lost
        task_acks_late=True,
        task_reject_on_worker_lost=True,
    )
    return app


def get_celery_app():
    """The Celery app for REDIS_URL (the same object for every caller in a process)."""
    url = redis_url()
    if url is None:
        raise RuntimeError(
            f"{REDIS_ENV} is not set: the Celery worker needs it, e.g. "
            f"`REDIS_URL=redis://127.0.0.1:6379/0 celery -A dashboard.serving.jobs:celery_app worker`"
        )
    return _celery_app(url)


# --- one signing key for every web worker and instance --------------------------------------------------------
# Dash signs a background job's handles (cacheKey, job) and checks them on every poll; a poll that reaches a worker
# with another key is refused and answered like a cancelled job (HTTP 204: the export lost). Dash's own fallback
# keeps a key in the job store but quietly makes a per-process one when that store fails at start-up (a busy
# SQLite, Redis not yet up), so the key is made here once, before gunicorn forks its workers, or the app stops.
SECRET_REDIS_KEY = "atlas:signing-secret"


def signing_secret() -> bytes:
    """ATLAS_SECRET_KEY, else a random key kept where every web process finds it: Redis (REDIS_URL), or a file of
    this machine's cache folder (0600). The first process to store one wins; the others read it back."""
    configured = config.secret_key()
    if configured is not None:
        return configured.encode("utf-8")
    import secrets

    fresh = secrets.token_hex(32)
    url = redis_url()
    if url:
        return _redis_secret(url, fresh)
    return _file_secret(config.cache_dir() / "signing-secret", fresh)


def check_redis() -> None:
    """With REDIS_URL set, the Redis it names answers (a wrong password or a stopped server stops the start, not
    the first export or filter answer)."""
    url = redis_url()
    if url is None:
        return
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=10) as client:
            client.ping()
    except redis.RedisError as exc:
        raise config.ConfigError(f"Redis at REDIS_URL does not answer ({exc}): start it, or correct REDIS_URL "
                                 "(its host, port, password or TLS)") from exc


def _redis_secret(url: str, fresh: str) -> bytes:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=10) as client:
            client.set(SECRET_REDIS_KEY, fresh, nx=True)
            stored = client.get(SECRET_REDIS_KEY)
    except redis.RedisError as exc:
        raise config.ConfigError(f"Redis at REDIS_URL is unreachable ({exc}): the export jobs' signing key is "
                                 "kept there. Start Redis, or set ATLAS_SECRET_KEY on every web instance.") from exc
    return stored


def _file_secret(path: Path, fresh: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as f:
            f.write(fresh)   # 0600 from its first byte, never readable by others
        try:
            os.link(tmp, path)   # atomic, and fails when another process stored its key first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    stored = path.read_bytes().strip()
    if len(stored) < 32:
        raise RuntimeError(f"{path} holds no usable signing key ({len(stored)} bytes): delete it and restart")
    return stored


# --- job processes die with the web worker that started them ---------------------------------------------------
# A DiskcacheManager job is a fork of the web worker; the export it runs starts Chromium in a session of its own
# (choreographer's start_new_session), so neither a gunicorn stop nor a process-group kill reaches it. A job whose
# worker was killed (e.g. after gunicorn's graceful timeout) used to live on as an orphan until its render ended or
# timed out. Now every job process:
# - watches its parent: when the worker is gone (the job was re-parented) it ends itself, Chromium first;
# - asks the kernel for SIGTERM on the parent's death too (PR_SET_PDEATHSIG; instant, but tied to the *thread*
#   that forked the job, so only set when that was the worker's main thread, as in gunicorn's sync workers);
# - on SIGTERM stops its Chromium, then exits;
# - stops its Chromium when the callback returns (a job process starts a fresh one each time, and an un-closed one
#   leaves its profile folder behind in /tmp).
_exit_hooks: list = []
PR_SET_PDEATHSIG = 1
PARENT_POLL_S = 0.25
JOB_STOP_S = 3.0   # a job asked to stop: the wait for it (its Chromium's end) before it is killed


def on_job_exit(hook) -> None:
    """Register ``hook()`` to run when a background job ends, normally or not (e.g. stop the job's Chromium).
    Hooks must be quick and must not raise; outside job processes they are never called."""
    if hook not in _exit_hooks:
        _exit_hooks.append(hook)


def _run_exit_hooks() -> None:
    for hook in list(_exit_hooks):
        try:
            hook()
        except Exception:  # noqa: BLE001 - a job on its way out: nothing left to report to
            pass


def set_parent_death_signal(sig: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False   # not Linux: the parent watch below still applies


def _die_with_parent(parent_pid: int, forked_from_main_thread: bool) -> None:
    """Called first in a job process: end (Chromium included) when the web worker ``parent_pid`` is gone."""
    def stop(*_):
        _run_exit_hooks()
        kill_descendants()   # whatever the hooks did not know of (e.g. a Chromium still starting)
        os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    if forked_from_main_thread:
        set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent_pid:   # the worker died before we got here
        stop()

    def watch():
        import time

        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        stop()

    threading.Thread(target=watch, name="job-parent-watch", daemon=True).start()


def release_job_resources() -> None:
    """Run the exit hooks now (stop the job's Chromium), e.g. before a render slot is given back."""
    _run_exit_hooks()


def _job_main(job_fn, parent_pid: int, forked_from_main_thread: bool, *args) -> None:
    _die_with_parent(parent_pid, forked_from_main_thread)
    job_fn(*args)


def _releasing(fn):
    """``fn`` that runs the exit hooks (stops Chromium) before its answer is stored: the web worker kills the job
    as soon as it reads the answer, and a killed job could clean up nothing."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            _run_exit_hooks()

    return run


_looked = threading.local()   # the job a poll of this thread found running when it looked for its result


class _ProcessFirst:
    """Dash reads a poll's result first and asks whether the job still runs after: a job that stored its result and
    ended between the two looked cancelled (HTTP 204, the export lost), with Diskcache and Celery alike. Here the
    job is looked at first: one that was running when its result was missing is reported running, and the next
    poll reads the result."""

    def get_result(self, key, job):
        alive = bool(job) and super().job_running(job)
        result = super().get_result(key, job)
        _looked.job = job if (alive and result is self.UNDEFINED) else None
        return result

    def job_running(self, job):
        if job is not None and getattr(_looked, "job", None) == job:
            _looked.job = None
            return True
        return super().job_running(job)


def _ask_to_stop(pid: int) -> None:
    """SIGTERM to a job still running, and a wait (up to JOB_STOP_S) until it has ended. Not for one that has: a
    job whose answer was read is ending already, and is often another worker's child, a zombie until that worker
    reaps it (psutil's wait would sit out its whole timeout on every export)."""
    import time

    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return
        _normal_share(pid)
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + JOB_STOP_S
        while proc.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.02)
    except psutil.NoSuchProcess:
        pass   # gone already


def _normal_share(pid: int) -> None:
    """A job asked to stop gets the CPU like the web workers for its clean-up: at SCHED_IDLE (confine_export) on
    busy cores it did not run its SIGTERM handler within JOB_STOP_S, was killed, and its Chromium's folders stayed
    in /tmp. Leaving SCHED_IDLE needs privilege (root, or RLIMIT_NICE): without it the job stays as it was."""
    try:
        if hasattr(os, "SCHED_IDLE") and os.sched_getscheduler(pid) == os.SCHED_IDLE:
            os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
    except (ProcessLookupError, PermissionError):
        pass


def _reaped_or_elsewhere(pid: int) -> bool:
    """True for a job that has ended: reaped here when it is this process's child, else left to its parent."""
    import psutil

    try:
        if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return False
    except psutil.NoSuchProcess:
        return True
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass   # another worker's child
    return True


def confine_export(pid: int) -> None:
    """Bound an export job's CPU share (its Chromium inherits both limits): it runs on ATLAS_EXPORT_CPUS of the
    machine's CPUs only, and under ATLAS_JOB_SCHED=idle (Linux SCHED_IDLE, which Chromium keeps, unlike plain nice
    values) only when the web workers leave them idle. SCHED_IDLE alone still let a render share every core with
    the web workers: filter p95 with exports running was 4-5x that without on 2 cores (bench/load_test.py)."""
    try:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(pid, config.export_cpus())
        if config.job_sched_idle() and hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except (ProcessLookupError, PermissionError):
        pass  # the job already ended / not permitted here: it runs unconfined


@functools.lru_cache(maxsize=2)
def _manager(url: str | None):
    from dash import CeleryManager, DiskcacheManager

    if url:
        class JobCeleryManager(_ProcessFirst, CeleryManager):
            pass

        return JobCeleryManager(_celery_app(url), expire=3600)
    import diskcache

    folder = jobs_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)

    class JobProcessManager(_ProcessFirst, DiskcacheManager):
        """DiskcacheManager whose job processes die with their web worker (see _die_with_parent) and get a bounded
        share of the CPU (confine_export)."""

        def make_job_fn(self, fn, progress, key=None):
            return super().make_job_fn(_releasing(fn), progress, key)

        def terminate_job(self, job):
            """Dash SIGKILLs the job and its Chromium (a newer click replaced it, or its answer was read): a job
            asked first stops its Chromium and removes its profile folder (_die_with_parent's stop), which a
            killed one leaves in /tmp. A job that has ended is only reaped: Dash would wait 1 s for it to go, the
            whole second when it is another worker's child, on the poll that carries the export."""
            import psutil

            if job is None:
                return
            _ask_to_stop(int(job))
            if _reaped_or_elsewhere(int(job)):
                return
            try:
                super().terminate_job(job)
            except psutil.NoSuchProcess:
                pass  # the job (or its Chromium) ended between Dash's pid check and its kill: nothing left to stop

        def call_job_fn(self, key, job_fn, args, context):
            from multiprocess import Process  # what DiskcacheManager uses (fork, dill)

            process = Process(target=_job_main, args=(
                job_fn, os.getpid(), threading.current_thread() is threading.main_thread(),
                key, self._make_progress_key(key), args, context))
            process.start()
            confine_export(process.pid)
            return process.pid

    return JobProcessManager(diskcache.Cache(str(folder)), expire=3600)


def background_manager():
    """The background-callback manager for the app: CeleryManager when REDIS_URL is set, else DiskcacheManager.
    One per process (and per REDIS_URL)."""
    return _manager(redis_url())


def __getattr__(name: str):
    # `celery -A dashboard.serving.jobs:celery_app worker` looks this attribute up; created on demand so that importing
    # this module never needs Celery or Redis.
    if name == "celery_app":
        return get_celery_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
