"""Membership through time: the rules of the model, the shipped data's known cases, the reader's date columns and
events sheet (CSV and XLSX, Polish headers), the state's asof/evidence and the `summary` command."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import openpyxl
import pytest

from dashboard.ingest import dataset as ds
from dashboard.ingest.values import parse_date
from dashboard.model import membership as ms
from dashboard.model import query
from dashboard.model.atlas import build_atlas, get_atlas
from dashboard.model.membership import Fact, status_at
from dashboard.model.state import EVIDENCE_DEFAULT, FilterState
from dashboard.model.summary_cli import main as summary_main
from tests.conftest import shipped_rows


# --- the rules, one by one --------------------------------------------------------------------------------
def J(date):
    return Fact("joined", date)


def L(date):
    return Fact("left", date)


def S(date=""):
    return Fact("listed", date)


@pytest.mark.parametrize("facts, day, expected", [
    ([J("1994-10-21")], "1995-12-31", "member"),                          # a dated join before D
    ([J("1994-10-21"), L("2004")], "2010-12-31", "not_member"),           # ... and a departure before D
    ([J("1994-10-21"), L("2004")], "2003-12-31", "member"),               # the departure is after D
    ([J("2020-09-30"), S("2025-06-18")], "2019-12-31", "not_member"),     # first known join after D
    ([J("2020-09-30")], "2020-12-31", "member"),                          # a join on D's year counts
    ([S("2025-06-18")], "2020-12-31", "member_undated"),                  # listed later, no dated event
    ([S("")], "1995-12-31", "member_undated"),                            # listed, date of the source unknown
    ([L("2018-12"), S("2025-06-18")], "2020-12-31", "not_member"),        # Zamość: right after the departure
    ([L("2018-12"), S("2025-06-18")], "2025-12-31", "member_undated"),    # ... rejoined at an unknown date
    ([L("2018-12"), S("2025-06-18")], "2017-12-31", "member_undated"),    # a departure implies membership
    ([J("1990"), L("2012"), J("2020-12-15")], "2019-12-31", "not_member"),   # Tarnobrzeg
    ([J("1990"), L("2012"), J("2020-12-15")], "2020-12-31", "member"),
    ([], "2020-12-31", ""),                                                # never a member
])
def test_status_rules(facts, day, expected):
    assert status_at(facts, day) == expected


def test_partial_dates_are_read_as_their_first_day():
    assert status_at([J("2019-02")], "2019-01-31") == "not_member"
    assert status_at([J("2019-02")], "2019-02-01") == "member"


# --- the shipped data: the cases the issue names ---------------------------------------------------------
@pytest.fixture(scope="module")
def atlas():
    return get_atlas()


def _status(atlas, year: int) -> dict[str, str]:
    names = atlas.entities.set_index("entity_id")["name"]
    return {names[e]: s for e, s in ms.statuses(atlas, year).items()}


def test_not_members_at_the_end_of_2020(atlas):
    st = _status(atlas, 2020)
    for city in ("Zamość", "Augustów", "Radzyń Podlaski", "Leśna", "Brzesko", "Konstancin-Jeziorna", "Morawica",
                 "Jaraczewo", "Kobylnica", "Grójec", "Szczecin"):
        assert st[city] == "not_member", city


def test_joined_in_2020(atlas):
    for city in ("Podkowa Leśna", "Tarnobrzeg"):
        assert _status(atlas, 2020)[city] == "member" and _status(atlas, 2019)[city] == "not_member", city


def test_wroclaw_left_and_came_back(atlas):
    assert [_status(atlas, y)["Wrocław"] for y in (1995, 2010, 2020)] == ["member", "not_member", "member"]


def test_fewer_dated_members_in_2010_than_in_2020(atlas):
    dated = {y: int(query.member_masks(atlas, FilterState(asof=y))[1].sum()) for y in (2010, 2020)}
    assert 0 < dated[2010] < dated[2020]


def test_weak_evidence_is_off_by_default(atlas):
    weak = set(atlas.entities.loc[atlas.entities["evidence"] == "weak", "entity_id"])
    assert weak
    on, _ = query.member_masks(atlas, FilterState())
    with_weak, _ = query.member_masks(atlas, FilterState(evidence=("list", "stated", "role", "weak")))
    ids = query.derived(atlas).entities["entity_id"]
    assert not any(on[ids.isin(weak)]) and all(with_weak[ids.isin(weak)])


def test_published_total_and_range(atlas):
    assert ms.published_total(atlas, 2020) == (333, "2020-12-31")
    assert ms.published_total(atlas, 2010) is None
    assert ms.last_year(atlas) == max(int(d[:4]) for d in atlas.membership["date"] if d)
    assert query.asof_year(atlas, FilterState(asof=2100)) == ms.last_year(atlas)


def test_history_keeps_every_quote_and_source(atlas):
    eid = atlas.entities.loc[atlas.entities["name"] == "Wrocław", "entity_id"].item()
    h = ms.history(atlas, eid)
    assert [(x["event"], x["date"]) for x in h if x["origin"] == "events"] == [
        ("joined", "1994-10-21"), ("left", "2004"), ("joined", "2019-02")]
    assert all(x["source"] for x in h if x["origin"] == "events")


def test_growth_flow_has_joins_and_departures(atlas):
    joins, departures = query.flow_counts(atlas, FilterState())
    assert departures[2016] >= 1 and departures[2004] >= 2      # Szczecin; Wrocław and Białystok
    assert joins[2020] >= 2                                     # Podkowa Leśna, Tarnobrzeg


def test_the_line_of_members_with_a_join_date_is_what_its_label_says(atlas):
    """The growth chart's dotted line counts members by a dated join: Białystok, which left in 2004 with no dated
    join, was never on it, so its departure does not lower it. Its label said "members with a date" (Białystok's
    departure is dated) and read as a line that should fall; it names the join date."""
    from dashboard.i18n import t

    line = query.members_by_year(atlas, FilterState())["dated"]
    joins, departures = query.flow_counts(atlas, FilterState())
    bialystok = [x["event"] for x in ms.history(atlas, atlas.entities.loc[
        atlas.entities["name"] == "Białystok", "entity_id"].item()) if x["origin"] == "events"]
    assert "left" in bialystok and "joined" not in bialystok[:bialystok.index("left")]
    # 2004: Wrocław (joined 1994) and Białystok left; the line falls by Wrocław alone
    assert departures[2004] == 2 and line[2003] + joins[2004] - line[2004] == 1
    assert "z datą przystąpienia" in t("known_dated", "pl") and "join date" in t("known_dated", "en")


@pytest.mark.parametrize("levels", [("list",), ("stated",), ("list", "stated", "role"),
                                    ("list", "stated", "role", "weak")])
def test_growth_flow_counts_the_chosen_evidence_levels_only(atlas, levels):
    """The growth chart's joins and departures follow the evidence filter as its members line does (the bars
    counted every level): counted here from the shipped CSVs alone (the join years of members.csv and the events
    file) — a city's level by its name and voivodeship; a city with events and no row of members.csv stands on
    its dated statements (`stated`, as dashboard.model.atlas reads it)."""
    from tests.conftest import shipped_rows

    members = shipped_rows("members.csv")
    level = {(r["name"], r["voivodeship"]): r["evidence"] for r in members}
    # (city, year) once: a join year of members.csv and a dated join of the events file in that year are one join
    events = {(r["event"], r["name"], r["voivodeship"], int(r["date"][:4])) for r in shipped_rows("membership_events.csv")}
    events |= {("joined", r["name"], r["voivodeship"], int(r["join_year"])) for r in members if r["join_year"]}
    expected = {"joined": {}, "left": {}}
    for event, name, voivodeship, year in events:
        if (level.get((name, voivodeship)) or "stated") in levels:
            expected[event][year] = expected[event].get(year, 0) + 1
    joins, departures = query.flow_counts(atlas, FilterState(evidence=levels))
    assert {y: n for y, n in joins.items() if n} == expected["joined"]
    assert {y: n for y, n in departures.items() if n} == expected["left"]


@pytest.mark.parametrize("lang, said", [("pl", "wystąpienia: {n};"), ("en", "departures: {n};")])
def test_the_growth_charts_text_says_its_departures(atlas, lang, said):
    """The chart's text alternative (and its bars' list) left out the bars down; and a return is a join, not a new
    member (Wrocław and Białystok came back in 2019)."""
    from dashboard.view import layout

    _, departures = query.flow_counts(atlas, FilterState())
    text = layout.chart_summaries(atlas, FilterState(lang=lang))["growth"]
    assert int(departures.sum()) > 0 and said.format(n=int(departures.sum())) in text, text
    assert ("z powrotami" if lang == "pl" else "returns included") in text


@pytest.mark.parametrize("terc", ["1261011", "0264011"])   # Kraków, Wrocław (left and came back)
def test_a_gminas_details_have_no_heading_level_skipped(atlas, terc):
    """"Historia członkostwa" was an h5 right under the gmina's h3 (a screen reader's outline skipped a level). The
    city's projects have a heading of their own at the history's level (they read as part of the history)."""
    from plotly.utils import PlotlyJSONEncoder

    from dashboard.view import layout
    from tests.dash_client import walk_components

    tree = json.loads(json.dumps(layout.details_panel(atlas, terc, "pl"), cls=PlotlyJSONEncoder))
    headings = [c for c in walk_components(tree) if re.fullmatch(r"H[1-6]", c["type"])]
    levels = [int(c["type"][1]) for c in headings]
    assert levels and levels[0] == 3, levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    level_of = {c["props"]["children"]: c["type"] for c in headings}
    has_projects = any(e["projects"] for e in query.gmina_details(atlas, terc)["entities"])
    assert ("Projekty" in level_of) == has_projects, level_of
    assert not has_projects or level_of["Projekty"] == level_of["Historia członkostwa"], level_of


@pytest.mark.parametrize("lang, said", [("pl", "18.06.2025 lub później"), ("en", "18 Jun 2025 or later")])
def test_a_lists_date_that_is_a_lower_bound_is_shown_as_one(atlas, lang, said):
    """ZMP's own list is dated "2025-06-18 or later" in members.csv: the card said "18.06.2025 — wymieniony
    w źródle", a date the data do not have."""
    from dashboard.view import layout

    row = next(r for r in shipped_rows("members.csv") if r["name"] == "Wrocław")
    assert row["source_date"] == "2025-06-18 or later"
    from plotly.utils import PlotlyJSONEncoder

    text = json.dumps(layout.details_panel(atlas, "0264011", lang), cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert said in text and text.count(said.split(" ", 1)[1]) == 1   # the events' own dates are not bounds


# --- dates and the reader ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, iso", [
    ("2019", "2019"), ("2019-02", "2019-02"), ("17.10.1990", "1990-10-17"), ("10.1990", "1990-10"),
    ("2025-06-18 or later", "2025-06-18"), (dt.date(2020, 9, 30), "2020-09-30"), ("2019 r.", "2019"),
    ("b.d.", ""), ("", ""),
])
def test_parse_date(raw, iso):
    assert parse_date(raw) == (iso, None)


@pytest.mark.parametrize("raw", ["31.02.2020", "ok. 1990", "2019-2020"])
def test_parse_date_refuses(raw):
    iso, err = parse_date(raw)
    assert iso == "" and err


def test_register_with_join_and_leave_dates_csv(tmp_path):
    p = tmp_path / "członkowie.csv"
    p.write_bytes(("Miasto;Województwo;Data przystąpienia;Data wystąpienia;Podstawa\n"
                   "Wrocław;dolnośląskie;21.10.1994;2004;lista\n"
                   "Kraków;małopolskie;1990-10-17;;potwierdzone\n"
                   "Kielce;świętokrzyskie;ok. 1990;31.02.2020;cokolwiek\n").encode("cp1250"))
    t = ds.read_members(p)
    f = t.frame.set_index("name")
    assert (f.loc["Wrocław", "join_date"], f.loc["Wrocław", "leave_date"]) == ("1994-10-21", "2004")
    assert f.loc["Kraków", "evidence"] == "stated" and f.loc["Wrocław", "evidence"] == "list"
    problems = {(p.row, p.column): p for p in t.problems}
    assert "bad date" in problems[(4, "Data wystąpienia")].message and problems[(4, "Data wystąpienia")].fix
    assert "unknown evidence level" in problems[(4, "Podstawa")].message
    a = build_atlas(members=p)
    st = {n: s for n, s in zip(a.entities["name"], ms.statuses(a, 2010))}
    assert st["Wrocław"] == "not_member" and st["Kraków"] == "member"
    assert st["Kielce"] == "member_undated"            # bad dates are left empty, never guessed


def test_events_sheet_xlsx_with_polish_headers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Zdarzenia"
    ws.append(["Historia członkostwa (wyciąg)"])
    ws.append(["Miasto", "Województwo", "Zdarzenie", "Data", "Cytat", "Źródło"])
    ws.append(["Szczecin", "zachodniopomorskie", "wystąpienie", dt.datetime(2016, 1, 26), "„opuszcza”", "uchwała"])
    ws.append(["Szczecin", "zachodniopomorskie", "przystąpienie", "1991", "", "kongres"])
    ws.append(["Gdańsk", "pomorskie", "awans", "2001", "", ""])
    ws.append(["Gdynia", "pomorskie", "przystąpienie", "kiedyś", "", ""])
    p = tmp_path / "zdarzenia.xlsx"
    wb.save(p)
    t = ds.read_events(f"{p}#Zdarzenia")
    assert t.header_row == 2
    assert t.frame["event"].tolist()[:2] == ["left", "joined"] and t.frame["date"].tolist()[:2] == ["2016-01-26",
                                                                                                   "1991"]
    msgs = {(p.row, p.column): p.message for p in t.problems}
    assert msgs[(5, "Zdarzenie")] == "unknown event" and "bad date" in msgs[(6, "Data")]
    members = tmp_path / "m.csv"
    members.write_text("Miasto,Województwo\nSzczecin,zachodniopomorskie\n", encoding="utf-8")
    a = build_atlas(members=members, events=f"{p}#Zdarzenia")
    report = {r.row: r.status for r in a.report.for_table("events")}
    assert report[3] == report[4] == "matched" and report[5] == report[6] == "invalid"
    st = dict(zip(a.entities["name"], ms.statuses(a, 2015)))
    assert st["Szczecin"] == "member" and dict(zip(a.entities["name"], ms.statuses(a, 2016)))["Szczecin"] == \
        "not_member"


def test_a_rejected_join_date_is_left_empty_and_never_dates_the_data(tmp_path):
    """check-data says "the bad value is left empty": the atlas must do so. A year out of range, a date that does
    not exist or one after today used to stay in the membership facts: the city became a non-member (joined in
    2030) or a member since 1905, and the exports' data date read 2030."""
    from dashboard.model.membership import data_date

    members = tmp_path / "członkowie.csv"
    members.write_bytes(("Miasto;Województwo;Rok przystąpienia\n"
                         "Kielce;świętokrzyskie;2030\n"
                         "Lublin;lubelskie;1989\n"
                         "Płock;mazowieckie;1905-07-11\n"
                         "Głogów;dolnośląskie;2020-13-45\n"
                         "Żary;lubuskie;31.02.2019\n"
                         "Kraków;małopolskie;17.10.1990\n").encode("cp1250"))
    events = tmp_path / "zdarzenia.csv"
    events.write_text("Miasto,Województwo,Zdarzenie,Data\nSopot,pomorskie,przystąpienie,2030-01-01\n"
                      "Gdynia,pomorskie,przystąpienie,1995\n", encoding="utf-8")
    t = ds.read_members(members)
    quoted = {p.row: (p.value, p.message) for p in t.problems}
    assert quoted[4][0] == "1905-07-11" and "1990" in quoted[4][1]          # as written, with the range
    assert "not a date" in quoted[5][1] and "not a date" in quoted[6][1]
    a = build_atlas(members=members, events=events)
    cities = ("Kielce", "Lublin", "Płock", "Głogów", "Żary")
    ent = a.entities.set_index("name")
    assert ent.loc[list(cities), "is_member"].all() and ent.loc[list(cities), "join_year"].isna().all()
    ids = set(ent.loc[list(cities), "entity_id"])
    joins = a.membership[a.membership["event"] == "joined"]
    assert not joins["entity_id"].isin(ids).any(), joins[joins["entity_id"].isin(ids)]
    st = dict(zip(a.entities["name"], ms.statuses(a, 2020)))
    assert {st[c] for c in cities} == {"member_undated"} and st["Kraków"] == "member"
    assert {r.row: r.status for r in a.report.for_table("events")} == {2: "invalid", 3: "matched"}
    assert data_date(a) < "2027" and "2030" not in set(a.membership["date"])


def test_the_office_register_does_not_take_the_shipped_events(tmp_path):
    members = tmp_path / "m.csv"
    members.write_text("Miasto,Województwo\nPoznań,wielkopolskie\n", encoding="utf-8")
    a = build_atlas(members=members)
    assert len(a.membership[a.membership["origin"] == "events"]) == 0
    assert a.entities["is_member"].sum() == 1


# --- state ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_the_coverage_line_agrees_with_its_numbers(atlas, lang):
    """"1 członków z datą przystąpienia" / "1 dated members" (only seats on ZMP bodies): each count takes its form."""
    import re

    from dashboard.view.layout import coverage_note

    words = {"pl": (r"(\d+) (członek|członków) z datą", r"\+ (\d+) (wymieniony|wymienionych) w"),
             "en": (r"(\d+) (dated member|dated members)\b", r"\+ (\d+) (listed)")}
    seen = set()
    for evidence in (("role",), ("list", "stated", "role"), ("weak",)):
        text = coverage_note(atlas, FilterState(evidence=evidence, lang=lang))[0]
        for pattern, (one, many) in zip(words[lang], (("członek", "członków"), ("wymieniony", "wymienionych"))
                                        if lang == "pl" else (("dated member", "dated members"), ("listed", "listed"))):
            n, word = re.search(pattern, text).groups()
            seen.add(int(n) == 1)
            assert word == (one if int(n) == 1 else many), text
    assert seen == {True, False}   # both forms were read


@pytest.mark.parametrize("lang, when", [("pl", "wobec 321 według ZMP (19.09.2019)"),
                                        ("en", "of 321 published by ZMP (19 Sep 2019)")])
def test_the_published_total_is_given_with_its_own_date(atlas, lang, when, capsys):
    """The end-of-2019 view compares its members with the total ZMP published on 19.09.2019 (from
    membership_totals.csv): the note and the summary command say that date, not the year's end."""
    from dashboard.view.layout import coverage_note

    row = next(r for r in shipped_rows("membership_totals.csv") if r["year"] == "2019" and r["members"] == "321")
    assert row["as_of"] == "2019-09-19"
    assert when in coverage_note(atlas, FilterState(asof=2019, lang=lang))[0]
    assert summary_main(["--as-of", "2019"]) == 0
    assert "published total: 321 (2019-09-19)" in capsys.readouterr().out


def test_an_addresss_year_is_the_year_its_view_shows(atlas):
    """?asof=2030 showed the data's newest year but kept 2030 in the address and the embed code."""
    lo, hi = query.year_range(atlas)
    assert query.address_view(atlas, f"asof={hi + 5}").to_query() == f"asof={hi}"
    assert query.address_view(atlas, "asof=1980").to_query() == f"asof={lo}"


def test_state_asof_and_evidence_round_trip():
    s = FilterState.from_query("asof=2010&ev=list,weak")
    assert (s.asof, s.evidence, s.notices) == (2010, ("list", "weak"), ())
    assert FilterState.from_query(s.to_query()) == s
    assert FilterState().to_query() == ""                       # 2020 and list/stated/role are the defaults
    bad = FilterState.from_query("asof=20x0&ev=strong")   # nothing usable: the default levels, as the notice says
    assert bad.asof == 2020 and bad.evidence == EVIDENCE_DEFAULT and len(bad.notices) == 2
    assert "default used" in bad.notices[1]
    assert FilterState.from_query("ev=").evidence == EVIDENCE_DEFAULT
    some = FilterState.from_query("ev=weak,strong")            # the good level kept, the bad one said
    assert some.evidence == ("weak",) and "strong" in some.notices[0]
    assert FilterState.from_query("ev=none").evidence == ()


# --- the press office's command ------------------------------------------------------------------------------
def test_summary_json(atlas, capsys):
    assert summary_main(["--as-of", "2020", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # the page's evidence levels by default (weak hints off on both), all four when asked
    assert out["evidence"] == list(EVIDENCE_DEFAULT)
    assert out["counts"]["member_undated"] == int(query.member_masks(atlas, FilterState())[0].sum()) - out["counts"][
        "member"]
    assert summary_main(["--as-of", "2020", "--json", "--evidence", "list,stated,role,weak"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["member_undated"] > out["counts"]["member_undated"]
    assert out["as_of"] == "2020-12-31" and out["published_total"] == 333
    assert set(out["counts"]) == {"member", "member_undated", "not_member"}
    assert sum(out["counts"].values()) == len(out["cities"])
    city = {c["name"]: c for c in out["cities"]}
    assert set(city["Podkowa Leśna"]) == {"name", "voivodeship", "teryt", "status", "evidence", "joined", "left"}
    assert city["Podkowa Leśna"]["status"] == "member" and city["Podkowa Leśna"]["joined"] == "2020-09-30"
    assert city["Zamość"]["status"] == "not_member" and city["Zamość"]["left"] == "2018-12"
    assert city["Wrocław"]["joined"] == "2019-02" and city["Wrocław"]["left"] is None


@pytest.mark.parametrize("year", ["1989", "3000", "dwa tysiące"])
def test_summary_bad_year_exit_2(year, capsys):
    assert summary_main(["--as-of", year]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "from 1990 to" in err


def test_summary_command_smoke():
    p = subprocess.run([sys.executable, "-m", "dashboard", "summary", "--as-of", "2019"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "2019-12-31" in p.stdout and "Tarnobrzeg" in p.stdout


def test_every_members_research_note_is_in_its_card_behind_source_details(atlas):
    """Why a city counts as a member — Rzeszów: its president at the 2019 general assembly, which observers may
    attend too (a weak hint) — is the data's note; the card gave the evidence level without it. Each note is in its
    gmina's card, folded behind "source details" and labelled as the researchers' note, in both languages."""
    from plotly.utils import PlotlyJSONEncoder

    from dashboard.view import layout

    def folded_texts(node, folded: bool = False) -> list[str]:
        if isinstance(node, str):
            return [node] if folded else []
        if isinstance(node, list):
            return [x for n in node for x in folded_texts(n, folded)]
        if isinstance(node, dict) and "props" in node:
            return folded_texts(node["props"].get("children"), folded or node.get("type") == "Details")
        return []

    entities = query.derived(atlas).entities
    noted = entities[(entities["member_note"].fillna("") != "") & entities["gmina_teryt"].notna()]
    assert len(noted) >= 40 and "Rzeszów" in set(noted["name"])
    for lang, label in (("pl", "Notatka badawcza (nietłumaczona): "), ("en", "Research note: ")):
        for terc, group in noted.groupby("gmina_teryt"):
            tree = json.loads(json.dumps(layout.details_panel(atlas, terc, lang), cls=PlotlyJSONEncoder))
            texts = folded_texts(tree)
            assert set(group["member_note"]) <= set(texts) and label in texts, (terc, lang)


def test_an_events_note_tells_the_sources_words_from_the_researchers(atlas):
    """The researchers' notes mix the source's own words (in single quotes) and their summaries ("admitted by the
    Zarząd 15 Nov 2024"); the card showed both alike. Every event note of the data is now shown as a labelled
    quotation (an HTML <q>, without the researchers' quote marks) and/or a labelled research note, nothing lost."""
    from dashboard.view import layout

    def lines(note: str, lang: str) -> list[tuple[str, str, str]]:
        out = []
        for div in filter(None, layout.event_notes(note, lang)):
            label, body = div.children
            out.append((label.children, type(body).__name__, body.children if hasattr(body, "children") else body))
        return out

    notes = {r["quote"] for r in shipped_rows("membership_events.csv")}
    quoted = {n for n in notes if n.startswith("'")}
    assert len(quoted) >= 8 and len(notes - quoted) >= 8
    for note in notes:
        for lang, (quote_label, note_label) in {"pl": ("Cytat ze źródła: ", "Notatka badawcza (nietłumaczona): "),
                                                "en": ("Quoted from the source: ", "Research note: ")}.items():
            got = lines(note, lang)
            kinds = [(label, kind) for label, kind, _ in got]
            if note in quoted:
                assert kinds[0] == (quote_label, "Q") and got[0][2][0] != "'" != got[0][2][-1], (note, got)
                assert kinds[1:] in ([], [(note_label, "str")]), (note, got)
            else:
                assert kinds == [(note_label, "str")], (note, got)
            shown = " ".join(text for _, _, text in got)
            assert re.sub(r"\W", "", shown) == re.sub(r"\W", "", note), (note, shown)   # every word kept
    tarnobrzeg = lines("'Witamy ponownie Tarnobrzeg!' (year from page context)", "en")
    assert tarnobrzeg == [("Quoted from the source: ", "Q", "Witamy ponownie Tarnobrzeg!"),
                          ("Research note: ", "str", "year from page context")]


def test_a_card_says_when_its_city_is_left_off_the_map_by_the_evidence_filter(atlas):
    """Rzeszów (weak hints, not shown by default): its card said "member known only from a later source" while the
    map left it grey. The card now says what shows it; with weak hints ticked, or for a city on ZMP's list, it says
    nothing of the kind."""
    from plotly.utils import PlotlyJSONEncoder

    from dashboard.view import layout

    def card(terc: str, lang: str, state: FilterState) -> str:
        return json.dumps(layout.details_panel(atlas, terc, lang, state), cls=PlotlyJSONEncoder, ensure_ascii=False)

    default, weak_too = FilterState(), FilterState(evidence=(*EVIDENCE_DEFAULT, "weak"))
    assert "weak" not in EVIDENCE_DEFAULT
    assert "po zaznaczeniu podstawy „słabe przesłanki”" in card("1863011", "pl", default)
    assert "once “weak hints” is ticked" in card("1863011", "en", FilterState(lang="en"))
    assert "po zaznaczeniu podstawy" not in card("1863011", "pl", weak_too)
    assert "po zaznaczeniu podstawy" not in card("1261011", "pl", default)   # Kraków: on the list
    # an embedded map has no filters to tick: its card says the map leaves the city out
    embedded = json.dumps(layout.details_panel(atlas, "1863011", "en", FilterState(lang="en"), level=2),
                          cls=PlotlyJSONEncoder, ensure_ascii=False)
    assert "Not on this map: it leaves out the evidence “weak hints”." in embedded and "ticked" not in embedded
