"""Web assets: compact GeoJSON (feature id = TERYT) and the local base topojson files for plotly geo.

plotly.js (v4.1.1 in plotly 7.1.0, src/plots/geo) requests `${topojsonURL}${scope}_${resolution}m.json`
(scope with spaces -> dashes; resolution 110 or 50) whenever a geo subplot shows a base layer or has a trace with
a `locationmode` - which every choropleth has - so it fetches even with all base layers hidden. It reads
`topology.objects[layer]` for the layers it draws: fill layers ocean, land, lakes; line layers subunits,
countries, coastlines, rivers; and `countries` / `subunits` for locationmode ISO-3 / USA-states. We write every
one of those objects (Poland's outline as land and countries, the województwa as subunits, empty collections for
the rest), so no layer a figure may switch on can fail.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import shapely

TOPOJSON_SCOPES = ("world", "europe")
TOPOJSON_RESOLUTIONS = (110, 50)
TOPOJSON_LAYERS = ("land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits")
QUANTUM = 1e-5  # degrees: the 5-decimal grid of the boundaries, so quantisation loses nothing


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def feature_collection(gdf) -> bytes:
    """Compact GeoJSON FeatureCollection, feature id = terc, properties {name}, rows in frame order."""
    features = [{"type": "Feature", "id": terc, "properties": {"name": name}, "geometry": geom.__geo_interface__}
                for terc, name, geom in zip(gdf["terc"], gdf["name"], gdf.geometry.values)]
    return dumps({"type": "FeatureCollection", "features": features})


def content_hashed_name(stem: str, payload: bytes, suffix: str = ".geojson") -> str:
    return f"{stem}.{hashlib.sha256(payload).hexdigest()[:10]}{suffix}"


class _Topology:
    """Minimal TopoJSON writer: one arc per ring (no shared-arc detection), quantised, delta-encoded."""

    def __init__(self, x0: float, y0: float):
        self.x0, self.y0 = x0, y0
        self.arcs: list[list[list[int]]] = []

    def _arc(self, coords: np.ndarray) -> int:
        q = np.round((coords[:, :2] - (self.x0, self.y0)) / QUANTUM).astype(np.int64)
        delta = np.vstack([q[:1], np.diff(q, axis=0)])
        self.arcs.append(delta.tolist())
        return len(self.arcs) - 1

    def polygon_arcs(self, geom) -> tuple[str, list]:
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        rings = [[[self._arc(np.asarray(r.coords))] for r in (p.exterior, *p.interiors)] for p in polys]
        return ("MultiPolygon", rings) if len(rings) > 1 else ("Polygon", rings[0])

    def document(self, objects: dict) -> dict:
        return {"type": "Topology",
                "transform": {"scale": [QUANTUM, QUANTUM], "translate": [self.x0, self.y0]},
                "objects": objects, "arcs": self.arcs}


def base_topojson(country, regions) -> bytes:
    """Topology with Poland (`country`, a Polygon, clockwise) as land/countries and `regions`
    (GeoDataFrame terc, name, geometry: the województwa) as subunits; the other layers are empty."""
    minx, miny, _, _ = shapely.total_bounds(np.array([country], dtype=object))
    topo = _Topology(round(float(minx), 5), round(float(miny), 5))
    kind, arcs = topo.polygon_arcs(country)
    country_geom = {"type": kind, "arcs": arcs, "id": "POL", "properties": {"name": "Polska"}}
    subunits = []
    for terc, name, geom in zip(regions["terc"], regions["name"], regions.geometry.values):
        kind, arcs = topo.polygon_arcs(geom)
        subunits.append({"type": kind, "arcs": arcs, "id": terc, "properties": {"name": name}})
    empty = {"type": "GeometryCollection", "geometries": []}
    objects = {layer: empty for layer in TOPOJSON_LAYERS}
    objects["land"] = {"type": "GeometryCollection", "geometries": [country_geom]}
    objects["countries"] = {"type": "GeometryCollection", "geometries": [country_geom]}
    objects["subunits"] = {"type": "GeometryCollection", "geometries": subunits}
    return dumps(topo.document(objects))


def topojson_names() -> list[str]:
    return [f"{scope}_{res}m.json" for scope in TOPOJSON_SCOPES for res in TOPOJSON_RESOLUTIONS]
