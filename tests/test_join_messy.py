"""Red-team names for dashboard.join.resolve: how a municipal office writes its cities, and where it must not be guessed."""
from __future__ import annotations

import itertools

import openpyxl
import pytest

from dashboard.ingest import dataset as ds
from dashboard.join import resolve as jn

_n = itertools.count()


@pytest.fixture(scope="module")
def gaz():
    return jn.get_gazetteer()


def resolve(tmp_path, gaz, text, encoding="utf-8"):
    p = tmp_path / f"m{next(_n)}.csv"
    p.write_bytes(text.encode(encoding))
    return jn.join(ds.read_members(p), gaz=gaz).rows


def one(tmp_path, gaz, name, woj="", teryt=""):
    (r,) = resolve(tmp_path, gaz, f"Miasto;Województwo;TERYT\n{name};{woj};{teryt}\n")
    return r


def test_gmina_x_where_a_town_x_exists_is_not_picked(tmp_path, gaz):
    """'Gmina Bolesławiec' is the rural gmina's official name — but offices write 'Gmina X' for their town too."""
    r = one(tmp_path, gaz, "Gmina Bolesławiec", "dolnośląskie")
    assert r.status == "ambiguous" and r.teryt is None
    assert {c.teryt for c in r.candidates} == {"0201011", "0201022"}
    assert "Gmina wiejska" in r.reason and "Miasto" in r.reason
    # explicit forms still resolve
    assert one(tmp_path, gaz, "Gmina Wiejska Bolesławiec", "02").teryt == "0201022"
    assert one(tmp_path, gaz, "Gmina Miejska Bolesławiec", "02").teryt == "0201011"
    assert one(tmp_path, gaz, "Gmina Tarnowo Podgórne", "wielkopolskie").status == "matched"  # no town of that name


@pytest.mark.parametrize("name,woj,expected", [
    ("Grodzisk Maz", "mazowieckie", "1405043"),             # abbreviation without its dot
    ("Ostrów Wlkp", "wielkopolskie", "3017011"),
    ("Nowe Miasto n/Pilicą", "mazowieckie", "1406083"),
    ("Kraków (małopolskie)", "", "1261011"),                 # the voivodeship inside the name
    ("Bolesławiec, woj. dolnośląskie", "", "0201011"),
    ("Nowy Sącz*", "małopolskie", "1262011"),                # a footnote mark
    ("Nowy Sącz 1)", "małopolskie", "1262011"),
    ("ŁÓDŹ", "ŁÓDZKIE", "1061011"), ("LODZ", "lodzkie", "1061011"), ("Lodz", "", "1061011"),
    ("Kędzierzyn Koźle", "opolskie", "1603011"), ("Kędzierzyn - Koźle", "16", "1603011"),
    ("Gmina Miejska Kraków", "małopolskie", "1261011"), ("Miasto Kraków", "", "1261011"),
    ("Zabrze", "woj. śląskie", "2478011"), ("Bytom", "slaskie ", "2462011"), ("Tychy", "24.0", "2477011"),
    ("Toruń", "kuj.-pom.", "0463011"), ("Płock", "Mazowsze", "1462011"),
    ("Wałbrzych", "02 DOLNOŚLĄSKIE", "0265011"),
])
def test_office_spellings(tmp_path, gaz, name, woj, expected):
    r = one(tmp_path, gaz, name, woj)
    assert (r.status, r.teryt) == ("matched", expected), r.reason


def test_footnote_mark_is_mentioned(tmp_path, gaz):
    assert "'*'" in one(tmp_path, gaz, "Nowy Sącz*", "małopolskie").reason


def test_voivodeship_in_the_name_must_agree_with_the_column(tmp_path, gaz):
    r = one(tmp_path, gaz, "Kraków (małopolskie)", "mazowieckie")
    assert r.status != "matched" and "małopolskie" in r.reason


def test_letters_lost_to_question_marks(tmp_path, gaz):
    (r, r2) = resolve(tmp_path, gaz, "Miasto;Województwo\nBoles?awiec;dolno?l?skie\n??d?;\n", encoding="cp1250")
    assert (r.status, r.teryt) == ("matched", "0201011") and "'?'" in r.reason
    assert r2.status != "matched"      # '??d?' fits more than one name: never guessed


def test_without_voivodeship_repeated_names_are_ambiguous(tmp_path, gaz):
    r = one(tmp_path, gaz, "Józefów")
    assert r.status == "ambiguous" and {c.teryt for c in r.candidates} == {"0602073", "1417011"}
    r = one(tmp_path, gaz, "Ełk")
    assert r.status == "matched" and r.reason.count("no voivodeship given") == 1


def test_empty_name_with_a_teryt_is_placed_by_the_teryt(tmp_path, gaz):
    r = one(tmp_path, gaz, "", "", "2814023")
    assert r.teryt == "2814023" and r.status == "invalid" and "identified as Biskupiec" in r.reason


def test_notes_do_not_change_a_status(tmp_path, gaz):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Miasto", "Województwo"])
    ws.append(["Bolesławiec", "dolnośląskie"])
    ws.append(["Bielawa", None])
    ws.merge_cells("B2:B3")
    ws.row_dimensions[3].hidden = True
    p = tmp_path / "r.xlsx"
    wb.save(p)
    rep = jn.join(ds.read_members(p), gaz=gaz)
    assert [(r.status, r.teryt) for r in rep.rows] == [("matched", "0201011"), ("matched", "0202011")]
    assert len(rep.file_problems) == 2 and rep.ok          # the merge and the hidden row, as notes


def test_sections_give_the_voivodeship(tmp_path, gaz):
    rows = resolve(tmp_path, gaz, "Miasto;Rok\nWOJEWÓDZTWO LUBELSKIE;\nBiała Podlaska;\nPODLASKIE;\nBiałystok;\n")
    assert [(r.status, r.teryt, r.woj) for r in rows] == [("matched", "0661011", "06"), ("matched", "2061011", "20")]


def test_suggestions_are_cached_per_name(gaz):
    a = gaz.suggestions("Bolesławeic", "02")
    assert a and a == gaz.suggestions("Bolesławeic", "02") and any("0201011" in s for s in a)


def test_kind_column_with_a_gmina_type(tmp_path, gaz):
    rows = resolve(tmp_path, gaz, "Miasto;Województwo;Typ\nBiskupiec;warmińsko-mazurskie;gmina miejsko-wiejska\n"
                                  "Biskupiec;warmińsko-mazurskie;gmina wiejska\n")
    assert [(r.status, r.teryt) for r in rows] == [("matched", "2814023"), ("matched", "2812022")]


def test_warsaw_district_suggests_warsaw(tmp_path, gaz):
    r = one(tmp_path, gaz, "Warszawa-Bemowo", "mazowieckie")
    assert r.status == "unmatched" and any("1465011" in s for s in r.suggestions)


def test_shifted_row_reason_has_no_none(tmp_path, gaz):
    (r,) = resolve(tmp_path, gaz, "Miasto;TERYT\nŁódź;1061011;extra\n")
    assert r.status == "invalid" and "None" not in r.reason and "3 cells" in r.reason


def test_a_teryt_in_the_name_column_is_pointed_out(tmp_path, gaz):
    r = one(tmp_path, gaz, "1261011")
    assert r.status == "unmatched" and "TERYT column" in r.reason


def test_starostwo_in_the_locative_suggests_the_seat(tmp_path, gaz):
    r = one(tmp_path, gaz, "Starostwo Powiatowe w Brzegu", "opolskie")
    assert r.status == "unmatched" and any("Brzeg 1601011" in s for s in r.suggestions)
