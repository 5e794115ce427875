"""The town search's dropdown options in the page's language (the search itself: dashboard.model.query)."""
from __future__ import annotations

from typing import Any

from dashboard.i18n import t, voivodeship_name
from dashboard.ingest.values import fold
from dashboard.model import query

_GMINA_KIND = {1: "gmina_kind_urban", 2: "gmina_kind_rural", 3: "gmina_kind_urban_rural"}


def town_label(hit: query.TownHit, lang: str) -> str:
    """'Łódź (łódzkie)' for a city of the data; 'Bartoszyce (gm. wiejska, warmińsko-mazurskie)' /
    '… (rural gmina, …)' for a gmina found by its own name."""
    voivodeship = voivodeship_name(hit.voivodeship, lang)
    if hit.gmina_type is None:   # a data name with its own brackets shares them: "Braniewo (gmina wiejska, …)"
        name = hit.name.rstrip()
        return f"{name[:-1]}, {voivodeship})" if name.endswith(")") and "(" in name else f"{name} ({voivodeship})"
    return f"{hit.name} ({t(_GMINA_KIND.get(hit.gmina_type, 'gmina_kind_other'), lang)}, {voivodeship})"


def search_towns(atlas: Any, text: str | None, lang: str = "pl", limit: int = 10) -> list[dict[str, str]]:
    """[{label, value (7-digit gmina TERYT), search}] for the dropdown. `search` holds the label with and without
    diacritics and the typed text, so the dropdown's own client-side filter keeps what matched here."""
    hits = query.find_towns(atlas, text, limit)
    key = fold(text[:60]) if hits else ""
    out = []
    for hit in hits:
        label = town_label(hit, lang)
        out.append({"label": label, "value": hit.terc, "search": f"{label} {fold(label)} {key}"})
    return out


def town_option(atlas: Any, terc: str) -> dict[str, str]:
    """The option that shows a found town in the dropdown (its gmina's name and voivodeship)."""
    d = query.derived(atlas)
    pos = d.gmina_pos.get(terc)
    if pos is None:
        return {"label": terc, "value": terc}
    row = atlas.gminy.iloc[pos]
    return {"label": f"{row['name']} ({row['voivodeship']})", "value": terc}
