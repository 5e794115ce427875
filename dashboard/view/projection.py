"""plotly geo's conic conformal map of Poland, in Python: the projection, the lon/lat "range box" plotly fits into
the plot, and ranges whose box has a given shape. Used by the press export (dashboard/export/frame.py) and by the
live map (figures.map_frames: plotly clips a geo map to its fitted range box, see there).

plotly geo (plotly.js geo.js ``updateProjection``): the projection (d3's conic conformal, parallels 49°/55°, rotated
to the middle of ``lonaxis.range``) is fitted so that the range box (the lon/lat ranges' outline, its edges drawn
as great-circle segments) fills the geo domain; that box's pixel bounds become the clip rectangle;
``projection.scale`` then multiplies the fitted scale and ``geo.center`` lands on the middle of the clip rectangle.

Pure: numpy only.
"""
from __future__ import annotations

import functools
import math

import numpy as np

PARALLELS = (49.0, 55.0)
ROTATION_LON = 19.15          # the middle of Poland's lon range: the same projection in every view
CENTRE_LAT = 51.925
CLIP_PAD = 0.001              # plotly's constants.clipPad (degrees)


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
def ranges_for_aspect(aspect: float) -> tuple[tuple[float, float], tuple[float, float], float, float]:
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
