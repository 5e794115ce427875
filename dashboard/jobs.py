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
        """Job processes (exports: Chromium) get the CPU only when the web workers leave it idle (SCHED_IDLE,
        inherited by Chromium, which resets plain nice values of its own processes), so an export never
        slows filter callbacks down (measured by bench/load_test.py). ATLAS_JOB_SCHED=normal turns it off."""

        def call_job_fn(self, key, job_fn, args, context):
            pid = super().call_job_fn(key, job_fn, args, context)
            if os.environ.get("ATLAS_JOB_SCHED", "idle") == "idle" and hasattr(os, "SCHED_IDLE"):
                try:
                    os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
                except OSError:
                    pass  # not permitted / the job already ended: it still runs at normal priority
            return pid

    return LowPriorityDiskcacheManager(diskcache.Cache(str(folder)), expire=3600)


def background_manager():
    """The background-callback manager for the app: CeleryManager when REDIS_URL is set, else DiskcacheManager.
    One per process (and per REDIS_URL)."""
    return _manager(redis_url())


class LinkStore:
    """Short links of exported views (key -> FilterState query), kept forever: Redis when REDIS_URL is set (shared
    by every instance), else a diskcache beside the job cache (shared by the app and the CLI on one machine)."""

    PREFIX = "atlas:link:"

    def __init__(self, url: str | None):
        self._url = url
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
        else:
            import diskcache

            folder = jobs_cache_dir().parent / "links"
            folder.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(folder))

    def save(self, key: str, query: str) -> None:
        if self._url:
            self._redis.set(self.PREFIX + key, query.encode("utf-8"))
        else:
            self._cache.set(key, query)

    def resolve(self, key: str) -> str | None:
        if self._url:
            value = self._redis.get(self.PREFIX + key)
            return value.decode("utf-8") if value is not None else None
        value = self._cache.get(key)
        return value if isinstance(value, str) else None


@functools.lru_cache(maxsize=2)
def _links(url: str | None) -> LinkStore:
    return LinkStore(url)


def link_store() -> LinkStore:
    return _links(redis_url())


def __getattr__(name: str):
    # `celery -A dashboard.jobs:celery_app worker` looks this attribute up; created on demand so that importing
    # this module never needs Celery or Redis.
    if name == "celery_app":
        return get_celery_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
