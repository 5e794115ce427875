"""gunicorn settings for `make serve` (gunicorn -c gunicorn.conf.py app:server).

Environment:
  ATLAS_BIND            address to listen on (default 127.0.0.1:8050; behind a load balancer e.g. 0.0.0.0:8050)
  ATLAS_WORKERS         worker processes (default 2 x cores + 1, capped at 8 and by memory, see below)
  ATLAS_WORKER_CLASS    gunicorn worker class (default "sync": one request per process at a time; a killed
                        worker loses only its in-flight request)
  ATLAS_THREADS         threads per worker when ATLAS_WORKER_CLASS=gthread (default 4)
  ATLAS_TIMEOUT         seconds before a silent worker is killed and replaced (default 60)
  ATLAS_MAX_REQUESTS    recycle a worker after this many requests (default 0 = never)
  REDIS_URL             when set, caches and background exports go through Redis (see README, deployment)

The app is imported once in the master (preload_app) so the atlas (boundaries + joined data) is built once and
the workers share it copy-on-write; a worker that dies is re-forked from the master in milliseconds.
"""
from __future__ import annotations

import multiprocessing
import os

#: Rough resident memory of one worker with the atlas loaded (MB); used to cap the default worker count.
_WORKER_MB = 400
_MAX_DEFAULT_WORKERS = 8


def _available_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def default_workers(cores: int | None = None, available_mb: int | None = None) -> int:
    """2 x cores + 1, at most 8, and no more than half the available memory allows."""
    cores = cores or multiprocessing.cpu_count()
    workers = min(2 * cores + 1, _MAX_DEFAULT_WORKERS)
    if available_mb:
        workers = min(workers, max(1, available_mb // 2 // _WORKER_MB))
    return max(1, workers)


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise SystemExit(f"{name}={value!r} is not a whole number (gunicorn.conf.py)") from exc
    if number < 0:
        raise SystemExit(f"{name}={value!r} must not be negative (gunicorn.conf.py)")
    return number


bind = os.environ.get("ATLAS_BIND", "127.0.0.1:8050")
workers = _int_env("ATLAS_WORKERS", 0) or default_workers(available_mb=_available_mb())
worker_class = os.environ.get("ATLAS_WORKER_CLASS", "sync")
threads = _int_env("ATLAS_THREADS", 4) if worker_class == "gthread" else 1
timeout = _int_env("ATLAS_TIMEOUT", 60)
graceful_timeout = 30          # on SIGTERM/SIGHUP workers finish in-flight requests for up to 30 s
keepalive = 5
max_requests = _int_env("ATLAS_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = True             # build the atlas once; workers fork with it (copy-on-write)
backlog = 2048
# Bounds on what a client may send before the app even sees it.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("ATLAS_ACCESS_LOG") or None   # e.g. "-" for stdout
errorlog = "-"
loglevel = os.environ.get("ATLAS_LOG_LEVEL", "info")
proc_name = "atlas-zmp"
# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): several instances on
# one machine (N web instances, the load test's ceiling app) would take it from each other. Not needed here.
control_socket_disable = True
# Tracebacks never go to clients: the app is served with debug off and hardening.harden() answers JSON errors.
raw_env = ["DASH_DEBUG=false"]


def post_fork(server, worker):  # noqa: ARG001 - gunicorn hook signature
    """Each worker gets its own random state (no shared seed across forks)."""
    import random

    random.seed()
