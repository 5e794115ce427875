"""Alt text for a press export: one generated paragraph (what is shown, how many cities, where most are), PL/EN.

Saved beside every exported file as ``<file>.txt`` and shown in the Export panel. Pure: no Dash, no browser.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from dashboard.export.press import Legend, PressTexts, cities_word, entity_kinds
from dashboard.i18n import format_number, in_voivodeships, join_words, plural_form, t, voivodeship_word

TOP_VOIVODESHIPS = 3


def _count(n: int, key: str, lang: str) -> str:
    """'5 gmin' / '5 gminy': the number and the form of TEXT[key] that goes with it."""
    return f"{format_number(n, lang)} {plural_form(key, n, lang)}"


def _legend_sentence(legend: Legend, lang: str) -> str:
    fills = [e for e in legend.entries if e.kind == "fill"]
    classes = [e for e in fills[:-1] if e.count]   # the last fill is "other gminy" (grey)
    if not classes:
        return ""
    parts = [f"{e.label} – {_count(e.count, 'export_gminy', lang)}" for e in classes]
    other = fills[-1].count or 0
    rest = plural_form("export_alt_rest", other, lang).format(n=format_number(other, lang))
    what = legend.title.split("\n")[0].lower()
    return t("export_alt_legend", lang, what=what, classes="; ".join(parts), rest=rest)


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (a title that already ends in . ! ? … keeps its own)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _prose(subtitle: str) -> str:
    """The subtitle's parts ("a · b · c", a graphic's separators) joined as a sentence reads them: "a, b, c"."""
    return ", ".join(part.strip() for part in subtitle.replace("\u00a0·", " ·").split(" · ") if part.strip())


def alt_text(texts: PressTexts, entities: Any, lang: str) -> str:
    """One paragraph describing the exported map (plain text, no markup)."""
    n = int(len(entities))
    on_map = entities[entities["gmina_teryt"].notna()] if n else entities
    n_gminy = int(on_map["gmina_teryt"].nunique()) if n else 0
    head = _sentence(t("export_alt_head", lang, title=texts.title))
    scope = " " + t("export_alt_scope", lang, scope=_sentence(_prose(texts.subtitle))) if texts.subtitle else ""
    if n == 0:
        body = " " + t("export_alt_empty", lang)
    elif len(on_map) == 0:   # powiaty only: counted in the scope, none drawn
        body = ""
    else:   # what is drawn: a powiat has no gmina of its own on the map (the scope says it is not on it)
        shown = len(on_map)
        body = " " + t("export_alt_shown", lang, verb=plural_form("export_alt_verb", shown, lang),
                       cities=cities_word(shown, lang, entity_kinds(on_map)).replace("\u00a0", " "),
                       n_gminy=format_number(n_gminy, lang),
                       gminy=plural_form("export_alt_in_gminy", n_gminy, lang))
    where = ""
    if n:
        by_woj = entities["voivodeship"].astype(str).value_counts()
        by_woj = by_woj.sort_values(ascending=False, kind="stable")
        if len(by_woj) == 1:
            where = " " + plural_form("export_alt_one_voivodeship", n, lang).format(
                where=in_voivodeships([by_woj.index[0]], lang))
        else:
            top = [f"{voivodeship_word(name, lang)} ({format_number(int(c), lang)})"
                   for name, c in by_woj.head(TOP_VOIVODESHIPS).items()]
            where = " " + t("export_alt_voivodeships", lang,
                            where=t("export_in_voivodeships", lang, names=join_words(top, lang)))
    if texts.town:   # a town view: the town and its neighbours, not the wider view's count
        body = where = ""
    names = " " + t("export_alt_labels", lang, names=join_words(list(texts.labels), lang)) if texts.labels else ""
    outline = next((e.label for e in texts.legend.entries if e.kind == "outline"), "")   # the town, and why grey
    town = " " + t("export_alt_town", lang, label=outline) if outline else ""
    legend = _legend_sentence(texts.legend, lang)
    lighter = _sentence(texts.legend.note) if texts.legend.note else ""   # the gminy drawn lighter
    return " ".join(x.strip() for x in (head + scope + body + where + names + town, legend, lighter,
                                        texts.source + ".") if x.strip())


def alt_text_path(out: Path) -> Path:
    """Where the alt text of an export lives: beside it, ``map.pdf`` -> ``map.txt``."""
    return out.with_suffix(".txt")


def write_alt_text(out: Path, text: str) -> Path:
    path = alt_text_path(out)
    path.write_text(text + "\n", encoding="utf-8")
    return path
