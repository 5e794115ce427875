"""Press export: the press figure built from the dashboard's map, and the texts generated for it.

Three modules, one job each (every public name is importable from here):
- ``export_spec``: presets (sizes, type sizes, DPI) and ExportSpec (the validated, serialisable request);
- ``export_layout``: text measurement and the arrangement of the page (pure geometry);
- ``export`` (this one): texts generated from the filters, the legend, the short link, and the plotly figure.
No Dash, no browser here. ``render.py`` turns the figure into PNG/SVG/PDF bytes; ``export_cli`` and
``export_panel`` are the two front doors. User-facing words live in dashboard/i18n.py (the export section).

The press figure is the dashboard's own ``map_figure(atlas, state, geojson)`` (same projection, same classes,
same colours) sized for the preset and framed like a press graphic:

    ┌───────────────────────────────────────────────┐   title (bold), subtitle: generated from the filters,
    │ ▬ Title                                       │   editable, PL/EN
    │ subtitle                                      │
    │ ┌───────────────────────┐  Legend title       │   legend: the map's classes with their counts
    │ │          map          │  ■ class (n)        │   (beside the map on landscape pages, under it on
    │ └───────────────────────┘  ■ class (n)        │   portrait ones)
    │ ───────────────────────────────────────────── │
    │ Źródło: Związek Miast Polskich; granice: …    │   source line (+ gazetteer credit when town points
    │ Stan danych: … · https://…/?p=P1       [logo] │   are drawn), data date, short URL of the view, logo
    └───────────────────────────────────────────────┘

Every measure is in CSS px of the preset (1 px = 1/96 in); print presets are rendered at 300 dpi.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from dashboard import config
from dashboard.export.page import (  # noqa: F401 - re-exported: dashboard.export.press is the public face
    FONT_FAMILY,
    GEO_BOX_ASPECT,
    GEO_INSETS,
    LINE,
    MAP_ASPECT,
    Box,
    Legend,
    LegendEntry,
    PressLayout,
    PressTexts,
    _legend_head_h,
    _legend_row_h,
    geo_domain,
    layout_press,
    note_swatch,
    text_width,
    wrap,
)
from dashboard.export.spec import (  # noqa: F401 - re-exported
    CSS_DPI,
    FORMATS,
    MAX_SUBTITLE_CHARS,
    MAX_TITLE_CHARS,
    MIME,
    MM_PER_IN,
    PRESETS,
    ExportSpec,
    ExportSpecError,
    Preset,
    get_preset,
)
from dashboard.i18n import (  # noqa: F401 - plural_pl re-exported
    display_name,
    escape_markup,
    format_number,
    in_voivodeships,
    join_words,
    plural_form,
    plural_pl,
    t,
    voivodeship_word,
)
from dashboard.ingest.values import collation_key
from dashboard.model import membership, query
from dashboard.model.state import LANGS, FilterState
from dashboard.view import figures
from dashboard.view.figures import INK, MUTED

RULE = "#c9ced6"
ACCENT = "#c8102e"          # the red of the Polish flag / ZMP's identity colour, used only for the accent bar

SOURCE_LINE = {lang: t("export_source", lang) for lang in LANGS}   # attribution is data: on every export
GAZETTEER_CREDIT = {lang: t("export_gazetteer_credit", lang) for lang in LANGS}
BASE_URL_ENV = "ATLAS_PUBLIC_URL"   # read by dashboard.config.public_url(); unset = no link on the graphic


# --- texts generated from the filters ------------------------------------------------------------------------
def _project_labels(atlas: Any, ids: Sequence[str], lang: str) -> list[str]:
    labels = query.project_labels(atlas, lang)
    return [labels.get(pid, pid) for pid in ids]


_join = join_words   # 'a, b i c' / 'a, b and c'


_QUOTES = re.compile("[„”“\"'‘’«»]")


def _quote(text: str, lang: str) -> str:
    return t("export_quote", lang, text=text)


def counted(n: int, key: str, lang: str) -> str:
    """The number and the form of TEXT[key] that goes with it, never parted at a line break: '5\u00a0gmin'."""
    return f"{format_number(n, lang)}\u00a0{plural_form(key, n, lang)}"


# the kinds of JST the data knows (dashboard.ingest.dataset checks them), in this order, and their nouns
JST_KINDS = {"town": "export_cities", "gmina": "export_gminy", "powiat": "export_powiaty"}


def entity_kinds(entities: Any) -> tuple[tuple[str, int], ...]:
    """(kind of JST, how many) of the counted entities, in JST_KINDS order: how the count is worded."""
    kinds = entities["jst_kind"].value_counts() if "jst_kind" in entities else {}
    return tuple((k, int(kinds[k])) for k in JST_KINDS if k in kinds)


def towns_only(kinds: Sequence[tuple[str, int]]) -> bool:
    return all(kind == "town" for kind, _ in kinds)


def cities_word(n: int, lang: str, kinds: Sequence[tuple[str, int]] = ()) -> str:
    """'1 miasto', '3 miasta', '5 miast' / '1 city', '5 cities' (the number never parts from its noun); a count
    that holds rural gminy or powiaty says what it holds: '4 samorządy (2 miasta, 1 gmina, 1 powiat)'."""
    if towns_only(kinds):
        return counted(n, "export_cities", lang)
    parts = ", ".join(counted(k, JST_KINDS[kind], lang) for kind, k in kinds)
    return f"{counted(n, 'export_jst', lang)} ({parts})"


def default_title(atlas: Any, state: FilterState, lang: str) -> str:
    labels = _project_labels(atlas, state.projects, lang)
    if not labels:   # both metrics draw members and the participants who are not members
        return t("export_title_membership" if state.metric == "membership" else "export_title_all", lang)
    if len(labels) == 1:
        kinds = atlas.projects.set_index("id")["kind"] if "kind" in atlas.projects else {}
        if kinds.get(state.projects[0]) == "campaign" or _QUOTES.search(labels[0]):
            # a campaign's label names itself ("Kampania „Jedno dla wszystkich”"): no "Projekt", no extra quotes
            return t("export_title_named", lang, label=labels[0])
        return t("export_title_project", lang, label=_quote(labels[0], lang))
    quoted = [x if _QUOTES.search(x) else _quote(x, lang) for x in labels]
    return t("export_title_projects", lang, labels=_join(quoted, lang))


def town_roles(atlas: Any, state: FilterState, lang: str) -> list[str]:
    """The found town's roles in the chosen projects (all its projects when none is chosen), each with its project:
    '„Samorządowy rynek pracy” – finalista konkursu' (a role alone, "finalista konkursu", says not of what)."""
    part = atlas.participation
    if not state.focus or "role_label_pl" not in part:
        return []
    rows = part[part["teryt"] == state.focus]
    if state.projects:
        rows = rows[rows["project_id"].isin(state.projects)]
    labels = query.project_labels(atlas, lang)
    col = "role_label_pl" if lang == "pl" else "role_label_en"
    return list(dict.fromkeys(f"{_quote(labels.get(pid, pid), lang)} – {role}"
                              for pid, role in zip(rows["project_id"], rows[col]) if isinstance(role, str) and role))


def not_counted_text(omitted: Sequence[tuple[str, int]], lang: str) -> str:
    """'nie wliczono: wizyta ekspertów OECD – 9' — rows of the chosen projects left out of the count. The dash is
    bound to both its neighbours: a wrapped line never ends in 'OECD –' with the count alone on the next one."""
    if not omitted:
        return ""
    return t("export_not_counted", lang, items=", ".join(f"{label}\u00a0–\u00a0{format_number(n, lang)}"
                                                         for label, n in omitted))


def default_subtitle(atlas: Any, state: FilterState, lang: str, n_cities: int, *,
                     omitted: Sequence[tuple[str, int]] = (), kinds: Sequence[tuple[str, int]] = ()) -> str:
    """Where and what, written for print: "3 miasta w województwie lubelskim · rok przystąpienia 1990–2020";
    a town view names the town (and its role) instead of counting the wider view. It opens with the view's date,
    "stan na 31.12.YYYY" (who is a member depends on it)."""
    parts: list[str] = [figures.as_of_text(atlas, state, lang)]
    match = t("export_match_any" if state.match == "any" else "export_match_all", lang) \
        if len(state.projects) > 1 else ""
    names = query.voivodeship_names(atlas)
    if state.focus:
        town = query.town_name(atlas, state.focus)
        where = in_voivodeships([names.get(state.focus[:2], "")], lang) if state.focus[:2] in names else ""
        phrase = t("export_town_where", lang, town=town, where=where).strip()
        roles = town_roles(atlas, state, lang)
        parts.append(phrase + (": " + ", ".join(roles) if roles else ""))
    else:
        woj = [names.get(c, c) for c in state.voivodeships]
        cities = f"{cities_word(n_cities, lang, kinds)} {match}".strip()
        parts.append(t("export_where", lang, cities=cities, where=in_voivodeships(woj, lang)))
        powiaty = dict(kinds).get("powiat", 0)
        if powiaty:   # counted, but with no gmina of their own on the map
            parts.append(f"{format_number(powiaty, lang)}\u00a0{plural_form('export_off_map', powiaty, lang)}")
    if state.years is not None:
        lo, hi = state.years
        span = str(lo) if lo == hi else f"{lo}–{hi}"
        parts.append(t("export_joined", lang, span=span)
                     + (t("export_or_unknown", lang) if state.include_unknown_year else ""))
    elif not state.include_unknown_year:
        parts.append(t("export_known_year_only", lang))
    if state.selected:
        k = len(state.selected)
        parts.append(t("export_selection", lang, n=format_number(k, lang), gminy=plural_form("export_gminy", k, lang)))
    if state.metric == "membership":
        parts.append(t("export_colour_membership", lang))
    if omitted and not state.focus:
        parts.append(not_counted_text(omitted, lang))
    if n_cities == 0 and not state.focus:   # said here too: the key-figure box may not fit the page
        parts.append(no_match_text(atlas, state, lang))
    return " · ".join(parts)


def no_match_text(atlas: Any, state: FilterState, lang: str) -> str:
    """Why an empty view is empty: the chosen projects have no participants in the data (no public source lists
    them: SMUP's pilot had at least 40 JST) — printed as "0 / no city matches", it read as none took part."""
    if query.unlisted_only(atlas, state):
        return plural_form("export_no_list", len(state.projects), lang)
    return t("export_no_match", lang)


def _base(base_url: str | None) -> str | None:
    """The public address to print: the spec's base_url, else $ATLAS_PUBLIC_URL, else None (no link)."""
    if base_url:
        return base_url.rstrip("/")
    try:
        return config.public_url()
    except config.ConfigError:   # a local or malformed address is never printed (the Export panel says why)
        return None


def view_url(state: FilterState, base_url: str | None = None) -> str | None:
    """The public dashboard URL that reopens this view (query = FilterState.to_query), or None when no public
    address is configured (a graphic never carries a local address)."""
    base = _base(base_url)
    if base is None:
        return None
    query = state.to_query()
    return f"{base}/?{query}" if query else f"{base}/"


MAX_PRINTED_QUERY = 60   # longer queries (e.g. a map selection of 300 gminy) are printed as a short link


def link_key(query: str) -> str:
    """Content-addressed key of a view's query: the same view always gets the same short link."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(query.encode("utf-8")).digest()).decode("ascii")[:10].lower()


LINK_PATH = "v/"   # short links: <base>/v/<key> -> <base>/?<query> (export_panel registers the route)


def press_link(state: FilterState, base_url: str | None = None) -> tuple[str, tuple[str, str] | None]:
    """(URL printed on the map — "" when no public address is configured —, (key, query) to store when it is a
    short link). A short query is printed as is (readable, needs no server state); a long one becomes
    <base>/v/<key>."""
    base = _base(base_url)
    if base is None:
        return "", None
    query = state.to_query()
    if len(query) <= MAX_PRINTED_QUERY:
        return view_url(state, base_url) or "", None
    key = link_key(query)
    return f"{base}/{LINK_PATH}{key}", (key, query)



def map_legend(atlas: Any, state: FilterState, *, visible: frozenset[str] | set[str] | None = None) -> Legend:
    """The map's stepped legend as (colour, class label, number of gminy), from the map's own classification
    (figures.map_classes), so the press legend is exactly what the dashboard map shows. ``visible``: the gminy
    the graphic shows (a zoomed view: those in its frame) — the counts count only them; None = all of Poland.
    A town view adds the town's red outline."""
    import numpy as np

    in_view, cls, classes = figures.map_classes(atlas, state)
    counts = [int(n) for n in classes.counts]
    total = len(atlas.gminy)
    shown = np.ones(len(cls), dtype=bool)
    if visible is not None:
        shown = np.isin(np.asarray(atlas.gminy["terc"])[in_view], list(visible))
        counts = [int(((cls == i) & shown).sum()) for i in range(len(classes.labels))]
        total = len(visible)
    # a zoomed view's frame may hold no gmina of a class ("2 – 0"): a legend explains what the picture shows
    entries = [LegendEntry(c, label, n) for c, label, n in zip(classes.colours, classes.labels, counts)
               if n or visible is None]
    entries.append(LegendEntry(figures.OTHER_GREY, t("legend_other", state.lang), max(0, total - sum(counts))))
    if state.focus:
        entries.append(LegendEntry(figures.FOCUS, figures.focus_label(atlas, state, in_view), None, kind="outline"))
    # figures' legend title may carry its own line break and count note ("Liczba projektów<br>(liczba gmin)")
    lines = [re.sub(r"<[^>]+>", "", x).strip() for x in re.split(r"<br\s*/?>", classes.title)]
    lines = [x for x in lines if x]
    count_label = "" if len(lines) > 1 else "gminy"   # the counts count gminy (the word is used in English too)
    # members known only from later sources: their gminy are drawn lighter (the map's veil); said under the map
    lighter = query.gmina_arrays(atlas, state)["undated"][in_view] & shown
    note, note_colors = "", ()
    if lighter.any():
        note = undated_note(int(lighter.sum()), query.asof_year(atlas, state), state.lang)
        note_colors = tuple(figures.veiled(classes.colours[i]) for i in sorted(set(cls[lighter].tolist())))
    return Legend(title="\n".join(lines), entries=tuple(entries), count_label=count_label, note=note,
                  note_colors=note_colors)


def undated_note(n: int, year: int, lang: str) -> str:
    """'Jaśniej: 32 gminy z członkiem znanym tylko z późniejszych źródeł (stan na 31.12.2005 nieznany)' — the
    map's lighter gminy, counted."""
    return t("export_undated", lang, gminy=counted(n, "export_gminy", lang),
             date=figures.date_label(membership.year_end(year), lang))


def key_facts(n_cities: int, top: tuple[str, int] | None, lang: str, *, participating: bool = False,
              kinds: Sequence[tuple[str, int]] = (), empty: str = "") -> tuple[str, ...]:
    """The key figure: (number, what it counts, where most are). "miasta uczestniczące" when the view counts
    the participants of chosen projects; "samorządy" when it counts other JST than towns too."""
    if n_cities <= 0:   # an empty view says so (and why: `empty`) where the number would stand
        return (format_number(0, lang), empty or t("export_no_match", lang))
    noun = ("export_participating" if participating else "export_cities") if towns_only(kinds) else \
        ("export_participating_jst" if participating else "export_jst")
    what = plural_form(noun, n_cities, lang)
    facts = (format_number(n_cities, lang), what)
    if top is not None and top[1] < n_cities:
        facts += (t("export_most", lang, name=voivodeship_word(top[0], lang), n=format_number(top[1], lang)),)
    return facts


def own_subtitle(atlas: Any, state: FilterState, text: str) -> str:
    """The user's subtitle after the view's date: who is a member depends on it, and the graphic says so whatever
    its subtitle ('--subtitle' left '18 miast' of 1995 with the year only in the link)."""
    date = figures.as_of_text(atlas, state)
    return f"{date} · {text}" if text.strip() else date


def membership_facts(atlas: Any, state: FilterState, lang: str) -> tuple[str, ...]:
    """The membership view's key figure: its members at the view's date, and how many of them only a later source
    lists (their status then unknown). Not every JST on the map: with the participants of 2016-2023 projects it
    read as the members of that date."""
    in_view = query.entity_mask(atlas, state)
    member, dated = query.member_masks(atlas, state)
    n, later = int((in_view & member).sum()), int((in_view & member & ~dated).sum())
    if n == 0:
        return (format_number(0, lang), no_match_text(atlas, state, lang))
    facts = (format_number(n, lang), plural_form("export_members", n, lang))
    if later:
        facts += (t("members_later", lang, n=format_number(later, lang),
                    who=plural_form("known_later", later, lang)),)
    return facts


def press_texts(atlas: Any, spec: ExportSpec, legend: Legend, n_cities: int, *, uses_gazetteer: bool,
                top: tuple[str, int] | None = None, today: _dt.date | None = None,
                omitted: Sequence[tuple[str, int]] = (), labels: Sequence[str] = (),
                kinds: Sequence[tuple[str, int]] = ()) -> PressTexts:
    lang = spec.lang
    state = replace(spec.state, lang=lang)
    source = SOURCE_LINE[lang]
    if uses_gazetteer:
        source += "; " + GAZETTEER_CREDIT[lang]
    link = press_link(state, spec.base_url)
    facts = () if state.focus else membership_facts(atlas, state, lang) if state.metric == "membership" else \
        key_facts(n_cities, top, lang, participating=bool(state.projects), kinds=kinds,
                  empty=no_match_text(atlas, state, lang))
    return PressTexts(
        title=spec.title or default_title(atlas, state, lang),
        subtitle=own_subtitle(atlas, state, spec.subtitle) if spec.subtitle is not None else default_subtitle(
            atlas, state, lang, n_cities, omitted=omitted, kinds=kinds),
        source=source,
        date_line=figures.data_date_line(atlas, lang, today),
        url=link[0],
        link=link[1],
        legend=legend,
        facts=facts,
        labels=tuple(labels),
        town=query.town_name(atlas, state.focus) if state.focus else "",
    )


def logo_path() -> Path | None:
    """$ATLAS_LOGO, else assets/logo.svg or assets/logo.png when the office has put one there (not shipped: it is
    the union's trademark). An SVG logo stays vector in PDF/SVG exports."""
    try:
        override = config.logo()
    except config.ConfigError as exc:
        raise ExportSpecError(str(exc)) from None
    if override:
        return override
    assets = Path(__file__).resolve().parents[2] / "assets"
    for name in ("logo.svg", "logo.png"):
        if (assets / name).is_file():
            return assets / name
    return None


def _logo_source(path: Path) -> str:
    import base64

    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")



def is_zoomed(fig: Any) -> bool:
    """True when the map shows less than all of Poland (figures zoom with the projection's scale)."""
    scale = fig.layout.geo.projection.scale
    return scale is not None and scale > 1.0001


CONTEXT_GREY = "#fdfdfe"   # gminy outside the chosen voivodeships: drawn for orientation, lighter than "other gminy"
HALO = "#ffffff"
LABEL_TAG = "rgba(255,255,255,0.92)"   # behind a city's name: borders through a 0.8 tag read as letters ("cRydułtowy")


@dataclass(frozen=True)
class PressFigure:
    figure: Any            # go.Figure sized for the preset
    texts: PressTexts
    entities: Any          # DataFrame of the cities/JST in view (query.filter_entities)
    frame: Any = None      # frame.Frame: where the map is on the page (CSS px) and what it shows
    labels: tuple = ()     # labels.Label placed on the map
    layout: Any = None     # page.PressLayout: every block's box


def omitted_rows(atlas: Any, state: FilterState, lang: str) -> list[tuple[str, int]]:
    """Participation rows that do not count as taking part (expert visits, disputed or implied links), of the chosen
    projects (all when none is chosen) and in the view's area (voivodeships, map selection), by role label: what
    the view leaves out of its count. Their cities are not in the view because of them, so the area decides."""

    part = atlas.participation
    if "counts" not in part or bool(part["counts"].all()):
        return []
    ids = set(query.filter_entities(atlas, state, ignore=("projects", "years", "asof"))["entity_id"])
    rows = part[~part["counts"].astype(bool) & part["entity_id"].isin(ids)]
    if state.projects:
        rows = rows[rows["project_id"].isin(state.projects)]
    col = "role_label_pl" if lang == "pl" else "role_label_en"
    labels = [str(x) if isinstance(x, str) and x else str(k) for x, k in zip(rows[col], rows["role_kind"])]
    counts: dict[str, int] = {}
    for x in labels:
        counts[x] = counts.get(x, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# the 18 seats of voivodeship authorities (gmina TERYT): named first on a crowded map, as a reader looks for them
VOIVODESHIP_CAPITALS = frozenset({
    "1465011", "1261011", "1061011", "0264011", "3064011", "2261011", "3262011", "0461011", "0463011", "0663011",
    "2061011", "2469011", "2661011", "2862011", "1661011", "1863011", "0862011", "0861011"})


def _label_points(view_atlas: Any, entities: Any, state: FilterState, fr: Any):
    """Candidate label points: the cities in view on the map (and the found town), in page px, inside the
    frame, with their priority (the found town, the selected gminy, voivodeship capitals, cities with powiat
    rights, more projects)."""
    from dashboard.export.labels import Point

    ent = entities[entities["gmina_teryt"].notna() & entities["lon"].notna()]
    rows = [(display_name(str(n), state.lang), float(lo), float(la), str(g), int(k), str(src))
            for n, lo, la, g, k, src in zip(ent["name"], ent["lon"], ent["lat"], ent["gmina_teryt"], ent["n_projects"],
                                            ent["point_source"])]
    if state.focus and not any(r[3] == state.focus for r in rows):
        from dashboard.view.figures import focus_centre

        c = focus_centre(view_atlas, state.focus)
        if c is not None:
            rows.append((query.town_name(view_atlas, state.focus), c[0], c[1], state.focus, 0, "polygon"))
    if not rows:
        return [], set()
    import numpy as np

    xs, ys = fr.to_page(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    b = fr.box
    selected = set(state.selected)
    points, sources = [], set()
    for r, x, y in zip(rows, xs, ys):
        if not (b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h):
            continue
        g = r[3]
        prio = (g != state.focus, g not in selected, g not in VOIVODESHIP_CAPITALS, not ("61" <= g[2:4] <= "99"),
                -r[4], collation_key(r[0]))
        points.append(Point(r[0], float(x), float(y), prio, bold=bool(state.focus) and g == state.focus))
        sources.add(r[5])
    return points, sources


def press_figure(atlas: Any, spec: ExportSpec, geojson: str | dict, *, outline: str | dict | None = None,
                 today: _dt.date | None = None) -> PressFigure:
    """The press graphic for ``spec``: the dashboard's ``map_figure`` for the view, framed for the preset and
    for the view's area (frame.py), with city names (labels.py).

    The graphic counts participation as the union's data qualifies it: rows that do not count as taking part
    (``participation.counts``) are left out of the map and the count, and the subtitle says so.
    geojson/outline: the gminy and województwa GeoJSON (dicts, or URLs the renderer can read)."""
    from dashboard.export import frame as framing
    from dashboard.model.atlas import participation_only

    state = replace(spec.state, lang=spec.lang)
    view = participation_only(atlas) if hasattr(atlas, "participation") else atlas
    omitted = omitted_rows(atlas, state, spec.lang)
    map_fig = figures.map_figure(view, state, geojson, outline=outline)
    entities = query.filter_entities(view, state)
    sel = framing.selection(state)
    by_woj = entities["voivodeship"].astype(str).value_counts()
    top = (str(by_woj.index[0]), int(by_woj.iloc[0])) if len(by_woj) else None
    fig, texts, fr, placed, lay = build_press_figure(view, spec, map_fig, n_cities=len(entities), top=top,
                                                     today=today, sel=sel, entities=entities, omitted=omitted)
    return PressFigure(fig, texts, entities, fr, tuple(placed), lay)


def _visible_gminy(atlas: Any, fr: Any, sel: Any) -> frozenset[str] | None:
    """The gminy the graphic shows: the chosen voivodeships' gminy; in a zoomed frame (a town, a map selection)
    those whose inner point is inside it (and in the chosen voivodeships); None = all of Poland."""
    if sel.kind == "voivodeships" and sel.gminy is not None:
        return sel.gminy
    if sel.kind == "poland":
        return None
    import numpy as np

    centres = query.derived(atlas).gmina_centres
    if not centres:
        return sel.gminy
    codes = list(centres)
    xy = np.array([centres[c] for c in codes])
    x, y = fr.to_page(xy[:, 0], xy[:, 1])
    b = fr.box
    shown = (x >= b.x) & (x <= b.x + b.w) & (y >= b.y) & (y <= b.y + b.h)
    if sel.gminy is not None:
        shown &= np.isin(codes, list(sel.gminy))
    return frozenset(c for c, ok in zip(codes, shown) if ok)


def _fit_page(atlas: Any, spec: ExportSpec, state: FilterState, sel: Any, entities: Any, *, n_cities: int,
              top: tuple[str, int] | None, today: _dt.date | None, omitted: Sequence[tuple[str, int]],
              with_logo: bool):
    """(texts, layout, frame, label points) of the page. Two passes: the legend's "other gminy" count depends on
    the frame, and the source line on whether town points are drawn; the second pass is final."""
    from dashboard.export import frame as framing

    aspect = framing.map_aspect(sel)
    legend = map_legend(atlas, state)
    kinds = entity_kinds(entities)
    texts = press_texts(atlas, spec, legend, n_cities, uses_gazetteer=False, top=top, today=today, omitted=omitted,
                        kinds=kinds)
    lay = layout_press(spec.preset_obj, texts, with_logo=with_logo, map_aspect=aspect)
    fr = framing.fit(sel, lay.map_box)
    points, sources = _label_points(atlas, entities, state, fr)
    legend = map_legend(atlas, state, visible=_visible_gminy(atlas, fr, sel))
    texts = press_texts(atlas, spec, legend, n_cities, uses_gazetteer="gazetteer" in sources, top=top,
                        today=today, omitted=omitted, kinds=kinds)
    lay = layout_press(spec.preset_obj, texts, with_logo=with_logo, map_aspect=aspect)
    fr = framing.fit(sel, lay.map_box)
    points, _ = _label_points(atlas, entities, state, fr)
    return texts, lay, fr, points


def _label_size(preset: Preset) -> tuple[float, float]:
    """(type size of the city names, radius of their dots)."""
    label_size = preset.legend_size * 0.86
    return label_size, max(1.6, label_size * 0.24)


def _place_labels(points: list, preset: Preset, fr: Any) -> list:
    """Every name when few enough fit (labels.LABEL_ALL), else the first LABEL_MANY by priority."""
    from dashboard.export import labels as labelling

    label_size, dot = _label_size(preset)
    all_names = len(points) <= labelling.LABEL_ALL
    inset = Box(fr.box.x + 2, fr.box.y + 2, fr.box.w - 4, fr.box.h - 4)
    return labelling.place(points, label_size, inset, dot, all_names=all_names,
                           limit=None if all_names else labelling.LABEL_MANY)


def _grey_context(data: list[dict], gminy: Any, sel: Any, legend: Legend) -> None:
    """The chosen voivodeships in colour, their neighbours in a lighter grey for context (``gminy``: the map
    figure's gminy trace, whose z ``data`` holds encoded)."""
    import numpy as np

    inside = np.isin(np.asarray(gminy.locations), list(sel.gminy))
    k = int(round(gminy.zmax - 0.5))
    colours = [CONTEXT_GREY] + [figures.OTHER_GREY] + [e.color for e in legend.entries if e.kind == "fill"][:-1]
    data[0].update(z=np.where(inside, np.asarray(gminy.z, dtype=int), -1).tolist(), zmin=-1.5, zmax=k + 0.5,
                   colorscale=figures._stepped(tuple(colours[:k + 2])))
    for tr in data:   # no veil over the context grey: only the chosen gminy can be drawn lighter
        if tr.get("name") == "undated":
            keep = [c for c in tr["locations"] if c in sel.gminy]
            tr.update(locations=keep, z=[0] * len(keep))


def _merged(base: dict, new: dict) -> dict:
    """``base`` updated with ``new`` as plotly's update_layout does it: nested dicts merged, anything else replaced."""
    out = dict(base)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        elif out.get(key) != value:   # an equal value is kept as it was (49, not 49.0), as plotly keeps it
            out[key] = value
    return out


def _framed_map(map_fig: Any, page: _Page, sel: Any, fr: Any, legend: Legend, placed: list,
                dot: float) -> tuple[list[dict], dict]:
    """(traces, layout) of the dashboard's map without its legends, its geo domain on the frame's box, the named
    cities' dots on it (plotly places them: exactly where the projection puts them). Plain dicts, made into one
    figure at the end: each update of a plotly Figure validates again (measured: half of a press figure's time)."""
    from dashboard.export import frame as framing

    copy = map_fig.to_dict()
    data, layout = copy["data"], copy["layout"]
    for tr in data:
        if tr["type"] == "choropleth":
            tr["showscale"] = False   # the selection (selectedpoints) stays highlighted as on the dashboard
        tr["showlegend"] = False
    if sel.gminy is not None:
        _grey_context(data, map_fig.data[0], sel, legend)
    fb = fr.box
    geo = dict(fr.geo)
    geo["domain"] = dict(x=[page.px(fb.x), page.px(fb.x + fb.w)], y=[page.py(fb.y + fb.h), page.py(fb.y)])
    layout["geo"] = _merged(layout.get("geo", {}), geo)
    if placed:
        lon, lat = [], []
        for lb in placed:
            lo, la = framing.PROJ.invert(*_page_to_xy(fr, lb.x, lb.y))
            lon.append(lo)
            lat.append(la)
        data.append(dict(type="scattergeo", lon=lon, lat=lat, mode="markers", hoverinfo="skip", showlegend=False,
                         marker=dict(size=2 * dot, color=INK, line=dict(color=HALO, width=dot * 0.45))))
    return data, layout


@dataclass
class _Page:
    """The page's annotations and shapes, drawn in page px (CSS px from the top left) and kept in paper
    coordinates (0..1 from the bottom left), in drawing order."""

    width: float
    height: float
    annotations: list = field(default_factory=list)
    shapes: list = field(default_factory=list)

    def px(self, x: float) -> float:
        return x / self.width

    def py(self, y: float) -> float:
        return 1 - y / self.height

    def text(self, x, y, s, size, *, color=INK, bold=False, xanchor="left", yanchor="top", tag=None) -> None:
        """A text at (x, y); `tag`: the colour of a box behind it (a label on the map)."""
        body = f"<b>{s}</b>" if bold else s
        font = dict(size=size, color=color, family=FONT_FAMILY)
        self.annotations.append(dict(x=self.px(x), y=self.py(y), xref="paper", yref="paper", text=body,
                                     showarrow=False, xanchor=xanchor, yanchor=yanchor,
                                     align="left" if xanchor == "left" else "right", font=font, borderpad=0,
                                     **({"bgcolor": tag} if tag else {})))

    def rect(self, x: float, y: float, w: float, h: float, **style: Any) -> None:
        self.shapes.append(dict(type="rect", xref="paper", yref="paper", x0=self.px(x), x1=self.px(x + w),
                                y0=self.py(y + h), y1=self.py(y), **style))

    def line(self, x0: float, y0: float, x1: float, y1: float, **style: Any) -> None:
        self.shapes.append(dict(type="line", xref="paper", yref="paper", x0=self.px(x0), x1=self.px(x1),
                                y0=self.py(y0), y1=self.py(y1), **style))


def _lines(lines: Sequence[str]) -> str:
    return "<br>".join(escape_markup(x) for x in lines)


def _draw_labels(page: _Page, placed: list, label_size: float) -> None:
    """City names: leader lines, then each name once on a translucent white tag, so that it reads over any colour
    and a PDF or SVG holds it as one text object (a graphics desk edits it; pdftotext and a screen reader read it
    once). A halo of text shadows looked alike, but Chromium prints every shadow as one more copy of the text."""
    from dashboard.export import labels as labelling

    for lb in placed:
        if lb.leader:
            ex, ey = labelling.leader_end(lb)
            page.line(lb.x, lb.y, ex, ey, line=dict(color=MUTED, width=max(0.5, label_size * 0.06)), layer="above")
    for lb in placed:
        page.text(lb.box.x, lb.box.y, escape_markup(lb.name), label_size, tag=LABEL_TAG, bold=lb.bold)


def _draw_heading(page: _Page, lay: PressLayout) -> None:
    ab = lay.accent_box
    page.rect(ab.x, ab.y, ab.w, ab.h, fillcolor=ACCENT, line=dict(width=0))
    page.text(lay.title_box.x, lay.title_box.y, _lines(lay.title_lines), lay.title_size, bold=True)
    if lay.subtitle_lines:
        page.text(lay.subtitle_box.x, lay.subtitle_box.y, _lines(lay.subtitle_lines), lay.subtitle_size,
                  color=MUTED)


def _draw_legend(page: _Page, lg: Legend, lay: PressLayout, ls: float, lang: str) -> None:
    """Title, then one row per class: swatch, label, count (right-aligned); the town's outline last."""
    b = lay.legend_box
    head = lg.title.split("\n")
    page.text(b.x, b.y, "<br>".join([f"<b>{escape_markup(head[0])}</b>"] + [escape_markup(x) for x in head[1:]]), ls)
    if lg.count_label:
        page.text(b.x + b.w, b.y + ls * 0.15, escape_markup(lg.count_label), ls * 0.8, color=MUTED, xanchor="right")
    row_y = b.y + _legend_head_h(lg, ls)
    sw = ls * 1.15
    for e, lines in zip(lg.entries, lay.legend_rows):
        top_ = row_y + (ls * 1.75 - sw) / 2
        if e.kind == "outline":
            page.rect(b.x, top_, sw, sw, fillcolor="rgba(0,0,0,0)", line=dict(color=e.color, width=max(1.0, ls * 0.14)))
        else:
            page.rect(b.x, top_, sw, sw, fillcolor=e.color, line=dict(color="#8a9099", width=max(0.5, ls * 0.04)))
        mid = top_ + sw / 2
        page.text(b.x + sw + ls * 0.6, mid - ls * LINE / 2, _lines(lines), ls)
        if e.count is not None:
            page.text(b.x + b.w, mid, format_number(e.count, lang), ls, color=MUTED, xanchor="right",
                      yanchor="middle")
        row_y += _legend_row_h(lines, ls)


def _draw_facts(page: _Page, lay: PressLayout, facts: Sequence[str], preset: Preset) -> None:
    """The key figure large in the accent colour, its explanation under it."""
    fbx, big = lay.facts_box, preset.title_size * 1.5
    page.text(fbx.x, fbx.y, escape_markup(facts[0]), big, color=ACCENT, bold=True)
    if facts[1:]:
        page.text(fbx.x, fbx.y + big * 1.15, _lines(facts[1:]), preset.legend_size, color=MUTED)


def _draw_footer(page: _Page, lay: PressLayout, preset: Preset, lg: Legend) -> None:
    """The rule, the source lines and the note on the lighter gminy (a swatch of their colour, then the note)."""
    ls, ns = preset.legend_size, preset.note_size
    page.line(preset.margin, lay.rule_y, page.width - preset.margin, lay.rule_y,
              line=dict(color=RULE, width=max(0.5, ns * 0.08)))
    page.text(lay.footer_box.x, lay.footer_box.y, _lines(lay.footer_lines), ns, color=MUTED)
    if lay.note_box is not None:
        nb, (side, indent) = lay.note_box, note_swatch(ns)
        top_ = nb.y + (ns * LINE - side) / 2
        colours = lg.note_colors or (figures.OTHER_GREY,)   # (map_legend gives a note its colours)
        stripe = side / len(colours)
        for i, colour in enumerate(colours):
            page.rect(nb.x - indent + i * stripe, top_, stripe, side, fillcolor=colour, line=dict(width=0))
        page.rect(nb.x - indent, top_, side, side, fillcolor="rgba(0,0,0,0)",
                  line=dict(color="#8a9099", width=max(0.5, ls * 0.04)))
        page.text(nb.x, nb.y, _lines(lay.note_lines), ns, color=MUTED)


def _page_style(layout: dict, width: float, height: float, font_size: float) -> dict:
    """``layout`` on a white page of the preset's size; no title, legend, interaction or leftovers of the
    dashboard's figure."""
    kept = {k: v for k, v in layout.items() if k not in ("title", "meta", "annotations", "shapes", "images")}
    return _merged(kept, dict(
        width=width, height=height, autosize=False,
        margin=dict(l=0, r=0, t=0, b=0, pad=0),
        paper_bgcolor="white", plot_bgcolor="white",
        font=dict(family=FONT_FAMILY, color=INK, size=font_size),
        showlegend=False, dragmode=False, hovermode=False,
    ))


def build_press_figure(atlas: Any, spec: ExportSpec, map_fig: Any, *, n_cities: int,
                       top: tuple[str, int] | None = None, today: _dt.date | None = None, sel: Any = None,
                       entities: Any = None, omitted: Sequence[tuple[str, int]] = ()):
    """(figure, texts, frame, labels, layout): ``map_fig`` (the dashboard's map for spec.state) re-framed for spec's
    preset and the view's area, with the page's texts, legend, key figure and city names."""
    import plotly.graph_objects as go

    from dashboard.export import frame as framing

    preset = spec.preset_obj
    state = replace(spec.state, lang=spec.lang)
    sel = sel or framing.selection(state)
    if entities is None:
        entities = query.filter_entities(atlas, state)
    logo = logo_path() if spec.logo else None
    texts, lay, fr, points = _fit_page(atlas, spec, state, sel, entities, n_cities=n_cities, top=top, today=today,
                                       omitted=omitted, with_logo=logo is not None)
    placed = _place_labels(points, preset, fr)
    texts = replace(texts, labels=tuple(lb.name for lb in placed))
    page = _Page(lay.width, lay.height)
    label_size, dot = _label_size(preset)
    data, layout = _framed_map(map_fig, page, sel, fr, texts.legend, placed, dot)
    layout = _page_style(layout, lay.width, lay.height, preset.legend_size)
    if sel.kind != "poland":   # a zoomed view is cut at its frame: say so with a thin rule
        fb = fr.box
        page.rect(fb.x, fb.y, fb.w, fb.h, line=dict(color=RULE, width=max(0.5, preset.note_size * 0.08)),
                  fillcolor="rgba(0,0,0,0)", layer="above")
    _draw_labels(page, placed, label_size)
    _draw_heading(page, lay)
    if texts.legend.entries:
        _draw_legend(page, texts.legend, lay, preset.legend_size, spec.lang)
    if lay.facts_box is not None:
        _draw_facts(page, lay, texts.facts, preset)
    _draw_footer(page, lay, preset, texts.legend)
    if logo is not None and lay.logo_box is not None:
        b = lay.logo_box
        layout["images"] = [dict(source=_logo_source(logo), xref="paper", yref="paper", x=page.px(b.x + b.w),
                                 y=page.py(b.y), sizex=b.w / lay.width, sizey=b.h / lay.height, xanchor="right",
                                 yanchor="top", sizing="contain", layer="above")]
    fig = go.Figure(data, layout={**layout, "annotations": page.annotations, "shapes": page.shapes})
    return fig, texts, fr, placed, lay


def _page_to_xy(fr: Any, x: float, y: float) -> tuple[float, float]:
    """Projected (x, y) of a page point of the frame (the inverse of Frame.to_page)."""
    cx, cy = fr.centre_xy
    return cx + (x - fr.box.x - fr.box.w / 2) / fr.k, cy - (y - fr.box.y - fr.box.h / 2) / fr.k
