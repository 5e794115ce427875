"""create_app's wiring, without a server or a browser: the atlas it is given is the one its exports use, settings
are checked at start-up, clientside outputs have no server function, every page text follows the language, the
source note links the shipped data description."""
from __future__ import annotations

import base64
import json
import os

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard import config
from dashboard.app import create_app
from dashboard.export import panel
from dashboard.i18n import t
from dashboard.view import layout
from tests.dash_client import walk_components


@pytest.fixture(scope="module")
def app(mini_atlas):
    return create_app(atlas=mini_atlas)


class _RecordingApp:
    """Just enough of a Dash app for panel.register: it records the callbacks instead of serving them."""

    class config:
        url_base_pathname = "/"

    class server:
        @staticmethod
        def add_url_rule(*args, **kwargs):
            pass

    def __init__(self):
        self.callbacks = []

    def clientside_callback(self, *args, **kwargs):
        pass

    def callback(self, *args, **kwargs):
        def decorate(fn):
            self.callbacks.append((fn, kwargs))
            return fn
        return decorate


@pytest.mark.parametrize("lang,expected", [("pl", "(4 kB, 3,8 s)"), ("en", "(4 kB, 3.8 s)")])
def test_the_export_status_writes_numbers_as_its_language_does(mini_atlas, monkeypatch, lang, expected):
    from dashboard.export.render import ExportResult

    monkeypatch.setattr("dashboard.export.render.render_export",
                        lambda spec, atlas: ExportResult(b"x" * 3800, "a.png", "image/png", "alt", 3.84))
    _, _, status, _ = panel.export_response({}, "social", "png", "", lang, atlas=mini_atlas)
    assert status.endswith(expected + "."), status


def test_the_export_renders_the_apps_own_atlas(mini_atlas, monkeypatch):
    """create_app(atlas=X) used to export get_atlas() — other data than the page showed."""
    seen = []
    monkeypatch.setattr("dashboard.export.render.render_export", lambda spec, atlas: seen.append(atlas) or 1 / 0)
    recorder = _RecordingApp()
    panel.register(recorder, mini_atlas, manager="a manager")
    (run_export, options), = [(fn, kw) for fn, kw in recorder.callbacks if kw.get("background")]
    assert options["manager"] == "a manager"
    with pytest.raises(ZeroDivisionError):
        run_export(lambda progress: None, "1-x", {}, "social", "png", "", "pl", [])
    assert seen == [mini_atlas]


def test_create_app_hands_its_atlas_to_the_export_panel(mini_atlas, monkeypatch):
    given = {}
    monkeypatch.setattr(panel, "register", lambda app, atlas, manager, **kw: given.setdefault("atlas", atlas))
    create_app(atlas=mini_atlas)
    assert given["atlas"] is mini_atlas


@pytest.mark.parametrize("name,value", [
    ("ATLAS_CACHE_MB", "abc"), ("ATLAS_CACHE", "sometimes"), ("ATLAS_PORT", "80000"),
    ("REDIS_URL", "http://:secret@cache:6379/0"), ("REDIS_URL", "redis://:secret@cache:99999/0"),
    ("REDIS_URL", "redis://:secret@cache:6379/abc"), ("REDIS_URL", "unix://"),
    ("ATLAS_JOB_SCHED", "low"), ("ATLAS_PUBLIC_URL", "atlas.miasta.pl"),
    ("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl/x?a=1"), ("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl/#f"),
    ("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl:99999"), ("ATLAS_EXPORT_CPUS", "0"), ("ATLAS_EXPORT_CPUS", "4096"),
    ("ATLAS_HOST", "not a host"), ("ATLAS_BIND", "127.0.0.1:99999"), ("ATLAS_BIND", "nonsense"),
    ("ATLAS_WORKER_CLASS", "bogus"), ("ATLAS_URL_PREFIX", "/a b/"), ("ATLAS_URL_PREFIX", "//"),
    ("ATLAS_EMBED_ORIGINS", ","), ("ATLAS_EMBED_ORIGINS", "https://news.example.pl:99999"),
    ("ATLAS_EMBED_ORIGINS", "https://..."), ("ATLAS_LOGO", "/nonexistent/logo.svg"), ("ATLAS_LOGO", "/etc/passwd")])
def test_a_bad_setting_stops_start_up_naming_the_variable(monkeypatch, mini_atlas, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match=name) as caught:
        create_app(atlas=mini_atlas)
    assert "secret" not in str(caught.value)


def test_rows_that_need_attention_are_said_in_the_footer_and_the_log(monkeypatch, mini_atlas, caplog):
    """data/README.md promised a notice; no view read atlas.report."""
    import dataclasses
    import json
    import logging

    def layout_node(app, node_id):
        def walk(node):
            if isinstance(node, dict):
                if node.get("props", {}).get("id") == node_id:
                    return node
                return next((f for v in node.values() if (f := walk(v)) is not None), None)
            if isinstance(node, list):
                return next((f for v in node if (f := walk(v)) is not None), None)
            return None
        return walk(json.loads(app.server.test_client().get("/_dash-layout").data))

    assert layout_node(create_app(atlas=mini_atlas), "data-attention")["props"]["hidden"] is True
    class Report:   # a report with four rows left off the map
        needs_attention = [object()] * 4

    with caplog.at_level(logging.WARNING, logger="atlas"):
        app = create_app(atlas=dataclasses.replace(mini_atlas, report=Report()))
    note = layout_node(app, "data-attention")
    assert note["props"]["hidden"] is False and "'4'" in json.dumps(note).replace('"', "'")
    assert "Wiersze plików danych, które wymagają uwagi" in json.dumps(note, ensure_ascii=False)
    assert any("4 rows of the data files need attention" in r.getMessage() for r in caplog.records)


def test_start_up_says_what_is_wrong_in_one_line(monkeypatch):
    import dashboard.app

    monkeypatch.setenv("ATLAS_CACHE_MB", "abc")
    with pytest.raises(SystemExit, match=r"cannot start: .*ATLAS_CACHE_MB='abc' is not a whole number"):
        dashboard.app.main()


def test_a_bad_data_file_or_an_unreachable_redis_stops_start_up_in_one_line(monkeypatch, tmp_path):
    import socket

    import dashboard.app

    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(SystemExit, match=r"cannot start: .*missing"):
        dashboard.app.start()
    monkeypatch.delenv("ATLAS_DATA_DIR")
    with socket.socket() as s:   # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("REDIS_URL", f"redis://:secret@127.0.0.1:{s.getsockname()[1]}/0")
        monkeypatch.setenv("ATLAS_SECRET_KEY", "k" * 32)   # Redis would not be asked for the signing key
        with pytest.raises(SystemExit, match=r"cannot start: Redis at REDIS_URL does not answer") as caught:
            dashboard.app.start()
    assert "secret" not in str(caught.value)


def test_good_settings_are_read_and_typed(monkeypatch):
    for name, value in {"ATLAS_CACHE_MB": "64", "ATLAS_CACHE": "memory", "REDIS_URL": "rediss://:pw@r:6380/1",
                        "ATLAS_JOB_SCHED": "normal", "ATLAS_CELERY_IMPORTS": "app, extra", "ATLAS_HOST": "::1",
                        "ATLAS_BIND": "0.0.0.0:8050", "ATLAS_WORKER_CLASS": "gthread", "ATLAS_URL_PREFIX": "/atlas/",
                        "ATLAS_EMBED_ORIGINS": "https://news.example.pl:8443 https://*.example.org file:",
                        "ATLAS_PUBLIC_URL": "https://miasta.pl/atlas/"}.items():
        monkeypatch.setenv(name, value)
    config.validate()
    assert (config.host(), config.bind(), config.worker_class(), config.url_prefix(), config.public_url()) == (
        "::1", "0.0.0.0:8050", "gthread", "/atlas/", "https://miasta.pl/atlas")
    monkeypatch.setenv("ATLAS_BIND", "unix:/run/atlas.sock")
    assert config.bind() == "unix:/run/atlas.sock"
    assert (config.cache_mb(), config.cache_mode(), config.redis_url(), config.job_sched_idle(),
            config.celery_imports()) == (64, "memory", "rediss://:pw@r:6380/1", False, ["app", "extra"])


def test_exports_get_the_last_cpus_and_leave_the_others_to_the_web_workers(monkeypatch):
    usable = sorted(os.sched_getaffinity(0))
    assert config.export_cpus() == usable[-max(1, len(usable) // 2):]
    monkeypatch.setenv("ATLAS_EXPORT_CPUS", "1")
    assert config.export_cpus() == usable[-1:]
    monkeypatch.setenv("ATLAS_EXPORT_CPUS", str(len(usable)))
    assert config.export_cpus() == usable


def test_every_page_text_follows_the_language(app):
    """Each "i18n-<key>" element of the page is an output of the language callback, and nothing else is."""
    def ids(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props.get("id"), str):
                yield props["id"]
            for value in props.values():
                yield from ids(value)
        elif isinstance(node, list):
            for item in node:
                yield from ids(item)

    client = app.server.test_client()
    page = {i[len("i18n-"):] for i in ids(client.get("/_dash-layout").get_json()) if i.startswith("i18n-")}
    deps = client.get("/_dash-dependencies").get_json()
    lang_cb = next(d for d in deps if any(i["id"] == "lang" for i in d["inputs"]) and "i18n-title" in d["output"])
    switched = {o.split(".")[0][len("i18n-"):] for o in lang_cb["output"].strip(".").split("...")
                if o.startswith("i18n-")}
    assert page == switched == set(layout.I18N_KEYS)
    with pytest.raises(KeyError, match="I18N_KEYS"):
        layout.tr("not_a_page_text")


def _legend(layout_json: dict) -> str:
    """The legend's texts in a /_dash-layout answer."""
    found = []

    def walk(node, inside=False):
        if isinstance(node, dict):
            props = node.get("props", {})
            inside = inside or props.get("id") == "legend"
            for key, value in props.items():
                if inside and key == "children" and isinstance(value, (str, int, float)):
                    found.append(str(value))
                walk(value, inside)
        elif isinstance(node, list):
            for item in node:
                walk(item, inside)

    walk(layout_json)
    return " ".join(found)


@pytest.mark.parametrize("path", ["/_dash-layout", "/embed/_dash-layout"])
def test_the_layout_comes_with_the_legend_of_the_pages_view(app, mini_atlas, path):
    """/_dash-layout answers with the legend of its Referer's view (and in its language); a Referer of the default
    view, none, or one that is no address of a view gets the default layout."""
    from dashboard.model.query import address_view
    from dashboard.view import figures

    client = app.server.test_client()
    default = client.get(path).get_json()
    view = "woj=12&p=P2&lang=en"
    answer = client.get(path, headers={"Referer": f"http://atlas.example/?{view}"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    legend = layout.legend(figures.map_update(mini_atlas, address_view(mini_atlas, view)))
    expected = _legend(json.loads(json.dumps({"props": {"id": "legend", "children": legend}}, cls=PlotlyJSONEncoder)))
    assert _legend(answer.get_json()) == expected != _legend(default)
    assert answer.get_data() == client.get(path, headers={"Referer": f"http://other.example/embed?{view}"}).get_data()
    for referer in ("http://atlas.example/", "\u017c" * 3000, "http://atlas.example/?lang=pl"):
        assert client.get(path, headers={"Referer": referer}).get_json() == default, referer
    # a tampered address: the default view (its wrong values left out) and, on the atlas's page, its notice
    tampered = client.get(path, headers={"Referer": "http://atlas.example/?p=P99&woj=99&asof=x"}).get_json()
    # (on /embed too: the journalist checking the article must see that the map is not the one asked for)
    notice = [c["props"] for c in walk_components(tampered) if c.get("props", {}).get("id") == "notice"]
    expected = layout.notice_text(address_view(mini_atlas, "p=P99&woj=99&asof=x"), embed=path.startswith("/embed"))
    assert expected and notice[0]["children"] == expected and notice[0]["hidden"] is False
    notice[0].update(children=None, hidden=True, **({"title": None} if "title" in notice[0] else {}))
    assert tampered == default


@pytest.mark.parametrize("view", ["woj=12&p=P2&lang=en", "town=1261011&metric=membership",
                                  "sel=1261011,0201011&years=unknown", "asof=2010&ev=list,weak&lang=en",
                                  "woj=99&years=abc&p=P1&zzz=1"])
def test_a_views_page_starts_as_the_first_answer_left_the_default_one(app, mini_atlas, view):
    """A filtered address's layout is the default one with everything its first answer set (controls, stores,
    chips, key figures, legend, details, the map's figure, a tampered address's notice), so that answer changes
    nothing: before, it patched the early map (drawn again) and asked for the charts a second time."""
    from dashboard.model.query import address_view
    from dashboard.view import figures
    from tests.dash_client import DashPage

    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    controller = next(d for d in deps if d["output"].startswith("..state.data...url.search..."))

    def page(referer: str | None) -> DashPage:
        headers = {"Referer": f"http://atlas.example/?{referer}"} if referer else {}
        return DashPage.of(client.get("/_dash-layout", headers=headers).get_json(), deps)

    def first_answer(of: DashPage, search: str = "?" + view) -> dict:
        answer = client.post("/_dash-update-component", json=of.payload(controller, {("url", "search"): search}))
        return answer.get_json()["response"] if answer.status_code == 200 else {}

    own = page(view)
    set_by_the_first_answer = {(ident, prop): value for ident, props in first_answer(page(None)).items()
                               for prop, value in props.items()}
    for key in (("map-changes", "data"), ("embed-snippet", "data"), ("url", "search"), ("map", "config")):
        set_by_the_first_answer.pop(key, None)   # the figure is compared below; the snippet needs the server's origin
    assert len(set_by_the_first_answer) > 10
    assert {k: own.value(*k) for k in set_by_the_first_answer} == set_by_the_first_answer
    # "unknown join year only" is said under the year slider, which cannot show it (a full range looked unfiltered)
    assert own.value("years-note", "hidden") is ("years=unknown" not in view)
    state = address_view(mini_atlas, view)   # and the charts' summaries (the charts are drawn for it after the map)
    summaries = layout.chart_summaries(mini_atlas, state, layout.chart_updates(mini_atlas, state))
    assert {g: own.value(f"{g}-summary", "children") for g in layout.PICK_CHARTS} == summaries
    z = own.value("map", "figure")["data"][0]["z"]   # plotly's typed array: {"dtype", "bdata"}
    drawn = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
    assert drawn.tolist() == list(figures.map_update(mini_atlas, address_view(mini_atlas, view))["z"])
    canonical = "?" + address_view(mini_atlas, view).to_query()
    assert set(first_answer(own, canonical)) == {"embed-snippet"}
    if canonical != "?" + view:   # the address in its canonical form (and a tampered one's notice), nothing else
        again = first_answer(own)
        assert again.pop("url") == {"search": canonical} and set(again) <= {"embed-snippet", "notice"}
        assert own.value("notice", "hidden") is not bool(state.notices)


def test_an_embedded_towns_card_is_of_the_views_date(app, mini_atlas):
    """/embed?asof=1990&town=… said "Stan na 31.12.2020: członek" under a map of 1990 (its card was written for the
    default date): an article would print a wrong fact. The card of the address's town and of a clicked gmina."""
    from dashboard.model import query
    from dashboard.model.state import FilterState
    from tests.dash_client import DashPage

    client = app.server.test_client()
    deps = client.get("/embed/_dash-dependencies").get_json()
    page = DashPage.of(client.get("/embed/_dash-layout").get_json(), deps)
    lo, _ = query.year_range(mini_atlas)
    ent = mini_atlas.entities
    town = str(ent.loc[ent["is_member"], "gmina_teryt"].dropna().iloc[0])
    view = FilterState(asof=lo, focus=town)
    expected = json.loads(json.dumps(layout.details_panel(mini_atlas, town, "pl", view, level=2),
                                     cls=PlotlyJSONEncoder))
    default = json.loads(json.dumps(layout.details_panel(mini_atlas, town, "pl", level=2), cls=PlotlyJSONEncoder))
    assert expected != default and f"31.12.{lo}" in json.dumps(expected, ensure_ascii=False)

    def answer(output_prefix: str, values: dict):
        dep = next(d for d in deps if d["output"].startswith(output_prefix))
        body = client.post("/embed/_dash-update-component", json=page.payload(dep, values)).get_json()
        return body["response"]["details"]["children"]

    search = "?" + view.to_query()
    assert answer("..map.figure", {("url", "search"): search}) == expected
    assert answer("details.children@", {("url", "search"): search,
                                        ("map", "clickData"): {"points": [{"location": town}]}}) == expected


def test_the_source_note_links_the_shipped_data_description(app):
    client = app.server.test_client()
    assert '"href": "/data/README.md"' in json.dumps(client.get("/_dash-layout").get_json())
    readme = client.get("/data/README.md")
    assert readme.status_code == 200 and readme.headers["Content-Type"].startswith("text/markdown")
    assert "SOURCES.md" not in json.dumps(client.get("/_dash-layout").get_json())


@pytest.mark.parametrize("path, lang, title", [
    ("/", "pl", "Atlas Związku Miast Polskich"), ("/?lang=en&woj=24", "en", "Atlas of the Association of Polish Cities"),
    ("/embed?lang=en", "en", "Map of gminy – Atlas of the Association of Polish Cities"),
    ("/embed?woj=12", "pl", "Mapa gmin – Atlas Związku Miast Polskich"), ("/?lang=xx", "pl", "Atlas Związku Miast Polskich")])
def test_the_page_as_sent_is_in_the_views_language(app, path, lang, title):
    """A shared link's preview and a screen reader's first words come from the HTML the server sends: its <html
    lang>, <title> and description follow the view's language."""
    import re

    page = app.server.test_client().get(path).get_data(as_text=True)
    assert re.search(r"<html[^>]*>", page).group(0) == f'<html lang="{lang}">'
    assert re.search(r"<title>(.*?)</title>", page).group(1) == title
    if not path.startswith("/embed"):
        from dashboard.i18n import t

        assert f'name="description" content="{t("subtitle", lang)}"' in page


def test_slider_marks_leave_room_for_the_end_year():
    """No decade label within 6 years of the end (at 1024 px "2020" ran into "2025"), the ends always shown."""
    assert layout.decade_marks(1990, 2025, end_gap=6) == {1990: "1990", 2000: "2000", 2010: "2010", 2025: "2025"}
    assert 2020 in layout.decade_marks(1990, 2030, end_gap=6)


def test_a_source_link_reads_as_an_address_bar_writes_it():
    """Percent-encoded Polish letters ("samorz%C4%85d") in a source's link text: the text decoded, the link kept."""
    parts = layout.linkify("ZMP: https://miasta.pl/samorz%C4%85d-miasta-cieszyna?x=%20 (2020)")
    link = parts[1]
    assert link.children == "https://miasta.pl/samorząd-miasta-cieszyna?x= " and \
        link.href == "https://miasta.pl/samorz%C4%85d-miasta-cieszyna?x=%20"
    assert parts[0] == "ZMP: " and parts[2] == " (2020)"


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_the_details_guide_coming_back_is_announced_in_one_line(mini_atlas, lang):
    """The details panel is a live region: after "Wyczyść wszystko" a screen reader read its whole guide again
    (~470 characters). What is announced of the guide is its first line; its list is marked aria-live=off."""
    def announced(node, live=True) -> str:
        if isinstance(node, str):
            return node if live else ""
        if isinstance(node, list):
            return "".join(announced(child, live) for child in node)
        if isinstance(node, dict) and "props" in node:
            live = live and node["props"].get("aria-live") != "off"
            return announced(node["props"].get("children"), live)
        return ""

    tree = json.loads(json.dumps(layout.details_panel(mini_atlas, None, lang), cls=PlotlyJSONEncoder))
    text = announced(tree)
    assert text == t("details_empty", lang) and len(text) < 100, text
    assert len(" ".join(announced(c, live=True) for c in walk_components(tree) if c["type"] == "Li")) > 300
