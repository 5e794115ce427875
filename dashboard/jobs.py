"""Background jobs (Dash background callbacks): which manager runs them.

- Default (one machine): DiskcacheManager on a diskcache in <cache>/dash-jobs — jobs run in a subprocess of the
  web worker, so rendering an export never blocks the callbacks that serve filter changes.
- When REDIS_URL is set (scale-out): CeleryManager with Redis as broker and result backend; the jobs run in
  separate Celery worker processes, on this or another machine. Start one (or more) with

      REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/celery -A dashboard.jobs:celery_app worker \\
          --loglevel=INFO --concurrency=1

  from the repository root. The worker imports the app module (ATLAS_CELERY_IMPORTS, default "app") so that the
  background callbacks are registered as Celery tasks in it too; the web servers and the workers must run the
  same code with the same REDIS_URL.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

REDIS_ENV = "REDIS_URL"
CACHE_ENV = "ATLAS_CACHE_DIR"
IMPORTS_ENV = "ATLAS_CELERY_IMPORTS"
REPO_ROOT = Path(__file__).resolve().parent.parent


def redis_url() -> str | None:
    url = os.environ.get(REDIS_ENV, "").strip()
    return url or None


def jobs_cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV) or str(REPO_ROOT / ".cache")
    return Path(root) / "dash-jobs"


@functools.lru_cache(maxsize=4)
def _celery_app(url: str):
    from celery import Celery

    app = Celery("atlas_zmp", broker=url, backend=url)
    imports = [m.strip() for m in os.environ.get(IMPORTS_ENV, "app").split(",") if m.strip()]
    app.conf.update(
        imports=imports,
        task_track_started=True,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=1,   # an export is seconds of work: don't hoard them
    )
    return app


def get_celery_app():
    """The Celery app for REDIS_URL (the same object for every caller in a process)."""
    url = redis_url()
    if url is None:
        raise RuntimeError(
            f"{REDIS_ENV} is not set: the Celery worker needs it, e.g. "
            f"`REDIS_URL=redis://127.0.0.1:6379/0 celery -A dashboard.jobs:celery_app worker`"
        )
    return _celery_app(url)


@functools.lru_cache(maxsize=2)
def _manager(url: str | None):
    from dash import CeleryManager, DiskcacheManager

    if url:
        return CeleryManager(_celery_app(url), expire=3600)
    import diskcache

    folder = jobs_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    class LowPriorityDiskcacheManager(DiskcacheManager):
        """Job processes (exports: Chromium) run niced (ATLAS_JOB_NICE, default 10) below the web workers, so
        an export never takes CPU from filter callbacks (measured by bench/load_test.py)."""

        def call_job_fn(self, key, job_fn, args, context):
            pid = super().call_job_fn(key, job_fn, args, context)
            try:
                os.setpriority(os.PRIO_PROCESS, pid, int(os.environ.get("ATLAS_JOB_NICE", "10")))
            except (OSError, ValueError, TypeError):
                pass  # no permission / no such process any more: the job still runs
            return pid

    return LowPriorityDiskcacheManager(diskcache.Cache(str(folder)), expire=3600)


def background_manager():
    """The background-callback manager for the app: CeleryManager when REDIS_URL is set, else DiskcacheManager.
    One per process (and per REDIS_URL)."""
    return _manager(redis_url())


def __getattr__(name: str):
    # `celery -A dashboard.jobs:celery_app worker` looks this attribute up; created on demand so that importing
    # this module never needs Celery or Redis.
    if name == "celery_app":
        return get_celery_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
