"""The town search's dropdown options in the page's language (the search itself: dashboard.model.query)."""
from __future__ import annotations

from typing import Any

from dashboard.i18n import said_kind, t, voivodeship_name
from dashboard.ingest.values import fold
from dashboard.model import query

_GMINA_KIND = {1: "gmina_kind_urban", 2: "gmina_kind_rural", 3: "gmina_kind_urban_rural"}


def gmina_kind(gmina_type: int, lang: str) -> str:
    """'gm. wiejska' / 'rural gmina' (1 urban, 2 rural, 3 urban-rural)."""
    return t(_GMINA_KIND.get(gmina_type, "gmina_kind_other"), lang)


def town_label(hit: query.TownHit, lang: str) -> str:
    """'Łódź (łódzkie)' for a city of the data; 'Bartoszyce (gm. wiejska, warmińsko-mazurskie)' /
    '… (rural gmina, …)' for a gmina found by its own name."""
    voivodeship = voivodeship_name(hit.voivodeship, lang)
    if hit.gmina_type is None:
        # a data name that says its gmina's kind ("Braniewo (gmina wiejska)") is labelled as a gmina found by its
        # own name is, in the page's language: "Braniewo (gm. wiejska, …)" / "(rural gmina, …)"
        name, kind = said_kind(hit.name, lang)
        return f"{name} ({kind}, {voivodeship})" if kind else f"{name} ({voivodeship})"
    return f"{hit.name} ({gmina_kind(hit.gmina_type, lang)}, {voivodeship})"


def search_towns(atlas: Any, text: str | None, lang: str = "pl", limit: int = 10) -> list[dict[str, str]]:
    """[{label, value (7-digit gmina TERYT), search}] for the dropdown. `search` holds the label with and without
    diacritics and the typed text, as typed and folded, so the dropdown's own client-side filter (each typed word a
    part of one of these words) keeps what matched here: "bielsko-biala" is no part of "bielsko biala"."""
    hits = query.find_towns(atlas, text, limit)
    typed = f"{text[:60]} {fold(text[:60])}" if hits else ""
    out = []
    for hit in hits:
        label = town_label(hit, lang)
        out.append({"label": label, "value": hit.terc, "search": f"{label} {fold(label)} {typed}"})
    return out


def town_option(atlas: Any, terc: str, lang: str) -> dict[str, str]:
    """The option that shows a found town in the dropdown: the label the search gave it ("Gliwice (Śląskie)" in
    English; it read "Gliwice (śląskie)" once picked), else its gmina's name and kind."""
    pos = query.derived(atlas).gmina_pos.get(terc)
    if pos is None:
        return {"label": terc, "value": terc}
    row = atlas.gminy.iloc[pos]
    hit = next((h for h in query.find_towns(atlas, row["name"], 50) if h.terc == terc), None)
    hit = hit or query.TownHit(terc, row["name"], row["voivodeship"], int(row["gmina_type"]))
    return {"label": town_label(hit, lang), "value": terc}
