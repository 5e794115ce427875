"""Figures without a browser: structure, classes, legend counts, and that a filter change touches only the
small arrays a Patch carries."""
from __future__ import annotations

import json

import numpy as np
import plotly.io as pio

from dashboard import callbacks, figures
from dashboard.state import FilterState

URL = "/geo/gminy.test.geojson"


def test_map_figure_covers_every_gmina_with_geometry_by_url(mini_atlas):
    fig = figures.map_figure(mini_atlas, FilterState(), URL, outline="/geo/woj.geojson")
    gminy, outlines, focus = fig.data
    assert gminy.geojson == URL and gminy.featureidkey == "id"
    assert list(gminy.locations) == list(mini_atlas.gminy["terc"]) and len(gminy.locations) == 2477
    assert len(outlines.locations) == 16 and outlines.hoverinfo == "skip"
    assert list(focus.locations) == []
    assert fig.layout.geo.projection.type == "conic conformal"
    assert fig.layout.geo.visible is False
    # 8 gminy with cities coloured, every other gmina class 0 (grey)
    z = np.array(gminy.z)
    assert (z > 0).sum() == 8 and (z == 0).sum() == 2477 - 8
    assert len(pio.to_json(fig)) < 120_000  # geometry is not inline


def test_stepped_legend_labels_carry_counts(mini_atlas):
    upd = figures.map_update(mini_atlas, FilterState())
    # projects per gmina: 0,0,0 (Białystok, Kwidzyn, Łódź), 1 x4, 3 (Cieszyn) -> classes 0 | 1 | 2–3
    assert upd["colorbar"]["ticktext"] == ["pozostałe gminy (2\xa0469)", "0 (3)", "1 (4)", "2–3 (1)"]
    assert upd["colorbar"]["tickvals"] == [0, 1, 2, 3]
    assert len(upd["colorscale"]) == 8  # 4 classes, 2 stops each (discrete steps)


def test_fisher_jenks_for_many_distinct_values():
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9])
    idx, classes = figures.classify_projects(values, "en")
    assert len(classes.labels) == figures.MAX_CLASSES
    assert sum(classes.counts) == len(values)
    assert idx.min() == 0 and idx.max() == figures.MAX_CLASSES - 1


def test_membership_metric_uses_categories(mini_atlas):
    upd = figures.map_update(mini_atlas, FilterState(metric="membership", lang="en"))
    assert upd["colorbar"]["ticktext"][1:] == ["participant (not a member) (1)", "member (3)",
                                              "member, in chosen projects (4)"]


def test_filter_change_changes_colours_and_a_patch_is_small(mini_atlas):
    base = figures.map_update(mini_atlas, FilterState())
    p1 = figures.map_update(mini_atlas, FilterState(projects=("P1",)))
    assert base["z"] != p1["z"]
    assert sum(1 for v in p1["z"] if v > 0) == 3
    patch = callbacks.map_patch(mini_atlas, FilterState(projects=("P1",)), zoom=False)
    body = json.dumps(patch.to_plotly_json())
    assert len(body) < 15_000
    assert "geojson" not in body and "locations\": [\"02" not in body


def test_selection_and_focus(mini_atlas):
    s = FilterState(selected=("0264011",), focus="1061011")
    upd = figures.map_update(mini_atlas, s)
    pos = list(mini_atlas.gminy["terc"]).index("0264011")
    assert upd["selectedpoints"] == [pos]
    assert upd["focus"] == ["1061011"]
    view = figures.map_view_update(mini_atlas, s)
    assert 19 < view["center"]["lon"] < 20 and 51 < view["center"]["lat"] < 52.2  # Łódź
    assert view["scale"] == figures.FOCUS_SCALE
    whole = figures.map_view_update(mini_atlas, FilterState())
    assert whole["scale"] == 1
    region = figures.map_view_update(mini_atlas, FilterState(voivodeships=("02",)))
    assert 2 < region["scale"] < 6 and 15 < region["center"]["lon"] < 17.5  # dolnośląskie
    assert len({whole["uirevision"], region["uirevision"], view["uirevision"]}) == 3


def test_growth_figure_has_an_explicit_unknown_bar(mini_atlas):
    fig = figures.growth_figure(mini_atlas, FilterState())
    bars, totals, unknown = fig.data
    assert list(unknown.x) == ["rok<br>nieznany"] and list(unknown.y) == [3]
    assert dict(zip(bars.x, bars.y))["2019"] == 2 and dict(zip(bars.x, bars.y))["1990"] == 1
    assert "1918" not in list(totals.x)  # interwar totals are not mixed into the post-1990 line
    sel = figures.growth_update(mini_atlas, FilterState(years=(2019, 2019), include_unknown_year=False))
    assert [bars.x[i] for i in sel["selectedpoints"]] == ["2019"] and sel["unknown_selectedpoints"] == []


def test_bar_charts_highlight_their_own_dimension(mini_atlas):
    v = figures.voivodeship_update(mini_atlas, FilterState(voivodeships=("02",)))
    assert [v["customdata"][i] for i in v["selectedpoints"]] == ["02"]
    assert sum(v["x"]) == 7
    p = figures.project_update(mini_atlas, FilterState(projects=("P2",), lang="en"))
    assert [p["customdata"][i] for i in p["selectedpoints"]] == ["P2"]
    assert p["y"][p["customdata"].index("P2")] == "Service monitoring"


def test_english_figures(mini_atlas):
    fig = figures.map_figure(mini_atlas, FilterState(lang="en"), URL)
    assert fig.layout.separators == ".,"
    assert "other gminy" in fig.data[0].colorbar.ticktext[0]
    assert figures.map_figure(mini_atlas, FilterState(), URL).layout.separators == plotly_pl()


def plotly_pl():
    from dashboard.i18n import plotly_separators

    return plotly_separators("pl")
