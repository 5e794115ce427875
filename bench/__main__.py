"""`python -m bench` (make bench): run every benchmark, print one table, write bench/results.json.

Every bench/bench_<area>.py module's run() -> dict is called, then the load test (bench/load_test.py). Each
bench runs in its own subprocess with a time limit, so one that fails, hangs or crashes is reported in the
table and in results.json ("errors") while the others still run.

    python -m bench                      # everything
    python -m bench geodata load_test    # only these (names without the bench_ prefix)
    BENCH_TIMEOUT=600 python -m bench    # per-bench limit in seconds (default 900)
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
MARKER = "__BENCH_RESULT__ "

# Runs one bench module in a child process and prints its result dict as one marked JSON line.
_CHILD = f"""
import importlib, json, sys
result = importlib.import_module(sys.argv[1]).run()
if not isinstance(result, dict):
    raise TypeError(f"{{sys.argv[1]}}.run() returned {{type(result).__name__}}, expected a dict")
print({MARKER!r} + json.dumps(result, default=str), flush=True)
"""


def discover() -> list[tuple[str, str]]:
    """(short name, module) for every bench/bench_*.py, then the load test last."""
    found = [(p.stem.removeprefix("bench_"), f"bench.{p.stem}") for p in sorted(HERE.glob("bench_*.py"))]
    if (HERE / "load_test.py").exists():
        found.append(("load_test", "bench.load_test"))
    return found


def run_one(module: str, timeout: float) -> tuple[dict | None, str | None, float]:
    """(result, error, seconds). The child's own output is passed through to our stderr as it comes."""
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, module], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, encoding="utf-8", errors="replace", start_new_session=True,
        )
    except OSError as exc:
        return None, f"could not start: {exc}", 0.0
    found: dict = {}
    tail: list[str] = []

    def pump() -> None:   # the child's output, passed through as it comes; its result line kept
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(MARKER):
                found["result"] = json.loads(line[len(MARKER):])
                continue
            sys.stderr.write(f"  | {line}")
            tail.append(line.rstrip())
            del tail[:-8]

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None, f"timed out after {timeout:.0f} s", time.perf_counter() - started
    reader.join(timeout=10)
    result = found.get("result")
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or result is None:
        reason = next((t for t in reversed(tail) if t.strip()), "no output")
        return None, f"exit code {proc.returncode}: {reason[:300]}", seconds
    return result, None, seconds


def _kill_group(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def flatten(result: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, f"{name}."))
        else:
            rows.append((name, value))
    return rows


def format_value(value: object) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e6:
            return f"{value:,.2f}".replace(",", " ")
        return f"{value:.3g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", " ")
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)[:60]
    return str(value)[:60]


def table(results: dict[str, dict], errors: dict[str, str], seconds: dict[str, float]) -> str:
    rows = [("bench", "metric", "value")]
    for name in list(results) + [n for n in errors if n not in results]:
        if name in errors:
            rows.append((name, "FAILED", errors[name]))
            continue
        for metric, value in flatten(results[name]):
            rows.append((name, metric, format_value(value)))
        rows.append((name, "(bench wall time s)", f"{seconds.get(name, 0):.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = []
    for i, (a, b, c) in enumerate(rows):
        lines.append(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}")
        if i == 0:
            lines.append("-" * (widths[0] + widths[1] + 4 + 20))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    timeout = float(os.environ.get("BENCH_TIMEOUT", "900"))
    benches = discover()
    if argv:
        wanted = {a.removeprefix("bench_") for a in argv}
        unknown = wanted - {name for name, _ in benches}
        if unknown:
            print(f"unknown bench(es): {', '.join(sorted(unknown))}; available: "
                  f"{', '.join(n for n, _ in benches)}", file=sys.stderr)
            return 2
        benches = [b for b in benches if b[0] in wanted]
    results: dict[str, dict] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name, module in benches:
        print(f"== {name} ({module})", file=sys.stderr, flush=True)
        result, error, took = run_one(module, timeout)
        seconds[name] = round(took, 2)
        if error:
            errors[name] = error
            print(f"== {name}: FAILED ({error})", file=sys.stderr, flush=True)
        else:
            results[name] = result
    print(table(results, errors, seconds))
    RESULTS.write_text(json.dumps({
        "generated_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()},
        "results": results,
        "errors": errors,
        "seconds": seconds,
    }, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}"
          + (f"; {len(errors)} bench(es) failed: {', '.join(errors)}" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
