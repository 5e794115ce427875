"""Bounded export jobs on one machine: at most N renders at once, a FIFO queue behind them, a per-client limit.

An export is a Chromium (~1-2 s of CPU, ~300 MB): without a bound, 12 requests posted at once started 12 jobs,
127 Chromium processes and +3 GB within 10 s on a 2-core machine (issue 10). Here:

- admission, in the web worker, before Dash starts a job (`admit`): a ticket per accepted request, under one
  lock; refused (HTTP 429, "busy, try again") when the machine already holds ATLAS_EXPORT_SLOTS +
  ATLAS_EXPORT_QUEUE tickets, or this client ATLAS_EXPORT_PER_CLIENT;
- a render slot, in the job, before Chromium starts (`slot`): the job adopts its ticket, waits for its turn
  (first come, first served; its position is reported to the export panel) and one of N slot locks; it gives
  both back once its Chromium is gone (`release`), however the job ends.

Everything is files under <cache>/export-queue (flock), so every gunicorn worker, every job process (Dash
DiskcacheManager) and every Celery worker on the machine shares one bound; a ticket whose process died or that
outlived the render timeout no longer counts. Knows nothing of the views: the export panel calls it.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from dashboard import config
from dashboard.export.panel import ExportBusy

#: a ticket that was admitted but whose job never adopted it (its worker died first) stops counting after this
ADOPT_GRACE_S = 60.0
#: no ticket counts longer than this (render timeout + Chromium start, with margin)
TICKET_TTL_S = 300.0
POLL_S = 0.2


class Busy(ExportBusy):
    """The machine's export queue (or this client's share of it) is full: try again later."""


@dataclass(frozen=True)
class Limits:
    slots: int
    queue: int
    per_client: int

    @classmethod
    def from_config(cls) -> "Limits":
        return cls(config.export_slots(), config.export_queue(), config.export_per_client())


def queue_dir() -> Path:
    folder = config.cache_dir() / "export-queue"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ticket_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:24]


def _alive(pid: int) -> bool:
    """The process runs. A zombie does not: a job that was killed stays one until its web worker reaps it (when it
    starts another job), and its ticket kept its place at the head of the queue, so the exports behind it waited
    for TICKET_TTL_S."""
    import psutil

    if pid <= 0:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


class ExportQueue:
    def __init__(self, folder: Path | None = None, limits: Limits | None = None):
        self.folder = folder or queue_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.limits = limits or Limits.from_config()

    # --- tickets ---------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.folder / "queue.lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _tickets(self) -> list[dict]:
        """The tickets that count, oldest first; the others are removed. Call under the lock."""
        now = time.time()
        out = []
        for path in self.folder.glob("t-*.json"):
            try:
                ticket = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            age = now - float(ticket.get("created", 0))
            adopted = ticket.get("adopted", False)
            stale = (age > TICKET_TTL_S or (adopted and not _alive(int(ticket.get("pid", 0))))
                     or (not adopted and age > ADOPT_GRACE_S))
            if stale:
                path.unlink(missing_ok=True)
                continue
            ticket["path"] = path
            out.append(ticket)
        out.sort(key=lambda t: (t["created"], t["id"]))
        return out

    def _write(self, ticket: dict) -> None:
        data = {k: v for k, v in ticket.items() if k != "path"}
        tmp = self.folder / f".{ticket['id']}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.folder / f"t-{ticket['id']}.json")

    def admit(self, token: str, client: str) -> int:
        """Accept one export request (a ticket), or raise Busy. Returns the number of tickets before it."""
        tid = ticket_id(token)
        with self._locked():
            tickets = self._tickets()
            if any(t["id"] == tid for t in tickets):
                return [t["id"] for t in tickets].index(tid)  # the same request again (a retry): one ticket
            if len(tickets) >= self.limits.slots + self.limits.queue:
                raise Busy("the export queue of this machine is full")
            if sum(1 for t in tickets if t.get("client") == client) >= self.limits.per_client:
                raise Busy("this client already has exports waiting")
            self._write({"id": tid, "client": client, "created": time.time(), "pid": os.getpid(),
                         "adopted": False})
            return len(tickets)

    def position(self, token: str) -> int | None:
        """0-based place of the ticket among those that count, None when it has none."""
        tid = ticket_id(token)
        with self._locked():
            ids = [t["id"] for t in self._tickets()]
        return ids.index(tid) if tid in ids else None

    def counts(self) -> dict[str, int]:
        with self._locked():
            tickets = self._tickets()
        return {"tickets": len(tickets), "rendering": sum(1 for t in tickets if t.get("slot") is not None)}

    # --- render slots ----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def slot(self, token: str, client: str = "job", on_wait: Callable[[int], None] | None = None,
             timeout: float = TICKET_TTL_S) -> Iterator[int]:
        """Wait for this request's turn and a free render slot; yields the slot number. `on_wait(n)` is told the
        number of exports ahead (n >= 1) whenever it changes. A job without a ticket (the CLI, a request that
        came in through another machine) is admitted here, or Busy."""
        tid = ticket_id(token)
        with self._locked():
            mine = next((t for t in self._tickets() if t["id"] == tid), None)
        if mine is None:
            self.admit(token, client)
        with self._locked():
            mine = next(t for t in self._tickets() if t["id"] == tid)
            mine.update(adopted=True, pid=os.getpid())
            self._write(mine)
        handle = None
        told = None
        end = time.monotonic() + timeout
        try:
            while handle is None:
                with self._locked():
                    tickets = self._tickets()
                    ids = [t["id"] for t in tickets]
                    if tid not in ids:  # removed as stale (should not happen while we live): take a new place
                        mine.update(created=time.time(), pid=os.getpid())
                        self._write(mine)
                        continue
                    place = ids.index(tid)
                    if place < self.limits.slots:
                        handle, number = self._try_slot()
                        if handle is not None:
                            mine.update(slot=number)
                            self._write(mine)
                            break
                    ahead = max(1, place - self.limits.slots + 1)
                if on_wait is not None and ahead != told:
                    told = ahead
                    on_wait(ahead)
                if time.monotonic() > end:
                    raise Busy("waited too long for a render slot")
                time.sleep(POLL_S)
            yield number
        finally:
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            with self._locked():
                (self.folder / f"t-{tid}.json").unlink(missing_ok=True)

    def _try_slot(self):
        for number in range(self.limits.slots):
            handle = open(self.folder / f"slot-{number}.lock", "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle, number
            except OSError:
                handle.close()
        return None, None


@contextlib.contextmanager
def job_slot(token: str, on_wait: Callable[[int], None]) -> Iterator[None]:
    """An export job's turn (dashboard.export.panel.register's job_slot): wait in the machine's queue, render,
    and stop the job's Chromium before the slot is given back."""
    from dashboard.serving.jobs import release_job_resources

    with ExportQueue().slot(token, on_wait=on_wait):
        try:
            yield
        finally:
            release_job_resources()


def register_admission(app) -> None:
    """Admission of new export jobs, before Dash starts one: a ticket in the machine's export queue, or HTTP 429
    with Retry-After (queue full, or this client's share used). Polls of running jobs (cacheKey in the query)
    pass."""
    from flask import request

    from dashboard.serving.guard import MAX_CALLBACK_BYTES, error_response

    path = f"{app.config.requests_pathname_prefix}_dash-update-component"

    @app.server.before_request
    def _admit_export():
        if request.method != "POST" or request.path != path or request.args.get("cacheKey"):
            return None
        if request.content_length is None or request.content_length > MAX_CALLBACK_BYTES:
            return None  # the callback guard answers
        if b"export-download.data" not in request.get_data(cache=True):
            return None  # not an export (and no JSON parsing of other requests here: the guard checks them)
        try:
            body = request.get_json(force=True, silent=True, cache=True)
        except RecursionError:   # crafted nesting: the guard answers it
            return None
        if not isinstance(body, dict) or "export-download.data" not in str(body.get("output", "")):
            return None
        inputs = body.get("inputs")
        token = inputs[0].get("value") if isinstance(inputs, list) and inputs and isinstance(inputs[0], dict) \
            else None
        if not isinstance(token, str) or not token or len(token) > 200:
            return None  # no ticket now: the job asks for one itself (and says "busy" in the panel if full)
        try:
            ExportQueue().admit(token, request.remote_addr or "?")
        except Busy as exc:
            response = error_response(429, f"Busy, try again in a moment ({exc}).")
            response.headers["Retry-After"] = "10"
            return response
        return None
