"""The cold command-line export against its floor, in the same run (issue 10 §4; target: CLI <= 1.5x floor).

    flock /tmp/atlas-heavy.lock .venv/bin/python -m bench cold_export     # (make bench runs it with the others)

Each round, in this order (interleaved, so all see the same machine load), each a fresh Python process:
- floor: a cold Python writing a one-point plotly figure to PDF with kaleido (import plotly, start Chromium, render);
- cli: `python -m dashboard export --preset a4 --format pdf --out …` as a user runs it, the atlas read from its
  cache (dashboard.model.atlas_cache; stored by an earlier run);
- cli_rebuild: the same after removing the atlas cache (the first export after the data, the boundaries or the code
  changed: the atlas is built and stored again);
- baseline: the CLI of an older checkout when BENCH_BASELINE_DIR names one (e.g. `git archive <commit> | tar -x -C
  DIR`), with this checkout's .cache (boundaries, plotly.js): before/after in one run.
EXPORT_RUNS (default 5) rounds after one warm-up round (disk caches, the atlas cache written); medians. Every PDF
is checked to be one A4 page (595.28 x 841.89 pt). Numbers are printed and returned, never asserted.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
A4_PT = (595.28, 841.89)

FLOOR = """
import plotly.graph_objects as go
go.Figure(go.Scatter(x=[0], y=[0])).write_image(%r, format="pdf", width=794, height=1123)
"""


def _timed(cmd: list[str], cwd: Path | str = ROOT, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def _atlas_cache_dir() -> Path:
    sys.path.insert(0, str(ROOT))
    from dashboard.model.atlas_cache import cache_root

    return cache_root()


def _a4_page(pdf: Path) -> bool:
    from pypdf import PdfReader

    pages = PdfReader(pdf).pages
    box = pages[0].mediabox
    return len(pages) == 1 and all(abs(float(a) - b) < 0.05 for a, b in zip((box.width, box.height), A4_PT))


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def _own_cache_folder(folder: Path) -> Path:
    """A cache folder for the older checkout: the atlas cache keeps one key (one code version), so sharing ours made
    each of the two CLIs rebuild the atlas the other had just stored. Boundaries and plotly.js are linked, not
    copied (the same files for both)."""
    folder.mkdir(parents=True)
    for name in ("geodata", "js"):
        if (ROOT / ".cache" / name).is_dir():
            (folder / name).symlink_to(ROOT / ".cache" / name, target_is_directory=True)
    return folder


def measure(runs: int) -> dict[str, Any]:
    out_dir = Path(tempfile.mkdtemp(prefix="atlas-bench-export-"))
    cache = _atlas_cache_dir()
    baseline_dir = os.environ.get("BENCH_BASELINE_DIR")
    cli = [sys.executable, "-m", "dashboard", "export", "--preset", "a4", "--format", "pdf", "--out"]
    times: dict[str, list[float]] = {"floor": [], "cli": [], "cli_rebuild": []}
    if baseline_dir:
        times["baseline"] = []
        baseline_cache = _own_cache_folder(out_dir / "baseline-cache")
    try:
        for i in range(runs + 1):   # round 0: warm-up, not counted
            sample = {"floor": _timed([sys.executable, "-c", FLOOR % str(out_dir / f"floor{i}.pdf")]),
                      "cli": _timed([*cli, str(out_dir / f"cli{i}.pdf")])}
            shutil.rmtree(cache, ignore_errors=True)
            sample["cli_rebuild"] = _timed([*cli, str(out_dir / f"rebuild{i}.pdf")])
            if baseline_dir:
                sample["baseline"] = _timed([*cli, str(out_dir / f"baseline{i}.pdf")], cwd=baseline_dir,
                                            env={**os.environ, "ATLAS_CACHE_DIR": str(baseline_cache)})
            if i:
                for key, seconds in sample.items():
                    times[key].append(seconds)
            print(f"round {i}{' (warm-up)' if not i else ''}: "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in sample.items()), flush=True)
        floor = statistics.median(times["floor"])
        result: dict[str, Any] = {
            "floor_s": _median(times["floor"]), "cli_a4_pdf_s": _median(times["cli"]),
            "ratio": round(statistics.median(times["cli"]) / floor, 2),
            "cli_rebuild_s": _median(times["cli_rebuild"]),
            "rebuild_ratio": round(statistics.median(times["cli_rebuild"]) / floor, 2),
            "runs": runs, "all_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
            "pdfs_one_a4_page": all(_a4_page(p) for p in out_dir.glob("*.pdf") if not p.name.startswith("floor")),
        }
        if baseline_dir:
            result.update(baseline_cli_s=_median(times["baseline"]),
                          baseline_ratio=round(statistics.median(times["baseline"]) / floor, 2))
        return result
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def run() -> dict[str, Any]:
    result = measure(int(os.environ.get("EXPORT_RUNS", "5")))
    result["loadavg_1min"] = round(os.getloadavg()[0], 2)
    result["target"] = "cli_a4_pdf_s <= 1.5 x floor_s"
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
