"""Boundaries of Poland's gminy (PRG 2020): get them, check them, prepare them. Knows nothing of the union.

Public API (stable; the rest of the project uses only this):

    load("gminy")        -> GeoDataFrame [terc (7-digit str), name, geometry], EPSG:4326, 2,477 rows, sorted by
                            terc, in the same order as the features of web_asset("gminy")
    load("powiaty")      -> GeoDataFrame [terc (4-digit str), name, geometry]   (380, dissolved from the gminy)
    load("wojewodztwa")  -> GeoDataFrame [terc (2-digit str), name, geometry]   (16, dissolved from the gminy)
    load("crosswalk")    -> DataFrame [teryt_2020, name_2020, teryt_2026, name_2026, change]      (enrichment)
    load("towns")        -> GeoDataFrame [name, teryt_gmina_2020, teryt_gmina_2026, teryt_powiat, teryt_woj,
                            town_source, geometry (Point)]                                           (enrichment)
    web_asset(name)      -> Path, name in {"gminy", "wojewodztwa", "topojson_dir"}
    ensure_prepared()    -> Path of the prepared cache folder (prepares it when needed)
    EnrichmentUnavailable   raised by load("crosswalk"/"towns") when the enrichment could not be built

Every load() reads the prepared cache (GeoParquet); the first call prepares it if needed
(same as `python -m geodata prepare`). See geodata/README.md for sources, licences and the cache layout.
"""
from __future__ import annotations

import os
from pathlib import Path

from .cache import geodata_dir, read_manifest
from .errors import (
    ChecksumMismatch,
    EnrichmentUnavailable,
    GeodataError,
    InvalidBoundaries,
    NotPrepared,
    SourceUnavailable,
)

__all__ = ["load", "web_asset", "ensure_prepared", "info", "LAYERS", "WEB_ASSETS", "GeodataError",
           "EnrichmentUnavailable", "SourceUnavailable", "ChecksumMismatch", "InvalidBoundaries", "NotPrepared"]

BOUNDARY_LAYERS = ("gminy", "powiaty", "wojewodztwa")
ENRICHMENT_LAYERS = ("crosswalk", "towns")
LAYERS = BOUNDARY_LAYERS + ENRICHMENT_LAYERS
WEB_ASSETS = ("gminy", "wojewodztwa", "topojson_dir")

_memo: dict[tuple, object] = {}


def ensure_prepared(mirror: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the prepared cache folder, running `prepare` first if the cache is missing or outdated.

    Cheap when prepared (reads the manifest, checks the outputs exist); does not re-hash the inputs -
    `python -m geodata prepare` does that."""
    from .prepare import outputs_present, prepare

    folder = geodata_dir(cache_dir)
    if not outputs_present(folder, read_manifest(folder)):
        prepare(mirror=mirror, cache_dir=cache_dir)
    return folder


def _manifest(cache_dir=None) -> tuple[Path, dict]:
    folder = ensure_prepared(cache_dir=cache_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise NotPrepared(f"no manifest in {folder}; run `python -m geodata prepare`")
    return folder, manifest


def load(layer: str, cache_dir: str | os.PathLike | None = None):
    """Read a prepared layer (see the module docstring). Returns a fresh copy each call."""
    if layer not in LAYERS:
        raise ValueError(f"unknown geodata layer {layer!r}; expected one of {', '.join(LAYERS)}")
    folder, manifest = _manifest(cache_dir)
    if layer in ENRICHMENT_LAYERS:
        status = manifest.get("enrichments", {}).get(layer, {})
        if not status.get("available"):
            raise EnrichmentUnavailable(
                f"geodata enrichment {layer!r} is unavailable: {status.get('error', 'not built')}. Boundaries "
                f"still work. Fix: make the originals reachable (ATLAS_GEODATA_MIRROR with originals/, or network) "
                f"and run `python -m geodata prepare`.")
    path = folder / f"{layer}.parquet"
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _memo:
        import geopandas as gpd  # imported here: web_asset()/info() (e.g. the export CLI) need no geopandas
        import pandas as pd

        frame = pd.read_parquet(path) if layer == "crosswalk" else gpd.read_parquet(path)
        _memo[key] = frame
    return _memo[key].copy()


def web_asset(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of a prepared web asset: "gminy" / "wojewodztwa" (content-hashed GeoJSON) or "topojson_dir"."""
    if name not in WEB_ASSETS:
        raise ValueError(f"unknown web asset {name!r}; expected one of {', '.join(WEB_ASSETS)}")
    folder, manifest = _manifest(cache_dir)
    web = manifest["web"]
    return folder / (web["topojson_dir"] if name == "topojson_dir" else web[name]["file"])


def info(cache_dir: str | os.PathLike | None = None) -> dict:
    """Summary of the prepared cache (what `python -m geodata info` prints)."""
    folder = geodata_dir(cache_dir)
    m = read_manifest(folder)
    if m is None:
        raise NotPrepared(f"geodata is not prepared in {folder}; run `python -m geodata prepare`")
    enr = m.get("enrichments", {})
    return {
        "source": m["source"], "sha256": m["sha256"],
        "gminy": m["gminy"], "powiaty": m["powiaty"], "wojewodztwa": m["wojewodztwa"],
        "web_gminy": m["web"]["gminy"]["file"], "web_gminy_bytes": m["web"]["gminy"]["bytes"],
        "web_gminy_gzip_bytes": m["web"]["gminy"]["gzip_bytes"],
        "web_wojewodztwa_bytes": m["web"]["wojewodztwa"]["bytes"],
        "topojson_files": m["web"]["topojson_files"],
        "max_area_change": m["checks"]["max_area_change"],
        "crosswalk_rows": enr.get("crosswalk", {}).get("rows"), "towns_rows": enr.get("towns", {}).get("rows"),
        "enrichments_unavailable": {k: v["error"] for k, v in enr.items() if not v.get("available")},
        "prepared_at": m["prepared_at"], "prepare_seconds": m.get("seconds"),
        "cache_dir": str(folder),
        "inputs": {k: v["sha256"] for k, v in m["inputs"].items()},
    }
