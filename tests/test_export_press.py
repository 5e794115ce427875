"""Press-ready graphics (issue 13): what a newspaper's graphics desk checks, read back from the exports.

Pure checks first (texts, grammar, colours, frame geometry, label placement, file names, CLI, roles, the table's
CSV/XLSX); then a few renders (kaleido, ~2-4 s each; run under the shared lock): the PDF's text, the drawn extent of
single / several / non-adjacent voivodeships against the frame, a town view.
"""
from __future__ import annotations

import io
import itertools
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from dashboard.export.cli import build_parser, make_specs
from dashboard.export.press import PRESETS, ExportSpec, map_legend, press_figure
from dashboard.i18n import VOIVODESHIP_LOCATIVE, display_name, format_number, in_voivodeships, t
from dashboard.model import query
from dashboard.model.state import EVIDENCE_DEFAULT, FilterState
from dashboard.view import figures
from dashboard.view.table import table_frame
from tests.system_tools import output

LOCAL = re.compile(r"127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|\[::1\]")
LUBELSKIE_P1 = FilterState(projects=("P1",), voivodeships=("06",))
BILGORAJ = FilterState(projects=("P1",), voivodeships=("06",), focus="0602011")
SELECTIONS = {"single": ("06",), "several": ("02", "08", "22", "32"), "non-adjacent": ("18", "22")}


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


def _pf(atlas, state, preset="social", lang="pl", fmt="png"):
    from dashboard.export.render import press_geojson, press_outline

    return press_figure(atlas, ExportSpec(state=state.replace(lang=lang), preset=preset, format=fmt), press_geojson(),
                        outline=press_outline())


@pytest.mark.parametrize("lang, members, later", [("pl", "członków ZMP w danych", "znanych z późniejszych źródeł"),
                                                  ("en", "ZMP members in the data", "known from later sources")])
def test_the_membership_views_key_figure_counts_its_members_at_its_date(atlas, lang, members, later):
    """At the end of 1995 the key figure read "229 samorządów" (every JST on the map, project participants of
    2016-2023 included): now the members at that date by the summary command's reading, and how many of them
    only later sources list."""
    from dashboard.model.membership import summary

    counts = summary(atlas, 1995, EVIDENCE_DEFAULT)["counts"]
    facts = _pf(atlas, FilterState(metric="membership", asof=1995), lang=lang).texts.facts
    n = counts["member"] + counts["member_undated"]
    assert facts[:2] == (format_number(n, lang), members), facts
    assert f"{format_number(counts['member_undated'], lang)} {later}" in facts[2], facts


@pytest.mark.parametrize("subtitle, expected", [
    ("18 miast w projekcie", "stan członkostwa na 31.12.1995 · 18 miast w projekcie"),
    ("", "stan członkostwa na 31.12.1995")])
def test_an_own_subtitle_keeps_the_views_date(atlas, subtitle, expected):
    """--subtitle replaced the generated one with its date: the 1995 view's '18 miast' read as today's."""
    spec = ExportSpec(state=FilterState(asof=1995, projects=("P1",)), preset="social", format="png",
                      subtitle=subtitle)
    from dashboard.export.render import press_geojson, press_outline

    assert press_figure(atlas, spec, press_geojson(), outline=press_outline()).texts.subtitle == expected


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_a_project_with_no_list_of_participants_is_not_printed_as_none_took_part(atlas, lang):
    """P2 (SMUP: at least 40 JST in its pilot, no public list of them) printed "0 · żadne miasto nie spełnia
    filtrów": now that the data hold no list. A view empty for other reasons still says no city matches."""
    from tests.conftest import shipped_rows

    listed = {r["project_id"] for r in shipped_rows("participation.csv")}
    unlisted = [r["id"] for r in shipped_rows("projects.csv") if r["id"] not in listed]
    assert unlisted, "the shipped data list participants of every project: choose another case"
    texts = _pf(atlas, FilterState(projects=(unlisted[0],)), lang=lang).texts
    no_list = t("export_no_list", lang).split("|")[0]
    assert texts.facts == ("0", no_list) and texts.subtitle.endswith(no_list)
    empty = _pf(atlas, FilterState(projects=("P3",), voivodeships=("08",)), lang=lang).texts
    assert empty.facts == ("0", t("export_no_match", lang)), empty.facts


@pytest.mark.parametrize("lang, off_map, drawn", [
    ("pl", "1\u00a0powiat nie jest na mapie", "Na mapie są 3 miasta w 3 gminach."),
    ("en", "1\u00a0county is not on the map", "The map shows 3 cities in 3 gminy.")])
def test_a_counted_powiat_is_said_to_be_off_the_map(atlas, lang, off_map, drawn):
    """Opolskie: 3 towns and powiat brzeski (a participant) are counted; a powiat has no gmina of its own on the
    map, and the graphic said nothing of it (its alt text said it was on the map)."""
    from dashboard.export.texts import alt_text

    pf = _pf(atlas, FilterState(voivodeships=("16",)), lang=lang)
    kinds = pf.entities["jst_kind"].value_counts().to_dict()
    assert kinds == {"town": 3, "powiat": 1}, kinds   # the shipped data's case: else choose another
    assert off_map in pf.texts.subtitle
    assert drawn in alt_text(pf.texts, pf.entities, lang)


# --- words ---------------------------------------------------------------------------------------------------
def test_locative_of_all_16_voivodeships():
    from dashboard.ingest.values import VOIVODESHIPS

    assert set(VOIVODESHIP_LOCATIVE) == set(VOIVODESHIPS.values())
    assert all(loc.endswith("im") and loc[:-2] == name[:-2] for name, loc in VOIVODESHIP_LOCATIVE.items())
    assert in_voivodeships(["lubelskie"], "pl") == "w województwie lubelskim"
    assert in_voivodeships(["pomorskie", "podkarpackie"], "pl") == "w województwach: pomorskim i podkarpackim"
    assert in_voivodeships(["lubelskie"], "en") == "in Lubelskie Voivodeship"


def test_one_english_name_of_the_union():
    from dashboard.i18n import TEXT

    english = " ".join(v.get("en", "") for v in TEXT.values())
    assert "Union of Polish Cities" not in english and "Union's" not in english
    assert "Association of Polish Cities" in t("title", "en") and "Association of Polish Cities" in t(
        "export_source", "en")


@pytest.mark.parametrize("state", [FilterState(), FilterState(voivodeships=("24",)), FilterState(projects=("P1",)),
                                   FilterState(metric="membership")], ids=["default", "slaskie", "P1", "membership"])
def test_the_export_counts_the_cities_and_classes_the_dashboard_shows(atlas, state):
    """One definition of taking part: rows that do not count (an expert visit) are left out of the dashboard's map,
    table and counts as they are out of the export's."""
    pf = _pf(atlas, state)
    assert len(pf.entities) == query.count_in_view(atlas, state)
    shown = figures.map_classes(atlas, state)[2]
    printed = [(e.label, e.count) for e in pf.texts.legend.entries[:len(shown.counts)]]
    assert printed == list(zip(shown.labels, shown.counts))


def test_print_wording_has_no_screen_words(atlas):
    for lang, state in itertools.product(("pl", "en"), (FilterState(), LUBELSKIE_P1, BILGORAJ)):
        pf = _pf(atlas, state, lang=lang)
        words = " ".join([pf.texts.title, pf.texts.subtitle, *pf.texts.facts])
        assert "w widoku" not in words and "in view" not in words, words


def test_key_figure_label_does_not_repeat_ponad(atlas):
    from dashboard.i18n import figure_label, format_figure

    row = atlas.summary.set_index("key").loc["project_cities"]
    shown = format_figure(float(row["value"]), row["unit"], "pl")
    assert shown.startswith("ponad") and "ponad" not in figure_label(row["label_pl"], row["unit"])
    assert "over" not in figure_label(row["label_en"], row["unit"])


# --- no loopback link ----------------------------------------------------------------------------------------
def test_graphic_prints_no_link_without_a_public_address(atlas, monkeypatch):
    monkeypatch.delenv("ATLAS_PUBLIC_URL", raising=False)
    pf = _pf(atlas, LUBELSKIE_P1)
    texts = " ".join(a.text for a in pf.figure.layout.annotations)
    assert not LOCAL.search(texts) and "http" not in texts
    monkeypatch.setenv("ATLAS_PUBLIC_URL", "http://127.0.0.1:8050")
    assert not LOCAL.search(" ".join(a.text for a in _pf(atlas, LUBELSKIE_P1).figure.layout.annotations))
    monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl")
    assert "atlas.miasta.pl/?p=P1&amp;woj=06" in " ".join(a.text for a in _pf(atlas, LUBELSKIE_P1).figure.layout.annotations)


# --- colours -------------------------------------------------------------------------------------------------
def test_same_class_same_colour_in_every_view(atlas):
    views = [FilterState(), FilterState(projects=("P1",)), LUBELSKIE_P1, FilterState(projects=("P1", "P4")),
             FilterState(voivodeships=("06",)), FilterState(voivodeships=("02", "08", "22", "32")),
             FilterState(projects=("P2",), voivodeships=("24",))]
    colour_of: dict[str, set] = {}
    for state in views:
        for e in map_legend(atlas, state).entries:
            colour_of.setdefault(e.label, set()).add(e.color)
    assert {k: v for k, v in colour_of.items() if len(v) > 1} == {}
    assert colour_of["1"] == {figures.PROJECT_COLOURS[1]}


# --- the frame -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SELECTIONS) + ["poland", "town"])
@pytest.mark.parametrize("preset", ["a4", "social", "square"])
def test_frame_fits_the_selection_with_even_margins(atlas, name, preset):
    state = (FilterState(voivodeships=SELECTIONS[name]) if name in SELECTIONS else
             BILGORAJ if name == "town" else FilterState())
    pf = _pf(atlas, state, preset=preset)
    p, fr = PRESETS[preset], pf.frame
    box, inner = fr.box, fr.inner
    m = p.margin - 0.5
    assert box.x >= m and box.y >= m and box.x + box.w <= p.css_width - m and box.y + box.h <= pf.layout.rule_y
    # the selection's projected bounds land on `inner`: centred in the frame, even margins on the tight side
    left, right = inner.x - box.x, box.x + box.w - inner.x - inner.w
    top, bottom = inner.y - box.y, box.y + box.h - inner.y - inner.h
    assert abs(left - right) < 0.5 and abs(top - bottom) < 0.5
    assert min(left, top) >= -0.01 and min(left, top) <= 0.05 * box.w + 6
    # the selection fills the frame on at least one axis
    assert inner.w >= 0.85 * box.w or inner.h >= 0.85 * box.h


# --- labels --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state,preset", [(LUBELSKIE_P1, "a4"), (FilterState(projects=("P4",)), "a4"),
                                          (FilterState(voivodeships=("02", "08", "22", "32")), "a4"), (BILGORAJ, "a4"),
                                          (FilterState(voivodeships=("18", "22"), lang="en"), "a4"),
                                          (FilterState(voivodeships=("06",)), "social"),
                                          (FilterState(voivodeships=("24",)), "social")])
def test_labels_do_not_overlap_and_stay_in_the_frame(atlas, state, preset):
    """…and each name is read as its own city's: without a leader line no other named city's dot is nearer to it
    ("Sopot" stood over the Kartuzy dot), and two names on one line keep apart ("Łuków Międzyrzec Podlaski")."""
    def _distance(b, x, y):   # from a point to the nearest point of a box
        return math.hypot(max(b.x - x, 0.0, x - b.x - b.w), max(b.y - y, 0.0, y - b.y - b.h))

    pf = _pf(atlas, state, preset=preset)
    boxes = [lb.box for lb in pf.labels]
    fb = pf.frame.box
    for b in boxes:
        assert fb.x <= b.x and b.x + b.w <= fb.x + fb.w and fb.y <= b.y and b.y + b.h <= fb.y + fb.h
    for a, b in itertools.combinations(boxes, 2):
        assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
        if not (a.y + a.h <= b.y or b.y + b.h <= a.y):   # side by side: more than a space apart
            assert max(b.x - a.x - a.w, a.x - b.x - b.w) >= 0.5 * a.h
    for lb in pf.labels:
        if not lb.leader:
            mine = _distance(lb.box, lb.x, lb.y)
            assert all(_distance(lb.box, o.x, o.y) >= mine for o in pf.labels), lb.name
    on_map = query.filter_entities(atlas, state)
    if state.focus:
        assert "Biłgoraj" in pf.texts.labels
    elif on_map["gmina_teryt"].notna().sum() <= 25:   # a small view names every city on the map
        from dashboard.model.atlas import participation_only

        names = {display_name(n, state.lang) for n in
                 query.filter_entities(participation_only(atlas), state).dropna(subset=["gmina_teryt"])["name"]}
        assert names == set(pf.texts.labels)


@pytest.mark.parametrize("woj", ["24", "14"])   # Upper Silesia and Mazovia: the densest leader lines
def test_leader_lines_are_untangled(atlas, monkeypatch, woj):
    """A leader line crossing another, running under a name or over another city's dot, or a name over a line,
    leads a reader to the wrong dot: the names are moved among their free places (annealing, then every move that
    still lowers the cost), and fewer such pairs are left than the greedy placement gave, and than the annealing
    alone (Upper Silesia at social size: 7 pairs greedy, 4 annealed, 3 settled)."""
    from dashboard.export import labels
    from dashboard.export.press import _label_size
    from dashboard.export.spec import PRESETS

    dot = _label_size(PRESETS["social"])[1]

    def tangled_pairs(placed):
        return sum(labels._tangles(lb, placed[k + 1:], dot) for k, lb in enumerate(placed))

    state = FilterState(voivodeships=(woj,))
    settled = _pf(atlas, state).labels
    monkeypatch.setattr(labels, "_settle", lambda cur, *args: cur)
    annealed = _pf(atlas, state).labels
    monkeypatch.setattr(labels, "_untangle", lambda placed, *args, **kwargs: placed)
    greedy = _pf(atlas, state).labels
    assert {lb.name for lb in settled} == {lb.name for lb in annealed} == {lb.name for lb in greedy}
    counts = tangled_pairs(greedy), tangled_pairs(annealed), tangled_pairs(settled)
    assert counts[0] > counts[1] > counts[2], counts


def test_a_leader_line_over_another_citys_dot_is_a_tangle():
    """Kobyłka's line drawn across Wołomin's dot reads as Wołomin's name; beside it, it does not."""
    from dashboard.export.labels import Label, _tangles
    from dashboard.export.page import Box

    wolomin = Label("Wołomin", 50, 50, Box(30, 32, 40, 12), leader=False)   # its name above its dot
    across = Label("Kobyłka", 20, 50, Box(100, 44, 40, 12), leader=True)    # line along y = 50, over (50, 50)
    beside = Label("Kobyłka", 20, 80, Box(100, 74, 40, 12), leader=True)    # line along y = 80
    assert _tangles(across, [wolomin], dot=2.0) == 1 and _tangles(wolomin, [across], dot=2.0) == 1
    assert _tangles(beside, [wolomin], dot=2.0) == 0


def test_a_data_name_that_says_its_gminas_kind_reads_in_the_pages_language(atlas):
    """"Górowo Iławeckie (gmina wiejska)" was Polish in the English table, CSV, map hover and export labels (the
    details and the town search said "(rural gmina)")."""
    said = [n for n in query.derived(atlas).entities["name"] if re.search(r"\(gmina (wiejska|miejska)", n)]
    assert said, "the data has no such name any more: this test checks nothing"
    english = FilterState(lang="en", voivodeships=("28",))
    shown = [*table_frame(atlas, english)["name"], *figures.hover_texts(atlas, "en"),
             *_pf(atlas, english, lang="en").texts.labels]
    assert not [x for x in shown if re.search(r"\(gmina (wiejska|miejska)", x)]
    assert any("(rural gmina)" in x for x in shown)
    polish = [*table_frame(atlas, english.replace(lang="pl"))["name"], *_pf(atlas, english).texts.labels]
    assert any("(gm. wiejska)" in x for x in polish)


# --- a town view -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_town_view_names_the_town_and_explains_its_outline(atlas, lang):
    pf = _pf(atlas, BILGORAJ, lang=lang)
    date = "stan na 31.12.2020" if lang == "pl" else "as of 31 Dec 2020"
    assert pf.texts.subtitle.startswith(f"{date} · Biłgoraj")
    assert not re.search(r"\d\s(miast|cities|city)", pf.texts.subtitle.replace("\u00a0", " "))
    outline = [e for e in pf.texts.legend.entries if e.kind == "outline"]
    assert len(outline) == 1 and "Biłgoraj" in outline[0].label and outline[0].color == figures.FOCUS
    # a town the filters leave out (Biłgoraj takes no part in P4): its outline's line says why it has no colour
    left_out = _pf(atlas, BILGORAJ.replace(projects=("P4",)), lang=lang).texts.legend.entries[-1]
    assert left_out.kind == "outline" and ("poza filtrami" if lang == "pl" else "outside the filters") in left_out.label
    assert "poza" not in outline[0].label and "outside" not in outline[0].label
    # its alt text says so too, in the legend's words: after a colon, the name in the nominative (the sentence was
    # "Czerwony kontur wyróżnia {town}": "wyróżnia Warszawa")
    from dashboard.export.texts import alt_text

    warsaw = _pf(atlas, FilterState(projects=("P1",), focus="1465011"), lang=lang)
    expected = {"pl": "Czerwony kontur: Warszawa – wybrane miasto, poza filtrami (bez koloru).",
                "en": "Red outline: Warszawa – the chosen town, outside the filters (not coloured)."}[lang]
    assert expected in alt_text(warsaw.texts, warsaw.entities, lang)
    # the legend explains the picture: no class without a gmina in the frame ("2 – 0", "3 – 0" of the whole
    # country's classes, in the town's frame)
    for view in (BILGORAJ, BILGORAJ.replace(voivodeships=())):
        legend = _pf(atlas, view, lang=lang).texts.legend
        assert all(e.count for e in legend.entries if e.kind == "fill"), legend.entries
    assert ("miasto etapu II" if lang == "pl" else "stage-II city") in pf.texts.subtitle


# --- roles ------------------------------------------------------------------------------------------------------
def test_roles_reach_the_atlas_and_participating_views_count_only_participation(atlas):
    from dashboard.model.atlas import participation_only

    part = atlas.participation
    assert {"role_kind", "role_label_pl", "role_label_en", "counts"} <= set(part.columns)
    assert (part["role_label_pl"] != "").all() and (~part["counts"]).sum() >= 1
    state = FilterState(projects=("P1",))
    counted = query.filter_entities(participation_only(atlas), state)
    visits = part[(part["project_id"] == "P1") & ~part["counts"]]
    assert not set(visits["entity_id"]) & set(counted.loc[~counted["is_member"], "entity_id"])
    pf = _pf(atlas, state)
    assert pf.texts.facts[0] == str(len(counted)) and "uczestnicząc" in pf.texts.facts[1]
    assert f"nie wliczono: wizyta ekspertów OECD\u00a0–\u00a0{len(visits)}" in pf.texts.subtitle
    from dashboard.export.page import wrap

    lines = [line for width in range(160, 700, 7) for line in wrap(pf.texts.subtitle, 14, width)]
    assert not [line for line in lines if line.rstrip().endswith("–") or line.lstrip().startswith("–")]
    info = query.gmina_details(atlas, "0602011")
    (p1,) = [p for e in info["entities"] for p in e["projects"] if p["id"] == "P1"]
    assert p1["role_label_pl"] == "miasto etapu II" and "29 funded" in p1["role"]


def test_details_panel_shows_the_label_and_hides_the_note():
    from dashboard.view.layout import project_item

    item = project_item({"label_pl": "Projekt", "label_en": "Project", "role": "stage II (research note)",
                         "role_label_pl": "miasto etapu II", "role_label_en": "stage-II city", "counts": True,
                         "source": "https://example.org"}, "pl")
    strong, label, not_counted, details = item.children
    assert "miasto etapu II" in label.children and not_counted is None
    assert details.__class__.__name__ == "Details" and details.children[0].children == "Szczegóły źródła"
    assert "stage II (research note)" in str(details.children[1].children)


def test_a_gminas_details_say_which_of_two_same_named_gminy_they_are(atlas):
    """Braniewo is an urban and a rural gmina: each card's heading says its kind in the page's language (a narrow
    embed hides TERYT and voivodeship, and both read "Braniewo"); the data's "Braniewo (gmina wiejska)" under it was
    Polish on the English page. A name no other gmina has is left as it is."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    from dashboard.view.layout import details_panel
    from tests.dash_client import walk_components

    def headings(terc: str, lang: str) -> list[str]:
        tree = json.loads(json.dumps(details_panel(atlas, terc, lang), cls=PlotlyJSONEncoder))
        return [c["props"]["children"] for c in walk_components(tree) if c["type"] in ("H3", "H4")]

    assert headings("2802022", "en")[0] == "Braniewo (rural gmina)"
    assert headings("2802011", "en")[0] == "Braniewo (urban gmina)"
    assert headings("2802022", "pl")[0] == "Braniewo (gm. wiejska)"
    assert not any("wiejska" in h for h in headings("2802022", "en")), headings("2802022", "en")
    assert len(set(headings("2802022", "pl"))) == len(headings("2802022", "pl"))   # named once
    assert headings("1061011", "en")[0] == "Łódź"


def test_details_panel_folds_every_research_note_and_names_the_city_once(atlas):
    """Łódź: its listing's note and its founding quote are the researchers' words (in English): each is behind
    "Szczegóły źródła", and the city's name is its heading, once."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    from dashboard.view.layout import details_panel

    panel = json.loads(json.dumps(details_panel(atlas, "1061011", "pl"), cls=PlotlyJSONEncoder))

    def visible(node, folded=False) -> list[tuple[str, bool]]:
        """(text, inside a <details>) of every string of the panel."""
        if isinstance(node, str):
            return [(node, folded)]
        if isinstance(node, list):
            return [x for n in node for x in visible(n, folded)]
        if isinstance(node, dict) and "props" in node:
            inside = folded or node.get("type") == "Details"
            return visible(node["props"].get("children"), inside)
        return []

    texts = visible(panel)
    assert [x for x, _ in texts].count("Łódź") == 1
    notes = [(x, folded) for x, folded in texts if "Restitution Congress" in x or "only first part" in x]
    assert len(notes) >= 2 and all(folded for _, folded in notes), notes


def test_office_file_without_role_columns(tmp_path):
    from dashboard.ingest import dataset

    f = tmp_path / "udzial.csv"
    f.write_text("Projekt;Miasto;Województwo;Rola\nP1;Biłgoraj;lubelskie;stage II\n"
                 "P1;Kutno;łódzkie;visit\n", encoding="utf-8")
    frame = dataset.read_participation(f).frame
    assert list(frame["role_label_pl"]) == ["", ""] and list(frame["counts_as_participation"]) == [True, True]
    g = tmp_path / "udzial2.csv"
    g.write_text("Projekt;Miasto;Województwo;Liczy się jako udział\nP1;Biłgoraj;lubelskie;nie\n"
                 "P1;Kutno;łódzkie;TAK\n", encoding="utf-8")
    assert list(dataset.read_participation(g).frame["counts_as_participation"]) == [False, True]


# --- file names -------------------------------------------------------------------------------------------------
def test_file_names_tell_views_apart_in_safe_characters():
    specs = [ExportSpec(state=FilterState(projects=("P1",))), ExportSpec(state=LUBELSKIE_P1),
             ExportSpec(state=BILGORAJ), ExportSpec(state=LUBELSKIE_P1, preset="social", format="png"),
             ExportSpec(state=LUBELSKIE_P1.replace(lang="en")),
             ExportSpec(state=FilterState(voivodeships=("02", "08", "22", "32"), years=(1990, 2020)))]
    names = [s.filename() for s in specs]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", n) for n in names)
    assert specs[2].filename(town="Biłgoraj") == "atlas-zmp_P1_lubelskie_bilgoraj_a4.pdf"


# --- CLI ----------------------------------------------------------------------------------------------------------
def test_cli_town_lower_case_projects_and_a_whole_view(atlas):
    def spec(*argv):
        (s, _), = make_specs(build_parser().parse_args(["--preset", "a4", "--out", "x.pdf", *argv]), atlas)
        return s.state

    assert spec("--project", "p1", "--voivodeship", "lubelskie", "--town", "bilgoraj") == BILGORAJ
    assert spec("--project", "P1", "--town", "0602011").focus == "0602011"
    assert spec("--view", "https://atlas.miasta.pl/?p=P1&woj=06&town=0602011") == BILGORAJ
    assert spec("--select", "0602011,0601011", "--metric", "membership").selected == ("0601011", "0602011")
    assert spec("--years", "unknown").is_unknown_only


@pytest.mark.parametrize("argv,needle", [(["--town", "Atlantyda"], "no town or gmina"),
                                         (["--view", "p=P1", "--project", "P2"], "cannot be combined"),
                                         (["--view", "?p=P99"], "--view"),
                                         (["--base-url", "http://localhost:8050"], "not a public address")])
def test_cli_rejects_clearly(capsys, argv, needle):
    from dashboard.export.cli import main

    assert main(["--preset", "a4", "--out", "x.pdf", *argv]) == 2
    assert needle in capsys.readouterr().err


# --- the table's downloads ---------------------------------------------------------------------------------------
def test_table_csv_opens_in_polish_excel_and_xlsx_keeps_teryt_text(atlas):
    import openpyxl

    from dashboard.view.table import table_columns, table_csv, table_filename, table_xlsx

    state = FilterState(voivodeships=("02",))
    frame = table_frame(atlas, state)
    assert frame["teryt"].str.startswith("0").all()
    headers = {c["id"]: c["name"] for c in table_columns("pl")}
    pl = table_csv(frame, "pl", headers)
    assert pl.startswith(b"\xef\xbb\xbf") and pl.count(b"\r\n") == len(frame) + 1 and b"\n" not in pl.replace(
        b"\r\n", b"")
    back = pd.read_csv(io.BytesIO(pl), sep=";", encoding="utf-8-sig", dtype=str)
    assert list(back.columns)[:3] == ["Miasto / JST", "TERYT", "Województwo"]
    assert list(back["TERYT"]) == [f'="{c}"' for c in frame["teryt"]]        # Excel: a text formula, zero kept
    assert "Województwo".encode("utf-8") in pl
    en = table_csv(frame, "en", {c["id"]: c["name"] for c in table_columns("en")})
    assert en.startswith(b"\xef\xbb\xbf")                                   # English Excel too: UTF-8, zero kept
    back_en = pd.read_csv(io.BytesIO(en), sep=",", encoding="utf-8-sig", dtype=str)
    assert list(back_en["TERYT"]) == [f'="{c}"' for c in frame["teryt"]]
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(frame, "pl", headers)))
    ws = wb.active
    assert ws["B1"].value == "TERYT" and ws["B2"].value == frame["teryt"].iloc[0] and ws["B2"].number_format == "@"
    assert isinstance(ws["F2"].value, int)
    years = [c.value for c in ws["E"][1:]]
    assert all(isinstance(y, int) for y, label in zip(years, frame["join_year"]) if label.isdigit()), years
    assert any(isinstance(y, int) for y in years)
    assert pd.read_excel(io.BytesIO(table_xlsx(frame, "pl", headers)), dtype=str)["TERYT"].iloc[0].startswith("0")
    assert table_filename(state, "csv") == "atlas-zmp-miasta_dolnoslaskie.csv"


def test_the_xlsx_says_what_its_rows_are_and_where_they_come_from(atlas, monkeypatch):
    """A desk pasting the figures cites them: the XLSX has filter buttons over its header and a second sheet with
    the view and its date, the number of rows, the source and the data's date, and the view's public address (a
    link) — no address when only a local one is configured."""
    import openpyxl

    from dashboard.view.layout import download_notes
    from dashboard.view.table import table_columns, table_xlsx

    state = FilterState(projects=("P1",), voivodeships=("06",), asof=2015, lang="en")
    frame = table_frame(atlas, state)
    headers = {c["id"]: c["name"] for c in table_columns("en")}
    monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl")
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(frame, "en", headers, notes=download_notes(atlas, state,
                                                                                                 len(frame)))))
    rows, notes = wb.worksheets
    assert rows.auto_filter.ref == f"A1:G{len(frame) + 1}"
    assert notes.title == "Source"
    text = [c.value for (c,) in notes.iter_rows(max_col=1)]
    assert text[0] == "Atlas ZMP — Cities in view" and notes["A1"].font.b
    assert text[1].startswith("Membership as of 31 Dec 2015") and "Project: " in text[1] and "Lubelskie" in text[1], text
    assert text[2] == f"Rows: {len(frame)}"
    assert text[3].startswith("Source: Association of Polish Cities") and text[4].startswith("Data as of ")
    link = f"https://atlas.miasta.pl/?{state.to_query()}"
    assert text[5] == f"This view in the atlas: {link}" and notes["A6"].hyperlink.target == link

    monkeypatch.setenv("ATLAS_PUBLIC_URL", "http://127.0.0.1:8050")
    pl = download_notes(atlas, state.replace(lang="pl"), 3)
    assert pl[1].startswith("Stan członkostwa na 31.12.2015 · ") and pl[2] == "Liczba wierszy: 3" and len(pl) == 5 and not any("127.0.0.1" in n for n in pl)
    # a found town only shows where it is: the rows, their notes and their file name are the view's without it
    from dashboard.view.table import table_filename

    town = FilterState(voivodeships=("24",), focus="2466011")
    assert download_notes(atlas, town, 3) == download_notes(atlas, town.replace(focus=None), 3)
    assert table_filename(town, "xlsx") == table_filename(town.replace(focus=None), "xlsx") == \
        "atlas-zmp-miasta_slaskie.xlsx"
    empty = table_xlsx(table_frame(atlas, FilterState(projects=("NOPE",))), "pl", notes=pl)
    assert openpyxl.load_workbook(io.BytesIO(empty)).worksheets[0].auto_filter.ref == "A1:G1"


# --- rendered and read back (kaleido) ------------------------------------------------------------------------------
def _hex(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


@pytest.fixture(scope="module")
def renderer():
    from dashboard.export.render import get_renderer

    return get_renderer().start()


@pytest.mark.slow
def test_pdf_names_the_cities_and_prints_no_local_address(atlas, renderer, tmp_path, monkeypatch):
    from dashboard.export.render import write_export

    monkeypatch.setenv("ATLAS_PUBLIC_URL", "http://127.0.0.1:8050")   # a local address is never printed
    out = tmp_path / "lubelskie.pdf"
    res = write_export(ExportSpec(state=LUBELSKIE_P1, preset="a4", format="pdf"), out, atlas, renderer=renderer)
    text = output("pdftotext", "-layout", str(out), "-")
    pf = _pf(atlas, LUBELSKIE_P1, preset="a4", fmt="pdf")
    assert 0 < len(pf.texts.labels) <= 25
    plain = output("pdftotext", str(out), "-")
    words = re.findall(r"\w+", plain)
    for name in pf.texts.labels:
        assert name in text, name
        # once in the text layer (as a graphics desk edits it and a reader copies it), not once per halo shadow
        first = re.findall(r"\w+", name)[0]
        elsewhere = re.findall(r"\w+", " ".join([pf.texts.title, pf.texts.subtitle, *pf.texts.facts]))
        inside = sum(name in other for other in pf.texts.labels)        # "Góra" is also in "Zielona Góra"
        assert words.count(first) <= inside + elsewhere.count(first), (name, words.count(first))
    assert not LOCAL.search(text) and not LOCAL.search(res.alt_text)
    assert "w województwie lubelskim" in text and "w widoku" not in text
    assert res.filename == "atlas-zmp_P1_lubelskie_a4.pdf"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SELECTIONS))
def test_drawn_extent_fits_the_selection(atlas, renderer, name):
    """The chosen voivodeships (every gmina in them is drawn in a class colour or the grey of other gminy) fill the
    frame's inner box within a few percent; nothing is drawn outside the frame (context gminy included)."""
    from PIL import Image

    from dashboard.export.render import render_export

    state = FilterState(voivodeships=SELECTIONS[name])
    spec = ExportSpec(state=state, preset="social", format="png")
    res = render_export(spec, atlas, renderer=renderer)
    pf = _pf(atlas, state)
    p, fr, lay = PRESETS["social"], pf.frame, pf.layout
    arr = np.asarray(Image.open(io.BytesIO(res.content)).convert("RGB")).astype(int)
    s = p.scale
    lb = lay.legend_box   # its swatches have the same colours: leave the legend out
    arr[int(lb.y * s) - 2:int((lb.y + lb.h) * s) + 2, int(lb.x * s) - 2:int((lb.x + lb.w) * s) + 2] = 255
    if lay.facts_box is not None:
        f = lay.facts_box
        arr[int(f.y * s) - 2:int((f.y + f.h) * s) + 2, int(f.x * s) - 2:int((f.x + f.w) * s) + 2] = 255
    colours = [figures.OTHER_GREY] + [e.color for e in pf.texts.legend.entries if e.kind == "fill"]
    box, inner = fr.box, fr.inner
    inside = arr.copy()
    inside[:, :] = 255
    r0, r1, c0, c1 = int(box.y * s) + 2, int((box.y + box.h) * s) - 2, int(box.x * s) + 2, int((box.x + box.w) * s) - 2
    inside[r0:r1, c0:c1] = arr[r0:r1, c0:c1]     # the frame's inside (its rule is grey too)
    mask = np.zeros(arr.shape[:2], dtype=bool)
    for c in colours:
        mask |= np.all(np.abs(inside - _hex(c)) <= 2, axis=-1)
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min() / s, ys.min() / s, (xs.max() + 1) / s, (ys.max() + 1) / s
    tol_w, tol_h = 0.03 * inner.w + 2, 0.03 * inner.h + 2
    assert abs(x0 - inner.x) <= tol_w and abs(x1 - (inner.x + inner.w)) <= tol_w, (x0, x1, inner)
    assert abs(y0 - inner.y) <= tol_h and abs(y1 - (inner.y + inner.h)) <= tol_h, (y0, y1, inner)
    # nothing of the map outside its frame: the margin left of it and the gap right of it (up to the text
    # column) are white over the frame's height; the frame is inside the page's margins
    band = arr[int(box.y * s):int((box.y + box.h) * s)]
    assert (band[:, :max(0, int(box.x * s) - 1)] == 255).all()
    assert (band[:, int((box.x + box.w) * s) + 2:int(lay.title_box.x * s) - 2] == 255).all()
    assert box.x >= p.margin - 0.5 and box.x + box.w <= p.css_width - p.margin + 0.5


@pytest.mark.slow
def test_town_view_svg_names_the_town(atlas, renderer):
    from dashboard.export.render import render_export

    res = render_export(ExportSpec(state=BILGORAJ.replace(lang="en"), preset="square", format="svg"), atlas,
                        renderer=renderer)
    text = "".join(ET.fromstring(res.content).itertext())
    flat = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    assert "Biłgoraj – the" in flat and "chosen town" in flat and flat.count("Biłgoraj") >= 3, flat  # label, legend
    assert "Red outline: Biłgoraj – the chosen town." in res.alt_text
    assert res.filename == "atlas-zmp_P1_lubelskie_bilgoraj_square_en.svg"


@pytest.mark.parametrize("view, pl, en", [
    (FilterState(projects=("P1",), asof=2010), "stan członkostwa na 31.12.2010", "membership as of 31 Dec 2010"),
    (FilterState(projects=("P2", "P3"), asof=2016), "stan członkostwa na 31.12.2016", "membership as of 31 Dec 2016"),
    (FilterState(asof=2005), "stan na 31.12.2005", "as of 31 Dec 2005"),
    (FilterState(projects=("P1",), asof=2019), "stan na 31.12.2019", "as of 31 Dec 2019"),
    (FilterState(asof=2005, metric="membership"), "stan na 31.12.2005", "as of 31 Dec 2005")])
def test_a_date_before_the_views_projects_is_said_to_be_membership_s(atlas, view, pl, en):
    """A project of 2019 at "stan na 31.12.2010" read as 5 cities taking part in 2010: participation has no date
    but its projects' years, and a view of projects dated after its date says so — the map's legend, the embed's
    head and the exports' subtitle (one function)."""
    from dashboard.export.press import default_subtitle
    from dashboard.view.figures import as_of_text, map_update
    from dashboard.view.layout import embed_filters

    view = view.replace(lang="pl")
    assert as_of_text(atlas, view) == pl and as_of_text(atlas, view.replace(lang="en")) == en
    assert default_subtitle(atlas, view, "pl", 5).startswith(pl + " · ")
    assert map_update(atlas, view)["date"] == pl and embed_filters(atlas, view).startswith(pl)


def test_subtitle_opens_with_the_views_as_of_date(atlas):
    """The view's as-of year (membership through time) opens the subtitle: "stan na 31.12.YYYY"; the credit's
    "CC BY" is one unbreakable word."""
    from dashboard.export.press import GAZETTEER_CREDIT, default_subtitle, wrap
    from dashboard.view.figures import as_of_text

    assert as_of_text(atlas, FilterState(asof=2020)) == "stan na 31.12.2020"
    assert as_of_text(atlas, FilterState(asof=2019, lang="en")) == "as of 31 Dec 2019"
    view = FilterState(voivodeships=("06",), asof=2005)
    assert default_subtitle(atlas, view, "pl", 3).startswith("stan na 31.12.2005 · 3\u00a0miasta w województwie lubelskim")
    assert default_subtitle(atlas, view, "en", 3).startswith("as of 31 Dec 2005 · ")
    for lang in ("pl", "en"):
        credit = GAZETTEER_CREDIT[lang]
        assert "CC\u00a0BY" in credit
        for width in range(40, 400, 7):
            assert not any(line.endswith("CC") for line in wrap(credit, 10, width)), (lang, width)


# --- the lighter gminy, read back from the exports ----------------------------------------------------------------
@pytest.mark.slow
def test_exports_explain_the_lighter_gminy(atlas, renderer, tmp_path):
    """The map draws members known only from later sources lighter; the printed page says what that means, with
    how many such gminy it shows (PL plural by the number), in PDF and SVG, and the alt text says it too."""
    from dashboard.export.render import render_export, write_export

    state = FilterState(asof=2005, metric="membership")
    n = len(figures.map_update(atlas, state)["undated"])   # all of Poland is shown
    form = "gmina" if n == 1 else "gminy" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "gmin"
    out = tmp_path / "lighter.pdf"
    res = write_export(ExportSpec(state=state, preset="a4", format="pdf"), out, atlas, renderer=renderer)
    text = " ".join(output("pdftotext", str(out), "-").split())
    pl = f"Jaśniej: {n} {form} z członkiem znanym tylko z późniejszych źródeł (stan na 31.12.2005 nieznany)"
    assert pl in text, text
    assert pl + "." in " ".join(res.alt_text.split())
    svg = render_export(ExportSpec(state=state.replace(lang="en"), preset="social", format="svg"), atlas,
                        renderer=renderer)
    flat = re.sub(r"\s", "", "".join(ET.fromstring(svg.content).itertext()))   # one text element per line
    en = f"Lighter: {n} gminy with a member known only from later sources (status on 31 Dec 2005 unknown)"
    assert re.sub(r"\s", "", en) in flat
