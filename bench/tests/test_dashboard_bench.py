"""bench/bench_dashboard.py builds its callback bodies from the app's own layout and /_dash-dependencies: a change of
the page's callbacks must not break the bench unnoticed."""
from __future__ import annotations


def test_the_dashboard_bench_drives_the_pages_callbacks(monkeypatch):
    from bench import bench_dashboard
    from dashboard.app import create_app
    from dashboard.model.atlas import get_atlas

    monkeypatch.setattr(bench_dashboard, "N_CALLS", 6)
    monkeypatch.setenv("ATLAS_CACHE", "off")
    atlas = get_atlas()
    result = bench_dashboard.measure_server(create_app(atlas), atlas)
    # a filter click answers the map's changes, far smaller than the full figures of a language change
    assert 0 < result["filter_cb_bytes_p50"] * 3 < result["full_figures_bytes_p50"], result
    assert result["layout_bytes"] > 0 and result["filter_cb_ms_p95"] >= result["filter_cb_ms_p50"]
