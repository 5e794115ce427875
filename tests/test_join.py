"""dashboard.join.resolve against the real PRG 2020 gminy: known answers for tricky names, every resolution path, and
no silent picks."""
from __future__ import annotations

import itertools

import pytest

from dashboard.ingest import dataset as ds
from dashboard.join import resolve as jn

_counter = itertools.count()


@pytest.fixture(scope="module")
def gaz():
    return jn.get_gazetteer()


@pytest.fixture
def resolve(tmp_path, gaz):
    def _resolve(rows, header=("Miasto", "Województwo", "TERYT", "Rodzaj", "lon", "lat"), kind="members",
                 projects=None):
        lines = [";".join(header)] + [";".join(str(c) for c in r) for r in rows]
        p = tmp_path / f"t{next(_counter)}.csv"
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
        table = ds.read_table(p, kind)
        return jn.join(**{kind: table}, projects=projects, gaz=gaz).rows
    return _resolve


def one(resolve, name, woj="", teryt="", kind="", lon="", lat=""):
    (r,) = resolve([(name, woj, teryt, kind, lon, lat)])
    return r


# ------------------------------------------------------------------------------------------------ known answers
@pytest.mark.parametrize("name,woj,expected", [
    ("Bolesławiec", "dolnośląskie", "0201011"),       # not the rural 0201022, nor Bolesławiec in łódzkie
    ("Nowy Targ", "małopolskie", "1211011"),          # not the rural 1211092
    ("Biskupiec", "warmińsko-mazurskie", "2814023"),  # not the rural Biskupiec 2812022 (nowomiejski)
    ("Warszawa", "mazowieckie", "1465011"),
    ("Gorzów Wlkp.", "lubuskie", "0861011"),
    ("Gorzów Wielkopolski", "", "0861011"),           # unique in Poland without a voivodeship
    ("m. st. Warszawa", "14", "1465011"),
    ("Miasto Stołeczne Warszawa", "MAZOWIECKIE", "1465011"),
    ("Nakło n. Notecią", "kujawsko-pomorskie", "0410033"),
    ("Nakło n.Notecią", "kujawsko-pomorskie", "0410033"),
    ("Kostrzyn n. Odrą", "lubuskie", "0801011"),
    ("KĘDZIERZYN KOŹLE", "opolskie", "1603011"),
    ("lodz", "lodzkie", "1061011"),                   # no diacritics at all
    ("Chełm", "lubelskie", "0662011"),                # city, not the rural Chełm 0603032
])
def test_known_answers(resolve, name, woj, expected, gaz):
    r = one(resolve, name, woj)
    assert (r.status, r.teryt) == ("matched", expected), r.reason
    assert gaz.candidate(expected).name  # the answer exists in PRG 2020


@pytest.mark.parametrize("written,woj,official", [
    ("Ruda Śl.", "śląskie", "Ruda Śląska"), ("Rawa Maz.", "łódzkie", "Rawa Mazowiecka"),
    ("Biała Podl.", "lubelskie", "Biała Podlaska"), ("Solec Kuj.", "kujawsko-pomorskie", "Solec Kujawski"),
    ("Starogard Gd.", "pomorskie", "Starogard Gdański"), ("Piotrków Tryb.", "łódzkie", "Piotrków Trybunalski"),
    ("Ostrów Wlkp.", "wielkopolskie", "Ostrów Wielkopolski"), ("Janów Lub.", "lubelskie", "Janów Lubelski"),
    ("Jedlina Zdrój", "dolnośląskie", "Jedlina-Zdrój"), ("Lądek Zdr.", "dolnośląskie", "Lądek-Zdrój"),
    ("Grodzisk Maz.", "mazowieckie", "Grodzisk Mazowiecki"), ("Czarna Białostocka", "podlaskie",
                                                               "Czarna Białostocka"),
    ("Nowe Miasto n. Pilicą", "mazowieckie", "Nowe Miasto nad Pilicą"),
])
def test_abbreviations(resolve, written, woj, official, gaz):
    r = one(resolve, written, woj)
    assert r.status == "matched", r.reason
    assert gaz.candidate(r.teryt).name == official and r.teryt[6] in "13"


def test_known_answers_match_the_gazetteer_of_towns(gaz):
    """Independent check: the name join agrees with point-in-polygon of the PRNG town points (the geodata README
    measured 940/954; here every unique town-gmina name must agree)."""
    import geodata

    towns = geodata.load("towns")
    ok = bad = 0
    for name, woj, teryt in zip(towns["name"], towns["teryt_woj"], towns["teryt_gmina_2020"]):
        hits = [t for t in gaz.gminy_named(name, woj) if t[6] in "13"]
        if len(hits) == 1:
            ok += 1
            bad += hits[0] != teryt
    assert ok > 900 and bad == 0


# ------------------------------------------------------------------------------------------------ fallbacks
def test_fallback_to_the_only_other_gmina_says_so(resolve):
    r = one(resolve, "Ujazd", "łódzkie")  # a town since 2023; rural gmina in the 2020 boundaries
    assert (r.status, r.teryt, r.method) == ("matched", "1016102", "name_fallback")
    assert "only gmina" in r.reason and "after 2020" in r.reason


def test_rural_gmina_participant(resolve):
    r = one(resolve, "Tarnowo Podgórne", "wielkopolskie", kind="gmina")
    assert (r.status, r.method) == ("matched", "name") and r.teryt[6] == "2" and r.teryt[:2] == "30"


@pytest.mark.parametrize("name,kind,expected", [
    ("Bartoszyce (gmina)", "", "2801032"), ("Bartoszyce", "gmina", "2801032"), ("Bartoszyce", "", "2801011"),
    ("Krasnystaw (gmina wiejska)", "", "0606052"), ("Krasnystaw", "miasto", "0606011"),
    ("Gmina Wiejska Krasnystaw", "", "0606052"), ("Krasnystaw (gmina miejska)", "", "0606011"),
])
def test_town_vs_rural_gmina_of_the_same_name(resolve, name, kind, expected):
    woj = "warmińsko-mazurskie" if "Bartoszyce" in name else "lubelskie"
    r = one(resolve, name, woj, kind=kind)
    assert (r.status, r.teryt) == ("matched", expected), r.reason


@pytest.mark.parametrize("name,woj,kind,expected", [
    ("Nowy Targ (powiat nowotarski)", "małopolskie", "", "1211"),
    ("Brzeg (powiat brzeski)", "opolskie", "", "1601"),
    ("Powiat Pilski", "wielkopolskie", "", "3019"),
    ("powiat brzeski", "małopolskie", "", "1202"),
    ("Nowy Targ", "małopolskie", "powiat", "1211"),            # the powiat of the town
    ("Starostwo Powiatowe w Nowy Targ", "małopolskie", "", "1211"),
    ("Jelenia Góra", "dolnośląskie", "powiat", "0261"),         # a city powiat
])
def test_powiaty(resolve, name, woj, kind, expected):
    r = one(resolve, name, woj, kind=kind)
    assert (r.status, r.teryt, r.entity_kind) == ("matched", expected, "powiat"), r.reason


def test_powiat_name_without_voivodeship_is_ambiguous(resolve):
    r = one(resolve, "powiat brzeski")
    assert r.status == "ambiguous" and {c.teryt for c in r.candidates} == {"1202", "1601"}
    assert all(c.kind == "powiat" for c in r.candidates)


# ------------------------------------------------------------------------------------------------ ambiguous
def test_name_without_voivodeship_ambiguous_lists_candidates(resolve):
    r = one(resolve, "Bolesławiec")   # the only town gmina of that name in Poland (1018012 in łódzkie is rural)
    assert r.status == "matched" and r.teryt == "0201011" and "no voivodeship given" in r.reason
    r = one(resolve, "Brzeg")
    assert r.status == "matched" and r.teryt == "1601011"
    r = one(resolve, "Zakrzewo")  # rural gminy in wielkopolskie and kujawsko-pomorskie, no town of that name
    assert r.status == "ambiguous" and len(r.candidates) == 2 and r.teryt is None
    for c in r.candidates:
        assert len(c.teryt) == 7 and c.kind.startswith("gmina") and c.voivodeship


def test_two_town_gminy_same_name_same_voivodeship_never_picked(resolve, gaz):
    # find a real case: two type-1/3 gminy with the same name in one voivodeship, if PRG has one;
    # otherwise two gminy of other types (fallback must not pick either)
    g = gaz.gminy
    dup = g.groupby(["woj", "key"]).filter(lambda x: len(x) > 1 and (x["type"] != "1").all()
                                          and (x["type"] != "3").all())
    woj, key = dup.iloc[0]["woj"], dup.iloc[0]["name"]
    r = one(resolve, key, woj)
    assert r.status == "ambiguous" and r.teryt is None and len(r.candidates) >= 2


def test_point_in_polygon_resolves_an_ambiguous_name(resolve, gaz):
    (wlkp,) = [t for t in gaz.gminy_named("Zakrzewo", "30")]
    pt = gaz.gmina_geom[wlkp].representative_point()
    r = one(resolve, "Zakrzewo", "", lon=f"{pt.x:.5f}", lat=f"{pt.y:.5f}")
    assert (r.status, r.teryt, r.method) == ("matched", wlkp, "point")


def test_point_in_polygon_places_an_unknown_name_and_says_so(resolve):
    r = one(resolve, "Bolesławiec-Zachód", "dolnośląskie", lon="15.5647", lat="51.2631")
    assert (r.status, r.teryt, r.method) == ("matched", "0201011", "point")
    assert "check the name" in r.reason


def test_coordinates_contradicting_the_name_are_flagged(resolve):
    r = one(resolve, "Bolesławiec", "dolnośląskie", lon="19.9368", lat="50.0614")   # a point in Kraków
    assert r.status == "ambiguous" and {c.teryt for c in r.candidates} == {"0201011", "1261011"}


# ------------------------------------------------------------------------------------------------ TERYT
@pytest.mark.parametrize("teryt,expected,method", [
    ("0201011", "0201011", "teryt"), ("201011", "0201011", "teryt"), ("020101", "0201011", "teryt6"),
    ("20101", "0201011", "teryt6"), ("0218033", "0218032", "crosswalk"),    # Miękinia, 2026 type 3
    ("2814024", "2814023", "teryt6"),                                       # type 4: town part of Biskupiec
    ("1465108", "1465011", "teryt6"),                                       # a Warsaw district code
])
def test_teryt_paths(resolve, teryt, expected, method):
    r = one(resolve, _name_of(expected), "", teryt=teryt)
    assert (r.status, r.teryt, r.method) == ("matched", expected, method), r.reason


def _name_of(code):
    return jn.get_gazetteer().candidate(code).name


def test_teryt_contradicting_name_or_voivodeship_is_not_picked(resolve):
    r = one(resolve, "Kraków", "małopolskie", teryt="0201011")
    assert r.status == "ambiguous" and r.teryt is None
    assert [c.teryt for c in r.candidates] == ["0201011", "1261011"]
    assert "disagree" in r.reason


def test_new_2026_gmina_is_unmatched_with_reason(resolve):
    r = one(resolve, "Szczawa", "małopolskie", teryt="1207132")
    assert r.status == "unmatched" and "after 2020" in r.reason


def test_unknown_teryt_unmatched_with_suggestions(resolve):
    r = one(resolve, "Kraków", "małopolskie", teryt="1299011")
    assert r.status == "unmatched" and any("1261011" in s for s in r.suggestions)


def test_bad_teryt_is_invalid_with_suggestions(resolve):
    r = one(resolve, "Kraków", "małopolskie", teryt="12610111")
    assert r.status == "invalid" and r.teryt is None and any("1261011" in s for s in r.suggestions)


def test_unknown_voivodeship_is_invalid(resolve):
    r = one(resolve, "Biskupiec", "Mordor")
    assert r.status == "invalid" and "voivodeship" in r.reason
    assert {s.split()[1] for s in r.suggestions} == {"2812022", "2814023"}


# ------------------------------------------------------------------------------------------------ unmatched
def test_unmatched_gives_close_names(resolve):
    r = one(resolve, "Bolesławeic", "dolnośląskie")
    assert r.status == "unmatched" and r.teryt is None and "no gmina named" in r.reason
    assert any("0201011" in s for s in r.suggestions)


def test_wrong_voivodeship_suggests_the_right_one(resolve):
    r = one(resolve, "Gorzów Wielkopolski", "wielkopolskie")
    assert r.status == "unmatched" and any("0861011" in s for s in r.suggestions)


# ------------------------------------------------------------------------------------------------ duplicates
def test_duplicates_are_reported_not_used(resolve):
    rows = [("Bolesławiec", "dolnośląskie", "", "", "", ""), ("Boleslawiec", "DOLNOŚLĄSKIE", "0201011", "", "", ""),
            ("Foo", "mazowieckie", "", "", "", ""), ("foo", "Mazowieckie", "", "", "", "")]
    res = resolve(rows)
    assert [r.status for r in res] == ["matched", "duplicate", "unmatched", "duplicate"]
    assert "row 2" in res[1].reason and "row 4" in res[3].reason


def test_participation_duplicates_are_per_project(resolve):
    header = ("Projekt", "Miasto", "Woj.")
    projects = ds.read_projects().frame
    rows = [("P1", "Żary", "lubuskie"), ("P4", "Żary", "lubuskie"), ("p1", "Żary", "lubuskie"),
            ("Udział mieszkańców w planowaniu przestrzennym", "Kielce", "świętokrzyskie"), ("P99", "Kielce", "")]
    res = resolve(rows, header=header, kind="participation", projects=projects)
    assert [r.status for r in res] == ["matched", "matched", "duplicate", "matched", "invalid"]
    assert res[3].project_id == "P4"
    assert "unknown project" in res[4].reason


def test_every_row_has_a_status_and_a_reason(resolve):
    rows = [("Bolesławiec", "dolnośląskie", "", "", "", ""), ("", "dolnośląskie", "", "", "", ""),
            ("Zakrzewo", "", "", "", "", ""), ("Xyz", "", "", "", "", "")]
    res = resolve(rows)
    assert [r.status for r in res] == ["matched", "invalid", "ambiguous", "unmatched"]
    assert all(r.reason for r in res)


@pytest.mark.parametrize("name,woj,expected", [
    ("Bolesławiec - miasto", "dolnośląskie", "0201011"), ("Bolesławiec – gmina wiejska", "dolnośląskie", "0201022"),
    ("Gmina Miasto Ełk", "warmińsko-mazurskie", "2805011"), ("Gmina Miejska Ełk", "warmińsko-mazurskie", "2805011"),
    ("Miasto Bolesławiec", "02", "0201011"), ("„Bolesławiec”", "02", "0201011"), ("BOLESŁAWIEC.", "02", "0201011"),
])
def test_name_forms_offices_use(resolve, name, woj, expected):
    r = one(resolve, name, woj)
    assert (r.status, r.teryt) == ("matched", expected), r.reason


def test_renamed_gmina_found_by_its_2026_name(resolve):
    r = one(resolve, "Nowiny", "świętokrzyskie")     # Sitkówka-Nowiny in PRG 2020
    assert (r.status, r.teryt) == ("matched", "2604172") and "renamed" in r.reason


def test_powiat_column_narrows_same_named_gminy(resolve):
    header = ("Miasto", "Powiat", "Województwo")
    res = resolve([("Biskupiec", "olsztyński", "warmińsko-mazurskie"), ("Biskupiec", "nowomiejski", "28"),
                   ("Zakrzewo", "powiat złotowski", ""), ("Zakrzewo", "", "")], header=header)
    assert [(r.status, r.teryt) for r in res] == [("matched", "2814023"), ("matched", "2812022"),
                                                 ("matched", "3031072"), ("ambiguous", None)]
    assert "powiat" in res[1].reason
    r = one(resolve, "Biskupiec (pow. nowomiejski)", "warmińsko-mazurskie")   # the hint inside the name
    assert (r.status, r.teryt) == ("matched", "2812022")


def test_without_enrichments_markers_fall_back_to_polygons():
    """geodata may raise EnrichmentUnavailable for towns/crosswalk: the join still works, markers use polygons."""
    import shapely

    import geodata

    g = jn.Gazetteer(geodata.load("gminy"), geodata.load("powiaty"), towns=None, crosswalk=None)
    x, y, src = g.point("0201011")
    assert src == "polygon" and shapely.contains_xy(g.gmina_geom["0201011"], x, y)
    assert g.gminy_named("Bolesławiec", "02") == ["0201011", "0201022"]
