"""Benchmark of the press export: `python -m bench.bench_export` prints the numbers; run() returns them.

- renderer start (Chromium + kaleido page), once per process
- A4 PDF / PNG (300 dpi, DPI tag included) / SVG with the warm renderer: median of 3 (target ≤ 5 s each)
- the same A4 PDF with the geometry inline (a dict through the devtools pipe) instead of a file:// URL, and with
  plotly.io's default extra HTTP header (what fig.write_image would send)
- the 9-project batch (one A4 PDF + alt text per project, as `--all-projects` writes them; target ≤ 40 s)
- file sizes
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

TARGET_A4_S = 5.0
TARGET_BATCH_S = 40.0
REPEAT = 3


def _median_time(fn, repeat: int = REPEAT) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run() -> dict:
    from dashboard.export.press import ExportSpec, press_figure
    from dashboard.export.render import (
        Renderer,
        press_geojson,
        press_geojson_dict,
        press_outline,
        render_export,
        write_export,
    )
    from dashboard.model.atlas import get_atlas
    from dashboard.model.state import FilterState

    atlas = get_atlas()
    state = FilterState(projects=("P1", "P4"))
    renderer = Renderer()
    t0 = time.perf_counter()
    renderer.start()
    start_s = time.perf_counter() - t0
    try:
        render_export(ExportSpec(state=state, preset="a4", format="pdf"), atlas, renderer=renderer)  # warm-up
        res = {}
        for fmt in ("pdf", "png", "svg"):
            spec = ExportSpec(state=state, preset="a4", format=fmt)
            sec, out = _median_time(lambda: render_export(spec, atlas, renderer=renderer))  # noqa: B023 - called at once
            res[fmt] = (sec, len(out.content))

        t0 = time.perf_counter()
        press_figure(atlas, ExportSpec(state=state, preset="a4", format="pdf"), press_geojson(),
                          outline=press_outline())
        build_s = time.perf_counter() - t0

        spec = ExportSpec(state=state, preset="a4", format="pdf")
        inline = press_figure(atlas, spec, press_geojson_dict(), outline=press_outline()).figure
        p = spec.preset_obj
        inline_s, _ = _median_time(lambda: renderer.render(inline, "pdf", width=p.css_width, height=p.css_height))

        # plotly.io's default export header ({"X-Requested-With": "plotly.py"}) turns on devtools network tracking
        slow = Renderer(headers={"X-Requested-With": "plotly.py"}).start()
        try:
            slow.render(inline, "pdf", width=p.css_width, height=p.css_height)   # warm-up
            plain = press_figure(atlas, spec, press_geojson(), outline=press_outline()).figure
            headers_s, _ = _median_time(lambda: slow.render(plain, "pdf", width=p.css_width, height=p.css_height))
        finally:
            slow.close()

        projects = atlas.projects[atlas.projects["kind"] == "project"]["id"].tolist()
        with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
            t0 = time.perf_counter()
            for pid in projects:
                s = ExportSpec(state=FilterState(projects=(pid,)), preset="a4", format="pdf")
                write_export(s, Path(tmp) / s.filename(), atlas, renderer=renderer)
            batch_s = time.perf_counter() - t0
    finally:
        renderer.close()

    return {
        "renderer_start_s": round(start_s, 2),
        "a4_pdf_warm_s": round(res["pdf"][0], 2),
        "a4_png_300dpi_warm_s": round(res["png"][0], 2),
        "a4_svg_warm_s": round(res["svg"][0], 2),
        "a4_target_s": TARGET_A4_S,
        "a4_pdf_ok": res["pdf"][0] <= TARGET_A4_S,
        "a4_png_ok": res["png"][0] <= TARGET_A4_S,
        "press_figure_build_s": round(build_s, 3),
        "a4_pdf_inline_geojson_s": round(inline_s, 2),
        "a4_pdf_plotly_headers_s": round(headers_s, 2),
        "batch_projects": len(projects),
        "batch_a4_pdf_s": round(batch_s, 2),
        "batch_target_s": TARGET_BATCH_S,
        "batch_ok": batch_s <= TARGET_BATCH_S,
        "a4_pdf_bytes": res["pdf"][1],
        "a4_png_bytes": res["png"][1],
        "a4_svg_bytes": res["svg"][1],
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:28} {value}")
