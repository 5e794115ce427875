"""`python -m bench` (make bench): one failing, crashing or hanging bench is reported and the others still run;
the table and bench/results.json carry every number."""
from __future__ import annotations

import json
import os
import textwrap

import pytest

import bench.__main__ as runner


@pytest.fixture()
def fake_benches(tmp_path, monkeypatch):
    package = tmp_path / "fakebench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(textwrap.dedent('''
        def run():
            print("working...")
            return {"rows": 2477, "seconds": 0.125, "nested": {"p95_ms": 12.5}, "label": "ok"}
    '''))
    (package / "broken.py").write_text("def run():\n    raise RuntimeError('the data file is missing')\n")
    (package / "crash.py").write_text("import os\ndef run():\n    os._exit(3)\n")
    (package / "slow.py").write_text("import time\ndef run():\n    time.sleep(60)\n    return {}\n")
    (package / "notdict.py").write_text("def run():\n    return [1, 2]\n")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return "fakebench"


def test_a_good_bench_returns_its_numbers(fake_benches):
    result, error, _ = runner.run_one(f"{fake_benches}.good", timeout=60)
    assert error is None and result["rows"] == 2477 and result["nested"] == {"p95_ms": 12.5}
    assert result["label"] == "ok"


@pytest.mark.parametrize("name, reason", [
    ("broken", "the data file is missing"),
    ("crash", "exit code 3"),
    ("notdict", "expected a dict"),
])
def test_failures_are_reported_with_a_reason(fake_benches, name, reason):
    result, error, _ = runner.run_one(f"{fake_benches}.{name}", timeout=60)
    assert result is None and reason in error


def test_a_hanging_bench_is_stopped_at_its_time_limit(fake_benches):
    result, error, seconds = runner.run_one(f"{fake_benches}.slow", timeout=2)
    assert result is None and "timed out" in error and seconds < 30


def test_table_lists_numbers_and_failures():
    text = runner.table({"geodata": {"prepare_s": 3.25, "layout": {"bytes": 139124}}},
                        {"export": "exit code 1: kaleido missing"}, {"geodata": 4.0})
    assert "geodata" in text and "layout.bytes" in text and "139 124" in text and "3.25" in text
    assert "export" in text and "FAILED" in text and "kaleido missing" in text


def test_main_writes_results_json_and_reports_failures(fake_benches, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "discover", lambda: [("good", f"{fake_benches}.good"),
                                                     ("broken", f"{fake_benches}.broken")])
    out = tmp_path / "results.json"
    monkeypatch.setattr(runner, "RESULTS", out)
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    assert runner.main([]) == 1
    data = json.loads(out.read_text())
    assert data["results"]["good"]["rows"] == 2477
    assert "the data file is missing" in data["errors"]["broken"]
    printed = capsys.readouterr().out
    assert "rows" in printed and "FAILED" in printed


def test_every_bench_module_in_the_repository_is_discovered():
    names = [name for name, _ in runner.discover()]
    assert names[-1] == "load_test"
    assert all(not n.startswith("bench_") for n in names)
