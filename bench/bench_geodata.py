"""Benchmark of geodata: `python -m bench.bench_geodata` prints the numbers; run() returns them.

- prepare time, cold, into a fresh temp cache: in-process (pipeline only) and as the CLI (incl. Python start-up)
- prepare time when nothing changed (the idempotent re-run)
- web gminy GeoJSON size raw / gzip -9 against the targets (<= 1.7 MB raw, <= 0.55 MB gzip)
- largest per-gmina area change of the web geometry against the source file (target: within 1 %)
- load("gminy") from the prepared cache, cold (first read) and warm (memoised)
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RAW_BYTES = 1_700_000
TARGET_GZIP_BYTES = 550_000
TARGET_PREPARE_SECONDS = 20.0
TARGET_AREA_CHANGE = 0.01


def run() -> dict:
    import geopandas as gpd

    import geodata
    from geodata.prepare import prepare
    from geodata.sources import mirror_root

    mirror = mirror_root() or ROOT.parent / "shared" / "geodata"
    with tempfile.TemporaryDirectory(prefix="bench-geodata-") as tmp:
        t0 = time.perf_counter()
        prepare(mirror=mirror, cache_dir=Path(tmp) / "inproc", quiet=True)
        prepare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = prepare(mirror=mirror, cache_dir=Path(tmp) / "inproc", quiet=True)
        rerun_s = time.perf_counter() - t0
        env = {**os.environ, "ATLAS_CACHE_DIR": str(Path(tmp) / "cli"), "ATLAS_GEODATA_MIRROR": str(mirror)}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "geodata", "prepare"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        cli_s = time.perf_counter() - t0

        cache = Path(tmp) / "inproc"
        t0 = time.perf_counter()
        gminy = geodata.load("gminy", cache_dir=cache)
        load_cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        geodata.load("gminy", cache_dir=cache)
        load_warm_s = time.perf_counter() - t0

        payload = geodata.web_asset("gminy", cache_dir=cache).read_bytes()
        raw, gz = len(payload), len(gzip.compress(payload, compresslevel=9, mtime=0))
        vertices = sum(len(r) for f in json.loads(payload)["features"]
                       for poly in (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
                                    else [f["geometry"]["coordinates"]]) for r in poly)
        source = gpd.read_file(mirror / "prg" / "gminy.geojson").set_index("terc").loc[gminy["terc"]]
        a0 = source.geometry.to_crs(2180).area.to_numpy()
        a1 = gminy.geometry.to_crs(2180).area.to_numpy()
        change = abs(a1 - a0) / a0
        topo_dir = geodata.web_asset("topojson_dir", cache_dir=cache)
        topo_bytes = sum(p.stat().st_size for p in topo_dir.glob("*.json"))
    return {
        "prepare_cold_s": round(prepare_s, 2),
        "prepare_cold_cli_s": round(cli_s, 2),
        "prepare_rerun_s": round(rerun_s, 2),
        "prepare_rerun_status": again["status"],
        "prepare_target_s": TARGET_PREPARE_SECONDS,
        "web_gminy_bytes": raw,
        "web_gminy_target_bytes": TARGET_RAW_BYTES,
        "web_gminy_gzip_bytes": gz,
        "web_gminy_gzip_target_bytes": TARGET_GZIP_BYTES,
        "web_gminy_features": len(gminy),
        "web_gminy_vertices": vertices,
        "max_area_change_pct": round(float(change.max()) * 100, 4),
        "median_area_change_pct": round(float(sorted(change)[len(change) // 2]) * 100, 6),
        "area_change_target_pct": TARGET_AREA_CHANGE * 100,
        "topojson_total_bytes": topo_bytes,
        "load_gminy_cold_s": round(load_cold_s, 3),
        "load_gminy_warm_s": round(load_warm_s, 4),
        "within_targets": bool(prepare_s <= TARGET_PREPARE_SECONDS and cli_s <= TARGET_PREPARE_SECONDS
                               and raw <= TARGET_RAW_BYTES and gz <= TARGET_GZIP_BYTES
                               and change.max() <= TARGET_AREA_CHANGE),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:32} {value}")
