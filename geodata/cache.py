"""Where prepared geodata lives, and its manifest.

Cache root: $ATLAS_CACHE_DIR, else <repo>/.cache (git-ignored). geodata uses <root>/geodata:

    manifest.json                 inputs (sha256, origin), counts, sizes, outputs, prepared_at
    downloads/                    verified downloads of the pinned originals (only when no mirror is used)
    gminy.parquet, powiaty.parquet, wojewodztwa.parquet     analysis GeoParquet, EPSG:4326, 5 dp
    crosswalk.parquet, towns.parquet                        enrichments (absent when unavailable)
    web/gminy.<hash>.geojson, web/wojewodztwa.<hash>.geojson   web assets (content-hashed names)
    web/topojson/{world,europe}_{50,110}m.json              local base layers for plotly geo
"""
from __future__ import annotations

import json
import os
from pathlib import Path

CACHE_ENV = "ATLAS_CACHE_DIR"
REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"


def geodata_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The geodata cache folder: <cache_dir or $ATLAS_CACHE_DIR or <repo>/.cache>/geodata."""
    root = cache_dir if cache_dir is not None else os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache"
    return Path(root) / "geodata"


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return None  # half-written or hand-edited manifest: treat as not prepared


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file and os.replace, so concurrent readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(tmp, path)
