"""Every screen and every reader (issue 12), the parts that need no browser: the table's sort buttons, the bars'
lists of buttons, a click on the map in the address, the embed snippet, and framing allowed for /embed only."""
from __future__ import annotations

import json
import re

import pytest

from dashboard import config
from dashboard.i18n import TEXT, dropdown_labels
from dashboard.model.state import FilterState
from dashboard.serving.guard import content_security_policy, is_embed_path
from dashboard.view import callbacks, layout
from dashboard.view.table import table_records


@pytest.fixture(scope="module")
def app(mini_atlas):
    from dashboard.app import create_app

    return create_app(mini_atlas)


def test_a_header_button_sorts_ascending_then_descending_then_not():
    first = callbacks.next_sort([], "name")
    assert first == [{"column_id": "name", "direction": "asc"}]
    second = callbacks.next_sort(first, "name")
    assert second == [{"column_id": "name", "direction": "desc"}]
    assert callbacks.next_sort(second, "name") == []
    assert callbacks.next_sort(second, "teryt") == [{"column_id": "teryt", "direction": "asc"}]  # one at a time
    assert callbacks.next_sort("junk", "nope") == []
    assert layout.sort_state(second)["name"] == "desc" and layout.sort_state(second)["teryt"] is None


def test_the_table_is_one_table_with_row_and_column_headers(mini_atlas):
    table = layout.data_table(mini_atlas, FilterState())
    head, body = table.children[1], table.children[2]
    ths = head.children.children
    assert [th.scope for th in ths] == ["col"] * 7 and all(type(th.children).__name__ == "Button" for th in ths)
    assert body.id == "table-body"  # the rows: written by assets/atlas.js from table_rows()
    records = table_records(mini_atlas, FilterState())
    sent = layout.table_rows(records)
    rows = [[sent["words"][v] if i in sent["coded"] else v for i, v in enumerate(row)] for row in sent["rows"]]
    assert rows == [["" if r[c] is None else (str(r[c]) if c in layout.TABLE_WORD_COLUMNS else r[c])
                     for c in layout.TABLE_COLUMNS] for r in records]
    assert len(rows) == 9 and all(len(r) == 7 for r in rows) and rows[0][0] == "Bolesławiec"
    assert len(sent["words"]) < 4 * len(rows)   # the repeated texts are sent once


def test_a_list_button_means_what_its_bar_means(mini_atlas):
    known = {"P1", "P2", "P3"}
    s = FilterState()
    voiv = callbacks.next_state(s, "by-voivodeship", callbacks.pick_points("by-voivodeship", "02"), known)
    assert voiv.voivodeships == ("02",)
    again = callbacks.next_state(voiv, "by-voivodeship", callbacks.pick_points("by-voivodeship", "02"), known)
    assert again.voivodeships == ()
    year = callbacks.next_state(s, "growth", callbacks.pick_points("growth", "2019"), known)
    assert year.years == (2019, 2019) and year.asof == s.asof == 2020
    # a year after the map's date: the map moves to it (as of 2020 no one who joined in 2024 could show)
    later = callbacks.next_state(s, "growth", callbacks.pick_points("growth", "2024"), known)
    assert later.years == (2024, 2024) and later.asof == 2024
    assert callbacks.next_state(s.replace(asof=2025), "growth", callbacks.pick_points("growth", "2024"),
                                known).asof == 2025
    unknown = callbacks.next_state(s, "growth", callbacks.pick_points("growth", "unknown"), known)
    assert unknown.is_unknown_only
    assert callbacks.pick_points("growth", "20x9") is None and callbacks.pick_points("map", "02") is None
    # a press as the browser sends it, and what a crafted request could send instead
    assert callbacks.picked_state(s, {"chart": "by-voivodeship", "key": "02", "n": 3}, known) == voiv
    for junk in (None, "by-voivodeship", {}, {"chart": ["growth"], "key": "2019"}, {"chart": "growth", "key": 2019},
                 {"chart": "map", "key": "02"}, {"chart": "by-project", "key": None}):
        assert callbacks.picked_state(s, junk, known) is None, junk
    texts, pressed = layout.pick_outputs(mini_atlas, voiv)["by-voivodeship"]
    keys = layout.pick_keys(mini_atlas)["by-voivodeship"]
    assert pressed[keys.index("02")] == "true" and pressed.count("true") == 1
    assert texts[keys.index("02")].startswith("dolnośląskie: ")


def test_chart_summaries_name_the_largest_bar(mini_atlas):
    text = layout.chart_summaries(mini_atlas, FilterState())
    assert set(text) == set(layout.PICK_CHARTS)
    assert "dolnośląskie (2)" in text["by-voivodeship"]
    en = layout.chart_summaries(mini_atlas, FilterState(lang="en"))
    assert en["growth"].startswith("Bar chart:")


@pytest.mark.parametrize("lang,most,none", [("pl", "najwięcej", "brak"), ("en", "most", "none")])
def test_a_chart_with_nothing_in_it_names_no_largest_bar(mini_atlas, lang, most, none):
    """"razem 0, najwięcej w 1990 (0)" / "najwięcej: dolnośląskie (0)" was read out of empty charts."""
    empty = FilterState(projects=("P3",), years=(1900, 1900), include_unknown_year=False, lang=lang)
    text = layout.chart_summaries(mini_atlas, empty)
    for chart in ("growth", "by-voivodeship"):
        assert most not in text[chart] and none in text[chart], text[chart]
    assert not (most in text["by-project"] and "(0)" in text["by-project"]), text["by-project"]
    # the voivodeship and project charts leave their own filter out, and say so rather than "in view"
    assert all("w widoku wg" not in x and "in view by" not in x for x in text.values())


def test_a_clicked_gmina_goes_into_the_address():
    event = {"points": [{"curveNumber": 0, "location": "1261011", "pointNumber": 3}]}
    assert callbacks.clicked_gmina(event) == "1261011"
    assert callbacks.clicked_gmina({"points": [{"curveNumber": 1, "location": "12"}]}) is None
    assert callbacks.clicked_gmina("junk") is None
    assert FilterState().replace(focus="1261011").to_query() == "town=1261011"


def test_the_legend_lists_every_class_with_its_colour(mini_atlas):
    from dashboard.view import figures

    upd = figures.map_update(mini_atlas, FilterState())
    items = figures.legend_items(upd)
    assert items[0][0] == figures.OTHER_GREY and "pozostałe gminy" in items[0][1]
    assert len(items) == len(upd["colorbar"]["tickvals"])
    fig = figures.map_figure(mini_atlas, FilterState(), "/geo/x.geojson", colorbar=False)
    assert fig.data[0].showscale is False and fig.layout.geo.domain.x == (0.0, 1.0)
    # the lighter members (known only from later sources): the HTML legend says so, in plain text (no markup)
    html_legend = layout.legend(upd)
    assert upd["undated_note"] and html_legend[-1].children[-1] == upd["undated_note"]
    assert "<" not in html_legend[0].children


def _luminance(hex_colour: str) -> float:
    c = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_map_classes_stand_out_from_the_grey_base_and_the_white_borders():
    from dashboard.view import figures

    for colour in (*figures.SEQUENTIAL, *figures.MEMBERSHIP.values()):
        assert _contrast(colour, figures.OTHER_GREY) >= 3.0, colour
        assert _contrast(colour, figures.BORDER) >= 3.0, colour
    assert _contrast(figures.LINE, "#ffffff") >= 4.5  # the right axis's tick labels


def test_the_widgets_speak_the_page_language():
    assert dropdown_labels("pl")["search"] == "Szukaj" and dropdown_labels("en")["search"] == "Search"
    assert dropdown_labels("pl")["no_options_found"] == "Brak wyników"
    config_pl = layout.graph_config(layout.GeoUrls("/g", "/w", "/t/"), "x", "pl")
    assert config_pl["locale"] == "pl" and config_pl["locales"]["pl"]["dictionary"]["Pan"] == "Przesuń"
    assert layout.graph_config(layout.GeoUrls("/g", "/w", "/t/"), "x", "en")["locale"] == "en-US"
    for key in ("skip_to_map", "embed_open", "embed_copy", "chart_list", "filters_on"):
        assert set(TEXT[key]) == {"pl", "en"}


def test_the_embed_snippet_is_an_iframe_of_the_same_view():
    code = layout.embed_snippet("https://atlas.example.pl/", "?p=P1&woj=02&lang=en", "en")
    assert code.startswith('<iframe src="https://atlas.example.pl/embed?p=P1&amp;woj=02&amp;lang=en"')
    assert 'title="Map of gminy' in code and 'height="640"' in code
    assert "<script" not in layout.embed_snippet("x", '?"><script>', "pl")


def test_the_embed_snippet_never_carries_the_host_of_the_request(monkeypatch):
    """Answers are cached and shared by every host name of the server: the snippet is a path (the page adds its
    origin), or ATLAS_PUBLIC_URL when set."""
    import flask

    monkeypatch.delenv("ATLAS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("ATLAS_URL_PREFIX", raising=False)
    with flask.Flask(__name__).test_request_context(base_url="http://other-host.example:9999"):
        code = callbacks.embed_code("?p=P1", "pl")
        assert code.startswith('<iframe src="/embed?p=P1"') and "other-host" not in code
        monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.example.pl")
        assert callbacks.embed_code("?p=P1", "pl").startswith('<iframe src="https://atlas.example.pl/embed?p=P1"')


def test_embed_origins_from_the_environment(monkeypatch):
    monkeypatch.delenv("ATLAS_EMBED_ORIGINS", raising=False)
    assert config.embed_origins() == ["*", "file:"]   # * alone: a page opened from a file could not frame it
    monkeypatch.setenv("ATLAS_EMBED_ORIGINS", "https://news.example.pl, https://*.example.org http://127.0.0.2:8000")
    assert config.embed_origins() == ["https://news.example.pl", "https://*.example.org", "http://127.0.0.2:8000"]
    monkeypatch.setenv("ATLAS_EMBED_ORIGINS", "https://news.example.pl file:")
    assert config.embed_origins() == ["https://news.example.pl", "file:"]
    monkeypatch.setenv("ATLAS_EMBED_ORIGINS", "javascript:alert(1)")
    with pytest.raises(ValueError, match="ATLAS_EMBED_ORIGINS"):
        config.embed_origins()
    assert "frame-ancestors 'none'" in content_security_policy()
    assert "frame-ancestors https://a.pl" in content_security_policy(frame_ancestors=["https://a.pl"])
    assert is_embed_path("/embed") and is_embed_path("/embed/_dash-layout") and not is_embed_path("/embedded")
    assert is_embed_path("/atlas/embed", "/atlas/") and not is_embed_path("/", "/")


def test_only_the_embed_page_may_be_framed(app, monkeypatch):
    client = app.server.test_client()
    main = client.get("/")
    assert "frame-ancestors 'none'" in main.headers["Content-Security-Policy"]
    assert main.headers["X-Frame-Options"] == "DENY"
    for path in ("/embed?p=P1&lang=en", "/embed/"):
        embed = client.get(path)
        assert embed.status_code == 200, path
        assert "frame-ancestors * file:" in embed.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in embed.headers
    monkeypatch.setenv("ATLAS_EMBED_ORIGINS", "https://news.example.pl")
    embed = client.get("/embed")
    assert re.search(r"frame-ancestors https://news\.example\.pl(;|$)", embed.headers["Content-Security-Policy"])
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]


def test_the_embed_callback_draws_the_view_of_its_query(app):
    client = app.server.test_client()
    layout_json = client.get("/embed/_dash-layout").get_json()
    assert "filters" not in json.dumps(layout_json)  # no filter chrome
    deps = client.get("/embed/_dash-dependencies").get_json()
    dep = next(d for d in deps if d["output"].startswith("..map.figure"))
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in dep["output"][2:-2].split("...")]
    body = {"output": dep["output"], "outputs": outputs,
            "inputs": [{"id": "url", "property": "search", "value": "?p=P2&lang=en&town=1261011"}],
            "state": [], "changedPropIds": ["url.search"]}
    r = client.post("/embed/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200, r.data[:300]
    answer = r.get_json()["response"]
    assert answer["embed-open"]["href"] == "/?p=P2&lang=en&town=1261011"
    assert answer["embed-open"]["children"] == "Open the full atlas" and answer["embed"]["lang"] == "en"
    assert "Kraków" in json.dumps(answer["details"]["children"], ensure_ascii=False)
    # the main page's callbacks are not answered on the embed's route, nor the embed's on the main one
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 404


def test_the_table_is_named_by_its_title_and_described_by_its_sort_hint(mini_atlas):
    """A screen reader named the table "Kliknij nagłówek kolumny, aby sortować." (its caption)."""
    table = layout.data_table(mini_atlas, FilterState())
    # (every key of I18N_KEYS is an element "i18n-<key>" of the page: layout.tr)
    assert getattr(table, "aria-labelledby") == "i18n-table_title" and "table_title" in layout.I18N_KEYS
    assert getattr(table, "aria-describedby") == "i18n-table_sort_hint"


@pytest.mark.parametrize("lang, said", [("pl", "najwięcej w 1990 i 1992 (po 1)"), ("en", "most in 1990 and 1992 (1 each)")])
def test_bars_tied_for_the_largest_are_all_named(mini_atlas, lang, said):
    """Kraków joined in 1990, Kwidzyn in 1992: one bar each. "najwięcej w 1990 (1)" told a screen reader that
    1992 had fewer."""
    text = layout.chart_summaries(mini_atlas, FilterState(voivodeships=("12", "22"), lang=lang))["growth"]
    assert said in text, text
