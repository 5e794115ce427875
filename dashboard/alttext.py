"""Alt text for a press export: one generated paragraph (what is shown, how many cities, where most are), PL/EN.

Saved beside every exported file as ``<file>.txt`` and shown in the Export panel. Pure: no Dash, no browser.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from dashboard.export import Legend, PressTexts, plural_pl
from dashboard.i18n import format_number

TOP_VOIVODESHIPS = 3


def _count(n: int, lang: str, pl: tuple[str, str, str], en: tuple[str, str]) -> str:
    word = plural_pl(n, *pl) if lang == "pl" else (en[0] if n == 1 else en[1])
    return f"{format_number(n, lang)} {word}"


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" i " if lang == "pl" else " and ") + items[-1]


def _legend_sentence(legend: Legend, lang: str) -> str:
    classes = [e for e in legend.entries[:-1] if e.count > 0]   # the last entry is "other gminy" (grey)
    if not classes:
        return ""
    gminy_pl, gminy_en = ("gmina", "gminy", "gmin"), ("gmina", "gminy")
    parts = [f"{e.label} – {_count(e.count, lang, gminy_pl, gminy_en)}" for e in classes]
    other = legend.entries[-1].count
    what = legend.title.split("\n")[0].lower()
    if lang == "pl":
        rest = plural_pl(other, "pozostała {n} gmina jest szara", "pozostałe {n} gminy są szare",
                         "pozostałych {n} gmin jest szarych").format(n=format_number(other, lang))
        return f"Legenda ({what}): {'; '.join(parts)}; {rest}."
    return f"Legend ({what}): {'; '.join(parts)}; the other {_count(other, lang, gminy_pl, gminy_en)} are grey."


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
    cities_pl, cities_en = ("miasto lub JST", "miasta lub JST", "miast lub JST"), ("city or local government",
                                                                                "cities or local governments")
    if lang == "pl":
        head = _sentence(f"Mapa gmin Polski (granice PRG 2020): {texts.title}")
        scope = f" Zakres: {_sentence(_prose(texts.subtitle))}" if texts.subtitle else ""
        if n == 0:
            body = " Żadne miasto nie spełnia wybranych filtrów, więc wszystkie gminy są szare."
        else:
            verb = plural_pl(n, "jest", "są", "jest")
            body = (f" Na mapie {verb} {_count(n, lang, cities_pl, cities_en)} w "
                    f"{_count(n_gminy, lang, ('gminie', 'gminach', 'gminach'), ('', ''))}.")
    else:
        head = _sentence(f"Map of Poland's gminy (municipalities; PRG 2020 boundaries): {texts.title}")
        scope = f" Scope: {_sentence(_prose(texts.subtitle))}" if texts.subtitle else ""
        if n == 0:
            body = " No city matches the chosen filters, so every gmina is grey."
        else:
            body = (f" The map shows {_count(n, lang, cities_pl, cities_en)} in "
                    f"{_count(n_gminy, lang, ('', '', ''), ('gmina', 'gminy'))}.")
    where = ""
    if n:
        by_woj = entities["voivodeship"].astype(str).value_counts()
        by_woj = by_woj.sort_values(ascending=False, kind="stable")
        top = [f"{name} ({format_number(int(c), lang)})" for name, c in by_woj.head(TOP_VOIVODESHIPS).items()]
        if len(by_woj) == 1:
            where = (f" Wszystkie leżą w województwie {by_woj.index[0]}." if lang == "pl"
                     else f" All are in the {by_woj.index[0]} voivodeship.")
        else:
            where = (f" Najwięcej jest w województwach: {_join(top, lang)}." if lang == "pl"
                     else f" Most are in the voivodeships {_join(top, lang)}.")
    legend = _legend_sentence(texts.legend, lang)
    return " ".join(x.strip() for x in (head + scope + body + where, legend, texts.source + ".") if x.strip())


def alt_text_path(out: Path) -> Path:
    """Where the alt text of an export lives: beside it, ``map.pdf`` -> ``map.txt``."""
    return out.with_suffix(".txt")


def write_alt_text(out: Path, text: str) -> Path:
    path = alt_text_path(out)
    path.write_text(text + "\n", encoding="utf-8")
    return path
