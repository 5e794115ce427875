"""`python -m geodata prepare`: resolve and verify the inputs, validate, build the cache. Idempotent.

A run compares the sha256 of its inputs (and the prepare VERSION) with the manifest of the last run; when they are
equal and every output is present it does nothing and says so (--force rebuilds).
"""
from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from . import boundaries as bd
from . import enrich, webassets
from .cache import MANIFEST, geodata_dir, read_manifest, write_atomic
from .errors import ChecksumMismatch, EnrichmentUnavailable, GeodataError, SourceUnavailable
from .sources import BOUNDARY_SOURCES, ENRICHMENT_SOURCES, SOURCES, mirror_root, resolve, sha256_file

VERSION = 1  # bump when the outputs change for the same inputs
ENRICHMENT_INPUTS = {"crosswalk": ("gugik_gminy_2026",), "towns": ("gugik_gminy_2026", "miejscowosci")}


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"geodata: {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _locked(folder: Path):
    """One prepare at a time per cache folder (several test processes may share .cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def outputs_present(folder: Path, manifest: dict | None) -> bool:
    return (manifest is not None and manifest.get("version") == VERSION
            and all((folder / rel).is_file() for rel in manifest.get("outputs", [])))


def resolve_inputs(folder: Path, mirror, expected_sha256: dict | None = None):
    """Resolve every pinned input. Boundaries are required: all missing ones are named in one error.
    Enrichment inputs are optional: failures come back as messages."""
    expected_sha256 = expected_sha256 or {}
    downloads = folder / "downloads"
    paths, problems, optional_errors = {}, [], {}
    for name in BOUNDARY_SOURCES:
        try:
            paths[name] = resolve(SOURCES[name], downloads, mirror, expected_sha256.get(name))
        except SourceUnavailable as exc:
            problems.append(getattr(exc, "detail", str(exc)))
    if problems:
        from .sources import FIX, _where

        raise SourceUnavailable(
            f"cannot get the PRG boundaries: {len(problems)} of {len(BOUNDARY_SOURCES)} files are missing - "
            f"{_where(mirror_root(mirror))} and the download failed:\n  - " + "\n  - ".join(problems)
            + f"\n{FIX}")
    for name in ENRICHMENT_SOURCES:
        try:
            paths[name] = resolve(SOURCES[name], downloads, mirror, expected_sha256.get(name))
        except (SourceUnavailable, ChecksumMismatch) as exc:
            optional_errors[name] = str(exc)
    return paths, optional_errors


def prepare(mirror: str | os.PathLike | None = None, force: bool = False,
            cache_dir: str | os.PathLike | None = None, quiet: bool = False,
            expected_sha256: dict | None = None) -> dict:
    """Prepare the cache; returns the manifest (with "status": "prepared" or "up-to-date").

    `expected_sha256` ({input name: sha256}) is a TEST HOOK only - it lets a test feed a deliberately broken
    file through the pipeline. The CLI never sets it; production always checks the pins in sources.py.
    """
    folder = geodata_dir(cache_dir)
    with _locked(folder):
        t0 = time.perf_counter()
        paths, optional_errors = resolve_inputs(folder, mirror, expected_sha256)
        inputs = {name: {"sha256": sha256_file(p), "path": str(p), "origin": SOURCES[name].origin()}
                  for name, p in paths.items()}
        key = {name: inputs.get(name, {}).get("sha256") for name in SOURCES}
        old = read_manifest(folder)
        if not force and outputs_present(folder, old) and old.get("input_key") == key:
            _log(f"up to date in {folder} (inputs unchanged, sha256 verified) - nothing to do; "
                 "use --force to rebuild", quiet)
            return {**old, "status": "up-to-date"}
        manifest = _build(folder, paths, inputs, optional_errors, mirror, quiet)
        manifest.update(input_key=key, seconds=round(time.perf_counter() - t0, 2))
        write_atomic(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        _log(f"prepared {folder} in {manifest['seconds']} s", quiet)
        return {**manifest, "status": "prepared"}


def _write_parquet(gdf, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    gdf.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _build(folder: Path, paths: dict, inputs: dict, optional_errors: dict, mirror, quiet: bool) -> dict:
    from tqdm import tqdm

    steps = ["read", "validate gminy", "coverage", "round + orient", "dissolve + nesting", "analysis files",
             "web assets", "base topojson", "enrichments"]
    # disable=None: a live bar on a terminal, none in logs (the summary line is printed either way)
    bar = tqdm(steps, desc="geodata prepare", unit="step", disable=True if quiet else None, leave=False,
               file=sys.stderr)
    it = iter(bar)

    def step():
        bar.set_postfix_str(next(it))

    step()
    src = {name: bd.read_layer(paths[name], name) for name in BOUNDARY_SOURCES}
    gminy_src = src["gminy"]
    label = str(paths["gminy"])
    step()
    bd.validate_codes(gminy_src, "gminy", bd.N_GMINY, label)
    bd.validate_geometries(gminy_src, "gminy", label)
    for name, n in (("powiaty", bd.N_POWIATY), ("wojewodztwa", bd.N_WOJEWODZTWA)):
        bd.validate_codes(src[name], name, n, str(paths[name]))
        bd.validate_geometries(src[name], name, str(paths[name]))
    step()
    bd.validate_coverage(gminy_src, "gminy", label)
    step()
    gminy = bd.prepare_layer(gminy_src, "gminy", label)
    ordered_src = gminy_src.sort_values("terc", kind="stable").reset_index(drop=True)
    area_change = bd.area_change(ordered_src.geometry, gminy.geometry)
    step()
    levels, nesting = {}, {}
    for name, digits in (("powiaty", 4), ("wojewodztwa", 2)):
        levels[name] = bd.dissolve(gminy, digits, src[name].set_index("terc")["name"])
        nesting[name] = bd.compare_with_source(levels[name], src[name], name, str(paths[name]))
    country = shapely.orient_polygons(shapely.coverage_union_all(levels["wojewodztwa"].geometry.values),
                                      exterior_cw=True)
    polska = gpd.GeoDataFrame({"terc": ["00"], "name": ["POLSKA"]}, geometry=[country], crs=4326)
    nesting["polska"] = bd.compare_with_source(polska, src["polska"], "polska", str(paths["polska"]))
    step()
    outputs = []
    for name, gdf in (("gminy", gminy), *levels.items()):
        _write_parquet(gdf, folder / f"{name}.parquet")
        outputs.append(f"{name}.parquet")
    step()
    web = folder / "web"
    assets = {}
    for name, gdf in (("gminy", gminy), ("wojewodztwa", levels["wojewodztwa"])):
        payload = webassets.feature_collection(gdf)
        fname = webassets.content_hashed_name(name, payload)
        write_atomic(web / fname, payload)
        for stale in web.glob(f"{name}.*.geojson"):
            if stale.name != fname:
                stale.unlink(missing_ok=True)
        assets[name] = {"file": f"web/{fname}", "bytes": len(payload),
                        "gzip_bytes": len(gzip.compress(payload, compresslevel=9, mtime=0))}
        outputs.append(f"web/{fname}")
    step()
    topo = webassets.base_topojson(country, levels["wojewodztwa"])
    for fname in webassets.topojson_names():
        write_atomic(web / "topojson" / fname, topo)
        outputs.append(f"web/topojson/{fname}")
    step()
    enrichments = _enrichments(folder, paths, optional_errors, gminy, outputs)
    bar.close()
    root = mirror_root(mirror)
    return {
        "version": VERSION,
        "prepared_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": (f"PRG 2020 gminy, github.com/{SOURCES['gminy'].repo} @ {SOURCES['gminy'].commit} (via "
                   f"{'mirror ' + str(root) if root and str(paths['gminy']).startswith(str(root)) else 'download'})"),
        "sha256": inputs["gminy"]["sha256"],
        "inputs": inputs,
        "gminy": len(gminy), "powiaty": len(levels["powiaty"]), "wojewodztwa": len(levels["wojewodztwa"]),
        "web": {**assets, "topojson_dir": "web/topojson", "topojson_files": webassets.topojson_names(),
                "topojson_bytes": len(topo)},
        "checks": {"max_area_change": float(np.max(area_change)),
                   "nesting_max_relative_symdiff": nesting,
                   "coverage_valid": True, "decimals": bd.DECIMALS},
        "enrichments": enrichments,
        "outputs": outputs,
    }


def _enrichments(folder: Path, paths: dict, optional_errors: dict, gminy, outputs: list) -> dict:
    """Build crosswalk and towns when their inputs are available; record a clear reason when not."""
    result = {}
    crosswalk = None
    for layer, needs in ENRICHMENT_INPUTS.items():
        missing = [optional_errors[n] for n in needs if n in optional_errors]
        target = folder / f"{layer}.parquet"
        if missing:
            target.unlink(missing_ok=True)
            result[layer] = {"available": False, "error": f"the {layer} enrichment needs inputs that could not be "
                             f"had: " + " | ".join(missing)}
            continue
        try:
            if layer == "crosswalk":
                crosswalk = enrich.build_crosswalk(gminy, enrich.read_gugik_2026(paths["gugik_gminy_2026"]))
                _write_parquet(crosswalk, target)
                result[layer] = {"available": True, "rows": len(crosswalk),
                                 "changes": crosswalk["change"].value_counts().to_dict()}
            else:
                if crosswalk is None:
                    raise EnrichmentUnavailable("the towns need the crosswalk, which is unavailable")
                towns, report = enrich.build_towns(enrich.read_places(paths["miejscowosci"]), gminy, crosswalk)
                _write_parquet(towns, target)
                result[layer] = {"available": True, "rows": len(towns), **report}
            outputs.append(target.name)
        except GeodataError as exc:
            target.unlink(missing_ok=True)
            result[layer] = {"available": False, "error": str(exc)}
    return result
