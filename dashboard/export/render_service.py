"""One warm Chromium for a web server's export jobs, instead of a cold one per export.

Dash runs each export job in a process forked from a web worker (DiskcacheManager), and each job started a
Chromium of its own: through the app (gunicorn, a social-size SVG) an export took a median 5.1 s, most of it that
cold start; with this service 2.0 s (bench/bench_export_jobs.py). gunicorn's master (or `python app.py`) starts it
once, before the workers and jobs exist (dashboard.serving.render_host); a job sends its figure over a Unix socket
and gets the image back from the service's warm ``Renderer`` (one tab per export slot). A job that cannot reach it
renders in its own process.

Wire format, both ways: a 4-byte big-endian length, then the payload. Request: JSON {"figure", "format", "width",
"height", "scale"}. Answer: one status byte (0: the image follows; 1: an error message in UTF-8 follows). JSON, never
pickle; the socket lives in a folder only the server's user may enter (0700).
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import socket
import struct
import threading
import time
from typing import Any

from dashboard.export.render import RENDER_TIMEOUT_S, ChromiumMissing, Renderer, RenderError, kill_descendants
from dashboard.export.spec import FORMATS

log = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024 * 1024   # a press figure is ~0.1-1 MB of JSON (the boundaries go by file:// URL)
MAX_SIDE_PX = 20_000
CONNECT_TIMEOUT_S = 2.0
PARENT_POLL_S = 1.0
_OK, _ERROR = b"\x00", b"\x01"

_address: str | None = None   # set in the process that started the service; its forks (workers, jobs) inherit it


class Unavailable(ConnectionError):
    """No render service answers at the address, or it went away during the render: render in this process."""


class _CutShort(ValueError):
    """The other end closed the connection before the whole message came."""


def use(address: str | None) -> None:
    """Send this process's renders (and those of its forks) to the service at ``address``; None: render here."""
    global _address
    _address = address


def client() -> "Client | None":
    """The render service of this process's server, or None when it has none."""
    return Client(_address) if _address else None


class Client:
    def __init__(self, address: str):
        self.address = address

    def render(self, fig: Any, fmt: str, *, width: float, height: float, scale: float = 1.0) -> bytes:
        """Bytes of ``fig`` (a plotly figure or its dict) as ``fmt``; Unavailable when the service cannot be
        reached, RenderError when it could not render."""
        import plotly.io as pio

        figure = fig if isinstance(fig, dict) else fig.to_plotly_json()
        body = (f'{{"format": {json.dumps(fmt)}, "width": {json.dumps(width)}, "height": {json.dumps(height)}, '
                f'"scale": {json.dumps(scale)}, "figure": {pio.json.to_json_plotly(figure)}}}').encode("utf-8")
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(CONNECT_TIMEOUT_S)
            conn.connect(self.address)
        except OSError as exc:
            raise Unavailable(f"no render service at {self.address}: {exc}") from exc
        with conn:
            conn.settimeout(RENDER_TIMEOUT_S + 30)   # behind another export, then this one's own render
            try:
                _send(conn, body)
                answer = _receive(conn)
            except (_CutShort, ConnectionResetError, BrokenPipeError) as exc:   # it died (and is started again)
                raise Unavailable(f"the render service at {self.address} went away: {exc}") from exc
            except (OSError, ValueError) as exc:
                raise RenderError(f"the render service broke off: {exc}") from exc
        if answer[:1] == _OK:
            return answer[1:]
        raise RenderError(answer[1:].decode("utf-8", "replace"))


def _send(conn: socket.socket, payload: bytes) -> None:
    conn.sendall(struct.pack(">I", len(payload)) + payload)


def _receive(conn: socket.socket, limit: int = 1 << 31) -> bytes:
    (size,) = struct.unpack(">I", _exactly(conn, 4))
    if size > limit:
        raise ValueError(f"a message of {size:,} bytes is over the limit of {limit:,}")
    return _exactly(conn, size)


def _exactly(conn: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise _CutShort(f"the connection ended {left:,} bytes short")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --- the service process ----------------------------------------------------------------------------------------

def parse_request(body: bytes) -> tuple[dict, str, dict]:
    """(figure, format, size) of a request; ValueError saying what is wrong with it."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the request is not JSON: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("figure"), dict):
        raise ValueError("the request must be an object with a figure object")
    fmt = request.get("format")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    size = {}
    for key, top in (("width", MAX_SIDE_PX), ("height", MAX_SIDE_PX), ("scale", 10)):
        value = request.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= top \
                or not math.isfinite(value):
            raise ValueError(f"{key} must be a number above 0 and at most {top}, not {value!r}")
        size[key] = value
    return request["figure"], fmt, size


def _answer(conn: socket.socket, renderer: Renderer) -> None:
    with conn:
        try:
            figure, fmt, size = parse_request(_receive(conn, MAX_REQUEST))
            reply = _OK + renderer.render(figure, fmt, **size)
        except (ValueError, RenderError, ChromiumMissing) as exc:
            reply = _ERROR + str(exc).encode("utf-8")
        except OSError:
            return   # the job went away (cancelled, killed): nobody to answer
        except Exception as exc:  # noqa: BLE001 - the job waits for an answer: it gets what went wrong
            log.exception("render request failed")
            reply = _ERROR + f"{type(exc).__name__}: {exc}".encode("utf-8")
        try:
            _send(conn, reply)
        except OSError:
            pass


def _end_with_parent(renderer: Renderer, parent: int) -> None:
    """On SIGTERM, and when ``parent`` (the process that started the service) is gone: Chromium first, then the
    service."""

    def stop(*_):
        renderer.kill()
        kill_descendants()   # a Chromium still starting, that the renderer does not know of yet
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        stop()

    threading.Thread(target=watch, name="render-service-parent-watch", daemon=True).start()


def serve(address: str, tabs: int, parent: int) -> None:
    """Answer render requests at ``address`` (a Unix socket path) until SIGTERM or the end of ``parent``."""
    renderer = Renderer(tabs=tabs)
    _end_with_parent(renderer, parent)
    renderer.start_soon()   # warm before the first export asks
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)   # a service that died before this one (dashboard.serving.render_host restarts it)
        server.bind(address)
        os.chmod(address, 0o600)
        server.listen(64)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=_answer, args=(conn, renderer), name="render-request", daemon=True).start()
