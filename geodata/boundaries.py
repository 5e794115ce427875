"""Pure functions on the boundaries: read, validate, orient + round, dissolve, compare.

Every check raises InvalidBoundaries naming the offending unit (TERYT and name) and what is wrong.
Metric work (areas, coverage) happens in EPSG:2180.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import InvalidBoundaries

N_GMINY, N_POWIATY, N_WOJEWODZTWA = 2477, 380, 16
METRIC_CRS = 2180
DECIMALS = 5
TERC_DIGITS = {"gminy": 7, "powiaty": 4, "wojewodztwa": 2, "polska": 2}
# Relative symmetric-difference area allowed between a dissolved unit and its source polygon
# (both rounded to 5 dp; the source levels were dissolved from the same gminy, so this is ~0).
NESTING_TOLERANCE = 1e-6


def read_layer(path: Path, level: str) -> gpd.GeoDataFrame:
    """Read a PRG GeoJSON (properties terc, name) as GeoDataFrame[terc str, name, geometry] EPSG:4326."""
    gdf = gpd.read_file(path, engine="pyogrio")
    missing = {"terc", "name"} - set(gdf.columns)
    if missing:
        raise InvalidBoundaries(f"{path}: features lack the properties {sorted(missing)} (expected terc, name)")
    gdf = gdf[["terc", "name", "geometry"]].copy()
    gdf["terc"] = gdf["terc"].astype("string").astype(object)
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    return gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf


def _label(row) -> str:
    return f"{row.terc} {row.name}"


def validate_codes(gdf: gpd.GeoDataFrame, level: str, expected: int | None, source: str) -> None:
    digits = TERC_DIGITS[level]
    if expected is not None and len(gdf) != expected:
        raise InvalidBoundaries(f"{source}: expected {expected} {level}, found {len(gdf)}")
    pattern = re.compile(rf"^\d{{{digits}}}$")
    bad = [f"row {i}: {t!r} ({n})" for i, (t, n) in enumerate(zip(gdf["terc"], gdf["name"]))
           if not isinstance(t, str) or not pattern.match(t)]
    if bad:
        raise InvalidBoundaries(f"{source}: {len(bad)} {level} have a TERYT that is not a {digits}-digit string: "
                                + "; ".join(bad[:10]))
    dup = gdf[gdf["terc"].duplicated(keep=False)]
    if len(dup):
        raise InvalidBoundaries(f"{source}: duplicate TERYT codes: "
                                + "; ".join(_label(r) for r in dup.itertuples()))


def validate_geometries(gdf: gpd.GeoDataFrame, level: str, source: str) -> None:
    geoms = gdf.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise InvalidBoundaries(f"{source}: {level} without geometry: "
                                + "; ".join(_label(r) for r in gdf[empty].itertuples()))
    kinds = shapely.get_type_id(geoms)
    wrong = ~np.isin(kinds, (3, 6))
    if wrong.any():
        raise InvalidBoundaries(f"{source}: {level} whose geometry is not a (Multi)Polygon: "
                                + "; ".join(_label(r) for r in gdf[wrong].itertuples()))
    valid = shapely.is_valid(geoms)
    if not valid.all():
        rows = gdf[~valid]
        reasons = shapely.is_valid_reason(rows.geometry.values)
        raise InvalidBoundaries(f"{source}: invalid geometry in {len(rows)} {level}: "
                                + "; ".join(f"{_label(r)}: {why}" for r, why in zip(rows.itertuples(), reasons))
                                + ". Fix the source file (or use the pinned original).")


def validate_coverage(gdf: gpd.GeoDataFrame, level: str, source: str) -> shapely.Geometry:
    """No gaps, no overlaps: a valid coverage (EPSG:2180) whose union is one polygon without holes."""
    metric = gdf.geometry.to_crs(METRIC_CRS).values
    if not shapely.coverage_is_valid(metric):
        edges = shapely.coverage_invalid_edges(metric)
        bad = gdf[~shapely.is_empty(edges)]
        raise InvalidBoundaries(f"{source}: the {level} do not form a valid coverage (overlaps or slivers) at "
                                + "; ".join(_label(r) for r in bad.head(20).itertuples()))
    union = shapely.coverage_union_all(metric)
    if union.geom_type != "Polygon" or len(union.interiors):
        parts = len(getattr(union, "geoms", [union]))
        holes = sum(len(p.interiors) for p in getattr(union, "geoms", [union]))
        raise InvalidBoundaries(f"{source}: the union of the {level} is not one polygon without holes "
                                f"({parts} parts, {holes} holes): there are gaps in the coverage")
    return union


def web_geometries(geoms: np.ndarray) -> np.ndarray:
    """Round coordinates to 5 decimals (~1 m) and orient exterior rings clockwise (d3 / plotly geo)."""
    rounded = shapely.transform(geoms, lambda coords: np.round(coords, DECIMALS))
    return shapely.orient_polygons(rounded, exterior_cw=True)


def prepare_layer(gdf: gpd.GeoDataFrame, level: str, source: str) -> gpd.GeoDataFrame:
    """Sorted by TERYT, rounded and oriented; checks validity again after rounding."""
    out = gdf.sort_values("terc", kind="stable").reset_index(drop=True)
    out = gpd.GeoDataFrame(out[["terc", "name"]], geometry=web_geometries(out.geometry.values), crs=4326)
    valid = shapely.is_valid(out.geometry.values)
    if not valid.all():
        raise InvalidBoundaries(f"{source}: rounding to {DECIMALS} decimals made these {level} invalid: "
                                + "; ".join(_label(r) for r in out[~valid].itertuples()))
    return out


def area_change(before: gpd.GeoSeries, after: gpd.GeoSeries) -> np.ndarray:
    """Relative per-unit area change |a1 - a0| / a0 in EPSG:2180."""
    a0 = before.to_crs(METRIC_CRS).area.to_numpy()
    a1 = after.to_crs(METRIC_CRS).area.to_numpy()
    return np.abs(a1 - a0) / a0


def dissolve(gminy: gpd.GeoDataFrame, digits: int, names: pd.Series) -> gpd.GeoDataFrame:
    """Dissolve gminy on the first `digits` TERYT digits (coverage union); names from `names` (terc -> name)."""
    key = gminy["terc"].str[:digits]
    groups = {}
    for code, idx in key.groupby(key, sort=True).groups.items():
        groups[code] = shapely.coverage_union_all(gminy.geometry.values[gminy.index.get_indexer(idx)])
    codes = list(groups)
    geoms = shapely.orient_polygons(np.array(list(groups.values()), dtype=object), exterior_cw=True)
    unknown = [c for c in codes if c not in names.index]
    if unknown:
        raise InvalidBoundaries(f"gminy TERYT prefixes {unknown} have no unit of that code in the source file")
    return gpd.GeoDataFrame({"terc": codes, "name": [names[c] for c in codes]}, geometry=geoms, crs=4326)


def compare_with_source(derived: gpd.GeoDataFrame, source: gpd.GeoDataFrame, level: str,
                        source_name: str) -> float:
    """Check that dissolved units equal the source units (same codes, symmetric difference ~0).

    Returns the largest relative symmetric-difference area found."""
    d_codes, s_codes = set(derived["terc"]), set(source["terc"])
    if d_codes != s_codes:
        raise InvalidBoundaries(f"{source_name}: {level} codes differ from the dissolved gminy: only in source "
                                f"{sorted(s_codes - d_codes)}, only dissolved {sorted(d_codes - s_codes)}")
    src = source.set_index("terc").loc[derived["terc"]]
    src_geoms = web_geometries(src.geometry.values)
    a = gpd.GeoSeries(derived.geometry.values, crs=4326).to_crs(METRIC_CRS).values
    b = gpd.GeoSeries(src_geoms, crs=4326).to_crs(METRIC_CRS).values
    rel = shapely.area(shapely.symmetric_difference(a, b)) / shapely.area(b)
    worst = int(np.argmax(rel))
    if rel[worst] > NESTING_TOLERANCE:
        bad = [f"{t} ({r:.2e})" for t, r in zip(derived["terc"], rel) if r > NESTING_TOLERANCE]
        raise InvalidBoundaries(f"{source_name}: dissolved gminy do not reproduce {len(bad)} {level} "
                                f"(relative symmetric difference > {NESTING_TOLERANCE}): " + ", ".join(bad[:20]))
    return float(rel[worst])
