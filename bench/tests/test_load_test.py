"""The load test's machinery on a small chained Dash app served by gunicorn: it drives callbacks like the
renderer (a filter change sets off the callbacks that depend on it, compressed answers included), counts
errors, and a killed worker costs at most the requests in flight."""
from __future__ import annotations

import os
import textwrap

import pytest

from bench.load_test import Gunicorn, Recorder, Scenario, saturate, summary, users_run

CHAINED_APP = textwrap.dedent('''
    from dash import Dash, Input, Output, dcc, html
    from dashboard.serving.guard import harden

    app = Dash(__name__)
    app.layout = html.Div([
        dcc.Dropdown(id="projects", options=[f"P{i}" for i in range(1, 9)], value=[], multi=True),
        dcc.Store(id="state"),
        html.Div(id="summary"),
    ])

    @app.callback(Output("state", "data"), Input("projects", "value"))
    def controller(projects):
        # big enough (> 500 bytes) to be compressed on the way back
        return {"projects": sorted(projects or []), "padding": "x" * 2000}

    @app.callback(Output("summary", "children"), Input("state", "data"), prevent_initial_call=True)
    def render(state):
        return ", ".join((state or {}).get("projects", [])) or "none"

    harden(app)
    server = app.server
''')


@pytest.fixture(scope="module")
def chained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chained")
    (folder / "chained_app.py").write_text(CHAINED_APP, encoding="utf-8")
    extra = {"PYTHONPATH": f"{folder}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with Gunicorn("chained_app:server", workers=2, extra_env=extra) as server:
        yield server


def test_a_filter_change_sets_off_the_dependent_callbacks(chained):
    import random

    scenario = Scenario.discover(chained.base)
    assert scenario.filter_control == ("projects", "value")
    rec, values = Recorder(), {}
    scenario.load_page(rec, chained.port, values)
    for seed in range(5):
        scenario.change_filter(rec, chained.port, random.Random(seed), values)
    kinds = [s.kind for s in rec.samples]
    assert kinds.count("filter:state.data") == 5
    assert kinds.count("filter:summary.children") >= 4     # followed although the answer came compressed
    assert all(s.ok for s in rec.samples), [s.error for s in rec.samples if not s.ok]
    assert values[("state", "data")]["projects"] == sorted(values[("projects", "value")])


def test_saturation_and_user_run_report_their_numbers(chained):
    scenario = Scenario.discover(chained.base)
    busy = saturate(chained.port, scenario, seconds=1.0, clients=2, kind="filter")
    # numbers, not speed (throughput is bench's job): it ran, without errors, each action = the 2 chained callbacks
    assert busy["requests"] > 0 and busy["errors"] == 0 and busy["requests_per_action"] == pytest.approx(2, 0.2)
    result = users_run(chained, scenario, users=4, seconds=4, think=0.5, exports=0, kill_at=2.0,
                       export_windows=[])
    assert result["filter"]["requests"] > 0
    # SIGKILL drops what the victim was answering (at most one request per user); nothing else may fail
    kill = result["worker_kill"]
    assert kill["failed_other"] == 0 and kill["failed_in_flight"] == result["errors"] <= 4, result
    assert kill["replaced_after_s"] is not None
    assert result["exports"] == {"note": "the app has no background (export) callback"}


def test_summary_percentiles():
    from bench.load_test import Sample

    samples = [Sample(t=0, kind="x", ms=float(ms), ok=ms != 100, status=200) for ms in range(1, 101)]
    out = summary(samples, seconds=10)
    assert out["requests"] == 100 and out["errors"] == 1 and out["rps"] == 10
    assert out["p50_ms"] == pytest.approx(50, abs=1) and out["p95_ms"] == pytest.approx(95, abs=1)
