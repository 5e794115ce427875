"""The machine's render service for export jobs (dashboard.export.render_service): started by gunicorn's master
before it forks the workers (gunicorn.conf.py), or by `python app.py` (dashboard.app.main), so every worker and job
finds it; stopped with that process.

Its process is a small supervisor: the service runs in a child of it, started again when it dies (the kernel's OOM
killer, say; a Chromium that dies under the service is restarted by the renderer itself). Not started with REDIS_URL
(Celery workers keep a warm Chromium of their own) or ATLAS_RENDER_SERVICE=off. While it cannot start or is being
started again, each job renders in a Chromium of its own, as without it.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dashboard import config
from dashboard.export import render_service
from dashboard.serving import jobs

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 20.0
FOLDER_PREFIX = "atlas-render-"
CHROMIUM_SOCKET = b"/org.chromium.Chromium.XXXXXX/SingletonSocket"   # what Chromium adds to its temporary folder
UNIX_PATH_MAX = 107   # bytes of a Unix socket's path (Linux: 108 with the terminating zero)
RESTART_DELAY_S = (1.0, 60.0)   # the wait before a service that died is started again: first, and at most (doubled
STEADY_S = 60.0                 # each time it dies again within STEADY_S of its start)
_service: subprocess.Popen | None = None
_folder: Path | None = None


def _answers(address: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(address)
            return True
        except OSError:
            return False


def start() -> subprocess.Popen | None:
    """Start the service (when this machine's exports run as local jobs and it is not switched off) and send this
    process's exports, and its forks', to it. None when it is not used or did not start (logged)."""
    global _service, _folder
    if _service is not None or config.redis_url() or not config.render_service():
        return _service
    _folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))   # 0700: the server's user alone
    address = str(_folder / "socket")
    _service = subprocess.Popen(
        [sys.executable, "-m", __name__, address, str(config.export_slots()), str(os.getpid())],
        cwd=config.REPO_ROOT)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and _service.poll() is None and not _answers(address):
        time.sleep(0.05)
    if not _answers(address):
        log.warning("the render service did not start (exit code %s): each export starts its own Chromium",
                    _service.poll())
        stop()
        return None
    render_service.use(address)
    log.info("render service %s at %s", _service.pid, address)
    return _service


def stop() -> None:
    """Stop the service and its Chromium (SIGTERM; SIGKILL after 10 s) and remove its folder."""
    global _service, _folder
    render_service.use(None)
    if _service is not None:
        _service.terminate()   # the service stops its Chromium, then itself
        try:
            _service.wait(10)
        except subprocess.TimeoutExpired:
            _service.kill()    # its Chromium ends too, as its devtools pipe closes (measured: within 0.5 s)
            _service.wait(5)
        _service = None
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None


def main(argv: list[str]) -> int:
    """The service's process: it ends with its parent and has the export jobs' CPU bound (the service and its
    Chromium inherit it), then keeps the service running."""
    if len(argv) != 3 or not (argv[1].isdigit() and argv[2].isdigit()):
        print(f"usage: python -m {__name__} SOCKET_PATH TABS PARENT_PID", file=sys.stderr)
        return 2
    jobs.set_parent_death_signal(signal.SIGTERM)
    jobs.confine_export(os.getpid())
    logging.basicConfig(level=logging.WARNING, format="render service: %(message)s")
    supervise(argv[0], int(argv[1]), parent=int(argv[2]))
    return 0


def supervise(address: str, tabs: int, parent: int) -> None:
    """Serve in a child process, started again when it dies, until SIGTERM or the end of ``parent``. (A fork: this
    process has no threads, and the child needs no second import.)"""
    child = 0

    def stop(*_):
        if child:
            _end(child)
        _remove_folder(address)   # when the parent was killed, nobody else would
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    me, delay = os.getpid(), RESTART_DELAY_S[0]
    while True:
        started = time.monotonic()
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            jobs.set_parent_death_signal(signal.SIGTERM)
            _use_temporary_folder(address)
            render_service.serve(address, tabs, parent=me)
            os._exit(0)
        status = _wait_while_parent_lives(child, parent)
        if status is None:
            stop()
        delay = RESTART_DELAY_S[0] if time.monotonic() - started > STEADY_S else delay
        log.warning("the render service (pid %s) ended (%s): started again in %.0f s", child,
                    _describe(status), delay)
        child = 0
        time.sleep(delay)   # (its Chromium ends within 0.5 s of it)
        shutil.rmtree(_chromium_folder(address), ignore_errors=True)   # what a killed service's Chromium left
        delay = min(delay * 2, RESTART_DELAY_S[1])


def _wait_while_parent_lives(child: int, parent: int) -> int | None:
    """``child``'s wait status once it ends; None as soon as ``parent`` is gone."""
    while os.getppid() == parent:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            return status
        time.sleep(0.5)
    return None


def _end(child: int) -> None:
    """SIGTERM (the service stops its Chromium first), SIGKILL after 10 s."""
    try:
        os.kill(child, signal.SIGTERM)
        for _ in range(100):
            if os.waitpid(child, os.WNOHANG)[0]:
                return
            time.sleep(0.1)
        os.kill(child, signal.SIGKILL)
    except (ProcessLookupError, ChildProcessError):
        pass


def _chromium_folder(address: str) -> Path:
    """The serving process's temporary folder, beside its socket: its Chromium's profile and socket folders go
    there, so that they can be removed when it dies without clean-up (killed by the OOM killer, say)."""
    return Path(address).parent / "chromium"


def _use_temporary_folder(address: str) -> None:
    folder = _chromium_folder(address)
    if len(os.fsencode(folder)) + len(CHROMIUM_SOCKET) > UNIX_PATH_MAX:
        return   # Chromium could not bind its singleton socket there: it keeps the usual temporary folder
    folder.mkdir(mode=0o700, exist_ok=True)
    config.use_temporary_folder(folder)


def _remove_folder(address: str) -> None:
    """The socket's folder, when start() made it (a caller's own folder keeps all but the service's Chromium's)."""
    folder = Path(address).parent
    shutil.rmtree(folder if folder.name.startswith(FOLDER_PREFIX) else _chromium_folder(address), ignore_errors=True)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
