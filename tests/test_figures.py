"""Figures without a browser: structure, classes, legend counts, and that a filter change touches only the
small arrays a Patch carries."""
from __future__ import annotations

import json
import re

import numpy as np
import plotly.io as pio
import pytest

from dashboard.model.state import FilterState
from dashboard.view import callbacks, figures

URL = "/geo/gminy.test.geojson"


def test_map_figure_covers_every_gmina_with_geometry_by_url(mini_atlas):
    fig = figures.map_figure(mini_atlas, FilterState(), URL, outline="/geo/woj.geojson")
    gminy, outlines, focus, undated = fig.data
    assert gminy.geojson == URL and gminy.featureidkey == "id"
    # members without a dated join (Bolesławiec, Łódź, Cieszyn) are veiled: status at the date unknown
    assert sorted(undated.locations) == ["0201011", "1061011", "2403011"] and undated.hoverinfo == "skip"
    assert list(gminy.locations) == list(mini_atlas.gminy["terc"]) and len(gminy.locations) == 2477
    assert len(outlines.locations) == 16 and outlines.hoverinfo == "skip"
    assert list(focus.locations) == []
    assert fig.layout.geo.projection.type == "conic conformal"
    assert fig.layout.geo.visible is False
    # 8 gminy with cities coloured, every other gmina class 0 (grey)
    z = np.array(gminy.z)
    assert (z > 0).sum() == 8 and (z == 0).sum() == 2477 - 8
    assert len(pio.to_json(fig)) < 120_000  # geometry is not inline


def test_the_legends_note_on_lighter_gminy_shows_their_colours(mini_atlas):
    """The page's legend says "jaśniej: …" beside a swatch of each lighter colour the map draws (the exports had
    one, the page only words): the classes of the veiled gminy, half way to white."""
    from dashboard.view.layout import legend

    upd = figures.map_update(mini_atlas, FilterState())
    z = np.array(upd["z"])
    veiled = [i for i, terc in enumerate(mini_atlas.gminy["terc"]) if terc in set(upd["undated"])]
    colours = [c for _, c in upd["colorscale"][::2]]
    assert upd["undated_colours"] == [figures.veiled(colours[k]) for k in sorted(set(z[veiled]))]
    assert upd["undated_colours"] and all(c.startswith("#") and len(c) == 7 for c in upd["undated_colours"])
    note = legend(upd)[-1]
    swatches = [c.style["background"] for c in note.children if getattr(c, "className", "") == "swatch"]
    assert note.className == "legend-note" and len(swatches) == 1
    assert re.findall(r"#[0-9a-f]{6}", swatches[0]) == upd["undated_colours"]   # side by side, in class order


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_the_legend_names_the_chosen_towns_outline_and_says_when_the_filters_leave_it_out(mini_atlas, lang):
    """A found town the filters leave out was drawn outlined and grey with no word why (read as "not a member")."""
    from dashboard.view.boot import static_html
    from dashboard.view.layout import legend

    inside = figures.map_update(mini_atlas, FilterState(focus="1261011", lang=lang))          # Kraków, in P2
    outside = figures.map_update(mini_atlas, FilterState(focus="1261011", projects=("P1",), lang=lang))
    chosen, left_out = {"pl": ("wybrane miasto", "poza filtrami"), "en": ("the chosen town", "outside the filters")}[lang]
    assert inside["focus_label"] == f"Kraków – {chosen}"
    assert outside["focus_label"].startswith(f"Kraków – {chosen}") and left_out in outside["focus_label"]
    assert figures.map_update(mini_atlas, FilterState(lang=lang))["focus_label"] == ""
    line = legend(outside)[-1]
    swatch = line.children[0]
    assert line.className == "legend-note legend-town" and line.children[1] == outside["focus_label"]
    assert swatch.className == "swatch outline" and swatch.style == {"borderColor": figures.FOCUS}
    # the server-drawn page's copy of the legend writes the style as CSS (it wrote "borderColor:…")
    assert f'style="border-color:{figures.FOCUS}"' in static_html(line)


def test_stepped_legend_labels_carry_counts(mini_atlas):
    upd = figures.map_update(mini_atlas, FilterState())
    # projects per gmina: 0,0,0 (Białystok, Kwidzyn, Łódź), 1 x4, 3 (Cieszyn) -> classes 0 | 1 | 2–3
    assert upd["colorbar"]["ticktext"] == ["pozostałe gminy (2\xa0469)", "0 – członek bez<br>projektów w danych (3)",
                                           "1 (4)", "2–3 (1)"]
    en = figures.map_update(mini_atlas, FilterState(lang="en"))["colorbar"]["ticktext"]
    assert en[1] == "0 – member, no project<br>in the data (3)"
    assert upd["colorbar"]["tickvals"] == [0, 1, 2, 3]
    assert len(upd["colorscale"]) == 8  # 4 classes, 2 stops each (discrete steps)


def test_fisher_jenks_for_many_distinct_values():
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9])
    idx, classes = figures.classify_projects(values, "en")
    assert len(classes.labels) == figures.MAX_CLASSES
    assert sum(classes.counts) == len(values)
    assert idx.min() == 0 and idx.max() == figures.MAX_CLASSES - 1
    # 0 (no project in the data) is a class of its own, also with natural breaks
    assert classes.labels[0] == "0 – member, no project in the data" and classes.counts[0] == 1
    assert classes.labels[1].startswith("1–")


def test_membership_metric_uses_categories(mini_atlas):
    upd = figures.map_update(mini_atlas, FilterState(metric="membership", lang="en"))
    assert upd["colorbar"]["ticktext"][1:] == ["participant (not a<br>member) (1)",
                                              "member, no project in<br>the data (3)", "member, in projects (4)"]
    chosen = figures.map_update(mini_atlas, FilterState(metric="membership", projects=("P2",), lang="en"))
    assert chosen["colorbar"]["ticktext"][-1] == "member, in chosen<br>projects (3)"


def test_filter_change_changes_colours_and_a_patch_is_small(mini_atlas):
    base = figures.map_update(mini_atlas, FilterState())
    p1 = figures.map_update(mini_atlas, FilterState(projects=("P1",)))
    assert base["z"] != p1["z"]
    assert sum(1 for v in p1["z"] if v > 0) == 3
    changes = callbacks.map_changes(mini_atlas, FilterState(projects=("P1",)), zoom=False)
    body = json.dumps(changes)
    assert len(body) < 1_000 and "geojson" not in body and '"02' not in body  # positions, not codes or shapes
    z = [0] * len(mini_atlas.gminy)       # what assets/atlas.js mapPatch rebuilds from the positions
    for c, positions in changes["classes"].items():
        for i in positions:
            z[i] = int(c)
    assert z == p1["z"]


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
    bars, totals, unknown, departures, dated = fig.data
    # no departures in the mini atlas; dated members: Kraków 1990, Kwidzyn 1992, Wrocław and Białystok 2019
    assert min(departures.y) == 0 and dict(zip(dated.x, dated.y))["2019"] == 4 and dated.y[0] == 1
    assert list(unknown.x) == ["rok<br>nieznany"] and list(unknown.y) == [3]
    assert dict(zip(bars.x, bars.y))["2019"] == 2 and dict(zip(bars.x, bars.y))["1990"] == 1
    assert "1918" not in list(totals.x)  # interwar totals are not mixed into the post-1990 line
    sel = figures.growth_update(mini_atlas, FilterState(years=(2019, 2019), include_unknown_year=False))
    assert [bars.x[i] for i in sel["selectedpoints"]] == ["2019"] and sel["unknown_selectedpoints"] == []
    # the dated members' line, drawn over bars of one member, took their hover (and their click): its numbers are
    # in the bars' hover, kept with them by the chart's Patch
    assert dated.hoverinfo == "skip" and list(bars.customdata) == list(dated.y)
    assert "%{customdata}" in bars.hovertemplate and "z datą" in bars.hovertemplate
    patch = callbacks.growth_patch(sel).to_plotly_json()
    assert any(op["location"] == ["data", 0, "customdata"] and op["params"]["value"] == sel["dated"]
               for op in patch["operations"])


def test_growth_years_are_labelled_every_fifth_year_level(mini_atlas):
    """Not a slanted label for every second year (hard to read, on a phone above all): 1990, 1995, … level."""
    axis = figures.growth_figure(mini_atlas, FilterState()).layout.xaxis
    cats = list(axis.categoryarray)
    assert list(axis.tickvals) == [c for c in cats if int(c) % 5 == 0] and axis.tickvals[0] == "1990"
    assert axis.tickmode == "array" and axis.tickangle == 0


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


def test_the_published_totals_line_breaks_where_no_total_was_published_and_departures_read_as_counts():
    """The line joins only consecutive years with a published total (64 in 1991 and 307 in 2008 drew a straight
    rise through seventeen uncounted years); a departure bar, drawn down, says "2004: 2" on hover, not "-2"."""
    from dashboard.model.atlas import get_atlas

    atlas = get_atlas()
    fig = figures.growth_figure(atlas, FilterState(metric="membership"))
    line, down = fig.data[1], fig.data[3]
    published = dict(zip(figures.published_totals(atlas)["year"].astype(str), figures.published_totals(atlas)["members"]))
    points = dict(zip(line.x, line.y))
    assert {x: y for x, y in points.items() if y is not None} == published
    missing = [x for x in fig.layout.xaxis.categoryarray if x not in published and min(published) < x < max(published)]
    assert missing and all(points[x] is None for x in missing) and line.connectgaps is False
    assert "%{customdata}" in down.hovertemplate and "%{y}" not in down.hovertemplate
    assert list(down.customdata) == [-y for y in down.y] and max(down.customdata) > 0


@pytest.mark.parametrize("state", [FilterState(), FilterState(projects=("P1",)), FilterState(voivodeships=("02",))])
def test_growth_axes_have_round_ticks_on_one_grid(state):
    """The published-totals axis (right) has round ticks (0, 100, … 400 for 333), not values synced to the left
    axis (0, 68, 136, …); both axes have the same number of intervals, so one grid (the left's) serves both."""
    from dashboard.model.atlas import get_atlas

    atlas = get_atlas()
    fig = figures.growth_figure(atlas, state)
    right, left = fig.layout.yaxis2, fig.layout.yaxis
    top = max(y for y in fig.data[1].y if y is not None)
    ticks = list(right.tickvals)
    step = ticks[1] - ticks[0]
    assert right.tickmode == "array" and step in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
    assert ticks[0] == 0 and ticks == [i * step for i in range(len(ticks))]   # no negative total is labelled
    below = -right.range[0] / step   # whole intervals under zero for the departures, on both axes
    assert below == int(below) and top <= right.range[1] < top * 1.6 and right.showgrid is False
    assert ticks[-1] == right.range[1]
    intervals = right.range[1] / step
    assert intervals == int(intervals) and 3 <= intervals <= 5
    upd = figures.growth_update(atlas, state)   # what a filter change patches on the left axis
    assert left.tickmode == "linear" and upd["yaxis"]["range"][1] / upd["yaxis"]["dtick"] == intervals
    assert -upd["yaxis"]["range"][0] / upd["yaxis"]["dtick"] == below
    assert min(upd["down"]) >= upd["yaxis"]["range"][0]
    assert max(upd["y"]) <= upd["yaxis"]["range"][1]
    if state == FilterState():
        assert (step, right.range[1]) == (100, 400)  # 333 members at the end of 2020, 356 in 2024


def test_published_totals_hover_names_date_and_source():
    from dashboard.model.atlas import get_atlas

    atlas = get_atlas()
    for lang, date in (("pl", "31.12.2020"), ("en", "31 Dec 2020")):
        totals = figures.growth_figure(atlas, FilterState(lang=lang)).data[1]
        by_year = dict(zip(totals.x, zip(totals.y, (tuple(c) for c in totals.customdata))))
        members, (as_of, source) = by_year["2020"]
        assert members == 333 and as_of == date and source == "www.miasta.pl"
        assert "%{customdata[0]}" in totals.hovertemplate and "%{customdata[1]}" in totals.hovertemplate


def test_hover_names_the_voivodeship_of_every_gmina(mini_atlas):
    fig = figures.map_figure(mini_atlas, FilterState(), URL)
    gminy = fig.data[0]
    texts = dict(zip(gminy.locations, gminy.text))
    # a gmina with a city: its status and projects (the city's name only when it is not the gmina's, the heading)
    assert texts["0201011"] == "dolnośląskie<br>Rok przystąpienia: nieznany<br>Projekty: Rozwój miast"
    assert texts["0202011"] == "dolnośląskie"                                  # none in the data: still the region
    import dataclasses

    ent = mini_atlas.entities.copy()
    ent.loc[ent["name"] == "Bolesławiec", "name"] = "Miasto Bolesławiec"
    renamed = figures.hover_texts(dataclasses.replace(mini_atlas, entities=ent), "pl")
    assert "<br><b>Miasto Bolesławiec</b> · Rok przystąpienia" in renamed[list(mini_atlas.gminy["terc"]).index("0201011")]
    assert texts["1465011"] == "mazowieckie" and all(texts.values())
    assert "TERYT %{location} · %{text}" in gminy.hovertemplate


def test_horizontal_bars_show_values_as_text_not_ambiguous_ticks(mini_atlas):
    for fig in (figures.voivodeship_figure(mini_atlas, FilterState(projects=("P3",))),
                figures.project_figure(mini_atlas, FilterState(voivodeships=("24",)))):
        assert fig.layout.xaxis.showticklabels is False and fig.data[0].texttemplate == "%{text}"
        assert list(fig.data[0].text) == [str(x) for x in fig.data[0].x]


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


@pytest.mark.parametrize("lang, no_list", [("pl", "brak listy"), ("en", "no list")])
def test_a_project_with_no_list_of_participants_is_not_a_bar_of_0(atlas, lang, no_list):
    """SMUP (P2): no public source lists its pilot's cities — its bar said "0", read as "none took part". Its
    bar, its button in the bars' list and the map's notice say the data hold no list; a project with one keeps
    its count."""
    from dashboard.model import query
    from dashboard.view.callbacks import VIEW_OUTPUTS, view_outputs
    from dashboard.view.layout import bar_lists, shown_view

    upd = figures.project_update(atlas, FilterState(lang=lang))
    text = dict(zip(upd["customdata"], upd["text"]))
    count = dict(zip(upd["customdata"], upd["x"]))
    assert text["P2"] == no_list and text["P1"] == str(count["P1"]) and count["P1"] > 0
    assert f": {no_list}" in bar_lists(atlas, FilterState(lang=lang))["texts"]["by-project"][1]
    ids = [(o.component_id, o.component_property) for o in VIEW_OUTPUTS]
    for projects in (("P2",), ("P1",), ("P1", "P2")):
        state = FilterState(projects=projects, lang=lang)
        out = dict(zip(ids, view_outputs(atlas, None, state, shown_view(state), chip_keys=[], map_click=False)))
        assert query.unlisted_only(atlas, state) is (projects == ("P2",))
        assert out[("i18n-map_no_list", "hidden")] is (projects != ("P2",))
        assert out[("i18n-map_empty", "hidden")] is True   # P2: its own notice; P1: cities on the map


@pytest.mark.parametrize("state", [FilterState(), FilterState(metric="membership", projects=("P1",)),
                                   FilterState(voivodeships=("24", "02"), lang="en")])
def test_press_legend_is_the_maps_classification(mini_atlas, state, monkeypatch):
    """The press legend comes from figures.map_classes, the function the map itself classifies with."""
    from dashboard.export import press

    upd = figures.map_update(mini_atlas, state)
    legend = press.map_legend(mini_atlas, state)
    colours = [c for _, c in upd["colorscale"][::2]]
    assert [e.color for e in legend.entries] == colours[1:] + [figures.OTHER_GREY]
    assert [e.count for e in legend.entries][-1] == int((np.asarray(upd["z"]) == 0).sum())
    calls = []
    real = figures.map_classes
    monkeypatch.setattr(figures, "map_classes", lambda *a: calls.append(a) or real(*a))
    press.map_legend(mini_atlas, state)
    assert len(calls) == 1


def test_one_colour_pair_for_text(mini_atlas):
    from dashboard.export import press

    assert (press.INK, press.MUTED) == (figures.INK, figures.MUTED)


def test_data_text_is_escaped_in_plotly_markup(mini_atlas):
    """Names and labels from the office's files go into hover texts and bar labels: markup in them is shown as
    text, not interpreted (plotly reads <b>, <br>, <a href> in these strings)."""
    import dataclasses

    evil = "<a href='javascript:alert(1)'>X</a> & <b>"
    ent = mini_atlas.entities.copy()
    ent.loc[ent["name"] == "Cieszyn", "name"] = evil
    projects = mini_atlas.projects.copy()
    projects.loc[projects["id"] == "P1", "label_pl"] = evil
    atlas = dataclasses.replace(mini_atlas, entities=ent, projects=projects)
    hover = " ".join(figures.hover_texts(atlas, "pl"))
    assert "<a href" not in hover and "&lt;a href=" in hover and "&amp;" in hover
    bars = figures.project_update(atlas, FilterState())
    assert not any("<a" in y for y in bars["y"] + bars["hovertext"])


def test_project_bar_labels_take_two_lines_before_they_are_cut():
    assert figures.bar_label("Udział mieszkańców w planowaniu przestrzennym") == \
        "Udział mieszkańców w<br>planowaniu przestrzennym"
    assert figures.bar_label("Rynek <pracy> & co") == "Rynek &lt;pracy&gt; &amp; co"   # data text, escaped
    assert figures.bar_label("Line<br>break") == "Line&lt;br&gt;break"   # one line: it broke at the data's <br>
    long = figures.bar_label("one two three four five six seven eight nine ten eleven twelve thirteen fourteen")
    assert long.count("<br>") == 1 and long.endswith("…")
    assert figures.shorten("Kampania „Jedno dla wszystkich, wszyscy dla jednego”", 22) == "Kampania „Jedno dla…”"


def test_the_legends_other_gminy_are_those_of_the_chosen_area(mini_atlas, gminy_frame):
    """In a voivodeship's view the grey swatch counts that voivodeship's other gminy, not all of Poland's."""
    state = FilterState(voivodeships=("24",))
    upd = figures.map_update(mini_atlas, state)
    in_woj = int((gminy_frame["woj"] == "24").sum())
    shown = sum(c for c in figures.map_classes(mini_atlas, state)[2].counts)
    assert upd["colorbar"]["ticktext"][0] == f"pozostałe gminy ({in_woj - shown})"


def test_the_frames_table_covers_every_screen_shape_and_each_row_is_its_own_box():
    """The live map fits its ranges to its frame from this table (assets/atlas-frame.js interpolates between rows):
    rows by growing aspect, each row's ranges drawing a box of that aspect, from a tall phone frame to a wide one,
    and no gap between rows that linear interpolation would blur (< 7 % apart)."""
    from dashboard.view.projection import range_box_bounds

    frames = figures.map_frames()
    rows = frames["rows"]
    aspects = [r[0] for r in rows]
    assert aspects == sorted(aspects) and aspects[0] < 0.5 and aspects[-1] > 3.0
    assert max(b / a for a, b in zip(aspects, aspects[1:])) < 1.07
    for aspect, lat0, lat1, w, h in rows:
        x0, y0, x1, y1 = range_box_bounds(frames["lon"], (lat0, lat1))
        assert (x1 - x0) / (y1 - y0) == pytest.approx(aspect, rel=1e-4) and (w, h) == pytest.approx((x1 - x0, y1 - y0), abs=1e-6)
    x0, y0, x1, y1 = range_box_bounds(figures.GEO["lonaxis"]["range"], figures.GEO["lataxis"]["range"])
    assert frames["poland"] == pytest.approx([x1 - x0, y1 - y0], abs=1e-6) and frames["poland_lat"] == [48.95, 54.9]


def test_the_charts_text_lists_say_a_projects_name_as_text(mini_atlas):
    """The project chart's sentence and its list of bars showed a name as plotly's markup: "Rynek &amp;lt;pracy…"
    (the chart's hover text is escaped for plotly; a page's text is not markup)."""
    import dataclasses

    from dashboard.model.state import FilterState
    from dashboard.view import layout

    projects = mini_atlas.projects.copy()
    projects["label_pl"] = "Rynek <pracy> & co"
    atlas = dataclasses.replace(mini_atlas, projects=projects)
    state = FilterState()
    summary = layout.chart_summaries(atlas, state)["by-project"]
    texts = layout.bar_lists(atlas, state)["texts"]["by-project"]
    assert "Rynek <pracy> & co" in summary and "&amp;" not in summary and "&lt;" not in summary, summary
    assert all(x.startswith("Rynek <pracy> & co: ") for x in texts), texts


@pytest.mark.parametrize("lang, scope", [("pl", "cała Polska"), ("en", "all of Poland")])
def test_the_strips_figures_of_the_data_say_they_are_all_polands(atlas, lang, scope):
    """With ?p=P1&woj=24 the strip said 178 members and 99 participants beside a table of 5 cities, read as the
    region's: its figures of the data follow the date and evidence levels only, and their tag says so."""
    from dashboard.view.layout import strip, strip_numbers

    view = FilterState(projects=("P1",), voivodeships=("24",), lang=lang)
    assert str(strip_numbers(atlas, view)) == str(strip_numbers(atlas, FilterState(lang=lang)))
    assert scope in str(strip(atlas, lang, view)[1])


@pytest.mark.parametrize("lang, rural, urban", [("pl", "gm. wiejska", "gm. miejska"), ("en", "rural gmina", "urban gmina")])
def test_a_gminas_hover_says_its_kind_where_two_gminy_share_its_name(atlas, lang, rural, urban):
    """Pabianice's rural gmina (1008072) hovered as "Pabianice", read as the member city (1008021)."""
    texts = dict(zip(atlas.gminy["terc"], figures.hover_texts(atlas, lang)))
    assert texts["1008072"].startswith(f"{rural} · ") and texts["1008021"].startswith(f"{urban} · ")
    assert texts["1061011"].startswith(("łódzkie", "Łódzkie"))   # Łódź: a name of its own
