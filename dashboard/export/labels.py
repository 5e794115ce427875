"""Press export: city names on the map, placed without overlaps (greedy, with leader lines where needed).

Pure geometry in page px (CSS px, y down): the points come from ``frame.Frame.to_page``; text is measured with the
font the renderer uses (``page.text_width``). Every candidate position around a point is tried in a fixed order
(right, left, above, below, then the corners), first next to the point and then further out with a leader line;
the first one that stays inside the map frame and touches no placed label and no other city's dot wins. A view of
at most LABEL_ALL cities names every city; a bigger view names the chosen town, the selected gminy and then the
largest cities (cities with powiat rights first), as many as fit next to their points, at most LABEL_MANY.
When every city is named, a short local search then moves names among their free places to untangle the leader
lines: a line that crosses another, runs under a name or over another city's dot, or a name over a line, leads a
reader to the wrong dot.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

from dashboard.export.page import Box, text_width

LABEL_ALL = 25        # a view with at most this many cities on the map names every one of them
LABEL_MANY = 18       # in a bigger view, at most this many names: as many as the voivodeship seats (18)
LINE_H = 1.2          # label box height, em


@dataclass(frozen=True)
class Point:
    name: str
    x: float
    y: float
    priority: tuple      # smaller = placed first
    bold: bool = False   # the found town's name is set bold


@dataclass(frozen=True)
class Label:
    name: str
    x: float             # the point
    y: float
    box: Box             # the text's box (top-left, size)
    leader: bool         # a line from the point to the box
    bold: bool = False


def _overlaps(a: Box, b: Box, pad: float = 0.0, xpad: float | None = None) -> bool:
    xpad = pad if xpad is None else xpad
    return not (a.x + a.w + xpad <= b.x or b.x + b.w + xpad <= a.x or a.y + a.h + pad <= b.y or b.y + b.h + pad <= a.y)


def _distance(b: Box, x: float, y: float) -> float:
    """From the point to the nearest point of the box (0 inside it)."""
    dx = max(b.x - x, 0.0, x - (b.x + b.w))
    dy = max(b.y - y, 0.0, y - (b.y + b.h))
    return (dx * dx + dy * dy) ** 0.5


def _nearer_dot(b: Box, own: tuple[float, float], others: Sequence[tuple[float, float]]) -> bool:
    """A name without a leader line is read as the name of the dot nearest to it: another city's dot must not be
    nearer than its own ("Sopot" set right above the Kartuzy dot named Kartuzy for a reader)."""
    mine = _distance(b, *own)
    return any(_distance(b, x, y) < mine for x, y in others if (x, y) != own)


def _inside(b: Box, frame: Box) -> bool:
    return b.x >= frame.x and b.y >= frame.y and b.x + b.w <= frame.x + frame.w and b.y + b.h <= frame.y + frame.h


# direction (dx, dy) in units of the gap: right, left, above, below, then the four corners
_DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1))


def _candidate(px: float, py: float, w: float, h: float, d: tuple[int, int], dist: float) -> Box:
    dx, dy = d
    cx = px + dx * dist
    cy = py + dy * dist * 0.8
    x = cx if dx > 0 else cx - w if dx < 0 else cx - w / 2
    y = cy - h / 2 if dy == 0 else cy - h if dy < 0 else cy
    return Box(x, y, w, h)


def place(points: Sequence[Point], size: float, frame: Box, dot: float, *, all_names: bool,
          limit: int | None = None, obstacles: Sequence[Box] = ()) -> list[Label]:
    """Labels for ``points`` (page px) set at ``size`` px inside ``frame``; ``dot`` = radius of a city's dot.
    With ``all_names`` leader lines are used where no place next to the point is free; otherwise a name that does
    not fit next to its point is left out."""
    h = size * LINE_H
    # with every city named, a label keeps off every city's dot; otherwise only the named cities get a dot
    dots = [_dot_box(p.x, p.y, dot) for p in points] if all_names else []
    placed: list[Label] = []
    taken: list[Box] = list(obstacles)
    gap = dot + size * 0.25
    rings = [(gap, False)] + ([(gap + size * f, True) for f in (1.6, 2.6, 3.8, 5.2, 7.0)] if all_names else [])
    centres = [(p.x, p.y) for p in points] if all_names else []
    for p in sorted(points, key=lambda p: p.priority):
        if limit is not None and len(placed) >= limit:
            break
        w = text_width(p.name, size, bold=p.bold) + size * 0.1
        own = _dot_box(p.x, p.y, dot)
        if not all_names and any(_overlaps(own, lb.box, 1.0) or (not lb.leader and _nearer_dot(
                lb.box, (lb.x, lb.y), [(p.x, p.y)])) for lb in placed):
            continue   # its dot would sit under a name already placed, or nearer to it than that name's own dot
        others = centres or [(lb.x, lb.y) for lb in placed]
        other_dots = [o for o in dots if o != own]
        chosen = next((Label(p.name, p.x, p.y, b, leader, p.bold) for dist, leader in rings for d in _DIRECTIONS
                       if _fits(b := _candidate(p.x, p.y, w, h, d, dist), (p.x, p.y), leader, frame, taken,
                                other_dots, others, size)), None)
        if chosen is not None:
            placed.append(chosen)
            taken.append(chosen.box)
            if not all_names:
                taken.append(own)
    if all_names and any(lb.leader for lb in placed):
        def places(lb: Label) -> list[Label]:   # every place free of all but the other names, nearest ring first
            other_dots = [o for o in dots if o != _dot_box(lb.x, lb.y, dot)]
            return [Label(lb.name, lb.x, lb.y, b, leader, lb.bold) for dist, leader in rings for d in _DIRECTIONS
                    if _fits(b := _candidate(lb.x, lb.y, lb.box.w, lb.box.h, d, dist), (lb.x, lb.y), leader, frame,
                             obstacles, other_dots, centres, size)]

        return _untangle(placed, places, lambda b, others: not any(_clashes(b, o.box, size) for o in others), dot)
    return placed


def _dot_box(x: float, y: float, dot: float) -> Box:
    """A city's dot of radius ``dot`` at (x, y), as a box."""
    return Box(x - dot, y - dot, 2 * dot, 2 * dot)


def _fits(b: Box, point: tuple[float, float], leader: bool, frame: Box, taken: Sequence[Box],
          dots: Sequence[Box], others: Sequence[tuple[float, float]], size: float) -> bool:
    """Whether a name's box may go there: inside the frame, clear of the boxes taken and of the other cities'
    dots, and — without a leader line — with no other dot nearer to it than its own."""
    return (_inside(b, frame) and not any(_clashes(b, t, size) for t in taken)
            and not any(_overlaps(b, o, 1.0) for o in dots)
            and (leader or not _nearer_dot(b, point, others)))


def _clashes(b: Box, taken: Box, size: float) -> bool:
    """Two names on one line must not read as one ("Łuków Międzyrzec Podlaski"): a wider gap sideways."""
    return _overlaps(b, taken, size * 0.15, xpad=size * 0.9)


TANGLE = 2.5   # one tangle costs as much as moving a name two and a half rings further out


def _untangle(placed: list[Label], places, clear, dot: float, steps_per_name: int = 200) -> list[Label]:
    """Simulated annealing from the greedy placement (seeded: the same view gives the same map), then `_settle`. A
    state's cost is each name's ring (its distance from its dot) plus TANGLE per tangled pair; a name moves only to
    a place clear of the other names; the cheapest state seen is kept, so the result is never worse than the start."""
    options = [places(lb) for lb in placed]
    rank = [{o: k / len(_DIRECTIONS) for k, o in enumerate(opts)} for opts in options]
    if any(lb not in r for lb, r in zip(placed, rank)):
        return placed
    cur = list(placed)
    cost = sum(r[lb] for lb, r in zip(cur, rank)) + TANGLE * sum(
        _tangles(lb, cur[k + 1:], dot) for k, lb in enumerate(cur))
    best, best_cost = list(cur), cost
    rng = random.Random(0)
    steps = steps_per_name * len(cur)
    for step in range(steps):
        i = rng.randrange(len(cur))
        new = options[i][rng.randrange(len(options[i]))]
        others = cur[:i] + cur[i + 1:]
        if new == cur[i] or not clear(new.box, others):
            continue
        tangles = _tangles(new, others, dot) - _tangles(cur[i], others, dot)
        delta = rank[i][new] - rank[i][cur[i]] + TANGLE * tangles
        heat = 1.5 * (1 - step / steps)
        if delta < 0 or rng.random() < math.exp(-delta / max(heat, 1e-6)):
            cur[i], cost = new, cost + delta
            if cost < best_cost - 1e-9:
                best, best_cost = list(cur), cost
    return _settle(best, options, rank, clear, dot)


def _settle(cur: list[Label], options: list[list[Label]], rank: list[dict], clear, dot: float) -> list[Label]:
    """Moves that lower the cost, until none is left: one name to its cheapest free place given the others, then two
    names tangled with each other to their cheapest pair of places. The annealing's random steps can stop beside a
    cheaper state (Upper Silesia at social size: 4 tangled pairs after the annealing, 3 after this). Each move
    lowers the cost, so this ends."""
    def cost(i: int, lb: Label, others: list[Label]) -> float:
        return rank[i][lb] + TANGLE * _tangles(lb, others, dot)

    def move_one(i: int) -> bool:
        others = cur[:i] + cur[i + 1:]
        better = min((o for o in options[i] if clear(o.box, others)), key=lambda o: cost(i, o, others))
        if cost(i, better, others) < cost(i, cur[i], others) - 1e-9:
            cur[i] = better
            return True
        return False

    def move_pair(i: int, j: int) -> bool:
        rest = [lb for k, lb in enumerate(cur) if k not in (i, j)]

        def joint(ab: tuple[Label, Label]) -> float:
            return cost(i, ab[0], [*rest, ab[1]]) + cost(j, ab[1], rest)

        best = min(((a, b) for a in options[i] if clear(a.box, rest) for b in options[j] if clear(b.box, [*rest, a])),
                   key=joint)
        if joint(best) < joint((cur[i], cur[j])) - 1e-9:
            cur[i], cur[j] = best
            return True
        return False

    moved = True
    while moved:
        moved = any([move_one(i) for i in range(len(cur))])
        pairs = [(i, j) for i in range(len(cur)) for j in range(i + 1, len(cur)) if _tangles(cur[i], [cur[j]], dot)]
        moved = any([move_pair(i, j) for i, j in pairs]) or moved
    return cur


def _tangles(label: Label, others: Sequence[Label], dot: float) -> int:
    """With how many others the label is tangled: its leader line crosses theirs, runs under their name or over
    their dot (of radius ``dot``), or their leader line runs under its name or over its dot."""
    mine = _leader(label)
    own_dot = _dot_box(label.x, label.y, dot)
    count = 0
    for other in others:
        theirs = _leader(other)
        count += bool((mine and (_segment_hits_box(*mine, other.box) or _segment_hits_box(*mine, _dot_box(
            other.x, other.y, dot)) or (theirs and _segments_cross(*mine, *theirs))))
                      or (theirs and (_segment_hits_box(*theirs, label.box) or _segment_hits_box(*theirs, own_dot))))
    return count


def _leader(label: Label) -> tuple[tuple[float, float], tuple[float, float]] | None:
    return ((label.x, label.y), leader_end(label)) if label.leader else None


def _segments_cross(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float],
                    d: tuple[float, float]) -> bool:
    """Whether segments ab and cd cross (touching at an end does not count)."""
    def side(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def _segment_hits_box(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether segment ab passes through the box (Liang–Barsky clipping)."""
    (x0, y0), (dx, dy) = a, (b[0] - a[0], b[1] - a[1])
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x), (dx, box.x + box.w - x0), (-dy, y0 - box.y), (dy, box.y + box.h - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        lo, hi = (max(lo, t), hi) if p < 0 else (lo, min(hi, t))
        if lo >= hi:
            return False
    return True


def leader_end(label: Label) -> tuple[float, float]:
    """Where a leader line meets the label's box: the point on the box's edge nearest to the city's dot."""
    b = label.box
    x = min(max(label.x, b.x), b.x + b.w)
    y = min(max(label.y, b.y), b.y + b.h)
    return x, y
