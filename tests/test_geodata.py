"""geodata: the prepared boundaries read like a specification of what the rest of the app may rely on.

A session-scoped cache is prepared cold into a temp dir from the mirror (that also exercises `prepare`);
every check reads the real prepared files and compares them with the untouched source files of the mirror.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import geodata
from geodata import prepare as prep

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ATLAS_GEODATA_MIRROR") or ROOT.parent / "shared" / "geodata")
pytestmark = pytest.mark.skipif(not (MIRROR / "prg" / "gminy.geojson").is_file(),
                                reason=f"no geodata mirror at {MIRROR} (set ATLAS_GEODATA_MIRROR)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("geodata-cache")
    manifest = prep.prepare(mirror=MIRROR, cache_dir=folder, quiet=True)
    assert manifest["status"] == "prepared"
    return folder


@pytest.fixture(scope="module")
def gminy(cache):
    return geodata.load("gminy", cache_dir=cache)


@pytest.fixture(scope="module")
def source_gminy():
    return gpd.read_file(MIRROR / "prg" / "gminy.geojson").set_index("terc")


def test_counts(cache, gminy):
    assert len(gminy) == 2477
    assert len(geodata.load("powiaty", cache_dir=cache)) == 380
    assert len(geodata.load("wojewodztwa", cache_dir=cache)) == 16
    assert list(gminy.columns) == ["terc", "name", "geometry"]
    assert gminy.crs.to_epsg() == 4326


def test_teryt_strings_keep_leading_zeros(cache, gminy, source_gminy):
    for layer, digits in (("gminy", 7), ("powiaty", 4), ("wojewodztwa", 2)):
        codes = geodata.load(layer, cache_dir=cache)["terc"]
        assert codes.map(lambda c: isinstance(c, str) and re.fullmatch(rf"\d{{{digits}}}", c)  # noqa: B023
                         is not None).all()
        assert codes.str.startswith("0").any(), layer  # 02 dolnośląskie, 04 kujawsko-pomorskie, ...
        assert codes.is_unique
    assert set(gminy["terc"]) == set(source_gminy.index)
    features = json.loads(geodata.web_asset("gminy", cache_dir=cache).read_text(encoding="utf-8"))["features"]
    assert all(isinstance(f["id"], str) and len(f["id"]) == 7 for f in features)
    assert "0201011" in {f["id"] for f in features}


def test_load_rows_follow_web_asset_feature_order(cache, gminy):
    features = json.loads(geodata.web_asset("gminy", cache_dir=cache).read_text(encoding="utf-8"))["features"]
    assert [f["id"] for f in features] == gminy["terc"].tolist()
    assert [f["properties"]["name"] for f in features] == gminy["name"].tolist()


def test_geometries_valid_and_coverage_without_gaps_or_overlaps(gminy):
    assert shapely.is_valid(gminy.geometry.values).all()
    metric = gminy.geometry.to_crs(2180).values
    assert shapely.coverage_is_valid(metric)
    union = shapely.coverage_union_all(metric)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert abs(union.area / 1e6 - 312_481) < 50  # km², README: 312,481 km² in EPSG:2180


def test_rounding_keeps_every_gmina_area_within_one_percent(gminy, source_gminy):
    before = source_gminy.loc[gminy["terc"]].geometry.to_crs(2180).area.to_numpy()
    after = gminy.geometry.to_crs(2180).area.to_numpy()
    assert (abs(after - before) / before).max() < 0.01
    coords = shapely.get_coordinates(gminy.geometry.values)
    assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()  # 5 decimals


@pytest.mark.parametrize("layer, digits", [("powiaty", 4), ("wojewodztwa", 2)])
def test_dissolved_gminy_nest_into_source_levels(cache, gminy, layer, digits):
    derived = geodata.load(layer, cache_dir=cache).set_index("terc")
    redissolved = gminy.assign(key=gminy["terc"].str[:digits]).dissolve("key").geometry
    source = gpd.read_file(MIRROR / "prg" / f"{layer}.geojson").set_index("terc").geometry
    assert set(derived.index) == set(source.index) == set(redissolved.index)
    # exact against our own re-dissolve; against the unrounded source within the 5-dp (~1 m) rounding
    for other, tolerance in ((redissolved, 1e-9), (source, 1e-3)):
        a = derived.geometry.loc[other.index].to_crs(2180)
        b = other.set_crs(4326, allow_override=True).to_crs(2180)
        rel = a.symmetric_difference(b, align=False).area.to_numpy() / b.area.to_numpy()
        assert rel.max() < tolerance, rel.max()
    assert derived.loc["02", "name"] if layer == "wojewodztwa" else derived.loc["0201", "name"]


def _signed_area(ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2


def test_web_asset_rings_clockwise_exterior(cache):
    for asset in ("gminy", "wojewodztwa"):
        features = json.loads(geodata.web_asset(asset, cache_dir=cache).read_text(encoding="utf-8"))["features"]
        for f in features:
            g = f["geometry"]
            polygons = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            for exterior, *holes in polygons:
                assert _signed_area(exterior) < 0, (asset, f["id"])  # clockwise
                assert all(_signed_area(h) > 0 for h in holes), (asset, f["id"])


def test_web_assets_compact_and_content_hashed(cache):
    for asset in ("gminy", "wojewodztwa"):
        path = geodata.web_asset(asset, cache_dir=cache)
        assert re.fullmatch(rf"{asset}\.[0-9a-f]{{10}}\.geojson", path.name)
        text = path.read_text(encoding="utf-8")
        assert ", " not in text[:2000] and ": " not in text[:2000]
        assert "Bolesławiec" in text or asset == "wojewodztwa"
    topo = geodata.web_asset("topojson_dir", cache_dir=cache)
    for name in ("world_110m.json", "world_50m.json", "europe_110m.json", "europe_50m.json"):
        doc = json.loads((topo / name).read_text(encoding="utf-8"))
        assert doc["type"] == "Topology"
        assert {"land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits"} <= set(doc["objects"])
        assert len(doc["objects"]["subunits"]["geometries"]) == 16


def test_prepare_is_idempotent_and_force_rebuilds(cache):
    gminy_file = geodata.web_asset("gminy", cache_dir=cache)
    stamp = gminy_file.stat().st_mtime_ns
    again = prep.prepare(mirror=MIRROR, cache_dir=cache, quiet=True)
    assert again["status"] == "up-to-date"
    assert gminy_file.stat().st_mtime_ns == stamp
    forced = prep.prepare(mirror=MIRROR, cache_dir=cache, force=True, quiet=True)
    assert forced["status"] == "prepared"
    assert geodata.web_asset("gminy", cache_dir=cache) == gminy_file  # same content -> same hashed name


def test_missing_output_triggers_rebuild(cache, tmp_path):
    shutil.copytree(cache, tmp_path, dirs_exist_ok=True)   # a prepared cache of its own, without preparing again
    (tmp_path / "geodata" / "powiaty.parquet").unlink()
    assert prep.prepare(mirror=MIRROR, cache_dir=tmp_path, quiet=True)["status"] == "prepared"
    assert len(geodata.load("powiaty", cache_dir=tmp_path)) == 380


def test_cli_prepare_then_info(cache):
    env = {**os.environ, "ATLAS_CACHE_DIR": str(cache), "ATLAS_GEODATA_MIRROR": str(MIRROR)}
    run = subprocess.run([sys.executable, "-m", "geodata", "prepare"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "nothing to do" in run.stderr
    run = subprocess.run([sys.executable, "-m", "geodata", "info"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    info = json.loads(run.stdout)
    for key in ("source", "sha256", "gminy", "powiaty", "wojewodztwa", "web_gminy_bytes",
                "web_gminy_gzip_bytes", "prepared_at"):
        assert key in info
    assert (info["gminy"], info["powiaty"], info["wojewodztwa"]) == (2477, 380, 16)
    assert info["sha256"] == "e4fbdfd47f478b2433002e6ddaf093d02905ef118b69e0427ff7af4c3a5ae88c"
    assert info["web_gminy_bytes"] == geodata.web_asset("gminy", cache_dir=cache).stat().st_size


# ---- enrichments, checked against the reference files shipped beside the originals --------------------------

def test_crosswalk_matches_reference(cache):
    ref_path = MIRROR / "prg" / "gminy_teryt_crosswalk_2020_2026.csv"
    if not ref_path.is_file():
        pytest.skip("reference crosswalk not in the mirror")
    crosswalk = geodata.load("crosswalk", cache_dir=cache)
    reference = pd.read_csv(ref_path, dtype=str, keep_default_na=False)
    assert list(crosswalk.columns) == list(reference.columns)
    pd.testing.assert_frame_equal(crosswalk.astype(str).reset_index(drop=True), reference.astype(str),
                                  check_dtype=False)
    assert crosswalk["change"].value_counts()["type_2_to_3"] == 86


def test_towns_match_reference_except_the_geonames_rows(cache, gminy):
    ref_path = MIRROR / "gazetteer" / "miasta_2026.csv"
    if not ref_path.is_file():
        pytest.skip("reference town list not in the mirror")
    towns = geodata.load("towns", cache_dir=cache)
    assert towns.crs.to_epsg() == 4326 and (towns.geometry.geom_type == "Point").all()
    assert list(towns.columns) == ["name", "teryt_gmina_2020", "teryt_gmina_2026", "teryt_powiat", "teryt_woj",
                                   "town_source", "geometry"]
    ref = pd.read_csv(ref_path, dtype=str, keep_default_na=False)
    key = ["name", "teryt_gmina_2020", "teryt_gmina_2026", "lon", "lat"]
    ours = towns.assign(lon=towns.geometry.x.round(4), lat=towns.geometry.y.round(4))[key]
    theirs = ref.rename(columns={"Name": "name"}).assign(lon=ref.Longitude.astype(float).round(4),
                                                        lat=ref.Latitude.astype(float).round(4))
    merged = ours.merge(theirs[key + ["town_source"]], how="outer", indicator=True)
    assert (merged["_merge"] != "left_only").all()
    only_ref = merged[merged["_merge"] == "right_only"]
    assert only_ref["town_source"].str.contains("GeoNames").all()
    assert sorted(only_ref["name"]) == ["Iwaniska", "Izbica", "Jeżów", "Końskowola", "Kurów", "Sobków"]
    # each town lies in its 2020 gmina, and towns keep their codes as strings
    located = gpd.sjoin(towns, gminy, predicate="within")
    assert (located["teryt_gmina_2020"] == located["terc"]).all()
    assert towns["teryt_gmina_2026"].str.fullmatch(r"\d{7}").all()
