"""The map of a view as a small SVG, drawn by the server: the page shows it at once, before plotly.js has loaded,
and the live map replaces it (issue 10: a first-time visitor sees the map in a fraction of the live map's time).

Pure functions, no Dash. The picture is the live map's own view: the same classes and colours
(`figures.map_update`), the same geo view (`figures.geo_view`) and plotly's projection — d3's conic conformal,
rotated to the ranges' middle and fitted so the lon/lat range box fills the element (plotly.js
plots/geo/geo.js `updateProjection`). With viewBox = that box and preserveAspectRatio "xMidYMid meet", the browser
does the fit for any element size, so the picture lines up with the live map at every width.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from dashboard.model.state import FilterState
from dashboard.view import figures
from dashboard.view.figures import Box
from dashboard.view.projection import Projection, range_box_bounds

GRID = 1000          # viewBox units across the view: coordinates are whole numbers (1 unit ~ 1 px on a laptop)
SIMPLIFY = 5       # coverage simplification of the whole country, in grid units (shared borders stay shared)
DETAIL_SCALE = 1.5   # from this zoom on, the picture uses the full geometry of the gminy in view
FADED = ' fill-opacity="0.35"'   # gminy outside a map selection, as the live map's "unselected" opacity
AROUND = (2.2, 1.8)  # a zoomed picture holds the gminy this many view boxes wide and high around its own (frames
                     # from ~0.6:1 to ~2.5:1), the ones outside the box simplified (they show at its sides only)


def project(lonlat: np.ndarray, rotation: float, parallels: tuple[float, float]) -> np.ndarray:
    """plotly's projection (dashboard.view.projection) of (lon, lat) rows, y pointing down (as on screen)."""
    x, y = Projection(tuple(parallels), rotation)(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, -y])


def view_box(geo: dict[str, Any]) -> Box:
    """plotly's fit: the range box's bounds, centred on geo.center, divided by projection.scale."""
    proj = geo["projection"]
    rot, par = proj["rotation"]["lon"], tuple(proj["parallels"])
    x0, y0, x1, y1 = range_box_bounds(geo["lonaxis"]["range"], geo["lataxis"]["range"], Projection(par, rot))
    w, h = (x1 - x0) / proj.get("scale", 1), (y1 - y0) / proj.get("scale", 1)
    cx, cy = project(np.array([[geo["center"]["lon"], geo["center"]["lat"]]]), rot, par)[0]
    return Box(cx - w / 2, cy - h / 2, w, h)


@dataclass(frozen=True)
class Shapes:
    """The gminy (in atlas order) and the województwa outlines, projected once with the map's fixed rotation."""
    gminy: np.ndarray            # shapely geometries, projected, full detail
    simple: np.ndarray           # the same, coverage-simplified for the whole-country view
    bounds: np.ndarray           # (n, 4) bounds of `gminy`
    outlines: np.ndarray         # the województwa, projected


def _read(path: Path, ids: list[str] | None) -> np.ndarray:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    by_id = {str(f["id"]): f["geometry"] for f in features}
    order = ids if ids is not None else list(by_id)
    return shapely.from_geojson([json.dumps(by_id[i]) for i in order])


@lru_cache(maxsize=2)
def load_shapes(gminy_path: Path, outline_path: Path, terc: tuple[str, ...]) -> Shapes:
    geo = figures.GEO["projection"]
    rot, par = geo["rotation"]["lon"], tuple(geo["parallels"])
    whole = view_box(figures.GEO)
    gminy = shapely.transform(_read(gminy_path, list(terc)), lambda c: project(c, rot, par))
    outlines = shapely.transform(_read(outline_path, None), lambda c: project(c, rot, par))
    simple = shapely.coverage_simplify(gminy, SIMPLIFY * whole.w / GRID)
    return Shapes(gminy, simple, shapely.bounds(gminy), outlines)


def _path(geoms: np.ndarray, box: Box) -> str:
    """SVG path data of all rings of `geoms` on the view's grid: whole numbers, relative moves, one string."""
    rings = _rings(geoms)
    if not rings:
        return ""
    xy, ring = shapely.get_coordinates(np.array(rings, dtype=object), return_index=True)
    q = np.rint((xy - (box.x, box.y)) * (GRID / box.w)).astype(np.int64)
    first = np.r_[True, ring[1:] != ring[:-1]]
    keep = first | np.any(q != np.roll(q, 1, axis=0), axis=1)   # a point rounding onto the last draws nothing
    q, ring, first = q[keep], ring[keep], first[keep]
    last = np.r_[first[1:], True]                                 # the closing point repeats the first: "z"
    step = np.where(first[:, None], q, q - np.roll(q, 1, axis=0))
    parts: list[str] = []
    for block in np.split(np.arange(len(q))[~last], np.flatnonzero(first[~last])[1:]):
        if len(block) < 3:   # a ring that shrank to a line or a point on this grid
            continue
        head, tail = step[block[0]], step[block[1:]].ravel()
        parts.append(f"M{head[0]} {head[1]}l" + " ".join(map(str, tail.tolist())) + "z")
    return "".join(parts)


def _rings(geoms: np.ndarray) -> list[Any]:
    polys = shapely.get_parts(geoms)
    return list(shapely.get_exterior_ring(polys)) + [r for poly in polys for r in poly.interiors]


def _around(box: Box, times: tuple[float, float] = AROUND) -> Box:
    """The view box grown around its middle: the live map fills a frame of any shape (assets/atlas-frame.js), so
    the picture draws the neighbours beyond the view's own box too (the element clips them)."""
    w, h = box.w * times[0], box.h * times[1]
    return Box(box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h)


def _in_view(shapes: Shapes, box: Box) -> np.ndarray:
    b = shapes.bounds
    return (b[:, 2] >= box.x) & (b[:, 0] <= box.x + box.w) & (b[:, 3] >= box.y) & (b[:, 1] <= box.y + box.h)


def map_svg(atlas: Any, state: FilterState, shapes: Shapes, upd: dict[str, Any] | None = None) -> str:
    """The view's map as one <svg> element: a filled path per class, the veil over undated members, the
    województwa outlines and the found town's outline. The view box is the viewBox; what lies around it shows
    where the element is wider or taller than the box, as on the live map, fitted to its frame."""
    geo = figures.geo_view(atlas, state.focus, state.voivodeships)
    box = view_box(geo)
    upd = upd or figures.map_update(atlas, state)
    detailed = geo["projection"]["scale"] >= DETAIL_SCALE
    inside = _in_view(shapes, box)
    geoms = np.where(inside, shapes.gminy, shapes.simple) if detailed else shapes.simple
    show = _in_view(shapes, _around(box)) if detailed else np.ones(len(geoms), dtype=bool)
    z = np.asarray(upd["z"])
    colours = [c for _, c in upd["colorscale"][::2]]
    faded = _faded(len(z), upd["selectedpoints"])
    terc = list(atlas.gminy["terc"])
    pos = {t: i for i, t in enumerate(terc)}
    layers = [f'<path fill="{colours[cls]}"{FADED if dim else ""} d="{d}"/>'
              for (cls, dim) in sorted({(int(c), bool(f)) for c, f in zip(z[show], faded[show])})
              if (d := _path(geoms[show & (z == cls) & (faded == dim)], box))]
    veil = _path(geoms[[pos[t] for t in upd["undated"] if t in pos]], box)
    focus = _path(shapes.gminy[[pos[t] for t in upd["focus"] if t in pos]], box)
    w, h = GRID, round(GRID * box.h / box.w)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet" '
            f'focusable="false"><g stroke-linejoin="round">'
            f'<g stroke="{figures.BORDER}" stroke-width="0.3" vector-effect="non-scaling-stroke">'
            + "".join(layers).replace("/>", ' vector-effect="non-scaling-stroke"/>') + "</g>"
            + (f'<path fill="{figures.UNDATED_VEIL}" d="{veil}"/>' if veil else "")
            + f'<path fill="none" stroke="{figures.OUTLINE}" stroke-width="1.1" vector-effect="non-scaling-stroke" '
              f'd="{_path(shapes.outlines, box)}"/>'
            + (f'<path fill="none" stroke="{figures.FOCUS}" stroke-width="2.5" vector-effect="non-scaling-stroke" '
               f'd="{focus}"/>' if focus else "")
            + "</g></svg>")


def _faded(n: int, selected: list[int] | None) -> np.ndarray:
    """Gminy outside a map selection are drawn at 35 % opacity, as in the live map."""
    faded = np.zeros(n, dtype=bool)
    if selected:
        faded[:] = True
        faded[selected] = False
    return faded
