"""Press export: the presets (sizes, type sizes, DPI) and the export spec — one serialisable, validated object
saying which view (FilterState), at which preset, in which format and language, with which title.

Pure data: no plotly, no Dash, no browser. ``dashboard.export.press`` re-exports every public name here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from dashboard.model.state import FilterState, view_slug  # noqa: F401 - view_slug re-exported

FORMATS = ("png", "svg", "pdf")
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
MAX_TITLE_CHARS = 200     # a 200-character title still fits every preset (tests/test_export_spec.py)
MAX_SUBTITLE_CHARS = 240
MM_PER_IN = 25.4
CSS_DPI = 96
PAPER_MM = {"A4": (210, 297), "A5": (148, 210)}   # ISO 216, portrait


class ExportSpecError(ValueError):
    """An export request that cannot be honoured; the message says which field and what is allowed."""


# --- the texts a user writes (title, subtitle) -------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIRECTION = re.compile(r"[\u202a-\u202e\u2066-\u2069]")   # bidi embeddings, overrides and isolates


def one_line(text: str) -> str:
    """A title or subtitle as one line (the page wraps it): every run of whitespace — a tab, a newline, Word's
    manual line break, U+2028 — one space."""
    return " ".join(text.split())


def text_problem(text: str) -> str | None:
    """What keeps a text off the page: "control" (a control character), "direction" (a text-direction control:
    "ZMP" after U+202E prints "PMZ"), or None."""
    if _CONTROL.search(text):
        return "control"
    if _DIRECTION.search(text):
        return "direction"
    return None


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
        """Page size in PostScript points (the PDF's MediaBox): a print preset's exact ISO size (A4 = 595.28 ×
        841.89 pt; its pixel size is rounded to whole 300-dpi pixels, 0.1 mm short), else the CSS size."""
        if self.paper in PAPER_MM:
            short, long = (mm * 72 / MM_PER_IN for mm in PAPER_MM[self.paper])
            return (long, short) if self.width_px > self.height_px else (short, long)
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
    """One export: which view (FilterState, its language included), at which preset, in which format, with which
    title.

    ``title``/``subtitle`` None = generated from the filters. Round-trips through ``to_dict``/``from_dict`` and
    JSON; ``from_dict`` validates and raises ExportSpecError naming the field.
    """

    state: FilterState = field(default_factory=FilterState)
    preset: str = "a4"
    format: str = "pdf"
    title: str | None = None
    subtitle: str | None = None
    logo: bool = False
    base_url: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.state, FilterState):
            problems.append(f"state must be a FilterState, got {type(self.state).__name__}")
        for name, allowed in (("preset", tuple(PRESETS)), ("format", FORMATS)):
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
            elif (problem := text_problem(value)) == "control":
                problems.append(f"{name} contains control characters")
            elif problem == "direction":
                problems.append(f"{name} contains a text-direction control character (U+202E and the like), which "
                                "reverses or hides the text that follows it: remove it")
        if not isinstance(self.logo, bool):
            problems.append("logo must be true or false")
        if self.base_url is not None:
            from dashboard.config import check_public_url

            try:
                if not isinstance(self.base_url, str):
                    raise ValueError(f"base_url {self.base_url!r} is not an http(s) URL")
                check_public_url(self.base_url, "base_url")
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise ExportSpecError("invalid export spec: " + "; ".join(problems))

    @property
    def lang(self) -> str:
        """The language of the texts: the view's own (state.lang)."""
        return self.state.lang

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
        unknown = sorted(set(data) - {*cls.__dataclass_fields__, "lang"})
        if unknown:
            raise ExportSpecError(f"unknown export spec field(s): {', '.join(map(str, unknown[:5]))}")
        state_data = data.get("state") or {}
        if "lang" in data and isinstance(state_data, dict):   # a spec written when the language was its own field
            state_data = {**state_data, "lang": data["lang"]}
        state = FilterState.from_dict(state_data, known_projects=known_projects)
        if state.notices:
            raise ExportSpecError("invalid view in export spec: " + "; ".join(state.notices))
        kw = {k: data[k] for k in ("preset", "format", "title", "subtitle", "logo", "base_url") if k in data}
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

    def filename(self, stem: str | None = None, town: str | None = None) -> str:
        """A file name that tells views apart, in safe ASCII only:
        atlas-zmp_<view>_<preset>[_en].<format> (see ``view_slug``), e.g. ``atlas-zmp_P1_lubelskie_bilgoraj_a4.pdf``.
        ``town``: the found town's name (default: its TERYT)."""
        parts = [stem or "atlas-zmp", view_slug(self.state, town), self.preset, "" if self.lang == "pl" else self.lang]
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(p for p in parts if p))[:150]
        return f"{name}.{self.format}"

