"""The cache of callback answers, shared by every web worker and instance when possible.

Every server callback of the dashboard is a pure function of its request body (inputs, state, which input
changed) and of the immutable atlas, so the JSON it answers can be reused for an identical body. The hardening
guard (dashboard/serving/guard.py) looks answers up here after validating the request and stores new ones.

- REDIS_URL set (scale-out): flask-caching RedisCache — all web instances share one cache: a view computed on one
  machine is answered from the cache by all the others.
- otherwise: a diskcache in <cache>/callback-answers shared by the workers of this machine (bounded:
  ATLAS_CACHE_MB, default 256 MB, least recently used out first). ATLAS_CACHE=memory keeps one flask-caching
  SimpleCache per worker process instead (ATLAS_CACHE_ITEMS entries, default 512).
- ATLAS_CACHE=off disables it.

State itself never lives here — it lives in the URL and the browser. A cache outage only costs the computation.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_S = 3600               # entries expire after an hour (the data only changes with a deploy anyway)
MAX_CACHED_RESPONSE = 128 * 1024   # with the default 512 entries: at most 64 MB per worker
_DEFAULT_ITEMS = 512


def backend_name() -> str:
    """"redis", "disk", "simple" or "off" — what get_cache() uses with the current environment."""
    choice = os.environ.get("ATLAS_CACHE", "").strip().lower()
    if choice in {"off", "0", "false", "no"}:
        return "off"
    if os.environ.get("REDIS_URL", "").strip():
        return "redis"
    return "simple" if choice == "memory" else "disk"


def _config() -> dict[str, Any]:
    name = backend_name()
    if name == "redis":
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": os.environ["REDIS_URL"].strip(),
                "CACHE_KEY_PREFIX": "atlas-zmp:", "CACHE_DEFAULT_TIMEOUT": TIMEOUT_S,
                # a slow or absent Redis must cost milliseconds, not hang a request
                "CACHE_OPTIONS": (("socket_connect_timeout", 0.5), ("socket_timeout", 0.5))}
    if name == "simple":
        items = int(os.environ.get("ATLAS_CACHE_ITEMS", _DEFAULT_ITEMS))
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": items, "CACHE_DEFAULT_TIMEOUT": TIMEOUT_S}
    if name == "disk":
        return {"CACHE_TYPE": "disk", "CACHE_DIR": str(_disk_dir()),
                "SIZE_LIMIT": int(os.environ.get("ATLAS_CACHE_MB", 256)) * 1024 * 1024}
    return {"CACHE_TYPE": "NullCache"}


def _disk_dir() -> Path:
    root = os.environ.get("ATLAS_CACHE_DIR") or str(Path(__file__).resolve().parents[2] / ".cache")
    return Path(root) / "callback-answers"


class _DiskBackend:
    """diskcache (SQLite) shared by the processes of one machine; a busy database costs a miss, never a wait."""

    def __init__(self, folder: str, size_limit: int):
        import diskcache

        self._cache = diskcache.Cache(folder, size_limit=size_limit, timeout=0.2,
                                      eviction_policy="least-recently-stored")

    def get(self, key: str):
        return self._cache.get(key, default=None, retry=False)

    def set(self, key: str, value) -> None:
        self._cache.set(key, value, expire=TIMEOUT_S, retry=False)


@functools.lru_cache(maxsize=4)
def _cache_for(config_items: tuple):
    from flask import Flask
    from flask_caching import Cache

    holder = Flask("atlas-cache")   # flask-caching needs an app to read its config from; never served
    config = dict(config_items)
    if config["CACHE_TYPE"] == "disk":
        return _DiskBackend(config["CACHE_DIR"], config["SIZE_LIMIT"])
    if "CACHE_OPTIONS" in config:
        config["CACHE_OPTIONS"] = dict(config["CACHE_OPTIONS"])
    extension = Cache(holder, config=config)
    # The backend itself (cachelib RedisCache/SimpleCache/NullCache): flask-caching's own get/set would look
    # the backend up through the *current* Flask app, which inside a request is the dashboard, not `holder`.
    return holder.extensions["cache"][extension]


def get_cache():
    """The cache backend (get/set/delete) for the current environment (one per process and configuration)."""
    return _cache_for(tuple(sorted(_config().items())))


@functools.lru_cache(maxsize=1)
def release_version() -> str:
    """Identifies code + data of this deploy (ATLAS_RELEASE, else a hash of dashboard/*.py and data/*), so a
    shared Redis never serves one release's answers to another."""
    explicit = os.environ.get("ATLAS_RELEASE", "").strip()
    if explicit:
        return explicit
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    paths = [p for folder, pattern in (("dashboard", "*.py"), ("data", "*")) for p in sorted((root / folder).glob(pattern))]
    paths += _data_inputs()
    for path in paths:
        if path.is_file():
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _data_inputs() -> list[Path]:
    """The files the atlas is built from besides data/: the office's files (ATLAS_DATA_DIR, ATLAS_MEMBERS, …) and
    the prepared boundaries' manifest — so replacing the office's register never serves answers of the old one."""
    from dashboard.ingest.datafiles import data_files, split_sheet
    import geodata

    try:
        files = [split_sheet(f.path)[0] for f in data_files().values()]
    except Exception:  # noqa: BLE001 - a bad configuration is reported by the atlas itself, not here
        files = []
    manifest = geodata.web_asset("gminy").parent.parent / "manifest.json"
    return [Path(f) for f in files] + [manifest]


def response_key(body_bytes: bytes, app_name: str = "") -> str:
    """Key of a callback answer: release, the app (several Dash apps may share a machine's cache), the body."""
    raw = f"{release_version()}|{app_name}|".encode() + body_bytes
    return "cb:" + hashlib.sha256(raw).hexdigest()


def get_response(key: str) -> bytes | None:
    if backend_name() == "off":
        return None
    try:
        value = get_cache().get(key)
    except Exception as exc:  # noqa: BLE001 - a cache problem must never break a view
        log.warning("cache get failed (%s)", exc)
        return None
    return value if isinstance(value, bytes) else None


def put_response(key: str, data: bytes) -> None:
    if backend_name() == "off" or len(data) > MAX_CACHED_RESPONSE:
        return
    try:
        get_cache().set(key, data)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache set failed (%s)", exc)
