"""Render press figures to PNG/SVG/PDF with kaleido, driving Debian's Chromium — warm and offline.

What was measured on this machine (kaleido 1.5, Chromium 156; see bench/bench_export.py):
- A warm renderer (one Chromium kept open, one tab reused) saves the ~1–2 s browser start of every export.
  kaleido's own "sync server" is a process-wide singleton that is not fork-safe (a Dash DiskcacheManager job
  runs in a forked process and would wait forever on the parent's thread), so this module keeps its own:
  one event-loop thread per process, re-created after a fork.
- plotly geo fetches a base topojson even when its base layers are hidden. A ``file://`` topojsonURL works
  offline in kaleido (its page is itself a file:// page); the CDN default fails with "Error 525".
- kaleido defaults to MathJax from a CDN: we pass ``mathjax=False``. We send no extra HTTP headers
  (plotly.io.defaults.headers adds one and that turns on devtools network tracking for every request).
- The gminy GeoJSON is given to plotly as a ``file://`` URL of the prepared web asset, so the 2 MB of
  geometry is not re-serialised through the devtools pipe on every export (see ``press_geojson``).
- kaleido writes an RGBA PNG with no DPI and no colour space, and an SVG sized in unitless px: ``press_png`` makes
  it RGB tagged sRGB at the preset's DPI with the graphic's title; ``press_svg`` gives a print preset's SVG its
  size in mm, and every SVG a <title> and <desc> (the alt text) — what a graphics desk's tools read.
- kaleido's page loads the dashboard's partial plotly.js (1.4 MB, dashboard.view.plotly_js) when it is built and
  verified, instead of the full 4.8 MB one; the same PDF, pixel for pixel (A4, checked at 100 dpi).
- ``Renderer.start_soon`` starts Chromium in a thread: the CLI reads the atlas and builds the figure meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import logging
import os
import re
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # here, not in kill_descendants: a signal handler's import met a half-imported psutil

from dashboard import config
from dashboard.export.spec import FORMATS, MM_PER_IN

# Debian's headless Chromium: the same Blink and V8 as its chromium, without the browser's windowing layer. It
# renders the same bytes, starts in 0.5 s instead of 1.7 (bench.bench_export; a cold CLI export 1.6 → 1.0 s) and
# spends less CPU on a page, so exports prefer it; the browser tests drive it too.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
CHROMIUM_INSTALL_HINT = "apt-get install -y chromium-headless-shell"
log = logging.getLogger(__name__)

RENDER_TIMEOUT_S = 120.0
# Chromium answers kaleido within ~1-3 s here. A start that takes longer than this (a browser that never answers;
# kaleido's own missed load event, see _kaleido_class) is given up, its Chromium closed, and started once more.
START_TIMEOUT_S = 30.0
START_ATTEMPTS = 2
BROWSER_CHECK_S = 0.5   # how often a render or a close waiting for Chromium's answer checks that it still runs


class ChromiumMissing(RuntimeError):
    """No Chromium/Chrome to drive: exports cannot be rendered on this machine."""


class RenderError(RuntimeError):
    """kaleido/Chromium failed to render a figure."""


def find_chromium() -> str:
    """Path of the browser kaleido will drive; ChromiumMissing (with the install command) when there is none.

    BROWSER_PATH (honoured by kaleido/choreographer) wins; else Debian's headless shell; else its /usr/bin/chromium
    and friends on PATH.
    """
    override = config.browser_path()
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise ChromiumMissing(
            f"BROWSER_PATH={override!r} is not an executable file, so map exports cannot be rendered. "
            f"Install Chromium with `{CHROMIUM_INSTALL_HINT}` (Debian/Ubuntu) and unset BROWSER_PATH, "
            "or point BROWSER_PATH at a Chrome/Chromium binary."
        )
    if os.access(HEADLESS_SHELL, os.X_OK):
        return HEADLESS_SHELL
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=False)
    if not path:
        raise ChromiumMissing(
            "Chromium was not found, so map exports (PNG/SVG/PDF) cannot be rendered. "
            f"Install it with `{CHROMIUM_INSTALL_HINT}` (Debian/Ubuntu), "
            "or set BROWSER_PATH to a Chrome/Chromium binary."
        )
    return path


def _web_asset(name: str) -> Path:
    import geodata

    path = Path(geodata.web_asset(name))
    if not path.exists():
        raise FileNotFoundError(
            f"geodata web asset {name!r} is missing at {path}; run `python -m geodata prepare` (or `make geodata`)."
        )
    return path


@functools.lru_cache(maxsize=1)
def topojson_url() -> str:
    """file:// URL of the folder holding plotly geo's base topojson files (set as plotly.io.defaults.topojson)."""
    import plotly.io as pio

    url = _web_asset("topojson_dir").resolve().as_uri().rstrip("/") + "/"
    pio.defaults.topojson = url
    return url


@functools.lru_cache(maxsize=1)
def press_geojson() -> str:
    """The gminy geometry for exports: a file:// URL of the prepared GeoJSON web asset (feature id = TERYT).

    kaleido has no web server to fetch the app's asset URL from, but its page is a file:// page and can read
    file:// URLs (measured, like the topojson). Passing a URL instead of the dict keeps every export from
    re-encoding and shipping ~2 MB of JSON through the devtools pipe.
    """
    return _web_asset("gminy").resolve().as_uri()


@functools.lru_cache(maxsize=1)
def press_geojson_dict() -> dict:
    """The same geometry as a dict (read once), for callers that need it inline."""
    return json.loads(_web_asset("gminy").read_text(encoding="utf-8"))


def press_png(png: bytes, dpi: int, title: str, lang: str) -> bytes:
    """kaleido's RGBA PNG as RGB (on white: the graphic is opaque, a print workflow wants no alpha), tagged sRGB
    (the colours are CSS sRGB colours) at ``dpi`` (pHYs), with the graphic's title (iTXt, UTF-8), re-encoded by
    Pillow."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add(b"sRGB", b"\x00")   # rendering intent: perceptual
    info.add_itxt("Title", title, lang=lang)
    info.add_text("Software", "Atlas ZMP")
    with Image.open(io.BytesIO(png)) as img:
        rgba = img.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
        out = io.BytesIO()
        rgb.save(out, format="PNG", dpi=(dpi, dpi), compress_level=3, pnginfo=info)
    return out.getvalue()


_SVG_ROOT = re.compile(rb"<svg\b[^>]*>")
_SVG_SIZE = re.compile(rb'\s(width|height)="[^"]*"')


def press_svg(svg: bytes, preset: Any, title: str, desc: str, lang: str) -> bytes:
    """The SVG with a print preset's size in mm (plotly writes unitless px: 793.6 × 1122.56 opens at another
    size in a layout program; the viewBox keeps the drawing's units), its language, and the graphic's title and
    alt text as <title> and <desc>."""
    from xml.sax.saxutils import escape, quoteattr

    found = _SVG_ROOT.search(svg)
    if found is None:
        raise ValueError("kaleido's SVG has no <svg> element")
    root = found.group(0)
    if preset.is_print:
        width_mm, height_mm = (pt * MM_PER_IN / 72 for pt in preset.size_pt)
        size = {b"width": f"{width_mm:g}mm".encode(), b"height": f"{height_mm:g}mm".encode()}
        root = _SVG_SIZE.sub(lambda m: b" " + m.group(1) + b'="' + size[m.group(1)] + b'"', root)
    root = root[:-1] + f" xml:lang={quoteattr(lang)}>".encode()
    head = f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>".encode()
    return svg[:found.start()] + root + head + svg[found.end():]


def press_pdf(pdf: bytes, size_pt: tuple[float, float], title: str, lang: str) -> bytes:
    """The PDF with its page boxes set to exactly ``size_pt``, anchored at the top left, and the graphic's own title
    and language in its metadata (what a screen reader, a PDF viewer's title bar and a picture desk's archive show).

    Chrome's print-to-PDF rounds the page to whole points and then to 1/300 in: an A4 page came out
    594.96 × 841.92 pt (209.9 mm wide), and a print shop's preflight reads the boxes. The graphic itself is laid
    out at the preset's size; the few tenths of a point the boxes gain or lose are white margin."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, RectangleObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    width, height = size_pt
    for page in writer.pages:
        top = float(page.mediabox.top)
        box = RectangleObject([0, top - height, width, top])
        page.mediabox = box
        page.cropbox = box
        page.trimbox = box
    writer.add_metadata({"/Title": title, "/Creator": "Atlas ZMP"})
    writer.root_object[NameObject("/Lang")] = TextStringObject(lang)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_generator():
    """kaleido's page with ``@page { margin: 0 }``: Chrome's print-to-PDF otherwise adds kaleido's 0.1 in
    margins and shrinks the graphic by ~2.4 % to fit them (measured); and press_page.js (a PDF's text with no
    ligatures)."""
    import kaleido

    class _PressPage(kaleido.PageGenerator):
        header = kaleido.PageGenerator.header + "        <style>@page { margin: 0; }</style>\n"

    return _PressPage(mathjax=False, plotly=_plotly_js(), others=[Path(__file__).with_name("press_page.js")])


def _plotly_js() -> Path | None:
    """The dashboard's partial plotly.js when it is built and verified (dashboard.view.plotly_js: the plotly.js
    version of the plotly package, only the traces drawn; 1.4 MB instead of 4.8 MB for Chromium to load and
    compile at every renderer start), else None: kaleido's default, the full plotly.js of the plotly package.
    ATLAS_PLOTLY_BUNDLE=full: always the full one."""
    if config.plotly_bundle() == "full":
        return None
    from dashboard.view.plotly_js import check

    bundle, _ = check()
    return bundle.path if bundle is not None else None


@functools.lru_cache(maxsize=1)
def _kaleido_class():
    """kaleido.Kaleido whose tabs open kaleido's page reliably (kaleido 1.5's own opening has two races):

    - it navigates a tab and only then enables the page's events, then waits for the load event. When this process
      answers late (a busy machine: three test processes, an export job beside web workers) the page has loaded
      before that, the event is never sent, and the start hangs until START_TIMEOUT_S (reproduced by delaying the
      step after Page.navigate: tests/test_export_render.py);
    - with the events enabled early, a tab's first document (about:blank) still loading sends its own load event
      and context, taken for kaleido's page: a render then ran before kaleido's script ("kaleido_scopes is not
      defined", seen once in a test run).
    So each tab enables its events first, lets its first document finish, then opens kaleido's page and checks that
    kaleido's script answers in the context kaleido will use (opened once more when it does not)."""
    import kaleido
    from kaleido._kaleido_tab import _KaleidoTab

    class _Kaleido(kaleido.Kaleido):
        async def _conform_tabs(self, tabs=None) -> None:
            ktabs = [_KaleidoTab(tab, headers=self._headers) for tab in (tabs or list(self.tabs.values()))]
            await asyncio.gather(*(_open_page(ktab, self._index) for ktab in ktabs))
            for ktab in ktabs:
                self._total_tabs += 1
                await self.tabs_ready.put(ktab)

    return _Kaleido


async def _open_page(ktab, url: str) -> None:
    tab = ktab.tab
    for command in ("Page.enable", "Runtime.enable"):
        await tab.send_command(command)
    while await _evaluate(tab, "document.readyState") != "complete":   # bounded by START_TIMEOUT_S
        await asyncio.sleep(0.05)
    for _ in range(2):
        await ktab.navigate(url)
        if await _evaluate(tab, "typeof kaleido_scopes", context=ktab._current_js_id) == "object":
            return
        log.warning("kaleido's page was not ready in its tab; opening it again")
    raise RenderError("kaleido's page did not start in Chromium's tab")


async def _evaluate(tab, expression: str, context: int | None = None):
    """The value of `expression` in the tab (in execution context `context`), None when it fails."""
    params = {"expression": expression, "returnByValue": True, **({"contextId": context} if context else {})}
    answer = await tab.send_command("Runtime.evaluate", params=params)
    return (answer.get("result") or {}).get("result", {}).get("value")


CHROMIUM_GROUP_NICE = 10


def _low_group_share_when_idle(chromium_pid: int | None) -> None:
    """choreographer starts Chromium in a session of its own, and Linux schedules each session as one group with a
    full share of the CPU whatever its processes' priority (autogroup, `man 7 sched`): an export job running at
    SCHED_IDLE still took half the machine from the web workers through its Chromium. When this process runs at
    SCHED_IDLE, Chromium's group gets nice 10: about a tenth of a busy CPU, enough to finish under a sustained load
    (nice 19 or SCHED_IDLE could starve it), low enough for filter p95 to stay within 2x (bench/load_test.py)."""
    if chromium_pid is None or not hasattr(os, "SCHED_IDLE") or os.sched_getscheduler(0) != os.SCHED_IDLE:
        return
    try:
        with open(f"/proc/{chromium_pid}/autogroup", "w", encoding="ascii") as group:
            group.write(str(CHROMIUM_GROUP_NICE))
    except OSError:
        pass  # no autogroup in this kernel, or Chromium already gone: nothing to lower


class Renderer:
    """One warm kaleido (Chromium) per process. Thread-safe: calls from several threads queue on its tabs."""

    def __init__(self, tabs: int = 1, headers: dict[str, str] | None = None):
        self._tabs = tabs
        # extra HTTP headers for Chromium; None (measured: plotly's default one is 2.7× slower)
        self._headers = headers
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._opening: tuple[int, Any] | None = None   # (pid, kaleido) while start() opens it
        self._folders: set[Path] = set()   # the running Chromium's temporary folders
        self._stopped = False   # kill() was called: this process is ending, no Chromium starts any more

    @property
    def running(self) -> bool:
        return self._kaleido is not None and self._pid == os.getpid()

    def start(self) -> "Renderer":
        with self._lock:
            if self.running:
                return self
            self._refuse_when_stopped()
            chromium = find_chromium()
            topojson_url()  # fail early (and clearly) when the geodata assets are not prepared
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="kaleido-renderer", daemon=True)
            thread.start()

            async def _open():
                k = _kaleido_class()(n=self._tabs, page_generator=_page_generator(), timeout=RENDER_TIMEOUT_S,
                                    path=chromium, headers=self._headers)
                self._opening = (os.getpid(), k)   # for kill() while it starts
                try:
                    await asyncio.wait_for(k.open(), START_TIMEOUT_S)
                except BaseException:
                    await _close_quietly(k)
                    raise
                finally:
                    self._opening = None
                return k

            for attempt in range(1, START_ATTEMPTS + 1):
                try:
                    self._kaleido = asyncio.run_coroutine_threadsafe(_open(), loop).result(START_TIMEOUT_S + 20)
                    break
                except Exception as exc:  # noqa: BLE001 - a second start, then a clear error
                    if attempt == START_ATTEMPTS:
                        loop.call_soon_threadsafe(loop.stop)
                        raise RenderError(f"could not start Chromium ({chromium}) for exports: "
                                          f"{type(exc).__name__} {exc}") from exc
                    log.warning("Chromium for exports did not start (%s %s); starting it again",
                                type(exc).__name__, exc)
            self._loop, self._thread, self._pid = loop, thread, os.getpid()
            self._folders = _chromium_folders(self._kaleido)   # known now: a crash's clean-up removes the links
            if self._stopped:   # killed while it started (a job on its way out): this one goes too
                self.kill()
                self._refuse_when_stopped()
            _low_group_share_when_idle(getattr(getattr(self._kaleido, "subprocess", None), "pid", None))
            return self

    def _refuse_when_stopped(self) -> None:
        if self._stopped:
            raise RenderError("exports were stopped in this process (it is ending): no Chromium is started")

    def start_soon(self) -> "Renderer":
        """Start Chromium in a thread and return at once: its cold start (~1-3 s) overlaps the caller's own work
        (the CLI reads the atlas and builds the figure meanwhile). start() and render() wait for it, and raise its
        error, if any."""
        def run() -> None:
            try:
                self.start()
            except Exception:  # noqa: BLE001 - start() is called again before rendering and raises it there
                pass

        threading.Thread(target=run, name="renderer-start", daemon=True).start()
        return self

    def render(self, fig, fmt: str, *, width: float, height: float, scale: float = 1.0) -> bytes:
        """Bytes of ``fig`` rendered as ``fmt`` at width×height CSS px times ``scale``."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
        if self.running and not self._browser_alive():
            self.close()   # Chromium died since the last export (a crash, the OOM killer): this one starts afresh
        if not self.running:
            self.start()
        opts = {"format": fmt, "width": width, "height": height, "scale": scale}
        future = asyncio.run_coroutine_threadsafe(
            self._kaleido.calc_fig(fig, opts=opts, topojson=topojson_url()), self._loop
        )
        try:
            return self._answer(future)
        except Exception as exc:
            if not self._browser_alive():
                self.close()   # Chromium died: the next export starts a fresh one instead of failing forever
            raise RenderError(f"rendering the {fmt.upper()} export failed: {exc}") from exc

    def _answer(self, future) -> bytes:
        """The render's bytes, or an error as soon as Chromium is gone: kaleido itself may wait for a dead
        Chromium's answer until RENDER_TIMEOUT_S (seen when a figure's message reached Chromium cut short by a signal:
        Chromium could not parse it, closed, and kaleido waited on)."""
        deadline = time.monotonic() + RENDER_TIMEOUT_S + 10
        while True:
            try:
                return future.result(max(0.0, min(BROWSER_CHECK_S, deadline - time.monotonic())))
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise
                if not self._browser_alive():
                    future.cancel()
                    raise RenderError("Chromium ended before it answered") from None

    def _browser_alive(self) -> bool:
        return _chromium_alive(self._kaleido)

    def kill(self) -> None:
        """Stop this process's Chromium at once, without the devtools goodbye: SIGKILL to its process group
        (choreographer starts it in a session of its own) and remove its temporary folders. For job processes on
        their way out (also from a signal handler), where a graceful ``close`` could hang on a stuck browser."""
        self._stopped = True
        kaleido = self._kaleido if self.running else self._starting()
        if kaleido is None:
            return
        leftovers = self._folders | _chromium_folders(kaleido)   # before choreographer's watchdog removes them
        _kill_group(getattr(kaleido, "subprocess", None))
        for folder in leftovers | _chromium_folders(kaleido):   # a link Chromium made as it was being killed
            shutil.rmtree(folder, ignore_errors=True)
        self._kaleido = self._opening = None
        self._folders = set()

    def _starting(self):
        """The kaleido this process is starting (its Chromium may be up, its profile made), if any."""
        opening = self._opening
        return opening[1] if opening is not None and opening[0] == os.getpid() else None

    def close(self) -> None:
        with self._lock:
            if not self.running:
                self._kaleido = None
                return
            leftovers = self._folders | _chromium_folders(self._kaleido)
            if not self._browser_alive():   # a crash: its helpers live on, writing to the profile
                _kill_group(getattr(self._kaleido, "subprocess", None))
            try:
                asyncio.run_coroutine_threadsafe(_close_kaleido(self._kaleido), self._loop).result(30)
            except Exception:  # noqa: BLE001 - closing a dead browser is not an error worth raising at exit
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._kaleido = self._loop = self._thread = None
            self._folders = set()
            for folder in leftovers:   # choreographer leaves them when its Chromium had died (a crash)
                shutil.rmtree(folder, ignore_errors=True)


def _kill_group(proc) -> None:
    """SIGKILL a Chromium's process group (choreographer starts it in a session of its own) and reap it."""
    if proc is None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()   # a browser that does not lead a group of its own
        proc.wait(2)
    except Exception:  # noqa: BLE001 - gone or unkillable: nothing more to do here
        pass


def _chromium_folders(kaleido) -> set[Path]:
    """kaleido's temporary folders: its page's, its Chromium's profile and that Chromium's singleton socket's (a
    sibling the profile's SingletonSocket link points to, once Chromium has made it). Only a Chromium that quits
    itself and a kaleido closed in order remove them."""
    page = getattr(getattr(kaleido, "_html_tmp_dir", None), "path", None)
    profile = getattr(getattr(getattr(kaleido, "_browser_impl", None), "tmp_dir", None), "path", None)
    found = {Path(path) for path in (page, profile) if path}
    try:
        socket_folder = Path(os.readlink(Path(profile) / "SingletonSocket")).parent if profile else None
    except OSError:
        socket_folder = None
    if socket_folder is not None and socket_folder.name.startswith("org.chromium.Chromium."):
        found.add(socket_folder)
    return found


def _chromium_alive(kaleido) -> bool:
    """Whether kaleido's Chromium still runs (True while it has no process to ask)."""
    poll = getattr(getattr(kaleido, "subprocess", None), "poll", None)
    return poll is None or poll() is None


async def _close_kaleido(k) -> None:
    """k.close(), which first waits for Chromium's answer to Browser.close. A Chromium that exits before it answers
    (one close in ~40 on a busy machine) left that wait pending until Renderer.close gave up after 30 s:
    choreographer keeps the writing end of Chromium's pipe itself, so its reader never sees the pipe end. Once
    Chromium has exited, the wait is cancelled; choreographer's close goes on with its clean-up from there."""
    closing = asyncio.ensure_future(k.close())
    while True:
        done, _ = await asyncio.wait({closing}, timeout=BROWSER_CHECK_S)
        if done:
            with contextlib.suppress(asyncio.CancelledError):
                closing.result()
            return
        if not _chromium_alive(k):
            closing.cancel()


async def _close_quietly(k) -> None:
    """Close a kaleido whose Chromium did not start properly, kill its processes if they are still there (a close
    before the start had finished leaves them running) and remove its folders (such a close leaves them too)."""
    leftovers = _chromium_folders(k)
    try:
        await asyncio.wait_for(_close_kaleido(k), 10)
    except BaseException:  # noqa: BLE001 - the start's own error is the one to report
        pass
    _kill_group(getattr(k, "subprocess", None))
    for folder in leftovers | _chromium_folders(k):
        shutil.rmtree(folder, ignore_errors=True)


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    """The process's warm renderer (started on first use; a forked child gets its own)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None or (_renderer._pid not in (None, os.getpid())):
            _renderer = Renderer()
            import atexit

            atexit.register(_renderer.close)
        return _renderer


def kill_renderer() -> None:
    """Stop this process's Chromium at once (if any). The app registers it as a background job's exit hook
    (dashboard.serving.jobs.on_job_exit): Chromium goes when the job ends, however it ends."""
    if _renderer is not None:
        _renderer.kill()


def kill_descendants() -> None:
    """SIGKILL every process under this one (Chromium included, in whatever session it runs)."""
    try:
        procs = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    # Chromium runs in a session (process group) of its own and keeps forking while it starts: kill its whole
    # groups, so a child born after the walk above goes too, then every process the walk found.
    own_group = os.getpgid(0)
    groups = set()
    for proc in procs:
        try:
            groups.add(os.getpgid(proc.pid))
        except OSError:
            pass
    for group in groups - {own_group}:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    for proc in procs:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass


@functools.lru_cache(maxsize=1)
def press_outline() -> str:
    """file:// URL of the województwa outline GeoJSON (drawn on top of the gminy, as in the dashboard)."""
    return _web_asset("wojewodztwa").resolve().as_uri()


@dataclass(frozen=True)
class ExportResult:
    content: bytes
    filename: str
    mime: str
    alt_text: str
    seconds: float


# a gmina outside a zoomed view's frame: plotly leaves its <path> without a "d" (it draws nothing)
_EMPTY_PATH = re.compile(rb'<path class="choroplethlocation"(?:(?! d=)[^>])*/>')


def without_empty_paths(svg: bytes) -> bytes:
    """The SVG without the gminy plotly clipped out of the view: nothing for a graphics desk to wade through (they
    were ~2,000 of the ~2,500 paths and nearly half the bytes of a voivodeship's view)."""
    return _EMPTY_PATH.sub(b"", svg)


def _render(renderer: Renderer | None, fig, fmt: str, **size) -> bytes:
    """With ``renderer``, there; else with the warm Chromium of the web server this process belongs to (an export
    job's: dashboard.export.render_service), or, when it has none or it does not answer, this process's own."""
    if renderer is None:
        from dashboard.export import render_service

        service = render_service.client()
        if service is not None:
            try:
                return service.render(fig, fmt, **size)
            except render_service.Unavailable as exc:
                log.warning("%s: rendering in this process", exc)
        renderer = get_renderer()
    return renderer.render(fig, fmt, **size)


def render_export(spec, atlas=None, *, renderer: Renderer | None = None, today=None) -> ExportResult:
    """Render one export (bytes + alt text) for an ExportSpec. ``atlas`` defaults to the shipped data."""
    import time

    from dashboard.export.press import press_figure
    from dashboard.export.texts import alt_text

    t0 = time.perf_counter()
    if atlas is None:
        from dashboard.model.atlas import get_atlas

        atlas = get_atlas()
    pf = press_figure(atlas, spec, press_geojson(), outline=press_outline(), today=today)
    preset = spec.preset_obj
    scale = preset.scale if spec.format == "png" else 1.0
    data = _render(renderer, pf.figure, spec.format, width=preset.css_width, height=preset.css_height, scale=scale)
    alt = alt_text(pf.texts, pf.entities, spec.lang)
    if spec.format == "png":
        data = press_png(data, preset.dpi, pf.texts.title, spec.lang)
    elif spec.format == "pdf":
        data = press_pdf(data, preset.size_pt, title=pf.texts.title, lang=spec.lang)
    else:
        data = press_svg(without_empty_paths(data), preset, pf.texts.title, alt, spec.lang)
    if pf.texts.link is not None:   # the map prints a short link: make it resolvable
        from dashboard.export.links import link_store

        link_store().save(*pf.texts.link)
    return ExportResult(data, spec.filename(town=pf.texts.town or None), spec.mime, alt, time.perf_counter() - t0)


def write_export(spec, out: Path, atlas=None, **kw) -> ExportResult:
    """Render ``spec`` to the file ``out`` and its alt text beside it (``out`` with suffix .txt)."""
    from dashboard.export.texts import write_alt_text

    result = render_export(spec, atlas, **kw)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_bytes(result.content)
    os.replace(tmp, out)
    write_alt_text(out, result.alt_text)
    return result
