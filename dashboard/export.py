"""Press export, the pure part: presets, the export spec, and the press figure built from the dashboard's map.

No Dash, no browser here. ``render.py`` turns the figure into PNG/SVG/PDF bytes; ``export_cli`` and
``export_panel`` are the two front doors.

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
import functools
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from dashboard.i18n import format_number
from dashboard.state import FilterState

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
_FONT_FILES = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
INK = "#1d2430"
MUTED = "#5b6472"
RULE = "#c9ced6"
ACCENT = "#c8102e"          # the red of the Polish flag / ZMP's identity colour, used only for the accent bar
FORMATS = ("png", "svg", "pdf")
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
LANGS = ("pl", "en")
MAX_TITLE_CHARS = 160
MAX_SUBTITLE_CHARS = 240
MM_PER_IN = 25.4
CSS_DPI = 96

SOURCE_LINE = {
    "pl": "Źródło: Związek Miast Polskich; granice: PRG, GUGiK 2020",
    "en": "Source: Związek Miast Polskich (Union of Polish Cities); boundaries: PRG, GUGiK 2020",
}
GAZETTEER_CREDIT = {
    "pl": "punkty miast: PRNG (GUGiK), oprac. jjbartek/polskie-miejscowosci (CC BY)",
    "en": "town points: PRNG (GUGiK), via jjbartek/polskie-miejscowosci (CC BY)",
}
DEFAULT_BASE_URL = "http://127.0.0.1:8050"
BASE_URL_ENV = "ATLAS_PUBLIC_URL"


class ExportSpecError(ValueError):
    """An export request that cannot be honoured; the message says which field and what is allowed."""


# --- presets -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    """A target size. ``width_px``/``height_px`` are the PNG's pixels; ``dpi`` says how big they are on paper
    (print: 300) — the figure itself is laid out in CSS px (``css_width``/``css_height``)."""

    name: str
    label_pl: str
    label_en: str
    width_px: int
    height_px: int
    dpi: int
    margin: float          # CSS px, all four sides
    title_size: float      # CSS px
    subtitle_size: float
    legend_size: float
    note_size: float       # source line, date, URL
    paper: str | None = None   # "A4" / "A5" for print presets

    @property
    def css_width(self) -> float:
        return self.width_px * CSS_DPI / self.dpi

    @property
    def css_height(self) -> float:
        return self.height_px * CSS_DPI / self.dpi

    @property
    def scale(self) -> float:
        """kaleido scale for PNG: device px per CSS px."""
        return self.dpi / CSS_DPI

    @property
    def is_print(self) -> bool:
        return self.paper is not None

    @property
    def size_pt(self) -> tuple[float, float]:
        """Page size in PostScript points (the PDF's MediaBox)."""
        return (self.css_width * 72 / CSS_DPI, self.css_height * 72 / CSS_DPI)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_pl


def _mm_px(mm: float, dpi: int = 300) -> int:
    return round(mm / MM_PER_IN * dpi)


def _pt(points: float) -> float:
    """Type size in points -> CSS px."""
    return points * CSS_DPI / 72


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("a4", "A4 pionowo (druk, 300 dpi)", "A4 portrait (print, 300 dpi)",
               _mm_px(210), _mm_px(297), 300, margin=_mm_px(14, CSS_DPI),
               title_size=_pt(22), subtitle_size=_pt(12), legend_size=_pt(10), note_size=_pt(7.5), paper="A4"),
        Preset("a4-landscape", "A4 poziomo (druk, 300 dpi)", "A4 landscape (print, 300 dpi)",
               _mm_px(297), _mm_px(210), 300, margin=_mm_px(12, CSS_DPI),
               title_size=_pt(20), subtitle_size=_pt(11.5), legend_size=_pt(10), note_size=_pt(7.5), paper="A4"),
        Preset("a5", "A5 pionowo (druk, 300 dpi)", "A5 portrait (print, 300 dpi)",
               _mm_px(148), _mm_px(210), 300, margin=_mm_px(10, CSS_DPI),
               title_size=_pt(16), subtitle_size=_pt(9.5), legend_size=_pt(8.5), note_size=_pt(6.5), paper="A5"),
        Preset("social", "Media społecznościowe 1200×675", "Social media 1200×675",
               1200, 675, CSS_DPI, margin=40,
               title_size=38, subtitle_size=22, legend_size=20, note_size=14),
        Preset("square", "Kwadrat 1080×1080", "Square 1080×1080",
               1080, 1080, CSS_DPI, margin=48,
               title_size=42, subtitle_size=24, legend_size=22, note_size=15),
        Preset("slide", "Slajd 1920×1080", "Slide 1920×1080",
               1920, 1080, CSS_DPI, margin=72,
               title_size=56, subtitle_size=30, legend_size=28, note_size=20),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ExportSpecError(
            f"unknown preset {name!r}; expected one of: {', '.join(PRESETS)}"
        ) from None


# --- the export spec -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportSpec:
    """One export: which view (FilterState), at which preset, in which format and language, with which title.

    ``title``/``subtitle`` None = generated from the filters. Round-trips through ``to_dict``/``from_dict`` and
    JSON; ``from_dict`` validates and raises ExportSpecError naming the field.
    """

    state: FilterState = field(default_factory=FilterState)
    preset: str = "a4"
    format: str = "pdf"
    lang: str = "pl"
    title: str | None = None
    subtitle: str | None = None
    logo: bool = False
    base_url: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.state, FilterState):
            problems.append(f"state must be a FilterState, got {type(self.state).__name__}")
        for name, allowed in (("preset", tuple(PRESETS)), ("format", FORMATS), ("lang", LANGS)):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                problems.append(f"{name} {str(value)[:40]!r} is not one of {', '.join(allowed)}")
        for name, limit in (("title", MAX_TITLE_CHARS), ("subtitle", MAX_SUBTITLE_CHARS)):
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str):
                problems.append(f"{name} must be text, got {type(value).__name__}")
            elif len(value) > limit:
                problems.append(f"{name} is {len(value)} characters long; at most {limit} fit on the page")
            elif re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
                problems.append(f"{name} contains control characters")
        if not isinstance(self.logo, bool):
            problems.append("logo must be true or false")
        if self.base_url is not None and not (
            isinstance(self.base_url, str) and re.fullmatch(r"https?://[^\s<>\"']{1,200}", self.base_url)
        ):
            problems.append(f"base_url {self.base_url!r} is not an http(s) URL")
        if problems:
            raise ExportSpecError("invalid export spec: " + "; ".join(problems))

    @property
    def preset_obj(self) -> Preset:
        return PRESETS[self.preset]

    @property
    def mime(self) -> str:
        return MIME[self.format]

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.to_dict(),
            "preset": self.preset,
            "format": self.format,
            "lang": self.lang,
            "title": self.title,
            "subtitle": self.subtitle,
            "logo": self.logo,
            "base_url": self.base_url,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any, *, known_projects: Iterable[str] | None = None) -> "ExportSpec":
        if not isinstance(data, dict):
            raise ExportSpecError(f"export spec must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {f for f in cls.__dataclass_fields__})
        if unknown:
            raise ExportSpecError(f"unknown export spec field(s): {', '.join(map(str, unknown[:5]))}")
        state = FilterState.from_dict(data.get("state") or {}, known_projects=known_projects)
        if state.notices:
            raise ExportSpecError("invalid view in export spec: " + "; ".join(state.notices))
        kw = {k: data[k] for k in ("preset", "format", "lang", "title", "subtitle", "logo", "base_url") if k in data}
        for k in ("title", "subtitle"):
            if isinstance(kw.get(k), str):
                kw[k] = kw[k].strip() or None
        return cls(state=state, **kw)

    @classmethod
    def from_json(cls, text: str, **kw: Any) -> "ExportSpec":
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ExportSpecError(f"export spec is not valid JSON: {exc}") from None
        return cls.from_dict(data, **kw)

    def filename(self, stem: str | None = None) -> str:
        """A safe default file name: atlas-zmp_<view>_<preset>.<format>."""
        base = stem or "atlas-zmp"
        parts = [base]
        if self.state.projects:
            parts.append("-".join(self.state.projects))
        parts.append(self.preset)
        name = "_".join(parts)
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
        return f"{name}.{self.format}"


# --- texts generated from the filters ------------------------------------------------------------------------
def _voivodeship_names(atlas: Any) -> dict[str, str]:
    gm = atlas.gminy
    return dict(sorted(gm.drop_duplicates("woj").set_index("woj")["voivodeship"].astype(str).items()))


def _project_labels(atlas: Any, ids: Sequence[str], lang: str) -> list[str]:
    col = "label_en" if lang == "en" else "label_pl"
    proj = atlas.projects.set_index("id")
    out = []
    for pid in ids:
        if pid in proj.index:
            label = proj.at[pid, col]
            out.append(str(label) if isinstance(label, str) and label else pid)
        else:
            out.append(pid)
    return out


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    conj = " i " if lang == "pl" else " and "
    return ", ".join(items[:-1]) + conj + items[-1]


_QUOTES = re.compile("[„”“\"'‘’«»]")


def _quote(text: str, lang: str) -> str:
    return f"„{text}”" if lang == "pl" else f"“{text}”"


def plural_pl(n: int, one: str, few: str, many: str) -> str:
    """Polish plural: 1 miasto, 2–4 miasta (but 12–14 miast), 5+ miast."""
    if n == 1:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def cities_word(n: int, lang: str) -> str:
    """'1 miasto', '3 miasta', '5 miast' / '1 city', '5 cities' (the number never parts from its noun)."""
    word = plural_pl(n, "miasto", "miasta", "miast") if lang == "pl" else ("city" if n == 1 else "cities")
    return f"{format_number(n, lang)}\u00a0{word}"


def default_title(atlas: Any, state: FilterState, lang: str) -> str:
    labels = _project_labels(atlas, state.projects, lang)
    if not labels:
        if state.metric == "membership":
            return ("Miasta członkowskie Związku Miast Polskich" if lang == "pl"
                    else "Member cities of the Union of Polish Cities")
        return ("Miasta w projektach Związku Miast Polskich" if lang == "pl"
                else "Cities in the projects of the Union of Polish Cities")
    if len(labels) == 1:
        kinds = atlas.projects.set_index("id")["kind"] if "kind" in atlas.projects else {}
        if kinds.get(state.projects[0]) == "campaign" or _QUOTES.search(labels[0]):
            # a campaign's label names itself ("Kampania „Jedno dla wszystkich”"): no "Projekt", no extra quotes
            return (f"{labels[0]}: miasta uczestniczące" if lang == "pl"
                    else f"{labels[0]}: participating cities")
        return (f"Projekt {_quote(labels[0], lang)}: miasta uczestniczące" if lang == "pl"
                else f"{_quote(labels[0], lang)}: participating cities")
    quoted = [x if _QUOTES.search(x) else _quote(x, lang) for x in labels]
    return (f"Projekty ZMP {_join(quoted, lang)}" if lang == "pl"
            else f"Union projects {_join(quoted, lang)}")


def default_subtitle(atlas: Any, state: FilterState, lang: str, n_cities: int) -> str:
    parts: list[str] = []
    if len(state.projects) > 1:
        parts.append(("miasta w co najmniej jednym z projektów" if state.match == "any"
                      else "miasta we wszystkich wybranych projektach") if lang == "pl" else
                     ("cities in at least one of the projects" if state.match == "any"
                      else "cities in every chosen project"))
    names = _voivodeship_names(atlas)
    if state.voivodeships:
        woj = [names.get(c, c) for c in state.voivodeships]
        if lang == "pl":
            parts.append(("województwo " if len(woj) == 1 else "województwa: ") + _join(woj, lang))
        else:
            parts.append(("voivodeship " if len(woj) == 1 else "voivodeships: ") + _join(woj, lang))
    else:
        parts.append("cała Polska" if lang == "pl" else "all of Poland")
    if state.years is not None:
        lo, hi = state.years
        span = str(lo) if lo == hi else f"{lo}–{hi}"
        parts.append((f"rok przystąpienia {span}" if lang == "pl" else f"joined {span}")
                     + ((" lub nieznany" if lang == "pl" else " or unknown") if state.include_unknown_year else ""))
    elif not state.include_unknown_year:
        parts.append("tylko znany rok przystąpienia" if lang == "pl" else "known join year only")
    if state.selected:
        k = len(state.selected)
        parts.append(f"zaznaczenie na mapie: {format_number(k, lang)}\u00a0"
                     f"{plural_pl(k, 'gmina', 'gminy', 'gmin')}" if lang == "pl"
                     else f"map selection: {format_number(k, lang)}\u00a0{'gmina' if k == 1 else 'gminy'}")
    parts.append(cities_word(n_cities, lang))
    if state.metric == "membership":
        parts.append("kolor: członkostwo i udział w projektach" if lang == "pl"
                     else "colour: membership and participation")
    return " · ".join(parts)


def _base(base_url: str | None) -> str:
    return (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def view_url(state: FilterState, base_url: str | None = None) -> str:
    """The dashboard URL that reopens this view (base from $ATLAS_PUBLIC_URL; query = FilterState.to_query)."""
    query = state.to_query()
    return f"{_base(base_url)}/?{query}" if query else f"{_base(base_url)}/"


MAX_PRINTED_QUERY = 60   # longer queries (e.g. a map selection of 300 gminy) are printed as a short link


def link_key(query: str) -> str:
    """Content-addressed key of a view's query: the same view always gets the same short link."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha256(query.encode("utf-8")).digest()).decode("ascii")[:10].lower()


LINK_PATH = "v/"   # short links: <base>/v/<key> -> <base>/?<query> (export_panel registers the route)


def press_link(state: FilterState, base_url: str | None = None) -> tuple[str, tuple[str, str] | None]:
    """(URL printed on the map, (key, query) to store when it is a short link). A short query is printed as is
    (readable, needs no server state); a long one becomes <base>/v/<key>."""
    query = state.to_query()
    if len(query) <= MAX_PRINTED_QUERY:
        return view_url(state, base_url), None
    key = link_key(query)
    return f"{_base(base_url)}/{LINK_PATH}{key}", (key, query)


def _short_url(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")


def data_date(atlas: Any) -> str:
    """The date of the data shown: the "as of" of the union's latest published membership figure."""
    totals = getattr(atlas, "totals", None)
    if totals is None or not len(totals) or "year" not in totals:
        return "–"
    latest = totals.sort_values("year").iloc[-1]
    as_of = latest.get("as_of") if hasattr(latest, "get") else None
    return str(as_of) if isinstance(as_of, str) and as_of.strip() else str(int(latest["year"]))


def data_date_line(atlas: Any, lang: str, today: _dt.date | None = None) -> str:
    today = today or _dt.date.today()
    if lang == "pl":
        return f"Stan danych: {data_date(atlas)} · wygenerowano {today:%d.%m.%Y}"
    return f"Data as of {data_date(atlas)} · generated {today:%Y-%m-%d}"


# --- the legend ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str
    count: int


@dataclass(frozen=True)
class Legend:
    title: str
    entries: tuple[LegendEntry, ...]
    count_label: str = ""   # e.g. "gminy" (what the counts count)


def map_legend(atlas: Any, state: FilterState) -> Legend:
    """The map's stepped legend as (colour, class label, number of gminy), computed with the dashboard's own
    classification (figures.classify_*), so the press legend is exactly what the dashboard map shows."""
    from dashboard import figures, query
    from dashboard.i18n import t

    vals = query.gmina_values(atlas, state)
    if state.metric == "membership":
        _, classes = figures.classify_membership(vals, state)
    else:
        _, classes = figures.classify_projects(vals["n_projects"].to_numpy(), state.lang)
    entries = [LegendEntry(c, label, n) for c, label, n in zip(classes.colours, classes.labels, classes.counts)]
    entries.append(LegendEntry(figures.OTHER_GREY, t("legend_other", state.lang), len(atlas.gminy) - len(vals)))
    # figures' legend title may carry its own line break and count note ("Liczba projektów<br>(liczba gmin)")
    lines = [re.sub(r"<[^>]+>", "", x).strip() for x in re.split(r"<br\s*/?>", classes.title)]
    lines = [x for x in lines if x]
    count_label = "" if len(lines) > 1 else "gminy"   # the counts count gminy (the word is used in English too)
    return Legend(title="\n".join(lines), entries=tuple(entries), count_label=count_label)


# --- text measuring and wrapping -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _font(bold: bool):
    try:
        from PIL import ImageFont

        return ImageFont.truetype(_FONT_FILES[bold], size=100)
    except Exception:  # noqa: BLE001 - no font file: fall back to an estimate
        return None


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in CSS px of plain ``text`` (no markup) set in DejaVu Sans at ``size`` px, measured with the font."""
    font = _font(bold)
    if font is None:
        return len(text) * size * (0.66 if bold else 0.6)
    return font.getlength(text) * size / 100


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` CSS px; only a word longer than a whole line is cut."""
    lines: list[str] = []
    text = text.replace(" – ", "\u00a0– ").replace(" · ", "\u00a0· ")   # never start a line with a dash or dot
    for para in text.split("\n"):
        words = para.split(" ")
        line = ""
        for w in words:
            while len(w) > 1 and text_width(w, size, bold) > width:   # a single over-long word: cut it
                cut = 1
                while cut < len(w) and text_width(w[:cut + 1], size, bold) <= width:
                    cut += 1
                if line:
                    lines.append(line)
                    line = ""
                lines.append(w[:cut])
                w = w[cut:]
            candidate = f"{line} {w}" if line else w
            if line and text_width(candidate, size, bold) > width:
                lines.append(line)
                line = w
            else:
                line = candidate
        lines.append(line)
    return lines


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- the press figure ----------------------------------------------------------------------------------------
LINE = 1.3          # plotly's annotation line height (em)
# Poland in figures.GEO (conic conformal over its lon/lat ranges), measured by rendering the map into a known box:
# the ranges' box has aspect GEO_BOX_ASPECT (width/height) and Poland fills it minus these insets (fractions of
# the box). The press layout places Poland itself (aspect MAP_ASPECT) and derives the geo domain from it.
MAP_ASPECT = 1.072
GEO_BOX_ASPECT = 1.12
GEO_INSETS = {"left": 0.05, "right": 0.0325, "top": 0.028, "bottom": 0.013}


@dataclass(frozen=True)
class PressTexts:
    title: str
    subtitle: str
    source: str
    date_line: str
    url: str
    link: tuple[str, str] | None   # (key, query) of a short link to store, when url is one
    legend: Legend
    facts: tuple[str, ...] = ()   # key figure: (number, what it counts, where most are) — empty for an empty view


def key_facts(n_cities: int, top: tuple[str, int] | None, lang: str) -> tuple[str, ...]:
    if n_cities <= 0:
        return ()
    what = (plural_pl(n_cities, "miasto w widoku", "miasta w widoku", "miast w widoku") if lang == "pl"
            else ("city in view" if n_cities == 1 else "cities in view"))
    facts = (format_number(n_cities, lang), what)
    if top is not None and top[1] < n_cities:
        facts += ((f"najwięcej: {top[0]} ({format_number(top[1], lang)})" if lang == "pl"
                   else f"most: {top[0]} ({format_number(top[1], lang)})"),)
    return facts


def press_texts(atlas: Any, spec: ExportSpec, legend: Legend, n_cities: int, *, uses_gazetteer: bool,
                top: tuple[str, int] | None = None, today: _dt.date | None = None) -> PressTexts:
    lang = spec.lang
    state = replace(spec.state, lang=lang)
    source = SOURCE_LINE[lang]
    if uses_gazetteer:
        source += "; " + GAZETTEER_CREDIT[lang]
    link = press_link(state, spec.base_url)
    return PressTexts(
        title=spec.title or default_title(atlas, state, lang),
        subtitle=spec.subtitle if spec.subtitle is not None else default_subtitle(atlas, state, lang, n_cities),
        source=source,
        date_line=data_date_line(atlas, lang, today),
        url=link[0],
        link=link[1],
        legend=legend,
        facts=key_facts(n_cities, top, lang),
    )


LOGO_ENV = "ATLAS_LOGO"


def logo_path() -> Path | None:
    """$ATLAS_LOGO, else assets/logo.svg or assets/logo.png when the office has put one there (not shipped: it is
    the union's trademark). An SVG logo stays vector in PDF/SVG exports."""
    override = os.environ.get(LOGO_ENV)
    if override:
        path = Path(override)
        if not path.is_file() or path.suffix.lower() not in (".svg", ".png"):
            raise ExportSpecError(f"{LOGO_ENV}={override!r} is not an .svg or .png file")
        return path
    assets = Path(__file__).resolve().parent.parent / "assets"
    for name in ("logo.svg", "logo.png"):
        if (assets / name).is_file():
            return assets / name
    return None


def _logo_source(path: Path) -> str:
    import base64

    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@dataclass(frozen=True)
class Box:
    """A rectangle in CSS px, y measured from the top."""
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class PressLayout:
    width: float
    height: float
    title_lines: tuple[str, ...]
    subtitle_lines: tuple[str, ...]
    title_box: Box
    subtitle_box: Box
    map_box: Box
    legend_box: Box
    rule_y: float
    footer_lines: tuple[str, ...]
    footer_box: Box
    logo_box: Box | None
    mode: str              # "column" | "side" | "stack"
    accent_box: Box
    title_size: float      # CSS px (long titles are set smaller than the preset's size to fit)
    subtitle_size: float
    legend_rows: tuple[tuple[str, ...], ...]   # each class label, wrapped to the legend's width
    facts_box: Box | None  # the key figure, where it fits


def _legend_head_h(legend: Legend, size: float) -> float:
    return (legend.title.count("\n") + 1) * size * LINE + size * 0.35


def _legend_row_h(lines: Sequence[str], size: float) -> float:
    return max(size * 1.75, len(lines) * size * LINE + size * 0.45)


def _legend_size(legend: Legend, size: float, max_w: float | None = None):
    """(width, height, label lines per entry): long class labels wrap so the legend stays within max_w."""
    swatch = size * 1.15
    count_w = max((text_width(format_number(e.count), size) for e in legend.entries), default=0)
    fixed = swatch + size * 0.6 + size * 1.2 + count_w
    title_lines = legend.title.split("\n")
    head_w = max(text_width(x, size, bold=True) for x in title_lines) + (
        size * 1.2 + text_width(legend.count_label, size * 0.8) if legend.count_label else 0)
    room = (max(max_w, head_w) - fixed) if max_w else float("inf")   # never narrower than the legend title
    rows = tuple(tuple(wrap(e.label, size, room)) if text_width(e.label, size) > room else (e.label,)
                 for e in legend.entries)
    label_w = max((text_width(x, size) for r in rows for x in r), default=0)
    w = max(fixed + label_w, head_w)
    h = _legend_head_h(legend, size) + sum(_legend_row_h(r, size) for r in rows)
    return w, h, rows


def _footer(texts: PressTexts, size: float, width: float) -> list[str]:
    """Source line, then date and link; on one line when it fits."""
    tail = f"{texts.date_line} · {_short_url(texts.url)}"
    one = f"{texts.source} · {tail}"
    if text_width(one, size) <= width:
        return [one]
    return wrap(texts.source, size, width) + wrap(tail, size, width)


def _header(texts: PressTexts, p: Preset, x: float, top: float, width: float, k: float = 1.0):
    """(accent box, title lines, title box, subtitle lines, subtitle box, bottom) for a text column; type at
    k × the preset's sizes."""
    ts, ss = p.title_size * k, p.subtitle_size * k
    accent = Box(x, top, ts * 1.6, max(3.0, ts * 0.12))
    y = top + accent.h + ts * 0.45
    title_lines = tuple(wrap(texts.title, ts, width, bold=True))
    title_box = Box(x, y, width, len(title_lines) * ts * LINE)
    y += title_box.h + ss * 0.25
    subtitle_lines = tuple(wrap(texts.subtitle, ss, width)) if texts.subtitle else ()
    subtitle_box = Box(x, y, width, max(len(subtitle_lines), 1) * ss * LINE)
    return accent, title_lines, title_box, subtitle_lines, subtitle_box, y + subtitle_box.h


def layout_press(preset: Preset, texts: PressTexts, with_logo: bool) -> PressLayout:
    """Place every block of the press graphic for ``preset`` (see ``_arrange``), then the key figure where it
    fits without touching anything."""
    lay = _arrange(preset, texts, with_logo)
    return replace(lay, facts_box=_place_facts(preset, texts, lay))


def _facts_size(texts: PressTexts, p: Preset) -> tuple[float, float]:
    big, small = p.title_size * 1.5, p.legend_size
    if not texts.facts:
        return 0.0, 0.0
    w = max([text_width(texts.facts[0], big, bold=True)] + [text_width(x, small) for x in texts.facts[1:]])
    return w, big * 1.15 + len(texts.facts[1:]) * small * LINE


def _place_facts(p: Preset, texts: PressTexts, lay: PressLayout) -> Box | None:
    fw, fh = _facts_size(texts, p)
    if not fw:
        return None
    W, m, ls = p.css_width, p.margin, p.legend_size
    lb = lay.legend_box
    if lay.mode == "stack":      # right of the legend, top-aligned with it
        x = max(lb.x + lb.w + ls * 3, m + (W - 2 * m) / 2)
        box = Box(x, lb.y, fw, fh)
    elif lay.mode == "column":   # in the text column, between the subtitle and the legend
        top = lay.subtitle_box.y + lay.subtitle_box.h + ls * 1.5
        box = Box(lb.x, top, fw, fh) if top + fh + ls * 1.5 <= lb.y else None
    else:                        # "side": above the legend, beside the map
        box = Box(lb.x, lb.y - ls * 1.5 - fh, fw, fh)
        if box.y < lay.map_box.y:
            box = None
    if box is None or box.x + box.w > W - m or box.y + box.h > lay.rule_y - ls:
        return None
    return box


def _arrange(preset: Preset, texts: PressTexts, with_logo: bool) -> PressLayout:
    """Place every block of the press graphic for ``preset``: pure geometry, no plotly.

    Three arrangements, by the page's shape:
    - "column" (wide: social, slide, A4 landscape): the map takes the full height on the left; title, subtitle
      and legend stand in a column on its right;
    - "side" (square): header across the top, map with the legend at its lower right;
    - "stack" (portrait: A4, A5): header, map across the full width, legend under it.
    The footer (rule, source line, date, link, logo) runs along the bottom in every arrangement.
    """
    W, H, m = preset.css_width, preset.css_height, preset.margin
    inner = W - 2 * m
    ss, ls, ns = preset.subtitle_size, preset.legend_size, preset.note_size

    logo_h = ns * LINE * 2.6 if with_logo else 0.0
    logo_w = logo_h * 3 if with_logo else 0.0
    footer_w = inner - (logo_w + ns if with_logo else 0)
    footer_lines = tuple(_footer(texts, ns, footer_w))
    footer_h = len(footer_lines) * ns * LINE
    block_h = max(footer_h, logo_h)
    footer_box = Box(m, H - m - (block_h + footer_h) / 2, footer_w, footer_h)   # centred on the logo, if any
    logo_box = Box(W - m - logo_w, H - m - logo_h, logo_w, logo_h) if with_logo else None
    rule_y = min(footer_box.y, logo_box.y if logo_box else footer_box.y) - ns * 0.9
    body_bottom = rule_y - max(ls, ns) * 1.2

    def result(mode, header, map_box, legend_box, k, rows):
        accent, tl, tb, sl, sb, _ = header
        return PressLayout(W, H, tl, sl, tb, sb, map_box, legend_box, rule_y, footer_lines, footer_box, logo_box,
                           mode, accent, preset.title_size * k, preset.subtitle_size * k, rows, None)

    aspect = W / H
    if aspect >= 1.3:
        gap = ls * 2.5
        # widen the text column (shrinking the map), then set long titles smaller, until the texts fit
        for k, share in itertools.product((1.0, 0.88, 0.76), (0.3, 0.36, 0.42, 0.5)):
            map_h = body_bottom - m
            lw, lh, rows = _legend_size(texts.legend, ls, inner * share)
            col_w = max(inner * share, lw)
            map_w = min(map_h * MAP_ASPECT, inner - col_w - gap)
            map_h = map_w / MAP_ASPECT
            col_x = m + map_w + gap
            col_w = W - m - col_x
            header = _header(texts, preset, col_x, m, col_w, k)
            if header[-1] + ls * 2 + lh <= body_bottom:
                map_box = Box(m, m + (body_bottom - m - map_h) / 2, map_w, map_h)
                return result("column", header, map_box, Box(col_x, body_bottom - lh, lw, lh), k, rows)
    for k in (1.0, 0.88, 0.76):
        header = _header(texts, preset, m, m, inner, k)
        if (body_bottom - header[-1]) >= 0.62 * (body_bottom - m):
            break
    return _below_header(preset, texts, header, k, body_bottom, result)


def _below_header(preset: Preset, texts: PressTexts, header, k: float, body_bottom: float, result):
    W, H, m = preset.css_width, preset.css_height, preset.margin
    inner = W - 2 * m
    ss, ls = preset.subtitle_size * k, preset.legend_size
    aspect = W / H
    body_top = header[-1] + max(ss, ls) * 1.5
    body_h = body_bottom - body_top
    if aspect >= 0.95:
        # map left, legend at its lower right; the pair centred on the page
        lw, lh, rows = _legend_size(texts.legend, preset.legend_size, inner * 0.32)
        gap = ls * 2.5
        map_h = min(body_h, (inner - lw - gap) / MAP_ASPECT)
        map_w = map_h * MAP_ASPECT
        left = m + (inner - (map_w + gap + lw)) / 2
        map_box = Box(left, body_top + (body_h - map_h) / 2, map_w, map_h)
        return result("side", header, map_box, Box(left + map_w + gap, map_box.y + map_h - lh, lw, lh), k, rows)
    # map full width, legend under it
    lw, lh, rows = _legend_size(texts.legend, preset.legend_size, inner)
    gap = ls * 1.5
    map_w = min(inner, (body_h - lh - gap) * MAP_ASPECT)
    map_h = map_w / MAP_ASPECT
    map_box = Box(m + (inner - map_w) / 2, body_top, map_w, map_h)
    return result("stack", header, map_box, Box(m, body_top + map_h + gap, lw, lh), k, rows)


def geo_domain(content: Box) -> Box:
    """The geo subplot's box that makes Poland fill ``content`` (see GEO_INSETS)."""
    ins = GEO_INSETS
    w = content.w / (1 - ins["left"] - ins["right"])
    h = w / GEO_BOX_ASPECT
    return Box(content.x - ins["left"] * w, content.y - ins["top"] * h, w, h)


def uses_town_points(fig: Any) -> bool:
    """True when the map draws town markers (scattergeo), which come from the gazetteer."""
    return any(tr.type == "scattergeo" and tr.visible is not False for tr in fig.data)


@dataclass(frozen=True)
class PressFigure:
    figure: Any            # go.Figure sized for the preset
    texts: PressTexts
    entities: Any          # DataFrame of the cities/JST in view (query.filter_entities)


def press_figure(atlas: Any, spec: ExportSpec, geojson: str | dict, *, outline: str | dict | None = None,
                 today: _dt.date | None = None) -> PressFigure:
    """The press graphic for ``spec``: the dashboard's ``map_figure`` for the view, framed for the preset.

    geojson/outline: the gminy and województwa GeoJSON (dicts, or URLs the renderer can read)."""
    from dashboard import figures, query

    state = replace(spec.state, lang=spec.lang)
    map_fig = figures.map_figure(atlas, state, geojson, outline=outline)
    entities = query.filter_entities(atlas, state)
    legend = map_legend(atlas, state)
    # town points come from the gazetteer: drawn as markers, or as the centre of the view zoomed on a town
    points = entities.iloc[0:0]
    if state.focus:
        points = query.derived(atlas).entities
        points = points[points["gmina_teryt"] == state.focus]
    elif uses_town_points(map_fig):
        points = entities
    sources = set(points.get("point_source", [])) if len(points) else set()
    by_woj = entities["voivodeship"].astype(str).value_counts()
    top = (str(by_woj.index[0]), int(by_woj.iloc[0])) if len(by_woj) else None
    fig, texts = build_press_figure(atlas, spec, map_fig, legend=legend, n_cities=len(entities), top=top,
                                    today=today,
                                    uses_gazetteer=bool(sources & {"gazetteer"}) or uses_town_points(map_fig))
    return PressFigure(fig, texts, entities)


def build_press_figure(atlas: Any, spec: ExportSpec, map_fig: Any, *, legend: Legend, n_cities: int,
                       top: tuple[str, int] | None = None, uses_gazetteer: bool | None = None,
                       today: _dt.date | None = None):
    """(figure, texts): ``map_fig`` (the dashboard's map for spec.state) re-framed for spec's preset."""
    import plotly.graph_objects as go

    preset = spec.preset_obj
    if uses_gazetteer is None:
        uses_gazetteer = uses_town_points(map_fig)
    texts = press_texts(atlas, spec, legend, n_cities, uses_gazetteer=uses_gazetteer, top=top, today=today)
    logo = logo_path() if spec.logo else None
    lay = layout_press(preset, texts, with_logo=logo is not None)
    W, H = lay.width, lay.height
    ls, ns = preset.legend_size, preset.note_size

    def px(x: float) -> float:
        return x / W

    def py(y: float) -> float:
        return 1 - y / H

    fig = go.Figure(map_fig)
    for tr in fig.data:
        if tr.type == "choropleth":
            tr.update(showscale=False)   # the selection (selectedpoints) stays highlighted as on the dashboard
        tr.update(showlegend=False)
    # the national view is placed by the measured insets; a view zoomed on a town fills a box of the geo's own
    # aspect (another aspect moves plotly's centre off the town)
    mb = lay.map_box
    dom = Box(mb.x, mb.y + (mb.h - mb.w / GEO_BOX_ASPECT) / 2, mb.w, mb.w / GEO_BOX_ASPECT) \
        if spec.state.focus else geo_domain(mb)
    fig.update_geos(domain=dict(x=[px(dom.x), px(dom.x + dom.w)], y=[py(dom.y + dom.h), py(dom.y)]))
    fig.update_layout(
        width=W, height=H, autosize=False,
        margin=dict(l=0, r=0, t=0, b=0, pad=0),
        paper_bgcolor="white", plot_bgcolor="white",
        font=dict(family=FONT_FAMILY, color=INK, size=ls),
        title=None, showlegend=False, dragmode=False, hovermode=False,
        annotations=[], shapes=[], images=[],
        meta=None,
    )
    ann: list[dict] = []
    shapes: list[dict] = []

    def text(x, y, s, size, *, color=INK, bold=False, xanchor="left", yanchor="top"):
        body = f"<b>{s}</b>" if bold else s
        ann.append(dict(x=px(x), y=py(y), xref="paper", yref="paper", text=body, showarrow=False,
                        xanchor=xanchor, yanchor=yanchor, align="left" if xanchor == "left" else "right",
                        font=dict(size=size, color=color, family=FONT_FAMILY), borderpad=0))

    ab = lay.accent_box
    shapes.append(dict(type="rect", xref="paper", yref="paper", x0=px(ab.x), x1=px(ab.x + ab.w),
                       y0=py(ab.y + ab.h), y1=py(ab.y), fillcolor=ACCENT, line=dict(width=0)))
    text(lay.title_box.x, lay.title_box.y, "<br>".join(_esc(x) for x in lay.title_lines), lay.title_size,
         bold=True)
    if lay.subtitle_lines:
        text(lay.subtitle_box.x, lay.subtitle_box.y, "<br>".join(_esc(x) for x in lay.subtitle_lines),
             lay.subtitle_size, color=MUTED)

    # legend: title, then one row per class: swatch, label, count (right-aligned)
    lg, lb = texts.legend, lay.legend_box
    if lg.entries:
        head = lg.title.split("\n")
        text(lb.x, lb.y, "<br>".join([f"<b>{_esc(head[0])}</b>"] + [_esc(x) for x in head[1:]]), ls)
        if lg.count_label:
            text(lb.x + lb.w, lb.y + ls * 0.15, _esc(lg.count_label), ls * 0.8, color=MUTED, xanchor="right")
        row_y = lb.y + _legend_head_h(lg, ls)
        sw = ls * 1.15
        for e, lines in zip(lg.entries, lay.legend_rows):
            top = row_y + (ls * 1.75 - sw) / 2
            shapes.append(dict(type="rect", xref="paper", yref="paper", x0=px(lb.x), x1=px(lb.x + sw),
                               y0=py(top + sw), y1=py(top), fillcolor=e.color,
                               line=dict(color="#8a9099", width=max(0.5, ls * 0.04))))
            mid = top + sw / 2
            text(lb.x + sw + ls * 0.6, mid - ls * LINE / 2, "<br>".join(_esc(x) for x in lines), ls)
            text(lb.x + lb.w, mid, format_number(e.count, spec.lang), ls, color=MUTED, xanchor="right",
                 yanchor="middle")
            row_y += _legend_row_h(lines, ls)

    if lay.facts_box is not None:
        fb, big = lay.facts_box, preset.title_size * 1.5
        text(fb.x, fb.y, _esc(texts.facts[0]), big, color=ACCENT, bold=True)
        if texts.facts[1:]:
            text(fb.x, fb.y + big * 1.15, "<br>".join(_esc(x) for x in texts.facts[1:]), ls, color=MUTED)

    shapes.append(dict(type="line", xref="paper", yref="paper", x0=px(preset.margin), x1=px(W - preset.margin),
                       y0=py(lay.rule_y), y1=py(lay.rule_y), line=dict(color=RULE, width=max(0.5, ns * 0.08))))
    text(lay.footer_box.x, lay.footer_box.y, "<br>".join(_esc(x) for x in lay.footer_lines), ns, color=MUTED)
    if logo is not None and lay.logo_box is not None:
        b = lay.logo_box
        fig.add_layout_image(dict(source=_logo_source(logo), xref="paper", yref="paper", x=px(b.x + b.w),
                                  y=py(b.y), sizex=b.w / W, sizey=b.h / H, xanchor="right", yanchor="top",
                                  sizing="contain", layer="above"))
    fig.update_layout(annotations=ann, shapes=shapes)
    return fig, texts
