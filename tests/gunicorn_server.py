"""The real app (or another WSGI app) under `gunicorn -c gunicorn.conf.py` on 127.0.0.1, for the serving tests
and the load test (bench/load_test.py imports it from here; tests never import bench). Port 0 (the default)
takes a free port the OS gives."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
RENDER_SERVICE = "dashboard.serving.render_host"


def free_port() -> int:
    """A port nothing listens on now (the OS picks it: bind to port 0)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def short_folder():
    """A new folder with a short path, removed after: for a server's TMPDIR or socket (a Unix socket's path has at
    most 107 bytes; pytest's tmp_path with Chromium's socket folder inside can be longer)."""
    folder = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def own_cache_dir(folder: Path) -> Path:
    """A cache folder of a test server's own (its jobs, export queue, answers), sharing the session's atlas and
    plotly.js bundle: another test process may be using the default folder's queue at the same time."""
    from dashboard.model.atlas_cache import cache_root
    from dashboard.view.plotly_js import bundle_dir

    folder.mkdir(parents=True, exist_ok=True)
    for name, shared in (("atlas", cache_root()), ("js", bundle_dir())):
        shared.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(shared, target_is_directory=True)
    return folder


# -- the server under test ----------------------------------------------------------------------------------
class Gunicorn:
    """`gunicorn -c gunicorn.conf.py <app>` on 127.0.0.1:<port>, in its own process group; stopped on exit."""

    def __init__(self, app: str, port: int = 0, workers: int | None = None, ready_path: str = "/_dash-layout",
                 ready_timeout: float = 240, extra_env: dict | None = None):
        port = port or free_port()
        self.app, self.port, self.ready_path, self.ready_timeout = app, port, ready_path, ready_timeout
        self.base = f"http://{HOST}:{port}"
        self.env = {**os.environ, "ATLAS_BIND": f"{HOST}:{port}", **(extra_env or {})}
        if workers:
            self.env["ATLAS_WORKERS"] = str(workers)
        self.proc: subprocess.Popen | None = None
        self.log_path = ROOT / ".cache" / f"gunicorn-{port}.log"

    def __enter__(self) -> "Gunicorn":
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} on {HOST} is busy: stop what runs there or set LOAD_PORT")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w", encoding="utf-8")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.proc = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", self.app], cwd=ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited with {self.proc.returncode}:\n" + self.log_tail(2000))
            try:
                if requests.get(self.base + self.ready_path, timeout=5).status_code == 200:
                    self._wait_for_all_workers(deadline)
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        tail = self.log_tail(2000)   # (the log goes with the server)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn {self.app} not ready within {self.ready_timeout:.0f} s:\n{tail}")

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the server's log (for a failing test's message)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return f"--- {self.log_path} ---\n{text[-chars:]}"

    def _wait_for_all_workers(self, deadline: float) -> None:
        """Every worker must be booted before measuring: wait until the count stops changing for 1.5 s."""
        count, stable_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self.workers())
            if now != count:
                count, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= 1.5:
                return
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if not self.proc:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                pass
        # Background-job processes (Dash's DiskcacheManager forks them from a worker) may outlive the master:
        # everything left in the server's process group goes too.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log_path.unlink(missing_ok=True)   # a failing test quoted its end already (log_tail)

    def _children(self) -> list[tuple[int, str]]:
        if not self.proc:
            return []
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return [(int(pid), args) for pid, _, args in (line.strip().partition(" ") for line in out.stdout.splitlines())]

    def workers(self) -> list[int]:
        """PIDs of the master's worker processes."""
        return [pid for pid, args in self._children() if RENDER_SERVICE not in args]

    def render_service(self) -> int | None:
        """PID of the master's render service for export jobs (dashboard.serving.render_host), if it runs one."""
        return next((pid for pid, args in self._children() if RENDER_SERVICE in args), None)


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


