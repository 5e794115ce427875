"""Press export: the map's frame — which part of Poland a graphic shows, and where every place lands on the page.

With plotly geo's arithmetic in Python (dashboard.view.projection), the export can
- fit the selection (all of Poland, several — even non-adjacent — voivodeships, a map selection, one town) into the
  map box with even margins: ranges chosen so that the clip rectangle IS the map box (nothing is drawn past it),
  scale and centre chosen so that the selection's projected bounds fill the box minus the margins;
- project any lon/lat to page pixels (city labels are placed in page coordinates, see ``labels.py``).

Pure: numpy and shapely only (the geometry comes from ``geodata``); verified against rendered exports in
tests/test_export_press.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from dashboard.export.page import Box
from dashboard.view.projection import PARALLELS, PROJ, ROTATION_LON, ranges_for_aspect

TOWN_CONTEXT_KM = 120.0       # a town view shows this much around the town (width and height): its neighbours
MIN_SELECTION_KM = 30.0       # a selection of a few gminy is never zoomed closer than this
EARTH_KM = 6371.0
MIN_ASPECT, MAX_ASPECT = 0.62, 1.7   # the map box's shape follows the selection's, within these bounds


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
    lon_r, lat_r, rw, rh = ranges_for_aspect(box.w / box.h)
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
