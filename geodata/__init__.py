"""Boundaries of Poland's gminy (PRG 2020): get them, check them, prepare them.

Knows nothing of the union. Public API (stable; the rest of the project uses only this):

    load("gminy")        -> GeoDataFrame [terc (7-digit str), name, geometry], EPSG:4326, 2,477 rows
    load("powiaty")      -> GeoDataFrame [terc (4-digit str), name, geometry]
    load("wojewodztwa")  -> GeoDataFrame [terc (2-digit str), name, geometry]
    load("crosswalk")    -> DataFrame [teryt_2020, name_2020, teryt_2026, name_2026, change]  (enrichment)
    load("towns")        -> GeoDataFrame [name, teryt_gmina_2020, teryt_gmina_2026, teryt_powiat, teryt_woj,
                            town_source, geometry (Point)]                                       (enrichment)

TEMPORARY bootstrap implementation: reads straight from the mirror folder. To be replaced by the
prepared cache (python -m geodata prepare) keeping the same signatures.
"""
from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

LAYERS = ("gminy", "powiaty", "wojewodztwa", "crosswalk", "towns")


def _mirror() -> Path:
    return Path(os.environ["ATLAS_GEODATA_MIRROR"])


def load(layer: str):
    if layer not in LAYERS:
        raise ValueError(f"unknown geodata layer {layer!r}; expected one of {', '.join(LAYERS)}")
    m = _mirror()
    if layer in ("gminy", "powiaty", "wojewodztwa"):
        gdf = gpd.read_file(m / "prg" / f"{layer}.geojson")
        gdf["terc"] = gdf["terc"].astype(str)
        return gdf.set_crs(4326, allow_override=True)[["terc", "name", "geometry"]]
    if layer == "crosswalk":
        return pd.read_csv(m / "prg" / "gminy_teryt_crosswalk_2020_2026.csv", dtype=str, keep_default_na=False)
    t = pd.read_csv(m / "gazetteer" / "miasta_2026.csv", dtype=str, keep_default_na=False)
    pts = gpd.points_from_xy(t.Longitude.astype(float), t.Latitude.astype(float))
    towns = gpd.GeoDataFrame(t.rename(columns={"Name": "name"}), geometry=pts, crs=4326)
    return towns[["name", "teryt_gmina_2020", "teryt_gmina_2026", "teryt_powiat", "teryt_woj", "town_source", "geometry"]]
