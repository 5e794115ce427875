"""Enrichments derived from the public originals (README of ../shared/geodata, section 6).

crosswalk: 2020 gminy (PRG polygons) -> 2026 gminy (GUGiK code list), joined on the first 6 TERYT digits
           (WWPPGG; only the type digit T changes when a village gets town rights).
towns:     one point per town (miasto): PRNG 2021 `city` rows, plus PRNG villages that became towns after the
           snapshot (their gmina went type 2 -> 3 by 2026 and the village carries the gmina's name). Each point
           gets its 2020 gmina by point-in-polygon and its 2026 gmina through the crosswalk.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import EnrichmentUnavailable

CROSSWALK_COLUMNS = ["teryt_2020", "name_2020", "teryt_2026", "name_2026", "change"]
TOWN_COLUMNS = ["name", "teryt_gmina_2020", "teryt_gmina_2026", "teryt_powiat", "teryt_woj", "town_source",
                "geometry"]
SOURCE_CITY = "PRNG 2021-05 (Type=city)"
SOURCE_VILLAGE = ("inferred: gmina type 2->3 between 2021 and 2026 (GUGiK list); village named like its gmina")


def read_gugik_2026(path: Path) -> pd.DataFrame:
    """GUGiK 2026 list -> DataFrame[teryt (7 digits), name]. TERYT is stored as 'WWPPGG_T' there."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    rows = []
    for i, f in enumerate(features):
        props = f.get("properties") or {}
        code = str(props.get("TERYT", "")).replace("_", "")
        if not re.fullmatch(r"\d{7}", code) or not props.get("Nazwa"):
            raise EnrichmentUnavailable(f"{path}: feature {i} has no usable TERYT/Nazwa ({props!r})")
        rows.append((code, props["Nazwa"]))
    df = pd.DataFrame(rows, columns=["teryt", "name"])
    dup = df[df["teryt"].str[:6].duplicated(keep=False)]
    if len(dup):
        raise EnrichmentUnavailable(f"{path}: 6-digit TERYT prefixes are not unique: {dup.to_dict('records')}")
    return df


def _change(t20: str, n20: str, t26: str, n26: str) -> str:
    if not t20:
        return "new_after_2020_no_polygon"
    if not t26:
        return "gone_by_2026"
    parts = []
    if t20 != t26:
        parts.append(f"type_{t20[6]}_to_{t26[6]}")
    if n20 != n26:
        parts.append("renamed")
    return "+".join(parts) or "unchanged"


def build_crosswalk(gminy_2020: pd.DataFrame, gugik_2026: pd.DataFrame) -> pd.DataFrame:
    """Outer join on TERYT[:6]: one row per 2020 gmina and per 2026 gmina, sorted by the 2026 code."""
    a = pd.DataFrame({"teryt_2020": gminy_2020["terc"].astype(str), "name_2020": gminy_2020["name"].astype(str)})
    b = pd.DataFrame({"teryt_2026": gugik_2026["teryt"], "name_2026": gugik_2026["name"]})
    a["k"], b["k"] = a["teryt_2020"].str[:6], b["teryt_2026"].str[:6]
    cw = a.merge(b, on="k", how="outer").fillna("")
    cw["change"] = [_change(*r) for r in cw[["teryt_2020", "name_2020", "teryt_2026", "name_2026"]].itertuples(
        index=False)]
    cw["sort"] = cw["teryt_2026"].where(cw["teryt_2026"] != "", cw["teryt_2020"])
    return cw.sort_values("sort", kind="stable")[CROSSWALK_COLUMNS].reset_index(drop=True)


def read_places(path: Path) -> gpd.GeoDataFrame:
    """polskie-miejscowosci data.json -> GeoDataFrame[prng_id, name, type, commune, geometry] EPSG:4326."""
    places = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
    need = {"Id", "Name", "Type", "Commune", "Latitude", "Longitude"}
    if need - set(places.columns):
        raise EnrichmentUnavailable(f"{path}: missing fields {sorted(need - set(places.columns))}")
    pts = gpd.points_from_xy(places["Longitude"].astype(float), places["Latitude"].astype(float))
    return gpd.GeoDataFrame({"prng_id": places["Id"].astype(str), "name": places["Name"],
                             "type": places["Type"], "commune": places["Commune"]}, geometry=pts, crs=4326)


def locate(points: gpd.GeoDataFrame, gminy: gpd.GeoDataFrame) -> pd.Series:
    """2020 gmina TERYT of each point: within a polygon, else the nearest (points on the simplified border)."""
    inside = gpd.sjoin(points[["geometry"]], gminy[["terc", "geometry"]], predicate="within", how="left")
    inside = inside[~inside.index.duplicated()]["terc"]
    outside = inside.isna()
    if outside.any():
        near = gpd.sjoin_nearest(points.loc[outside, ["geometry"]].to_crs(2180),
                                 gminy[["terc", "geometry"]].to_crs(2180), how="left")
        inside.loc[outside] = near[~near.index.duplicated()]["terc"]
    return inside.astype(str)


def build_towns(places: gpd.GeoDataFrame, gminy: gpd.GeoDataFrame, crosswalk: pd.DataFrame):
    """Return (towns GeoDataFrame, report dict) - see the module docstring for the rules."""
    cities = places[places["type"] == "city"].copy()
    cities["teryt_gmina_2020"] = locate(cities, gminy)
    cities["town_source"] = SOURCE_CITY
    to26 = crosswalk[crosswalk["teryt_2020"] != ""].set_index("teryt_2020")
    became_town = to26[to26["change"].str.contains("type_2_to_3")]
    # gminy that gained a town after the PRNG snapshot: type 2 -> 3 and no PRNG city inside yet
    pending = became_town[~became_town.index.isin(set(cities["teryt_gmina_2020"]))]
    villages = places[(places["type"] == "village") & places["name"].isin(set(pending["name_2026"]))].copy()
    villages["teryt_gmina_2020"] = locate(villages, gminy)
    picked, missing, ambiguous = [], [], []
    for t20, row in pending.iterrows():
        hit = villages[(villages["teryt_gmina_2020"] == t20) & (villages["name"] == row["name_2026"])]
        if len(hit) == 1:
            picked.append(hit)
        elif len(hit) == 0:
            missing.append(f"{row['teryt_2026']} {row['name_2026']}")
        else:
            ambiguous.append(f"{row['teryt_2026']} {row['name_2026']} ({len(hit)} villages of that name)")
    new_towns = pd.concat(picked) if picked else villages.iloc[:0]
    new_towns = new_towns.assign(town_source=SOURCE_VILLAGE)
    towns = pd.concat([cities, new_towns], ignore_index=True)
    towns["teryt_gmina_2026"] = towns["teryt_gmina_2020"].map(to26["teryt_2026"]).fillna("")
    towns["teryt_powiat"] = towns["teryt_gmina_2020"].str[:4]
    towns["teryt_woj"] = towns["teryt_gmina_2020"].str[:2]
    towns = gpd.GeoDataFrame(towns, geometry="geometry", crs=4326)
    towns = towns.sort_values(["teryt_gmina_2026", "name"], kind="stable").reset_index(drop=True)
    report = {"prng_city": int(len(cities)), "prng_village_now_town": int(len(new_towns)),
              "gminy_type_2_to_3": int(len(became_town)), "missing": missing, "ambiguous": ambiguous}
    return towns[TOWN_COLUMNS], report
