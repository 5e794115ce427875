"""Press export: the map's frame — which part of Poland a graphic shows, and where every place lands on the page.

plotly geo (7.1) places a map like this (plotly.js ``updateProjection``): the projection (here d3's conic
conformal, parallels 49°/55°, rotated to the middle of ``lonaxis.range``) is fitted so that the "range box" (the
lon/lat ranges' outline, parallels drawn as four great-circle segments) fills the geo domain; that box's pixel
bounds become the clip rectangle; ``projection.scale`` then multiplies the fitted scale and ``geo.center`` lands on
the middle of the clip rectangle. This module does the same arithmetic in Python, so that the export can

- fit the selection (all of Poland, several — even non-adjacent — voivodeships, a map selection, one town) into the
  map box with even margins: ranges chosen so that the clip rectangle IS the map box (nothing is drawn past it),
  scale and centre chosen so that the selection's projected bounds fill the box minus the margins;
- project any lon/lat to page pixels (city labels are placed in page coordinates, see ``labels.py``).

Pure: numpy and shapely only (the geometry comes from ``geodata``); verified against rendered exports in
tests/test_export_press.py.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from dashboard.export.page import Box

PARALLELS = (49.0, 55.0)
ROTATION_LON = 19.15          # the middle of Poland's lon range: the same projection in every view
CENTRE_LAT = 51.925
CLIP_PAD = 0.001              # plotly's constants.clipPad (degrees)
TOWN_CONTEXT_KM = 120.0       # a town view shows this much around the town (width and height): its neighbours
MIN_SELECTION_KM = 30.0       # a selection of a few gminy is never zoomed closer than this
EARTH_KM = 6371.0
MIN_ASPECT, MAX_ASPECT = 0.62, 1.7   # the map box's shape follows the selection's, within these bounds


class Projection:
    """d3.geoConicConformal raw projection (unit sphere), rotated by -ROTATION_LON: (lon, lat) in degrees ->
    (x, y) with y pointing up (page y = -y)."""

    def __init__(self, parallels=PARALLELS, rotation_lon: float = ROTATION_LON):
        y0, y1 = (math.radians(p) for p in parallels)
        tany = lambda y: math.tan((math.pi / 2 + y) / 2)   # noqa: E731
        self.n = math.log(math.cos(y0) / math.cos(y1)) / math.log(tany(y1) / tany(y0))
        self.f = math.cos(y0) * tany(y0) ** self.n / self.n
        self.rotation_lon = rotation_lon

    def __call__(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        lam = np.radians((np.asarray(lon, dtype=float) - self.rotation_lon + 180) % 360 - 180)
        phi = np.radians(np.asarray(lat, dtype=float))
        r = self.f / np.tan((np.pi / 2 + phi) / 2) ** self.n
        return r * np.sin(self.n * lam), self.f - r * np.cos(self.n * lam)

    def invert(self, x: float, y: float) -> tuple[float, float]:
        fy = self.f - y
        r = math.copysign(math.hypot(x, fy), self.n)
        lam = math.atan2(x, abs(fy)) * math.copysign(1, fy) / self.n
        phi = 2 * math.atan((self.f / r) ** (1 / self.n)) - math.pi / 2
        return math.degrees(lam) + self.rotation_lon, math.degrees(phi)


PROJ = Projection()


def _slerp_edge(a: tuple[float, float], b: tuple[float, float], n: int = 64) -> np.ndarray:
    """Points along the great circle from a to b (lon/lat degrees), as d3 draws a polygon's edge."""
    def vec(p):
        lo, la = math.radians(p[0]), math.radians(p[1])
        return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    va, vb = vec(a), vec(b)
    omega = math.acos(max(-1.0, min(1.0, float(va @ vb))))
    if omega < 1e-12:
        return np.array([a, b])
    t = np.linspace(0, 1, n)[:, None]
    v = (np.sin((1 - t) * omega) * va + np.sin(t * omega) * vb) / math.sin(omega)
    return np.column_stack([np.degrees(np.arctan2(v[:, 1], v[:, 0])), np.degrees(np.arcsin(v[:, 2]))])


def range_box_bounds(lon_range, lat_range, proj: Projection = PROJ) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of plotly's range box in projected units (y up)."""
    lon0, lon1 = lon_range[0] + CLIP_PAD, lon_range[1] - CLIP_PAD
    lat0, lat1 = lat_range[0] + CLIP_PAD, lat_range[1] - CLIP_PAD
    s = (lon1 - lon0) / 4
    ring = [(lon0, lat0), (lon0, lat1), (lon0 + s, lat1), (lon0 + 2 * s, lat1), (lon0 + 3 * s, lat1), (lon1, lat1),
            (lon1, lat0), (lon1 - s, lat0), (lon1 - 2 * s, lat0), (lon1 - 3 * s, lat0), (lon0, lat0)]
    pts = np.concatenate([_slerp_edge(a, b) for a, b in zip(ring[:-1], ring[1:])])
    x, y = proj(pts[:, 0], pts[:, 1])
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


@functools.lru_cache(maxsize=256)
def _ranges_for_aspect(aspect: float) -> tuple[tuple[float, float], tuple[float, float], float, float]:
    """lon/lat ranges (lon centred on ROTATION_LON, lat on CENTRE_LAT) whose range box has the given aspect
    (width / height), and the box's projected (width, height). The ranges only set the clip rectangle's shape:
    what is shown is set by centre and scale."""
    half_lon = 5.15
    lo, hi = 0.2, 30.0   # half of the lat span, degrees: a wider lat span = a taller box
    for _ in range(60):
        mid = (lo + hi) / 2
        x0, y0, x1, y1 = range_box_bounds((ROTATION_LON - half_lon, ROTATION_LON + half_lon),
                                          (CENTRE_LAT - mid, CENTRE_LAT + mid))
        if (x1 - x0) / (y1 - y0) > aspect:
            lo = mid
        else:
            hi = mid
    half_lat = (lo + hi) / 2
    lon_r = (ROTATION_LON - half_lon, ROTATION_LON + half_lon)
    lat_r = (CENTRE_LAT - half_lat, CENTRE_LAT + half_lat)
    x0, y0, x1, y1 = range_box_bounds(lon_r, lat_r)
    return lon_r, lat_r, x1 - x0, y1 - y0


# --- what a view selects --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """The area a view is about: its projected bounds (x0, y0, x1, y1; y up), whether it is all of Poland, and
    the gminy it covers (None = every gmina: nothing is greyed out as context)."""
    bounds: tuple[float, float, float, float]
    kind: str                                # "poland" | "voivodeships" | "selection" | "town"
    gminy: frozenset[str] | None = None

    @property
    def aspect(self) -> float:
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0) / max(y1 - y0, 1e-12)


@functools.lru_cache(maxsize=1)
def _layers():
    import geodata

    return geodata.load("gminy"), geodata.load("wojewodztwa")


def _projected_bounds(geoms: Iterable[Any]) -> tuple[float, float, float, float]:
    import shapely

    coords = np.concatenate([shapely.get_coordinates(g) for g in geoms])
    x, y = PROJ(coords[:, 0], coords[:, 1])
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


def _at_least(bounds, km: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = bounds
    size = km / EARTH_KM * 1.0   # conic conformal: ~1 unit = 1 earth radius near the standard parallels
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = max((x1 - x0) / 2, size / 2), max((y1 - y0) / 2, size / 2)
    return cx - hw, cy - hh, cx + hw, cy + hh


@functools.lru_cache(maxsize=512)
def _selection(focus: str | None, voivodeships: tuple[str, ...], selected: tuple[str, ...]) -> Selection:
    gminy, woj = _layers()
    if focus and focus in set(gminy["terc"]):
        geom = gminy.loc[gminy["terc"] == focus, "geometry"]
        codes = frozenset(gminy.loc[gminy["terc"].str[:2].isin(voivodeships), "terc"]) if voivodeships else None
        return Selection(_at_least(_projected_bounds(geom), TOWN_CONTEXT_KM), "town", codes)
    if voivodeships:
        geom = woj.loc[woj["terc"].isin(voivodeships), "geometry"]
        if len(geom):
            codes = frozenset(gminy.loc[gminy["terc"].str[:2].isin(voivodeships), "terc"])
            return Selection(_projected_bounds(geom), "voivodeships", codes)
    picked = [s for s in selected if len(s) == 7]
    if picked:
        geom = gminy.loc[gminy["terc"].isin(picked), "geometry"]
        if len(geom):
            return Selection(_at_least(_projected_bounds(geom), MIN_SELECTION_KM), "selection", None)
    return Selection(_projected_bounds(woj.geometry), "poland", None)


def selection(state: Any) -> Selection:
    """The area ``state`` is about: the found town (with its surroundings), the chosen voivodeships, the gminy
    selected on the map, or all of Poland."""
    return _selection(state.focus, tuple(state.voivodeships), tuple(state.selected))


# --- the frame -------------------------------------------------------------------------------------------------
def margin_for(sel: Selection, box_w: float) -> float:
    """Even margin (CSS px) between the selection's bounds and the frame: none for all of Poland (no frame is
    drawn), a little air for a zoomed view."""
    return 0.0 if sel.kind == "poland" else max(6.0, 0.035 * box_w)


def map_aspect(sel: Selection, margin_share: float = 0.07) -> float:
    """The shape the map box should have to hold the selection with even margins (clamped to sane pages)."""
    x0, y0, x1, y1 = sel.bounds
    w, h = x1 - x0, y1 - y0
    if sel.kind != "poland":
        pad = margin_share * max(w, h) / 2
        w, h = w + 2 * pad, h + 2 * pad
    return min(MAX_ASPECT, max(MIN_ASPECT, w / h))


@dataclass(frozen=True)
class Frame:
    """Where the map is drawn on the page (CSS px) and the plotly geo settings that draw it there."""
    box: Box                 # the clip rectangle = the geo domain
    inner: Box               # where the selection's bounds land (box minus the even margins, centred)
    k: float                 # page px per projected unit
    centre_xy: tuple[float, float]   # the projected point at the box's middle
    geo: dict                # layout.geo settings (domain not included)

    def to_page(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Page px (x right, y down) of lon/lat."""
        x, y = PROJ(lon, lat)
        cx, cy = self.centre_xy
        return (self.box.x + self.box.w / 2 + self.k * (x - cx),
                self.box.y + self.box.h / 2 - self.k * (y - cy))


def fit(sel: Selection, box: Box, margin: float | None = None) -> Frame:
    """The frame that shows ``sel`` inside ``box`` with an even margin on the tighter side, centred on both."""
    m = margin_for(sel, box.w) if margin is None else margin
    x0, y0, x1, y1 = sel.bounds
    k = min((box.w - 2 * m) / (x1 - x0), (box.h - 2 * m) / (y1 - y0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lon_r, lat_r, rw, rh = _ranges_for_aspect(box.w / box.h)
    fit_scale = min(box.w / rw, box.h / rh)
    clon, clat = PROJ.invert(cx, cy)
    iw, ih = (x1 - x0) * k, (y1 - y0) * k
    inner = Box(box.x + (box.w - iw) / 2, box.y + (box.h - ih) / 2, iw, ih)
    geo = {
        "projection": {"type": "conic conformal", "parallels": list(PARALLELS), "rotation": {"lon": ROTATION_LON},
                       "scale": k / fit_scale},
        "center": {"lon": clon, "lat": clat},
        "lonaxis": {"range": list(lon_r)},
        "lataxis": {"range": list(lat_r)},
        "fitbounds": False,
        "visible": False, "showframe": False, "bgcolor": "rgba(0,0,0,0)",
    }
    return Frame(box, inner, k, (cx, cy), geo)
