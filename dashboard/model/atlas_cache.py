"""The atlas on disk, for cold processes that only read it (the export CLI): Parquet frames + JSON, no pickle.

    cached_atlas() -> Atlas        # <cache>/atlas/<key>/ when it is there and intact; else built (get_atlas()),
                                   # stored there and returned
    write(atlas, folder)           # every field of Atlas; refuses (CacheError) what would not read back the same
    read(folder) -> Atlas          # CacheError when a file is missing, altered or unreadable
    differences(a, b) -> [str]     # field by field, frames with their dtypes and the Python types of object cells

Building the atlas reads the union's files (pandera) and joins them to the gminy (geopandas): ~2.5 s of a cold
`python -m dashboard export`, as much as the render itself. What it produces is a function of
- the data files: those dashboard.ingest.datafiles.data_files() names (path, origin and bytes) and every file of
  the shipped data/ (membership_totals.csv and summary_2020.csv are always read from there);
- the prepared boundaries: geodata's manifest (inputs' sha256, outputs, preparation time) and the size and mtime
  of its layers;
- the code: dashboard/ingest, join, model and config.py, geodata/*.py, and the versions of Python and of the
  libraries that read, join or store it (pandas, numpy, pyarrow, geopandas, shapely, pandera, openpyxl);
so it is stored under a key hashed from all of them: any change gives a new key, and the folders of other keys
are removed. Every field of Atlas is stored: a DataFrame field as Parquet (its object columns as tagged JSON text,
so None, str, int, float, bool, tuples and lists come back as they were), any other field as JSON read back into
its annotated dataclasses (the JoinReport with its rows, candidates and problems). `write` reads the folder back
and compares it with `differences` before publishing it (one rename): a field or value the format cannot carry
is never cached (the atlas is built each time, and a warning says why). A folder that cannot be read — a file
missing, truncated or changed (each file's sha256 is in meta.json) — is removed and the atlas rebuilt.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import logging
import math
import os
import shutil
import sys
import types
import typing
from pathlib import Path

import pandas as pd

from dashboard import config

log = logging.getLogger(__name__)

FORMAT_VERSION = "3"   # 3: membership's "open" (a date that is a lower bound)
META = "meta.json"
_REPO = Path(__file__).resolve().parents[2]
CODE = (*(f"dashboard/{part}" for part in ("ingest", "join", "model")), "dashboard/config.py", "geodata")
LIBRARIES = ("pandas", "numpy", "pyarrow", "geopandas", "shapely", "pandera", "openpyxl")


class CacheError(Exception):
    """The atlas cannot be stored in, or read from, a cache folder (the message says what and where)."""


def cache_root() -> Path:
    return config.cache_dir() / "atlas"


# --- the key ---------------------------------------------------------------------------------------------------
def cache_key() -> str:
    """sha256 (24 hex) of what the atlas is built from (see the module doc)."""
    import geodata
    from dashboard.ingest.datafiles import DATA_DIR, data_files

    h = hashlib.sha256(f"atlas cache {FORMAT_VERSION}\0".encode())

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    for table, f in sorted(data_files().items()):
        add(f"data {table} {f.path} {f.origin}", _read_or_missing(Path(str(f.path).split("#", 1)[0])))
    for path in sorted(p for p in DATA_DIR.iterdir() if p.is_file()):
        add(f"shipped {path.name}", path.read_bytes())
    folder = geodata.geodata_dir()
    add("geodata manifest", _read_or_missing(folder / "manifest.json"))
    for layer in sorted(folder.glob("*.parquet")):
        st = layer.stat()
        add(f"geodata {layer.name}", f"{st.st_size} {st.st_mtime_ns}".encode())
    for item in CODE:
        root = _REPO / item
        for source in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            add(f"code {source.relative_to(_REPO).as_posix()}", source.read_bytes())
    add("python", sys.version.encode())
    for lib in LIBRARIES:
        add(f"library {lib}", _version(lib).encode())
    return h.hexdigest()[:24]


def _read_or_missing(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"\0<missing>"


def _version(lib: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(lib)
    except PackageNotFoundError:
        return "<none>"


# --- cells of object columns: tagged JSON ------------------------------------------------------------------------
def _encode_cell(value):
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return {"float": repr(value)} if not math.isfinite(value) else value
    if value is pd.NA:
        return {"NA": True}
    if isinstance(value, tuple):
        return {"tuple": [_encode_cell(v) for v in value]}
    if isinstance(value, list):
        return [_encode_cell(v) for v in value]
    raise CacheError(f"a cell of type {type(value).__name__} has no cache format")


def _decode_cell(value):
    if isinstance(value, list):
        return [_decode_cell(v) for v in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode_cell(v) for v in value["tuple"])
        if "float" in value:
            return float(value["float"])
        return pd.NA
    return value


def _frame_to_parquet(frame: pd.DataFrame) -> tuple[bytes, list[str]]:
    """Parquet bytes of `frame`, its object columns as JSON text; and the names of those columns."""
    out = frame.copy()
    tagged = []
    for i, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype):
            column = frame.columns[i]
            out[column] = pd.array([json.dumps(_encode_cell(v), ensure_ascii=False, allow_nan=False)
                                    for v in frame.iloc[:, i]], dtype="str")
            tagged.append(column)
    buffer = io.BytesIO()
    try:
        out.to_parquet(buffer, engine="pyarrow", compression=None)
    except (ValueError, TypeError) as exc:   # pyarrow's ArrowInvalid/ArrowTypeError derive from these
        raise CacheError(f"Parquet cannot hold this frame: {exc}") from exc
    return buffer.getvalue(), tagged


def _frame_from_parquet(data: bytes, tagged: list[str]) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
    for column in tagged:
        frame[column] = pd.Series([_decode_cell(json.loads(v)) for v in frame[column]], dtype=object,
                                  index=frame.index, name=column)
    return frame


# --- other fields: JSON read back into their annotated types ---------------------------------------------------
def _to_json(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CacheError("a dict with keys that are not text has no cache format")
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise CacheError(f"a value of type {type(value).__name__} has no cache format")


@functools.lru_cache(maxsize=None)
def _type_hints(cls: type) -> dict:
    """typing.get_type_hints of a dataclass, worked out once: the join report holds thousands of records of a few
    classes, and each call evaluates every annotation again (half of reading a cached atlas, measured)."""
    return typing.get_type_hints(cls)


def _from_json(hint, value):
    """`value` (plain JSON) as `hint`: dataclasses, list[...], tuple[...], dict[str, ...], X | None."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _from_json(options[0], value) if len(options) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _type_hints(hint)
        return hint(**{f.name: _from_json(hints[f.name], value[f.name]) for f in dataclasses.fields(hint)})
    if origin is list:
        return [_from_json(args[0] if args else typing.Any, v) for v in value]
    if origin is tuple:
        return tuple(_from_json(args[0] if args else typing.Any, v) for v in value)
    if origin is dict:
        return {k: _from_json(args[1] if args else typing.Any, v) for k, v in value.items()}
    return value


# --- the folder -------------------------------------------------------------------------------------------------
def _atlas_fields():
    from dashboard.model.atlas import Atlas

    return Atlas, _type_hints(Atlas), dataclasses.fields(Atlas)


def _payload(atlas) -> tuple[dict[str, bytes], dict]:
    """The files (name -> bytes) and the description (meta.json) of `atlas`; CacheError when a field cannot be
    stored."""
    _, hints, fields = _atlas_fields()
    files: dict[str, bytes] = {}
    described: dict[str, dict] = {}
    for f in fields:
        value = getattr(atlas, f.name)
        try:
            if hints[f.name] is pd.DataFrame:
                if not isinstance(value, pd.DataFrame):
                    raise CacheError(f"a {type(value).__name__}, not a DataFrame")
                data, tagged = _frame_to_parquet(value)
                name = f"{f.name}.parquet"
                described[f.name] = {"file": name, "tagged": tagged}
            else:
                data = json.dumps(_to_json(value), ensure_ascii=False, allow_nan=False).encode("utf-8")
                name = f"{f.name}.json"
                described[f.name] = {"file": name}
        except (CacheError, ValueError) as exc:
            raise CacheError(f"atlas field {f.name!r}: {exc}") from exc
        files[name] = data
        described[f.name]["sha256"] = hashlib.sha256(data).hexdigest()
    return files, {"format": FORMAT_VERSION, "fields": described}


def write(atlas, folder: Path) -> None:
    """Store every field of `atlas` in `folder` (created by one rename: readers see all of it or nothing). The
    stored atlas is read back and compared first: CacheError (nothing written) when it differs in anything."""
    files, meta = _payload(atlas)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        wrong = differences(atlas, read(tmp))
        if wrong:
            raise CacheError("the stored atlas does not read back the same: " + "; ".join(wrong[:5]))
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / META).is_file():   # else another process stored the same key first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read(folder: Path):
    """The atlas stored in `folder`; CacheError when anything in it is missing, changed or unreadable."""
    Atlas, hints, fields = _atlas_fields()
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise CacheError(f"format {meta.get('format')!r}, expected {FORMAT_VERSION!r}")
        values = {}
        for f in fields:
            entry = meta["fields"][f.name]
            data = (folder / entry["file"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise CacheError(f"{entry['file']} was changed or is incomplete (sha256 differs)")
            if hints[f.name] is pd.DataFrame:
                values[f.name] = _frame_from_parquet(data, entry["tagged"])
            else:
                values[f.name] = _from_json(hints[f.name], json.loads(data.decode("utf-8")))
        return Atlas(**values)
    except CacheError as exc:
        raise CacheError(f"atlas cache {folder}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises (OSError, JSON, Arrow, KeyError…)
        raise CacheError(f"atlas cache {folder}: {type(exc).__name__}: {exc}") from exc


def differences(a, b) -> list[str]:
    """What differs between two atlases, field by field: frames by value, dtype, index, column order and the Python
    type of every object cell; other fields by type and equality. Empty when they are the same."""
    out = []
    for f in _atlas_fields()[2]:
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
            out += [f"{f.name}: {d}" for d in _frame_differences(x, y)]
        elif type(x) is not type(y) or isinstance(x, pd.DataFrame) or x != y:
            out.append(f"{f.name}: {type(x).__name__} {_short(x)} != {type(y).__name__} {_short(y)}")
    return out


def _frame_differences(x: pd.DataFrame, y: pd.DataFrame) -> list[str]:
    try:
        pd.testing.assert_frame_equal(x, y, check_exact=True, check_index_type=True, check_column_type=True,
                                      check_flags=True)
    except AssertionError as exc:
        return [" ".join(str(exc).split())[:300]]
    out = [] if x.attrs == y.attrs else [f"attrs {x.attrs!r} != {y.attrs!r}"]
    for i in range(x.shape[1]):
        if pd.api.types.is_object_dtype(x.dtypes.iloc[i]):
            cx, cy = _typed_cells(x.iloc[:, i]), _typed_cells(y.iloc[:, i])
            if cx != cy:
                row = next(r for r, (p, q) in enumerate(zip(cx, cy)) if p != q)
                out.append(f"column {x.columns[i]!r} row {row}: {cx[row]!r} != {cy[row]!r}")
    return out


def _typed_cells(column: pd.Series) -> list:
    """Each cell with its type (nested), NaN made comparable: None, NaN and pd.NA stay three different things."""
    def typed(v):
        if isinstance(v, (tuple, list)):
            return (type(v).__name__, tuple(typed(e) for e in v))
        if isinstance(v, float) and v != v:
            return ("float", "nan")
        return (type(v).__name__, v if v is not pd.NA else "<NA>")

    return [typed(v) for v in column]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- the cache -------------------------------------------------------------------------------------------------
def cached_atlas():
    """The atlas from <cache>/atlas/<key>/; built (get_atlas()) and stored there first when it is missing. A damaged
    folder is removed and the atlas rebuilt; an atlas that cannot be stored is returned all the same. Either says
    so in one warning."""
    from dashboard.model.atlas import get_atlas

    root = cache_root()
    folder = root / cache_key()
    if (folder / META).is_file():
        try:
            return read(folder)
        except CacheError as exc:
            log.warning("%s; rebuilding the atlas", exc)
            shutil.rmtree(folder, ignore_errors=True)
    atlas = get_atlas()
    folder = root / cache_key()   # building may have prepared the boundaries (a new manifest)
    try:
        write(atlas, folder)
    except (CacheError, OSError) as exc:
        log.warning("the atlas was not cached in %s: %s", folder, exc)
        return atlas
    _remove_others(root, keep=folder.name)
    return atlas


def _remove_others(root: Path, keep: str) -> None:
    """One key at a time: an older one can never be read again. Also an unfinished write over an hour old."""
    import time

    for old in root.iterdir():
        try:
            stale = old.name.startswith(".") and ".tmp" in old.name and time.time() - old.stat().st_mtime > 3600
        except OSError:   # removed meanwhile by another process
            continue
        is_key = len(old.name) == 24 and all(c in "0123456789abcdef" for c in old.name)
        if old.is_dir() and old.name != keep and (is_key or stale):
            shutil.rmtree(old, ignore_errors=True)
