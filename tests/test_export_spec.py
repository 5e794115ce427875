"""Press export, the pure part: presets, the spec's JSON round-trip and validation, generated texts, the page
layout (nothing overlapping, nothing outside the margins), alt text. Real atlas, no browser."""
from __future__ import annotations

import itertools
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.export.press import (
    PRESETS,
    Box,
    ExportSpec,
    ExportSpecError,
    cities_word,
    default_subtitle,
    default_title,
    layout_press,
    map_legend,
    plural_pl,
    press_figure,
    press_texts,
    text_width,
    view_url,
    wrap,
)
from dashboard.export.texts import alt_text
from dashboard.i18n import plural_form
from dashboard.model import query
from dashboard.model.state import FilterState


@pytest.fixture(scope="module")
def atlas():
    from dashboard.model.atlas import get_atlas

    return get_atlas()


# --- presets -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,px,dpi", [
    ("a4", (2480, 3508), 300), ("a4-landscape", (3508, 2480), 300), ("a5", (1748, 2480), 300),
    ("social", (1200, 675), 96), ("square", (1080, 1080), 96), ("slide", (1920, 1080), 96),
])
def test_preset_pixels_and_dpi(name, px, dpi):
    p = PRESETS[name]
    assert (p.width_px, p.height_px) == px and p.dpi == dpi
    # kaleido renders css size × scale: that must give the pixel size exactly
    assert round(p.css_width * p.scale) == px[0] and round(p.css_height * p.scale) == px[1]


def test_print_presets_are_paper_sizes_in_points():
    a4, a5 = PRESETS["a4"].size_pt, PRESETS["a5"].size_pt
    assert a4 == pytest.approx((595.28, 841.89), abs=0.005)
    assert a5 == pytest.approx((419.53, 595.28), abs=0.005)
    assert PRESETS["a4-landscape"].size_pt == pytest.approx((841.89, 595.28), abs=0.005)


def test_type_reads_at_each_size():
    """Print type in points: title ≥ 16 pt, body ≥ 8 pt, notes ≥ 6.5 pt; screen type scales with the canvas."""
    for p in PRESETS.values():
        assert p.title_size > p.subtitle_size > p.note_size
        if p.is_print:
            pt = 72 / 96
            assert p.title_size * pt >= 16 and p.legend_size * pt >= 8 and p.note_size * pt >= 6.5
        else:
            assert p.note_size >= p.width_px / 100   # ≥ 1 % of the width: readable in a feed thumbnail


# --- the spec ------------------------------------------------------------------------------------------------
def test_spec_round_trips_through_json():
    state = FilterState(projects=("P1", "P4"), match="all", voivodeships=("02", "14"), years=(1990, 2020),
                        include_unknown_year=False, metric="membership", lang="en")
    for preset, fmt in itertools.product(PRESETS, ("png", "svg", "pdf")):
        spec = ExportSpec(state=state, preset=preset, format=fmt, title="Miasta – Łódź i Gdańsk",
                          subtitle=None, logo=True, base_url="https://atlas.example.pl")
        again = ExportSpec.from_json(spec.to_json())
        assert again == spec
        assert json.loads(again.to_json()) == json.loads(spec.to_json())


@pytest.mark.parametrize("data,needle", [
    ({"preset": "a3"}, "preset 'a3'"),
    ({"format": "jpg"}, "format 'jpg'"),
    ({"lang": "de"}, "lang: 'de'"),
    ({"title": "x" * 201}, "at most 200"),
    ({"title": "bad\x07bell"}, "control characters"),
    ({"title": "ZMP \u202eZMP"}, "text-direction control character"),
    ({"title": 5}, "title must be text"),
    ({"base_url": "javascript:alert(1)"}, "http(s) URL"),
    ({"colour": "red"}, "unknown export spec field"),
    ({"state": {"projects": ["P99"]}}, "invalid view"),
    ({"state": {"years": "2020-1990"}}, "invalid view"),
])
def test_spec_validation_names_the_field(data, needle):
    with pytest.raises(ExportSpecError) as err:
        ExportSpec.from_dict(data, known_projects=[f"P{i}" for i in range(1, 10)])
    assert needle in str(err.value)


def test_spec_rejects_non_objects():
    with pytest.raises(ExportSpecError, match="JSON object"):
        ExportSpec.from_dict(["a4"])
    with pytest.raises(ExportSpecError, match="not valid JSON"):
        ExportSpec.from_json("{preset: a4")


def test_filename_is_safe():
    spec = ExportSpec(state=FilterState(projects=("P1", "P2")), preset="a4-landscape", format="svg")
    assert spec.filename() == "atlas-zmp_P1-P2_a4-landscape.svg"


# --- generated texts -----------------------------------------------------------------------------------------
def test_titles_from_filters_pl_en(atlas):
    proj = atlas.projects.set_index("id")
    one = FilterState(projects=("P1",))
    assert proj.at["P1", "label_pl"] in default_title(atlas, one, "pl")
    assert proj.at["P1", "label_en"] in default_title(atlas, one, "en")
    two = FilterState(projects=("P1", "P4"))
    assert proj.at["P4", "label_en"] in default_title(atlas, two, "en")
    assert default_title(atlas, FilterState(), "pl") != default_title(atlas, FilterState(metric="membership"), "pl")


def test_the_whole_map_is_titled_for_members_and_participants(atlas):
    """Its first class is the members without a project: the title names both, not only "cities in projects"."""
    assert default_title(atlas, FilterState(), "pl") == "Związek Miast Polskich: członkowie i miasta w projektach"
    assert "members" in default_title(atlas, FilterState(), "en")


def test_the_date_line_writes_its_dates_as_the_page_does(atlas):
    import datetime as dt
    import re

    from dashboard.view.figures import data_date_line

    pl = data_date_line(atlas, "pl", dt.date(2026, 12, 1))
    assert re.fullmatch(r"Stan danych: \d\d\.\d\d\.\d{4} \(dane publiczne, lista członków niepełna\) · "
                        r"wygenerowano 01\.12\.2026", pl), pl
    en = data_date_line(atlas, "en", dt.date(2026, 12, 1))
    assert re.fullmatch(r"Data as of \d{1,2} [A-Z][a-z]{2} \d{4} \(public data, member list partial\) · "
                        r"generated 1 Dec 2026", en), en


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_a_view_dated_before_the_projects_says_the_projects_years_and_is_not_titled_members_only(atlas, lang):
    """A membership map as of 2005 colours the participants of the 2016-2023 projects: its title must not call all
    of them members, and its legend (the page's too) says the projects' years (the view's date is the membership's)."""
    from dashboard.export.press import default_title, map_legend
    from dashboard.model.query import projects_span

    first, last = projects_span(atlas)
    early = FilterState(asof=first - 2, metric="membership", lang=lang)
    assert default_title(atlas, early, lang).endswith(("członkostwo i udział w projektach",
                                                       "membership and project participation"))
    titles = {"pl": ("Członkostwo / projekty", "Liczba projektów"), "en": ("Membership / projects", "Projects")}
    assert map_legend(atlas, early).title.split("\n")[0] == f"{titles[lang][0]} {first}–{last}"
    assert map_legend(atlas, early.replace(metric="projects")).title.split("\n")[0] == \
        f"{titles[lang][1]} {first}–{last}"
    assert str(first) not in map_legend(atlas, FilterState(asof=first, lang=lang)).title
    from dashboard.view.figures import map_update  # the page's legend says the same

    assert map_update(atlas, early)["legend_title"].startswith(f"{titles[lang][0]} {first}–{last}")
    p4 = projects_span(atlas, ("P4",))
    assert first <= p4[0] <= p4[1] <= last


def test_only_the_shipped_public_member_list_is_called_partial(atlas, tmp_path):
    """"(dane publiczne, lista członków niepełna)" describes the shipped data; an office's own register is not."""
    import datetime as dt

    from dashboard.model.atlas import build_atlas
    from dashboard.model.check import format_human
    from dashboard.view.figures import data_date_line

    members = tmp_path / "członkowie.csv"
    members.write_text("Miasto,Województwo\nPoznań,wielkopolskie\n", encoding="utf-8")
    own = build_atlas(members=members)
    for lang in ("pl", "en"):
        line = data_date_line(own, lang, dt.date(2026, 12, 1))
        assert "(" not in line and line.endswith(("01.12.2026", "1 Dec 2026")), line
        assert "(" in data_date_line(atlas, lang, dt.date(2026, 12, 1))
    assert "events         none: the shipped dated joins" in format_human(own.report)
    assert "events         none" not in format_human(atlas.report)


def test_the_data_date_is_the_newest_dated_fact_of_the_data(atlas):
    """"Stan danych" is a claim a newspaper prints: the union's latest total (as of 15.11.2024) is older than the
    member lists of 2025 the map also shows, so the date is the newest of the totals and the dated events."""
    import dataclasses

    import pandas as pd

    from dashboard.model.membership import data_date

    events = atlas.membership
    newest = max([d for d in events["date"].astype(str) if d[:4].isdigit()] + [str(atlas.totals["as_of"].max())])
    assert data_date(atlas) == newest
    later = pd.concat([events, events.head(1).assign(date="2026-01-02")], ignore_index=True)
    assert data_date(dataclasses.replace(atlas, membership=later)) == "2026-01-02"
    none = dataclasses.replace(atlas, membership=events.head(0))
    assert data_date(none) == atlas.totals.sort_values("year").iloc[-1]["as_of"]


def test_subtitle_names_voivodeships_years_and_count(atlas):
    state = FilterState(voivodeships=("02", "14"), years=(1990, 2019), include_unknown_year=False)
    n = len(query.filter_entities(atlas, state))
    pl = default_subtitle(atlas, state, "pl", n)
    # print wording, the voivodeships in the locative ("w województwach: dolnośląskim i mazowieckim")
    assert f"{cities_word(n, 'pl')} w województwach: dolnośląskim i mazowieckim" in pl and "1990–2019" in pl
    en = default_subtitle(atlas, state, "en", n)
    assert "in the voivodeships of Dolnośląskie and Mazowieckie" in en and "joined 1990–2019" in en
    one = default_subtitle(atlas, FilterState(voivodeships=("06",)), "pl", 3)
    assert one.startswith("stan na 31.12.2020 · 3\u00a0miasta w województwie lubelskim")
    assert "w widoku" not in pl + en + one


@pytest.mark.parametrize("match,pl,en", [("any", "w co najmniej jednym z projektów", "in at least one of the projects"),
                                         ("all", "we wszystkich wybranych projektach", "in every chosen project")])
def test_subtitle_joins_any_or_all_projects_to_the_count(atlas, match, pl, en):
    """'9 miast w co najmniej jednym z projektów w województwach: lubelskim i podkarpackim': one phrase."""
    state = FilterState(projects=("P1", "P3"), match=match, voivodeships=("06", "18"))
    n = len(query.filter_entities(atlas, state))
    assert f"{cities_word(n, 'pl')} {pl} w województwach: lubelskim i podkarpackim" in default_subtitle(
        atlas, state, "pl", n)
    assert f"{cities_word(n, 'en')} {en} in the voivodeships of Lubelskie and Podkarpackie" in default_subtitle(
        atlas, state, "en", n)


@pytest.mark.parametrize("n,pl,en", [(1, "1 miasto", "1 city"), (3, "3 miasta", "3 cities"),
                                     (5, "5 miast", "5 cities"), (12, "12 miast", "12 cities"),
                                     (22, "22 miasta", "22 cities"), (1000, "1\u00a0000 miast", "1,000 cities")])
def test_polish_plurals(n, pl, en):
    nb = "\u00a0"   # the number never parts from its noun at a line break
    assert cities_word(n, "pl") == pl.replace(" ", nb) and cities_word(n, "en") == en.replace(" ", nb)
    assert plural_pl(n, "gmina", "gminy", "gmin") == {"miasto": "gmina", "miasta": "gminy", "miast": "gmin"}[
        pl.split(" ")[-1]]


def test_view_url_reopens_the_view(monkeypatch):
    monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl/")
    state = FilterState(projects=("P1",), voivodeships=("14",), lang="en")
    url = view_url(state)
    assert url.startswith("https://atlas.miasta.pl/?")
    assert FilterState.from_query(url.split("?", 1)[1]) == state
    assert view_url(FilterState()) == "https://atlas.miasta.pl/"


@pytest.mark.parametrize("value", [None, "", "http://127.0.0.1:8050", "http://localhost:8050/", "http://[::1]:8050",
                                   "http://0.0.0.0:8050", "http://127.8.0.1/", "http://127.1:8050",
                                   "http://2130706433/", "http://[::ffff:127.0.0.1]/", "http://localhost.:8050",
                                   "http://localhost.localdomain:8050", "http://192.168.1.10:8050",
                                   "http://10.0.0.7/", "http://atlas:8050", "http://atlas.lan/"])
def test_no_public_address_no_link(monkeypatch, value):
    """A graphic never prints an address its readers cannot open (loopback in any form, a private network, an
    intranet name): without a public ATLAS_PUBLIC_URL it prints no link."""
    if value is None:
        monkeypatch.delenv("ATLAS_PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("ATLAS_PUBLIC_URL", value)
    assert view_url(FilterState(projects=("P1",))) is None
    from dashboard.export.press import press_link

    assert press_link(FilterState(projects=("P1",))) == ("", None)
    from dashboard.export.panel import link_hint, link_problem

    assert "ATLAS_PUBLIC_URL" in link_problem()                     # the administrator's line (the server's log)
    assert link_hint("pl").startswith("Eksport nie zawiera linku") and "ATLAS_" not in link_hint("pl")   # the user's
    assert link_hint("en").startswith("The export prints no link") and "ATLAS_" not in link_hint("en")
    with pytest.raises(ExportSpecError):
        ExportSpec(base_url="http://127.0.0.1:8050")


@pytest.mark.parametrize("value", ["https://user@atlas.miasta.pl", "https://user:secret@atlas.miasta.pl/atlas",
                                   "https://@atlas.miasta.pl"])
def test_a_public_address_with_a_user_name_or_password_is_refused(monkeypatch, value):
    """A link printed on a graphic is read by all its readers: a user name or password in it is refused, not
    printed ("user@atlas.miasta.pl/?woj=24" was)."""
    with pytest.raises(ExportSpecError, match="user name or password"):
        ExportSpec(base_url=value)
    monkeypatch.setenv("ATLAS_PUBLIC_URL", value)
    assert view_url(FilterState(projects=("P1",))) is None


def test_legend_is_the_dashboard_classification(atlas):
    from dashboard.view import figures

    state = FilterState(projects=("P1", "P2"))
    lg = map_legend(atlas, state)
    upd = figures.map_update(atlas, state)
    # same classes, colours and counts as the dashboard map's colorbar (other gminy first there, last here)
    assert [e.color for e in lg.entries] == [c for _, c in upd["colorscale"][::2]][1:] + [figures.OTHER_GREY]
    assert sum(e.count for e in lg.entries) == len(atlas.gminy)
    for e, tick in zip(lg.entries[:-1], upd["colorbar"]["ticktext"][1:]):
        assert tick.startswith(e.label)


# --- layout geometry -----------------------------------------------------------------------------------------
def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


# 200 characters (the most ExportSpec takes), wide letters and diacritics
LONG_TITLE = ("Miasta Związku Miast Polskich w programach rozwoju: Łódź, Kraków, Gdańsk, Wrocław, Poznań, "
              "Bielsko-Biała, Zielona Góra, Gorzów Wielkopolski, Świętochłowice, Żywiec i Źródła – stan na 2024 r. "
              "WWW MMM ŚŚŚ")[:200]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("lang,projects,title", [("pl", (), None), ("en", ("P1", "P4", "P6"), None),
                                                 ("pl", ("P1",), LONG_TITLE)])
def test_layout_blocks_inside_margins_and_apart(atlas, preset, lang, projects, title):
    assert title is None or len(title) == 200
    state = FilterState(projects=projects, voivodeships=("12", "24", "28"), lang=lang)
    spec = ExportSpec(state=state, preset=preset, title=title)
    n = len(query.filter_entities(atlas, state))
    texts = press_texts(atlas, spec, map_legend(atlas, state), n, uses_gazetteer=True)
    p = PRESETS[preset]
    lay = layout_press(p, texts, with_logo=False)
    boxes = {"title": lay.title_box, "subtitle": lay.subtitle_box, "map": lay.map_box, "legend": lay.legend_box,
             "accent": lay.accent_box, **({"facts": lay.facts_box} if lay.facts_box else {}),
             "footer": lay.footer_box}
    m = p.margin - 0.5
    for name, b in boxes.items():
        assert b.w > 0 and b.h > 0, name
        assert b.x >= m and b.y >= m and b.x + b.w <= p.css_width - m and b.y + b.h <= p.css_height - m, name
    for (na, a), (nb, b) in itertools.combinations(boxes.items(), 2):
        assert not _overlap(a, b), f"{preset}: {na} overlaps {nb}"
    assert lay.map_box.y + lay.map_box.h < lay.rule_y < lay.footer_box.y
    # text fits its box: every wrapped line is narrower than the text column
    for line in lay.title_lines:
        assert text_width(line, lay.title_size, bold=True) <= lay.title_box.w or " " not in line
    # the map gets a fair share of the page (a little less beside a 200-character title); titles stay readable
    # (never under 2/3 of the preset's size)
    assert lay.map_box.w * lay.map_box.h >= (0.25 if title is None else 0.2) * p.css_width * p.css_height
    assert lay.title_size >= 0.65 * p.title_size


def test_wrap_never_cuts_words():
    text = "Projekt „Przestrzeń dla partycypacji” – gminy województwa warmińsko-mazurskiego"
    lines = wrap(text, 20, 260)
    assert " ".join(lines).replace("\u00a0", " ") == text and len(lines) > 1
    assert not any(x.startswith("–") for x in lines)
    assert all(text_width(x, 20) <= 260 for x in lines)


def test_wrap_never_leaves_a_one_letter_word_at_a_lines_end():
    """Polish typesetting: "i", "w", "z", "o", "u", "a" go with the next word ("członkostwo i udział w / projektach"
    was printed on a social graphic's title)."""
    text = "Związek Miast Polskich: członkostwo i udział w projektach z lat 2016–2023 a (w tym) o nas i u nich"
    for width in range(240, 700, 9):
        lines = wrap(text, 22, width)
        assert " ".join(lines).replace("\u00a0", " ") == text
        assert not [x for x in lines[:-1] if re.search(r"(^|[\s(])[aiouwz]$", x)], (width, lines)


# --- alt text ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_alt_text_says_what_how_many_and_where(atlas, lang):
    state = FilterState(projects=("P1",), lang=lang)
    spec = ExportSpec(state=state)
    ent = query.filter_entities(atlas, state)
    texts = press_texts(atlas, spec, map_legend(atlas, state), len(ent), uses_gazetteer=False)
    text = alt_text(texts, ent, lang)
    assert "\n" not in text and texts.title in text
    from dashboard.i18n import voivodeship_word

    top = ent["voivodeship"].value_counts()
    assert f"{voivodeship_word(top.index[0], lang)} ({top.iloc[0]})" in text
    assert str(len(ent)) in text
    assert ("Źródło" if lang == "pl" else "Source") in text


def test_alt_text_for_an_empty_view(atlas):
    state = FilterState(projects=("P1",), voivodeships=("02",), years=(1900, 1900), include_unknown_year=False)
    ent = query.filter_entities(atlas, state)
    assert ent.empty
    texts = press_texts(atlas, ExportSpec(state=state), map_legend(atlas, state), 0, uses_gazetteer=False)
    text = alt_text(texts, ent, "pl")
    assert "Żadne miasto" in text and "w województwie dolnośląskim, rok przystąpienia 1900" in text
    assert "·" not in text and ".." not in text and "Legenda" not in text    # nothing coloured: no legend sentence


def test_alt_text_with_a_long_title_reads_as_prose(atlas):
    title = LONG_TITLE.rsplit(" WWW", 1)[0]                                   # ends in "r." (an abbreviation)
    state = FilterState(projects=("P1",), voivodeships=("24",))
    ent = query.filter_entities(atlas, state)
    spec = ExportSpec(state=state, title=title)
    text = alt_text(press_texts(atlas, spec, map_legend(atlas, state), len(ent), uses_gazetteer=False), ent, "pl")
    assert f": {title} Zakres: " in text and ".." not in text and "·" not in text and "\n" not in text


def test_wrap_cuts_only_words_longer_than_a_line():
    lines = wrap("krótko " + "x" * 80 + " koniec", 10, 120)
    assert all(text_width(x, 10) <= 120 for x in lines)
    assert "".join(lines).replace(" ", "") == "krótko" + "x" * 80 + "koniec"


def test_titles_are_text_not_markup(atlas):
    """A title from the browser is shown literally (escaped), measured as the text it is, and never clipped."""
    from dashboard.export.render import press_geojson, press_outline

    title = "<b>Test</b> & <script>alert(1)</script>" + " <i>ą</i>" * 12
    pf = press_figure(atlas, ExportSpec(preset="social", format="png", title=title), press_geojson(),
                      outline=press_outline())
    shown = [a.text for a in pf.figure.layout.annotations if a.font.size and "Test" in a.text]
    assert len(shown) == 1 and "<script>" not in shown[0] and "&lt;script&gt;" in shown[0]
    lay = layout_press(PRESETS["social"], pf.texts, with_logo=False)
    assert all(text_width(x, lay.title_size, bold=True) <= lay.title_box.w for x in lay.title_lines)


def test_campaign_title_is_not_double_quoted(atlas):
    camp = atlas.projects[atlas.projects["kind"] == "campaign"]
    assert not camp.empty, "the shipped data have a campaign (data/projects.csv, kind=campaign)"
    row = camp.iloc[0]
    for lang in ("pl", "en"):
        title = default_title(atlas, FilterState(projects=(row["id"],)), lang)
        assert title.startswith(row[f"label_{lang}"]) and not title.startswith("Projekt")


def test_gazetteer_credit_only_where_town_points_are_used(atlas):
    from dashboard.export.render import press_geojson, press_outline

    ent = atlas.entities[atlas.entities["point_source"] == "gazetteer"].iloc[0]
    focused = press_figure(atlas, ExportSpec(state=FilterState(focus=ent["gmina_teryt"])), press_geojson(),
                           outline=press_outline())
    assert "PRNG (GUGiK)" in focused.texts.source and "jjbartek/polskie-miejscowosci" in focused.texts.source
    national = press_figure(atlas, ExportSpec(), press_geojson(), outline=press_outline())
    assert national.labels and "PRNG (GUGiK)" in national.texts.source    # the named cities' dots are town points
    empty = FilterState(projects=("P1",), voivodeships=("02",), years=(1900, 1900), include_unknown_year=False)
    nothing = press_figure(atlas, ExportSpec(state=empty), press_geojson(), outline=press_outline())
    assert not nothing.labels
    assert nothing.texts.source == "Źródło: Związek Miast Polskich; granice: PRG, GUGiK 2020"


def test_key_figure_where_there_is_room(atlas):
    state = FilterState()
    n = len(query.filter_entities(atlas, state))
    spec = ExportSpec(state=state)
    texts = press_texts(atlas, spec, map_legend(atlas, state), n, uses_gazetteer=False, top=("dolnośląskie", 39))
    assert texts.facts[0] == str(n) and texts.facts[2] == "najwięcej w dolnośląskim (39)"
    for preset in ("a4", "a4-landscape", "square"):
        lay = layout_press(PRESETS[preset], texts, with_logo=False)
        assert lay.facts_box is not None, preset
    empty = press_texts(atlas, spec, map_legend(atlas, state), 0, uses_gazetteer=False)
    assert empty.facts == ("0", "żadne miasto nie spełnia filtrów")     # an empty view says so, where it fits
    assert layout_press(PRESETS["a4"], empty, with_logo=False).facts_box is not None


_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=160)


@settings(max_examples=150, deadline=None)
@given(preset=st.sampled_from(list(PRESETS)), fmt=st.sampled_from(["png", "svg", "pdf"]),
       lang=st.sampled_from(["pl", "en"]), title=st.none() | _text.filter(lambda s: s.strip() == s and s),
       projects=st.lists(st.sampled_from([f"P{i}" for i in range(1, 10)]), unique=True, max_size=4),
       woj=st.lists(st.sampled_from(["02", "12", "14", "24", "32"]), unique=True, max_size=3))
def test_any_valid_spec_round_trips(preset, fmt, lang, title, projects, woj):
    spec = ExportSpec(state=FilterState(projects=tuple(projects), voivodeships=tuple(sorted(woj)), lang=lang),
                      preset=preset, format=fmt, title=title)
    assert ExportSpec.from_json(spec.to_json()) == spec


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["preset", "format", "lang", "title", "logo", "state", "x"]),
                            st.none() | st.booleans() | st.integers() | _text | st.lists(_text, max_size=3)))
def test_arbitrary_spec_input_is_accepted_or_rejected_clearly(data):
    try:
        spec = ExportSpec.from_dict(data)
    except ExportSpecError as exc:
        assert str(exc)
    else:
        assert spec.preset in PRESETS and spec.format in ("png", "svg", "pdf")


def test_long_views_print_a_short_link(atlas, monkeypatch):
    from dashboard.export.press import link_key, press_link

    monkeypatch.setenv("ATLAS_PUBLIC_URL", "https://atlas.miasta.pl")
    short = FilterState(projects=("P1",), voivodeships=("14",))
    assert press_link(short) == ("https://atlas.miasta.pl/?p=P1&woj=14", None)
    sel = tuple(atlas.gminy.loc[atlas.gminy["woj"].isin(["12", "24"]), "terc"])
    big = FilterState(selected=sel)
    url, link = press_link(big)
    assert url == f"https://atlas.miasta.pl/v/{link[0]}" and link == (link_key(big.to_query()), big.to_query())
    assert press_link(FilterState(selected=sel))[0] == url          # the same view, the same link
    assert FilterState.from_query(link[1]) == big
    texts = press_texts(atlas, ExportSpec(state=big), map_legend(atlas, big), 18, uses_gazetteer=False)
    assert f"zaznaczenie na mapie: {len(sel)}" in texts.subtitle.replace("\u00a0", " ")
    lay = layout_press(PRESETS["social"], texts, with_logo=False)
    assert len(lay.footer_lines) <= 2


@pytest.mark.parametrize("n,pl,en", [(1, "pozostała 1 gmina jest szara", "the other 1 gmina is grey"),
                                     (3, "pozostałe 3 gminy są szare", "the other 3 gminy are grey"),
                                     (12, "pozostałych 12 gmin jest szarych", "the other 12 gminy are grey")])
def test_export_words_agree_with_their_numbers(n, pl, en):
    assert plural_form("export_alt_rest", n, "pl").format(n=n) == pl
    assert plural_form("export_alt_rest", n, "en").format(n=n) == en


def test_the_language_is_the_views():
    """ExportSpec.lang was a second copy of state.lang; now it is the view's, and old JSON specs still read."""
    spec = ExportSpec(state=FilterState(lang="en"))
    assert spec.lang == "en" and "lang" not in spec.to_dict()
    old = {"state": {"projects": ["P1"]}, "preset": "social", "format": "png", "lang": "en"}
    assert ExportSpec.from_dict(old).lang == "en" and ExportSpec.from_dict(old).state.lang == "en"
    with pytest.raises(ExportSpecError, match="lang"):
        ExportSpec.from_dict({**old, "lang": "de"})


# --- the lighter gminy (members known only from later sources) --------------------------------------------------
def _pl_gminy(n: int) -> str:
    """The Polish form after a number, written out independently of dashboard.i18n."""
    if n == 1:
        return "gmina"
    return "gminy" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "gmin"


@pytest.mark.parametrize("n", [1, 2, 4, 5, 12, 14, 21, 22, 25, 112, 161, 1002])
def test_lighter_gminy_note_agrees_with_its_number(n):
    from dashboard.export.press import undated_note

    num = f"{n:,}".replace(",", "\u00a0")
    pl = undated_note(n, 2005, "pl")
    assert pl == (f"Jaśniej: {num}\u00a0{_pl_gminy(n)} z członkiem znanym tylko z późniejszych źródeł "
                  "(stan na 31.12.2005 nieznany)")
    en = undated_note(n, 2005, "en")
    assert en == (f"Lighter: {n:,}\u00a0{'gmina' if n == 1 else 'gminy'} with a member known only from later "
                  "sources (status on 31 Dec 2005 unknown)")


def test_lighter_gminy_are_explained_only_where_the_graphic_shows_them(atlas):
    from dashboard.view import figures

    state = FilterState(asof=2005, metric="membership")
    lighter = figures.map_update(atlas, state)["undated"]
    assert len(lighter) > 3
    whole = map_legend(atlas, state)
    assert whole.note.startswith(f"Jaśniej: {len(lighter)}\u00a0{_pl_gminy(len(lighter))} z członkiem")
    some = map_legend(atlas, state, visible=frozenset(lighter[:3]))
    assert some.note.startswith("Jaśniej: 3\u00a0gminy z członkiem") and some.note_colors
    # the swatch holds the lighter colour of every class the lighter gminy have, in the legend's order
    import numpy as np

    from dashboard.view.figures import veiled

    in_view, cls, classes = figures.map_classes(atlas, state)
    classes_of_lighter = sorted(set(cls[np.isin(np.asarray(atlas.gminy["terc"])[in_view], lighter)].tolist()))
    assert whole.note_colors == tuple(veiled(classes.colours[i]) for i in classes_of_lighter)
    assert len(whole.note_colors) > 1   # (this view's lighter gminy are of several classes)
    assert map_legend(atlas, state, visible=frozenset(atlas.gminy["terc"]) - set(lighter)).note == ""
    # the legend's rows stay the map's classes (no row for the lighter gminy: it would shrink the map)
    assert [e.kind for e in whole.entries] == ["fill"] * len(whole.entries)
    assert sum(e.count for e in whole.entries) == len(atlas.gminy)


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("lang,projects,woj,title", [
    ("pl", (), (), None), ("en", ("P1", "P4", "P6"), ("12", "24", "28"), None), ("pl", ("P1",), ("12", "24", "28"),
                                                                              LONG_TITLE)])
def test_lighter_gminy_note_has_its_own_place(atlas, preset, lang, projects, woj, title):
    """The note stands apart from every block, inside the margins and above the rule; the map loses nothing
    where the legend's side has room, and never more than a fifth."""
    from dataclasses import replace

    state = FilterState(projects=projects, voivodeships=woj, lang=lang, asof=2005)
    spec = ExportSpec(state=state, preset=preset, title=title)
    legend = map_legend(atlas, state)
    assert legend.note
    texts = press_texts(atlas, spec, legend, len(query.filter_entities(atlas, state)), uses_gazetteer=True)
    p = PRESETS[preset]
    lay = layout_press(p, texts, with_logo=False)
    bare = layout_press(p, replace(texts, legend=replace(legend, note="")), with_logo=False)
    nb = lay.note_box
    assert nb is not None and lay.note_lines
    assert " ".join(lay.note_lines).replace("\u00a0", " ") == legend.note.replace("\u00a0", " ")
    for line in lay.note_lines:
        assert text_width(line, p.note_size) <= nb.w + 0.5
    m = p.margin - 0.5
    assert nb.x >= m and nb.x + nb.w <= p.css_width - m and nb.y >= m and nb.y + nb.h < lay.rule_y
    others = {"title": lay.title_box, "subtitle": lay.subtitle_box, "map": lay.map_box, "footer": lay.footer_box,
              **({"facts": lay.facts_box} if lay.facts_box else {})}
    for name, b in others.items():
        assert not _overlap(nb, b), f"{preset}: the note overlaps {name}"
    lb = lay.legend_box
    if _overlap(nb, lb):   # under the legend's rows, in its box
        assert nb.y + nb.h <= lb.y + lb.h + 0.01 and nb.y >= lb.y + lb.h - nb.h - 0.01
    area, bare_area = lay.map_box.w * lay.map_box.h, bare.map_box.w * bare.map_box.h
    assert area >= 0.8 * bare_area
    if lay.map_box != bare.map_box:   # the map gave way: the note is right under it
        old = bare.map_box
        assert lay.map_box.y + lay.map_box.h < nb.y and old.x < nb.x and nb.x + nb.w <= old.x + old.w + 0.01
    assert area >= (0.25 if title is None else 0.2) * p.css_width * p.css_height   # as in the layout test above


def test_an_svg_keeps_only_the_gminy_it_draws():
    """plotly leaves a <path> without "d" for each gmina outside a zoomed view: the export drops them."""
    from dashboard.export.render import without_empty_paths

    svg = (b'<svg><path class="choroplethlocation" fill="rgb(1, 2, 3)" style="stroke: white;"/>'
           b'<path class="choroplethlocation" d="M0,0L1,1Z" fill="red"/><path d="M2,2"/>'
           b'<path class="choroplethlocation" style="a"/></svg>')
    assert without_empty_paths(svg) == b'<svg><path class="choroplethlocation" d="M0,0L1,1Z" fill="red"/>' \
                                       b'<path d="M2,2"/></svg>'


@pytest.mark.parametrize("lang,word,kinds", [
    ("pl", "4\u00a0samorządy", "(2\u00a0miasta, 1\u00a0gmina, 1\u00a0powiat)"),
    ("en", "4\u00a0local governments", "(2\u00a0cities, 1\u00a0gmina, 1\u00a0county)"),
])
def test_a_count_with_other_jst_than_towns_is_not_called_cities(atlas, lang, word, kinds):
    """Małopolska's view holds two towns, a rural gmina and a powiat: a printed "4 miasta" would be wrong. The key
    figure says what it counts, and the subtitle what that is made of; a view of towns alone still says cities."""
    from dashboard.export.press import entity_kinds, press_figure

    mixed = press_figure(atlas, ExportSpec(state=FilterState(voivodeships=("12",), lang=lang), preset="social"),
                         "file:///g.geojson", outline="file:///w.geojson")
    ent = mixed.entities
    assert sorted(ent["jst_kind"]) == ["gmina", "powiat", "town", "town"]   # the data's view, as the test reads it
    assert mixed.texts.facts[:2] == tuple(word.split("\u00a0"))
    assert f"{word} {kinds}" in mixed.texts.subtitle
    towns = FilterState(voivodeships=("02",), lang=lang)
    only = press_figure(atlas, ExportSpec(state=towns, preset="social"), "file:///g.geojson", outline="file:///w.geojson")
    assert entity_kinds(only.entities) == (("town", len(only.entities)),)
    assert only.texts.facts[1] == plural_form("export_cities", len(only.entities), lang)


@pytest.mark.parametrize("lang,where,named", [("pl", "Leży w województwie", "Na mapie podpisano: "),
                                              ("en", "It is in ", "Named on the map: ")])
def test_the_alt_text_of_one_city_speaks_of_one(atlas, lang, where, named):
    """"Wszystkie leżą…" and "Podpisane miasta: Tarnów" were written of a single city."""
    from dashboard.export.press import press_figure

    for code in sorted(query.voivodeship_names(atlas)):   # a view with one participant of P1
        state = FilterState(voivodeships=(code,), projects=("P1",), lang=lang)
        pf = press_figure(atlas, ExportSpec(state=state, preset="square"), "file:///g.geojson",
                          outline="file:///w.geojson")
        if len(pf.entities) == 1 and len(pf.texts.labels) == 1:
            break
    else:
        pytest.fail("no voivodeship with one labelled P1 participant in the data")
    text = alt_text(pf.texts, pf.entities, lang)
    assert where in text and f"{named}{pf.texts.labels[0]}." in text, text


@pytest.mark.parametrize("lang,quote", [("pl", "„{}”"), ("en", "“{}”")])
def test_a_town_views_subtitle_says_which_project_each_role_is_in(atlas, lang, quote):
    """"Kraków w województwie małopolskim: finalista konkursu" did not say of which competition."""
    part = atlas.participation
    col = f"role_label_{lang}"
    row = part[part["teryt"].notna() & (part[col] != "")].iloc[0]
    subtitle = default_subtitle(atlas, FilterState(focus=row["teryt"], lang=lang), lang, 1)
    label = query.project_labels(atlas, lang)[row["project_id"]]
    assert f"{quote.format(label)} – {row[col]}" in subtitle, subtitle
