"""Polish and English strings and number formats."""
from __future__ import annotations

import pytest

from dashboard.i18n import NBSP, TEXT, escape_markup, format_compact, format_figure, format_number, t, year_label


@pytest.mark.parametrize("value, lang, decimals, expected", [
    (22500, "pl", 0, f"22{NBSP}500"),
    (22500, "en", 0, "22,500"),
    (1234567.25, "pl", 2, f"1{NBSP}234{NBSP}567,25"),
    (1234567.25, "en", 2, "1,234,567.25"),
    (0.5, "pl", 1, "0,5"),
    (333, "pl", 0, "333"),
    (-1500, "pl", 0, f"\u22121{NBSP}500"),
    (None, "pl", 0, "–"),
    (float("nan"), "en", 0, "–"),
])
def test_format_number(value, lang, decimals, expected):
    assert format_number(value, lang, decimals) == expected


def test_compact_and_published_figures():
    assert format_compact(87_700_000, "pl") == f"87,7{NBSP}mln"
    assert format_compact(87_700_000, "en") == "87.7 million"   # a word: a 320 px phone's line may break there
    assert format_figure(87_700_000, "PLN", "pl") == f"87,7{NBSP}mln{NBSP}zł"
    assert format_figure(150, "count_at_least", "pl") == f"ponad{NBSP}150"
    assert format_figure(150, "count_at_least", "en") == f"over{NBSP}150"
    assert format_figure(19000, "count", "pl") == f"19{NBSP}000"


def test_every_string_exists_in_both_languages_with_the_same_placeholders():
    import string

    for key, entry in TEXT.items():
        assert set(entry) == {"pl", "en"}, key
        names = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("pl", "en")]
        assert names[0] == names[1], key


def test_english_calls_each_kind_of_place_by_one_name():
    """The English page, table and exports say the same thing: a powiat is a "county" (the Polish word may follow
    in brackets), a JST a "local government" — the table said "LGU" and the page "powiaty" where the graphics said
    "local governments" and "counties"."""
    import re

    for key, entry in TEXT.items():
        english = entry["en"]
        assert "LGU" not in english, key
        if re.search(r"\bpowiat", english):
            assert re.search(r"\bcount(y|ies)\b", english), (key, english)


def test_a_citys_status_and_facts_fit_every_citys_gender():
    """"Stan na 31.12.2016: nie był członkiem" was said of Podkowa Leśna too: the Polish labels put after a city's
    name are nouns or gender-free ("poza Związkiem", "wzmianka w źródle"), never a past tense or an adjective
    that agrees with one gender."""
    import re

    gendered = re.compile(r"\b(był|była|było|należał|wymieniony|wymieniona|przystąpił|wystąpił)\b")
    for key in [k for k in TEXT if k.startswith(("status_", "ev_"))]:
        assert not gendered.search(TEXT[key]["pl"]), (key, TEXT[key]["pl"])


def test_a_tool_one_draws_with_is_named_in_the_instrumental():
    """"zaznacz prostokątem lub lasso" mixed cases (the map's toolbar said "Zaznacz lassem"): after "zaznacz" both
    tools are in the instrumental, as "prostokątem" is."""
    import re

    for key, entry in TEXT.items():
        polish = entry["pl"]
        if re.search(r"\b[Zz]aznacz", polish):
            assert not re.search(r"\blasso\b", polish), (key, polish)


def test_t_formats_and_falls_back_to_polish():
    assert t("export_where", "en", cities="3 cities", where="across Poland") == "3 cities across Poland"
    assert t("title", "xx") == "Atlas Związku Miast Polskich"


def test_escape_markup_keeps_data_out_of_plotly_markup():
    assert escape_markup("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"


def test_year_label():
    import pandas as pd

    assert year_label(2019, "pl") == "2019"
    assert year_label(pd.NA, "pl") == "nieznany"
    assert year_label(None, "en") == "unknown"


def test_no_text_leaves_its_plural_to_the_reader():
    """"przed Tobą 1 eksport(y/ów)" / "1 export(s)": every count takes its own form (dashboard.i18n.plural_form)."""
    import re

    bracketed = re.compile(r"\w\((?:s|es|y|ów|a|e)(?:/\w+)?\)")
    found = [(key, lang, text) for key, texts in TEXT.items() for lang, text in texts.items()
             if bracketed.search(text)]
    assert found == []
    from dashboard.i18n import plural_form

    assert [t("export_queued", "pl", n=n, exports=plural_form("export_exports", n, "pl")) for n in (1, 3, 5)] == [
        "W kolejce: przed Tobą 1 eksport.", "W kolejce: przed Tobą 3 eksporty.", "W kolejce: przed Tobą 5 eksportów."]
