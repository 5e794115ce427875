"""Press export: text measurement and the arrangement of the page — pure geometry, no plotly.

Every measure is in CSS px of the preset (1 px = 1/96 in). Text is measured with the DejaVu Sans font files
(the font the renderer uses), wrapped to its column, and every block (header, map, legend, key figure, footer,
logo) gets its box; ``dashboard.export.press`` turns the boxes into a plotly figure and re-exports the public
names.
"""
from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Sequence

from dashboard.export.spec import Preset
from dashboard.i18n import format_number
from dashboard.view.figures import Box

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
_FONT_FILES = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


# --- what the layout arranges ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegendEntry:
    color: str
    label: str
    count: int | None          # None: no count printed (e.g. the town's outline)
    kind: str = "fill"         # "fill": a class of the map; "outline": a line drawn on the map (the town's)


@dataclass(frozen=True)
class Legend:
    title: str
    entries: tuple[LegendEntry, ...]
    count_label: str = ""   # e.g. "gminy" (what the counts count)
    # the gminy drawn lighter (members known only from later sources), explained in a short note with a swatch
    # that layout_press places where it takes nothing from the map (a legend row would); "" = none. The swatch is
    # striped with the lighter colour of every class the lighter gminy have (map order): each can be read off it.
    note: str = ""
    note_colors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PressTexts:
    title: str
    subtitle: str
    source: str
    date_line: str
    url: str
    link: tuple[str, str] | None   # (key, query) of a short link to store, when url is one
    legend: Legend
    facts: tuple[str, ...] = ()   # key figure: (number, what it counts, where most are); (0, why) for an empty view
    labels: tuple[str, ...] = ()  # the city names printed on the map
    town: str = ""                # the town a town view is zoomed on (its red outline is in the legend)



def _short_url(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")



# --- text measuring and wrapping -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _font(bold: bool):
    try:
        from PIL import ImageFont

        return ImageFont.truetype(_FONT_FILES[bold], size=100)
    except Exception:  # noqa: BLE001 - no font file: fall back to an estimate
        return None


FALLBACK_EM = 1.3   # a character DejaVu lacks is drawn from another font (an emoji: ~1.2 em wide); counted wide


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in CSS px of plain ``text`` (no markup) set in DejaVu Sans at ``size`` px, measured with the font;
    characters it lacks as FALLBACK_EM wide (Chromium draws them from another font), joiners and variation
    selectors as nothing."""
    if _font(bold) is None:
        return len(text) * size * (0.66 if bold else 0.6)
    drawn, missing = _measure(text, bold)
    return drawn * size / 100 + missing * FALLBACK_EM * size


@functools.lru_cache(maxsize=8192)
def _measure(text: str, bold: bool) -> tuple[float, int]:
    """(width at 100 px of the characters the font has, how many it lacks): the page's wrapping measures the same
    texts and their prefixes again and again."""
    font = _font(bold)
    shown = [c for c in text if unicodedata.category(c) not in ("Mn", "Me", "Cf")]
    drawn = "".join(c for c in shown if _has_glyph(c, bold))
    return font.getlength(drawn), len(shown) - len(drawn)


@functools.lru_cache(maxsize=4096)
def _has_glyph(char: str, bold: bool) -> bool:
    """Whether DejaVu Sans has `char` (a character it lacks is measured as its "missing glyph" box)."""
    font = _font(bold)
    return char in " \u00a0" or font.getmask(char).getbbox() != font.getmask(MISSING).getbbox() \
        or font.getlength(char) != font.getlength(MISSING)


MISSING = "\U000f0000"   # a private-use character: no font has it


# Polish typesetting keeps a one-letter word (a, i, o, u, w, z; "a" in English too) with the word after it
_ORPHAN = re.compile(r"(?<![^\s(„“\"])([AIOUWZaiouwz]) ")


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` CSS px; only a word longer than a whole line is cut."""
    lines: list[str] = []
    text = text.replace(" – ", "\u00a0– ").replace(" · ", "\u00a0· ")   # never start a line with a dash or dot
    text = _ORPHAN.sub("\\1\u00a0", text)   # nor end one with a one-letter word ("udział w / projektach")
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


# --- the page -------------------------------------------------------------------------------------------------------
LINE = 1.3          # plotly's annotation line height (em)
# Poland in figures.GEO (conic conformal over its lon/lat ranges), measured by rendering the map into a known box:
# the ranges' box has aspect GEO_BOX_ASPECT (width/height) and Poland fills it minus these insets (fractions of
# the box). The press layout places Poland itself (aspect MAP_ASPECT) and derives the geo domain from it.
MAP_ASPECT = 1.072
# a title longer than this in the narrow text column (wide pages) goes across the top of the page instead
MAX_COLUMN_TITLE_LINES = 6
GEO_BOX_ASPECT = 1.12
GEO_INSETS = {"left": 0.05, "right": 0.0325, "top": 0.028, "bottom": 0.013}

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
    note_lines: tuple[str, ...] = ()   # the legend's note (the lighter gminy), wrapped
    note_box: Box | None = None        # its text; its swatch stands left of it (note_swatch)


def _legend_head_h(legend: Legend, size: float) -> float:
    return (legend.title.count("\n") + 1) * size * LINE + size * 0.35


def _legend_row_h(lines: Sequence[str], size: float) -> float:
    return max(size * 1.75, len(lines) * size * LINE + size * 0.45)


def _legend_size(legend: Legend, size: float, max_w: float | None = None):
    """(width, height, label lines per entry): long class labels wrap so the legend stays within max_w."""
    swatch = size * 1.15
    count_w = max((text_width(format_number(e.count), size) for e in legend.entries if e.count is not None),
                  default=0)
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


def _legend_note(legend: Legend, width: float, size: float) -> tuple[str, ...]:
    """The legend's note wrapped to ``width`` (its swatch takes the indent)."""
    return tuple(wrap(legend.note, size, width - note_swatch(size)[1])) if legend.note else ()


def note_swatch(size: float) -> tuple[float, float]:
    """(side, text indent) of the note's swatch at the note's type size."""
    return size * 0.95, size * 1.5


def _footer(texts: PressTexts, size: float, width: float) -> list[str]:
    """Source line, then date and link; on one line when it fits."""
    tail = f"{texts.date_line} · {_short_url(texts.url)}" if texts.url else texts.date_line
    one = f"{texts.source} · {tail}"
    if text_width(one, size) <= width:
        return [one]
    return wrap(texts.source, size, width) + wrap(tail, size, width)


def _subtitle_size(p: Preset, k: float) -> float:
    """The subtitle shrinks with a long title, but less: it stays about the size of the legend's text."""
    return p.subtitle_size * max(k, 0.88)


def _header(texts: PressTexts, p: Preset, x: float, top: float, width: float, k: float = 1.0):
    """(accent box, title lines, title box, subtitle lines, subtitle box, bottom) for a text column; type at
    k × the preset's sizes."""
    ts, ss = p.title_size * k, _subtitle_size(p, k)
    accent = Box(x, top, ts * 1.6, max(3.0, ts * 0.12))
    y = top + accent.h + ts * 0.45
    title_lines = tuple(wrap(texts.title, ts, width, bold=True))
    title_box = Box(x, y, width, len(title_lines) * ts * LINE)
    y += title_box.h + ss * 0.25
    subtitle_lines = tuple(wrap(texts.subtitle, ss, width)) if texts.subtitle else ()
    subtitle_box = Box(x, y, width, max(len(subtitle_lines), 1) * ss * LINE)
    return accent, title_lines, title_box, subtitle_lines, subtitle_box, y + subtitle_box.h


def layout_press(preset: Preset, texts: PressTexts, with_logo: bool, map_aspect: float = MAP_ASPECT) -> PressLayout:
    """Place every block of the press graphic for ``preset`` (see ``_arrange``), then the key figure where it
    fits without touching anything.

    The legend's note (the gminy drawn lighter) takes nothing from the map where there is room: under the
    legend's rows (the legend grows away from the map), else beside the legend under the key figure (portrait
    pages); else the key figure moves or is left out (it repeats the subtitle's count) for the note under the
    legend or beside it. Only where there is no room at all does the map give way: a little smaller, with the note
    under it."""
    bare = _arrange(preset, texts, with_logo, map_aspect)
    lay = replace(bare, facts_box=_place_facts(preset, texts, bare))
    if not texts.legend.note:
        return lay
    placed = _note_under_legend(preset, texts, lay) or _note_beside_legend(preset, texts, lay)
    if placed is not None:
        return placed
    grown = _note_under_legend(preset, texts, bare)   # then the key figure where it still fits
    if grown is None:
        beside = _note_beside_legend(preset, texts, bare)   # in the key figure's place
        if beside is not None:
            return beside
        grown = _note_under_map(preset, texts, bare)
    return replace(grown, facts_box=_place_facts(preset, texts, grown))


def _blocks(lay: PressLayout) -> tuple[Box, ...]:
    return tuple(b for b in (lay.title_box, lay.subtitle_box, lay.map_box, lay.legend_box, lay.facts_box) if b)


def _free(box: Box, lay: PressLayout, p: Preset, others: Sequence[Box]) -> bool:
    """``box`` is inside the page's margins, above the map's foot (as _arrange keeps it from the rule), and
    keeps a legend line's height (1.2 × its size) from each of ``others``."""
    m, pad = p.margin - 0.5, p.legend_size * 1.2
    bottom = lay.rule_y - max(p.legend_size, p.note_size) * 1.2
    if box.x < m or box.y < m or box.x + box.w > p.css_width - m or box.y + box.h > bottom + 0.5:
        return False
    return not any(box.x < b.x + b.w + pad and b.x < box.x + box.w + pad and box.y < b.y + b.h + pad
                   and b.y < box.y + box.h + pad for b in others)


def _note_under_legend(p: Preset, texts: PressTexts, lay: PressLayout) -> PressLayout | None:
    """The note under the legend's rows: the legend grows upwards beside the map (its bottom stays at the map's
    or the column's foot; the note may use the rest of the column's width), downwards under a full-width map;
    None where it would touch another block (the key figure stays where it was)."""
    ns, lb = p.note_size, lay.legend_box
    w = lb.w if lay.mode == "stack" else max(lb.w, p.css_width - p.margin - lb.x)
    lines = _legend_note(texts.legend, w, ns)
    h = len(lines) * ns * LINE
    extra = p.legend_size * 0.3 + h
    grown = Box(lb.x, lb.y if lay.mode == "stack" else lb.y - extra, lb.w, lb.h + extra)   # the counts keep their edge
    others = [b for b in _blocks(lay) if b is not lb]
    if not _free(Box(grown.x, grown.y, w, grown.h), lay, p, others):
        return None
    indent = note_swatch(ns)[1]
    return replace(lay, legend_box=grown, note_lines=lines,
                   note_box=Box(grown.x + indent, grown.y + grown.h - h, w - indent, h))


def _note_under_map(p: Preset, texts: PressTexts, lay: PressLayout) -> PressLayout:
    """The note at the foot of the map's box, in its width: the map keeps its shape, top and centre line and
    gives up the note's height (what was under the map stays where it was)."""
    ns, mb = p.note_size, lay.map_box
    indent = note_swatch(ns)[1]
    lines = _legend_note(texts.legend, mb.w, ns)
    h = len(lines) * ns * LINE
    k = (mb.h - h - ns * 0.6) / mb.h
    smaller = Box(mb.x + mb.w * (1 - k) / 2, mb.y, mb.w * k, mb.h * k)
    note = Box(mb.x + indent, mb.y + mb.h - h, mb.w - indent, h)
    return replace(lay, map_box=smaller, note_lines=lines, note_box=note)


def _note_beside_legend(p: Preset, texts: PressTexts, lay: PressLayout) -> PressLayout | None:
    """Portrait pages: the note right of the legend, under the key figure (or level with the legend's top)."""
    if lay.mode != "stack":
        return None
    ns, ls, lb = p.note_size, p.legend_size, lay.legend_box
    x = lay.facts_box.x if lay.facts_box else max(lb.x + lb.w + ls * 3, p.margin + (p.css_width - 2 * p.margin) / 2)
    y = lay.facts_box.y + lay.facts_box.h + ls * 1.25 if lay.facts_box else lb.y
    indent = note_swatch(ns)[1]
    lines = _legend_note(texts.legend, p.css_width - p.margin - x, ns)
    box = Box(x + indent, y, p.css_width - p.margin - x - indent, len(lines) * ns * LINE)
    if not _free(Box(x, y, box.w + indent, box.h), lay, p, _blocks(lay)):
        return None
    return replace(lay, note_lines=lines, note_box=box)


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
        top = lay.subtitle_box.y + lay.subtitle_box.h + ls * 1.2
        box = Box(lb.x, top, fw, fh) if top + fh + ls * 1.2 <= lb.y else None
    else:                        # "side": above the legend, beside the map
        x = min(lb.x, W - m - fw)   # may reach left of the legend's edge, never into the map
        box = Box(x, lb.y - ls * 1.5 - fh, fw, fh)
        if box.y < lay.map_box.y or x < lay.map_box.x + lay.map_box.w + ls:
            box = None
    if box is None or box.x + box.w > W - m or box.y + box.h > lay.rule_y - ls:
        return None
    return box


def _arrange(preset: Preset, texts: PressTexts, with_logo: bool, aspect_map: float = MAP_ASPECT) -> PressLayout:
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
    ls, ns = preset.legend_size, preset.note_size

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
                           mode, accent, preset.title_size * k, _subtitle_size(preset, k), rows, None)

    aspect = W / H
    if aspect >= 1.3:
        gap = ls * 2.5
        # widen the text column (shrinking the map), then set long titles smaller, until the texts fit
        for k, share in itertools.product((1.0, 0.88, 0.76, 0.66), (0.3, 0.36, 0.42, 0.5)):
            map_h = body_bottom - m
            lw, lh, rows = _legend_size(texts.legend, ls, inner * share)
            col_w = max(inner * share, lw)
            map_w = min(map_h * aspect_map, inner - col_w - gap)
            map_h = map_w / aspect_map
            col_x = m + map_w + gap
            col_w = W - m - col_x
            header = _header(texts, preset, col_x, m, col_w, k)
            if header[-1] + ls * 2 + lh <= body_bottom and len(header[1]) <= MAX_COLUMN_TITLE_LINES:
                map_box = Box(m, m + (body_bottom - m - map_h) / 2, map_w, map_h)
                return result("column", header, map_box, Box(col_x, body_bottom - lh, lw, lh), k, rows)
    for k in (1.0, 0.88, 0.76, 0.66):   # long titles are set smaller until the map keeps most of the page
        header = _header(texts, preset, m, m, inner, k)
        if (body_bottom - header[-1]) >= 0.62 * (body_bottom - m):
            break
    return _below_header(preset, texts, header, k, body_bottom, result, aspect_map)


def _below_header(preset: Preset, texts: PressTexts, header, k: float, body_bottom: float, result,
                  aspect_map: float = MAP_ASPECT):
    W, H, m = preset.css_width, preset.css_height, preset.margin
    inner = W - 2 * m
    ss, ls = _subtitle_size(preset, k), preset.legend_size
    aspect = W / H
    body_top = header[-1] + max(ss, ls) * 1.5
    body_h = body_bottom - body_top
    if aspect >= 0.95:
        # map left, legend at its lower right; the pair centred on the page
        lw, lh, rows = _legend_size(texts.legend, preset.legend_size, inner * 0.32)
        gap = ls * 2.5
        map_h = min(body_h, (inner - lw - gap) / aspect_map)
        map_w = map_h * aspect_map
        left = m + (inner - (map_w + gap + lw)) / 2
        map_box = Box(left, body_top + (body_h - map_h) / 2, map_w, map_h)
        return result("side", header, map_box, Box(left + map_w + gap, map_box.y + map_h - lh, lw, lh), k, rows)
    # map full width, legend under it
    lw, lh, rows = _legend_size(texts.legend, preset.legend_size, inner)
    gap = ls * 1.5
    map_w = min(inner, (body_h - lh - gap) * aspect_map)
    map_h = map_w / aspect_map
    map_box = Box(m + (inner - map_w) / 2, body_top, map_w, map_h)
    return result("stack", header, map_box, Box(m, body_top + map_h + gap, lw, lh), k, rows)


def geo_domain(content: Box) -> Box:
    """The geo subplot's box that makes Poland fill ``content`` (see GEO_INSETS)."""
    ins = GEO_INSETS
    w = content.w / (1 - ins["left"] - ins["right"])
    h = w / GEO_BOX_ASPECT
    return Box(content.x - ins["left"] * w, content.y - ins["top"] * h, w, h)

