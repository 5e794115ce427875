"""Press exports rendered by kaleido in Debian's Chromium and read back (issue §7).

One warm renderer for the whole session; every preset as PNG (pixel size, DPI tag, not blank, palette colours,
map inside its box), PDF and SVG for a few presets (page size, no raster images, text, ≥ 2,477 paths).
"""
from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image

from dashboard.export.press import PRESETS, ExportSpec, map_legend, press_figure
from dashboard.export.render import get_renderer, press_geojson, press_outline, render_export, write_export
from dashboard.export.spec import PAPER_MM
from dashboard.model.state import FilterState
from dashboard.view import figures
from tests.system_tools import output

pytestmark = pytest.mark.slow

VIEW = FilterState(projects=("P1", "P4"))   # two projects: four classes on the map


@pytest.fixture(scope="session")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.fixture(scope="session")
def renderer():
    return get_renderer().start()


def _hex(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


@pytest.fixture(scope="module")
def pngs(atlas, renderer):
    out = {}
    for name in PRESETS:
        res = render_export(ExportSpec(state=VIEW, preset=name, format="png"), atlas, renderer=renderer)
        out[name] = res
    return out


def _title(atlas, state: FilterState, preset: str) -> str:
    return press_figure(atlas, ExportSpec(state=state, preset=preset, format="png"), press_geojson(),
                        outline=press_outline()).texts.title


@pytest.mark.parametrize("name", list(PRESETS))
def test_png_size_dpi_and_content(pngs, atlas, name):
    p = PRESETS[name]
    res = pngs[name]
    assert res.mime == "image/png" and res.filename.endswith(f"_{name}.png")
    img = Image.open(io.BytesIO(res.content))
    assert img.size == (p.width_px, p.height_px)
    assert img.info["dpi"] == pytest.approx((p.dpi, p.dpi), abs=0.05)   # pHYs stores whole pixels per metre
    # as a graphics desk wants it: no alpha channel, the colour space said (sRGB), the graphic's title inside
    assert img.mode == "RGB" and img.info.get("srgb") == 0, (img.mode, img.info)
    assert img.info["Title"] == _title(atlas, VIEW, name) and img.info["Title"]
    rgb = img.convert("RGB")
    colours = dict((c, n) for n, c in rgb.getcolors(maxcolors=1 << 20))
    # not blank: white paper dominates, but far from everything
    white = colours.get((255, 255, 255), 0)
    assert 0.25 < white / (p.width_px * p.height_px) < 0.9
    # the palette: grey of other gminy and the colour of every class with a few gminy, as solid pixels
    legend = map_legend(atlas, VIEW)
    min_px = (p.width_px * p.height_px) // 200_000 + 1
    for e in legend.entries:
        if e.count >= 5:
            assert colours.get(_hex(e.color), 0) >= min_px, f"{name}: class {e.label!r} colour {e.color} missing"
    # the map is drawn: the grey of the other gminy is a large part of the picture (less the names' white tags)
    assert colours.get(_hex(figures.OTHER_GREY), 0) > 0.08 * p.width_px * p.height_px


@pytest.mark.parametrize("name", ["a4", "social", "square"])
def test_map_fills_its_box_and_stays_inside(pngs, atlas, name):
    """Poland (the grey of other gminy) lies inside the layout's map box — nothing clipped, nothing spilling
    into the texts — and fills it (the projection measurements in export.GEO_INSETS still hold)."""
    p = PRESETS[name]
    pf = press_figure(atlas, ExportSpec(state=VIEW, preset=name, format="png"), press_geojson(),
                      outline=press_outline())
    lay = pf.layout
    import numpy as np

    arr = np.asarray(Image.open(io.BytesIO(pngs[name].content)).convert("RGB"))
    mask = np.all(arr == _hex(figures.OTHER_GREY), axis=-1)
    lb = lay.legend_box   # its "other gminy" swatch has the same grey
    mask[int(lb.y * p.scale):int((lb.y + lb.h) * p.scale) + 1, int(lb.x * p.scale):int((lb.x + lb.w) * p.scale) + 1] = 0
    ys, xs = np.nonzero(mask)
    bbox = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    s = p.scale
    box = lay.map_box
    x0, y0, x1, y1 = (v / s for v in bbox)
    tol = 0.03 * box.w
    assert x0 >= box.x - tol and x1 <= box.x + box.w + tol and y0 >= box.y - tol and y1 <= box.y + box.h + tol
    assert (x1 - x0) >= 0.9 * box.w and (y1 - y0) >= 0.9 * box.h


PDF_LANG = {"a4": "pl", "a5": "en", "social": "pl", "a4-landscape": "pl"}
SUBTITLE = "official fiscal figures, flows and affiliations"   # words a font sets with ligatures (fi, fl, ffi)


@pytest.fixture(scope="module")
def pdfs(atlas, renderer, tmp_path_factory):
    """One PDF per preset the PDF tests read (each file rendered once, read by every test that checks it): with a
    title and the office's logo (an SVG: it must stay vector too); {preset: (path, ExportResult)}."""
    folder = tmp_path_factory.mktemp("pdfs")
    logo = folder / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"><rect width="100" '
                    'height="100" fill="#c8102e"/><text x="110" y="65" font-size="40">ZMP</text></svg>')
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ATLAS_LOGO", str(logo))
        for name, lang in PDF_LANG.items():
            spec = ExportSpec(state=VIEW.replace(lang=lang), preset=name, format="pdf",
                              title="Gminy – Łódź, Kraków i Śląsk", subtitle=SUBTITLE, logo=True)
            path = folder / name / "map.pdf"
            path.parent.mkdir()
            out[name] = (path, write_export(spec, path, atlas, renderer=renderer))
    return out


@pytest.mark.parametrize("name,paper_pt", [("a4", (595.28, 841.89)), ("a5", (419.53, 595.28)),
                                           ("social", (900, 506.25))])
def test_pdf_page_vectors_and_text(pdfs, name, paper_pt):
    lang = PDF_LANG[name]
    out, res = pdfs[name]
    assert out.read_bytes()[:5] == b"%PDF-"
    from pypdf import PdfReader

    reader = PdfReader(out)
    assert reader.metadata.title == "Gminy – Łódź, Kraków i Śląsk"        # the graphic's own title, and language
    assert reader.trailer["/Root"]["/Lang"] == lang
    page = reader.pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    assert (w, h) == pytest.approx(paper_pt, abs=0.05)
    images = output("pdfimages", "-list", str(out)).splitlines()[2:]
    assert images == [], f"raster images inside the PDF: {images}"
    # reading order, not -layout: city names on the map share lines with the title beside it
    text = " ".join(output("pdftotext", str(out), "-").split())
    assert "Gminy – Łódź, Kraków i Śląsk" in text
    # a reader's search or copy finds "figures": no ligature glyph read back as "ﬁ" (U+FB01) instead of "fi"
    assert SUBTITLE in text and not [c for c in text if "\ufb00" <= c <= "\ufb06"], text
    source = "Źródło: Związek Miast Polskich; granice: PRG, GUGiK 2020" if lang == "pl" else \
        "Source: Association of Polish Cities (Związek Miast Polskich); boundaries: PRG, GUGiK 2020"
    assert source in text
    # the Polish letters are set in an embedded font that has them (DejaVu), not substituted boxes
    fonts = output("pdffonts", str(out))
    assert "DejaVuSans" in fonts and " yes " in fonts
    # alt text beside the file
    assert out.with_suffix(".txt").read_text(encoding="utf-8").strip() == res.alt_text


ISO_PT = {"a4": (595.28, 841.89), "a4-landscape": (841.89, 595.28), "a5": (419.53, 595.28)}


def test_every_print_preset_has_its_exact_iso_page_size(pdfs):
    """Chrome rounds the printed page (A4 came out 594.96 × 841.92 pt, 209.9 mm for a preflight); pdfinfo must
    read the ISO size ±0.05 pt from the media, crop and trim boxes of every print preset."""
    import re

    assert {name for name, p in PRESETS.items() if p.is_print} == set(ISO_PT) <= set(pdfs)
    for name, (w, h) in ISO_PT.items():
        out, _ = pdfs[name]
        info = output("pdfinfo", "-box", str(out))
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert (float(size.group(1)), float(size.group(2))) == pytest.approx((w, h), abs=0.05), name
        for box in ("MediaBox", "CropBox", "TrimBox"):
            x0, y0, x1, y1 = map(float, re.search(rf"{box}:\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)",
                                                  info).groups())
            assert (x1 - x0, y1 - y0) == pytest.approx((w, h), abs=0.05), (name, box)


@pytest.mark.parametrize("name", ["a4-landscape", "square"])
def test_svg_parses_and_holds_every_gmina(atlas, renderer, name):
    res = render_export(ExportSpec(state=VIEW.replace(lang="en"), preset=name, format="svg"), atlas, renderer=renderer)
    root = ET.fromstring(res.content)
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) >= 2477
    p = PRESETS[name]
    # a print preset opens at its paper size in a layout program (plotly wrote unitless px); a screen one in px
    width, height = root.get("width"), root.get("height")
    if p.is_print:
        paper = sorted(PAPER_MM[p.paper], reverse=p.width_px > p.height_px)
        assert (width, height) == (f"{paper[0]}mm", f"{paper[1]}mm"), (width, height)
    else:
        assert float(width) == pytest.approx(p.css_width) and float(height) == pytest.approx(p.css_height)
    assert root.get("viewBox").split()[2:] == [f"{p.css_width:g}", f"{p.css_height:g}"]
    svg = "{http://www.w3.org/2000/svg}"
    assert root[0].tag == f"{svg}title" and root[0].text == _title(atlas, VIEW.replace(lang="en"), name)
    assert root[1].tag == f"{svg}desc" and root[1].text == res.alt_text
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    texts = "".join(root.itertext())
    assert "Source: Association of Polish Cities (Związek Miast Polskich)" in texts


def _orange(img: Image.Image) -> int:
    px = np.asarray(img.convert("RGB")).astype(int)
    return int(((px[..., 0] > 220) & (px[..., 1] > 100) & (px[..., 1] < 190) & (px[..., 2] < 90)).sum())


def test_an_emoji_in_the_title_prints_in_colour_inside_the_page(pngs, atlas, renderer):
    """Emoji in a title are drawn (Noto Color Emoji, a system package of the set-up), not empty boxes, and the
    title is measured with them: nothing reaches into the page's right margin. (Tangerines: orange, a colour the
    graphic has nowhere else.)"""
    spec = ExportSpec(state=VIEW, preset="social", format="png", title="🍊 Miasta w projektach ZMP 🍊🍊")
    img = Image.open(io.BytesIO(render_export(spec, atlas, renderer=renderer).content))
    assert _orange(img) > 300 and _orange(Image.open(io.BytesIO(pngs["social"].content))) == 0
    margin = np.asarray(img.convert("RGB"))[:, -30:]
    assert (margin.min(axis=2) > 245).all()


def test_exports_drive_debians_headless_shell_and_else_its_chromium(monkeypatch):
    """The headless shell (installed by make test/run) starts in a third of chromium's time; where only chromium is
    installed, exports use that."""
    from dashboard.export import render

    monkeypatch.delenv("BROWSER_PATH", raising=False)
    assert render.find_chromium() == render.HEADLESS_SHELL
    started = psutil.Process(get_renderer().start()._kaleido.subprocess.pid)
    assert Path(render.HEADLESS_SHELL) in {Path(p.exe()) for p in [started, *started.children(recursive=True)]}
    monkeypatch.setattr(render, "HEADLESS_SHELL", "/nonexistent/chromium-headless-shell")
    assert Path(render.find_chromium()).name == "chromium"


def test_missing_chromium_says_how_to_install(tmp_path):
    """In a fresh process with BROWSER_PATH pointing nowhere the CLI stops with the install command (exit 1)."""
    import os
    import sys

    env = dict(os.environ, BROWSER_PATH=str(tmp_path / "no-chromium"))
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", "export", "--preset", "social", "--format", "png",
         "--out", str(tmp_path / "x.png")],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parent.parent, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "apt-get install -y chromium-headless-shell" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_a_chromium_that_died_between_exports_is_replaced_by_the_next_export(atlas):
    """Chromium gone while no export ran (a crash, the OOM killer): the next export starts a fresh browser and
    succeeds (it failed before). The dead one's profile (2.4 MB) and kaleido's page folder do not stay behind in
    the temporary folder."""
    from dashboard.export.render import Renderer, _chromium_folders

    r = Renderer().start()
    try:
        spec = ExportSpec(state=VIEW, preset="social", format="svg")
        folders = _chromium_folders(r._kaleido)
        assert len(folders) >= 2 and all(f.is_dir() for f in folders), folders
        dead = r._kaleido.subprocess
        dead.kill()
        dead.wait(10)
        assert render_export(spec, atlas, renderer=r).content.lstrip().startswith(b"<svg")
        assert r._kaleido.subprocess is not dead and r._kaleido.subprocess.poll() is None
        assert [f for f in folders if f.exists()] == []
    finally:
        r.close()


def test_a_chromium_that_dies_during_an_export_fails_that_export_at_once(atlas, monkeypatch):
    """Chromium gone while an export waits for its answer, which kaleido then awaits until RENDER_TIMEOUT_S (an
    hour here; seen when a message reached Chromium cut short and Chromium closed): the export fails at once with a clear
    error, and the next one starts a fresh browser."""
    import asyncio
    import threading

    from dashboard.export import render

    monkeypatch.setattr(render, "RENDER_TIMEOUT_S", 3600.0)
    r = render.Renderer().start()
    try:
        spec = ExportSpec(state=VIEW, preset="social", format="svg")
        dead = r._kaleido.subprocess

        async def dies_unanswered(self, *args, **kwargs):
            self.subprocess.kill()
            await asyncio.Event().wait()   # no answer, ever

        monkeypatch.setattr(type(r._kaleido), "calc_fig", dies_unanswered)
        failed = []

        def export():
            with pytest.raises(render.RenderError, match="SVG export failed: Chromium ended") as error:
                render_export(spec, atlas, renderer=r)
            failed.append(error.value)

        waiting = threading.Thread(target=export, daemon=True)
        waiting.start()
        waiting.join(60)
        assert not waiting.is_alive(), "the export still waits for a Chromium that is gone"
        assert failed and not r.running
        monkeypatch.undo()
        assert render_export(spec, atlas, renderer=r).content.lstrip().startswith(b"<svg")
        assert r._kaleido.subprocess is not dead
    finally:
        r.close()


def test_a_chromium_that_exits_before_it_answers_browser_close_is_closed_at_once(monkeypatch):
    """Closing sends Browser.close and waits for the answer; a Chromium that exits without answering (one close in
    ~40 on a busy machine) kept Renderer.close waiting 30 s, as choreographer's reader never sees the pipe end. The
    close ends at once, with Chromium's folders removed."""
    import threading

    from choreographer.channels.pipe import Pipe

    from dashboard.export.render import Renderer, _chromium_folders, _kill_group

    r = Renderer().start()
    chromium, folders = r._kaleido.subprocess, _chromium_folders(r._kaleido)
    real_write = Pipe.write_json

    def exits_unanswered(self, obj):
        if obj.get("method") != "Browser.close":
            return real_write(self, obj)
        _kill_group(chromium)   # it got the command and is gone, without a word back
        return (0.0, 0.0)

    monkeypatch.setattr(Pipe, "write_json", exits_unanswered)
    closing = threading.Thread(target=r.close, daemon=True)
    closing.start()
    closing.join(20)
    assert not closing.is_alive(), "Renderer.close still waits for the answer of a Chromium that has exited"
    assert not r.running and chromium.poll() is not None
    assert [f for f in folders if f.exists()] == []


def test_once_killed_a_renderer_starts_no_chromium(atlas):
    """kill() is how a job or the render service on its way out stops its Chromium; an export asked for after it
    (another thread of that process) gets an error instead of starting a Chromium nobody would stop."""
    from dashboard.export.render import Renderer, RenderError

    r = Renderer().start()
    try:
        r.kill()
        with pytest.raises(RenderError, match="stopped in this process"):
            render_export(ExportSpec(state=VIEW, preset="social", format="svg"), atlas, renderer=r)
        assert r._kaleido is None
    finally:
        r.close()


def test_a_chromium_start_that_hangs_is_given_up_and_started_again(monkeypatch):
    """A browser process that never answers is killed after START_TIMEOUT_S, and a real Chromium is started."""
    import asyncio
    import subprocess

    import kaleido

    from dashboard.export import render

    hung = []
    real_open = kaleido.Kaleido.open

    async def first_one_hangs(self):
        if not hung:
            self.subprocess = subprocess.Popen(["sleep", "600"])   # started, and never answers
            hung.append(self.subprocess)
            monkeypatch.setattr(render, "START_TIMEOUT_S", 60.0)   # the next start: all the time it needs
            await asyncio.sleep(30)   # (without the start timeout: one start, 30 s late)
        await real_open(self)

    monkeypatch.setattr(render, "START_TIMEOUT_S", 1.0)
    monkeypatch.setattr(kaleido.Kaleido, "open", first_one_hangs)
    r = render.Renderer().start()
    try:
        assert r.running and len(hung) == 1
        assert hung[0].wait(10) == -9   # killed
        assert r._kaleido.subprocess is not hung[0] and r._kaleido.subprocess.poll() is None
    finally:
        r.close()


def test_a_start_answered_late_after_the_navigation_still_sees_the_page_load(monkeypatch):
    """This process is slow right after it sends kaleido's page to the tab (a busy machine): kaleido alone enabled
    the page's events only then, missed the load event of a page that had already loaded, and hung until the start
    timeout. The renderer starts and renders all the same."""
    import asyncio

    import plotly.graph_objects as go
    from choreographer.protocol import devtools_async

    from dashboard.export import render

    real_send = devtools_async.Session.send_command
    navigations = []

    async def slow_after_navigate(self, command, params=None, *args, **kwargs):
        answer = await real_send(self, command, params, *args, **kwargs)
        if command == "Page.navigate":
            navigations.append(params)
            await asyncio.sleep(3)   # the page (plotly.js from a file) has loaded by now
        return answer

    monkeypatch.setattr(devtools_async.Session, "send_command", slow_after_navigate)
    monkeypatch.setattr(render, "START_TIMEOUT_S", 20.0)
    monkeypatch.setattr(render, "START_ATTEMPTS", 1)
    r = render.Renderer().start()
    try:
        assert navigations, "the start never navigated a tab to kaleido's page"
        png = r.render(go.Figure(go.Bar(y=[1, 2])), "png", width=200, height=100)
        assert Image.open(io.BytesIO(png)).size == (200, 100)
    finally:
        r.close()


def test_a_tab_whose_page_is_not_kaleidos_yet_is_opened_again(monkeypatch):
    """A tab's opening took another document's context (or load) for kaleido's page: a render would run where
    kaleido's script is not ("kaleido_scopes is not defined", seen once in a test run). The renderer finds it at
    the start, opens the page once more and renders."""
    import plotly.graph_objects as go
    from kaleido._kaleido_tab import _KaleidoTab

    from dashboard.export import render

    real_navigate = _KaleidoTab.navigate
    opened = []

    async def first_one_in_the_wrong_context(self, url=""):
        await real_navigate(self, url)
        opened.append(url)
        if len(opened) == 1:
            self._current_js_id = 987654321   # no context of kaleido's page

    monkeypatch.setattr(_KaleidoTab, "navigate", first_one_in_the_wrong_context)
    monkeypatch.setattr(render, "START_ATTEMPTS", 1)
    r = render.Renderer().start()
    try:
        assert len(opened) == 2
        png = r.render(go.Figure(go.Bar(y=[1, 2])), "png", width=200, height=100)
        assert Image.open(io.BytesIO(png)).size == (200, 100)
    finally:
        r.close()


@pytest.mark.parametrize("name", ["a4", "social"])
def test_zoomed_view_stays_inside_its_frame(atlas, renderer, name):
    """A view zoomed on a województwo fills a framed box inside the margins (it used to bleed to the page edge:
    the national view's insets were applied to a map that has none)."""
    import numpy as np

    state = FilterState(voivodeships=("24",))
    p = PRESETS[name]
    spec = ExportSpec(state=state, preset=name, format="png")
    res = render_export(spec, atlas, renderer=renderer)
    pf = press_figure(atlas, spec, press_geojson(), outline=press_outline())
    lay = pf.layout
    arr = np.asarray(Image.open(io.BytesIO(res.content)).convert("RGB"))
    mask = np.all(arr == _hex(figures.OTHER_GREY), axis=-1)
    lb = lay.legend_box
    mask[int(lb.y * p.scale):int((lb.y + lb.h) * p.scale) + 1, int(lb.x * p.scale):int((lb.x + lb.w) * p.scale) + 1] = 0
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = (v / p.scale for v in (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    box, tol = lay.map_box, 2.0
    assert x0 >= box.x - tol and x1 <= box.x + box.w + tol and y0 >= box.y - tol and y1 <= box.y + box.h + tol
    assert x0 >= p.margin - tol and x1 <= p.css_width - p.margin + tol
    # the zoomed map fills its frame, less its even margins, in the dimension that limits it (Silesia: the height)
    assert max((x1 - x0) / box.w, (y1 - y0) / box.h) >= 0.9, (x0, y0, x1, y1, box)


def test_empty_view_says_so(atlas, renderer):
    state = FilterState(projects=("P1",), voivodeships=("02",), years=(1900, 1900), include_unknown_year=False)
    res = render_export(ExportSpec(state=state, preset="social", format="svg"), atlas, renderer=renderer)
    texts = "".join(ET.fromstring(res.content).itertext())
    flat = re.sub(r"\s", "", texts)   # the subtitle may wrap anywhere (one SVG line per line)
    assert "żadnemiastoniespełniafiltrów" in flat and "0miast" in flat
    assert res.alt_text.startswith("Mapa gmin Polski") and "Żadne miasto nie spełnia wybranych filtrów" in res.alt_text
