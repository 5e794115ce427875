"""gunicorn settings for `make serve` (gunicorn -c gunicorn.conf.py app:server).

Settings (ATLAS_BIND, ATLAS_WORKERS, ATLAS_WORKER_CLASS, ATLAS_THREADS, ATLAS_TIMEOUT, ATLAS_MAX_REQUESTS,
ATLAS_ACCESS_LOG, ATLAS_LOG_LEVEL, REDIS_URL, …) are read and checked in dashboard/config.py, like every other
setting; a bad value stops gunicorn with a message naming the variable.

The app is imported once in the master (preload_app) so the atlas (boundaries + joined data) is built once and
the workers share it copy-on-write; a worker that dies is re-forked from the master in milliseconds.
"""
from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the repository: dashboard.config
from dashboard import config as _settings  # noqa: E402 - not `config`: gunicorn reads that name as a setting

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


def _setting(getter):
    try:
        return getter()
    except _settings.ConfigError as exc:
        raise SystemExit(f"{exc} (gunicorn.conf.py)") from None


bind = _setting(_settings.bind)
workers = _setting(_settings.workers) or default_workers(available_mb=_available_mb())
worker_class = _setting(_settings.worker_class)
threads = _setting(_settings.threads) if worker_class == "gthread" else 1
timeout = _setting(_settings.timeout)
graceful_timeout = 30          # on SIGTERM/SIGHUP workers finish in-flight requests for up to 30 s
keepalive = 5
max_requests = _setting(_settings.max_requests)
max_requests_jitter = max_requests // 10
preload_app = True             # build the atlas once; workers fork with it (copy-on-write)
backlog = 2048
# Bounds on what a client may send before the app even sees it.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = _setting(_settings.access_log)   # e.g. "-" for stdout
errorlog = "-"
loglevel = _setting(_settings.log_level)
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


def when_ready(server):  # noqa: ARG001 - gunicorn hook signature
    """Before the first worker is forked: the machine's warm Chromium for export jobs (dashboard.serving.render_host),
    whose address every worker and job then inherits."""
    from dashboard.serving import render_host

    render_host.start()


def on_exit(server):  # noqa: ARG001 - gunicorn hook signature
    from dashboard.serving import render_host

    render_host.stop()
