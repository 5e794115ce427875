"""The cache of callback answers, shared by every web worker and instance when possible.

Every server callback of the dashboard is a pure function of its request body (inputs, state, which input
changed) and of the immutable atlas, so the JSON it answers can be reused for an identical body. The hardening
guard (dashboard/serving/guard.py) looks answers up here after validating the request and stores new ones.

- REDIS_URL set (scale-out): Redis through plain redis-py — all web instances share one cache: a view computed on
  one machine is answered from the cache by all the others. Values are the answers' JSON bytes, stored and
  returned as they are: nothing read from Redis is ever deserialised (no pickle), so whoever can write to Redis can
  at worst spoil answers, never run code in a web worker. Every entry expires after TIMEOUT_S; memory is bounded by
  Redis's maxmemory with a volatile-* eviction policy (README, "Redis").
- otherwise: a diskcache in <cache>/callback-answers shared by the workers of this machine (bounded:
  ATLAS_CACHE_MB, default 256 MB, least recently stored out first). ATLAS_CACHE=memory keeps a small LRU per worker
  process instead (ATLAS_CACHE_ITEMS entries, default 512).
- ATLAS_CACHE=off disables it.

State itself never lives here — it lives in the URL and the browser. A cache outage only costs the computation.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

from dashboard import config

log = logging.getLogger(__name__)

TIMEOUT_S = 3600               # entries expire after an hour (the data only changes with a deploy anyway)
MAX_CACHED_RESPONSE = 128 * 1024   # with the default 512 entries: at most 64 MB per worker
REDIS_PREFIX = "atlas-zmp:"


def backend_name() -> str:
    """"redis", "disk", "memory" or "off" — what get_cache() uses with the current environment."""
    mode = config.cache_mode()
    if mode == "off":
        return "off"
    if config.redis_url():
        return "redis"
    return "memory" if mode == "memory" else "disk"


def _disk_dir() -> Path:
    return config.cache_dir() / "callback-answers"


class RedisAnswers:
    """Answers in Redis as raw bytes with a TTL. A slow or absent Redis costs milliseconds, not a hung request."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(REDIS_PREFIX + key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        self._redis.set(REDIS_PREFIX + key, value, ex=TIMEOUT_S)


class DiskAnswers:
    """diskcache (SQLite) shared by the processes of one machine; a busy database costs a miss, never a wait."""

    def __init__(self, folder: str, size_limit: int):
        import diskcache

        self._cache = diskcache.Cache(folder, size_limit=size_limit, timeout=0.2,
                                      eviction_policy="least-recently-stored")

    def get(self, key: str) -> bytes | None:
        value = self._cache.get(key, default=None, retry=False)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        self._cache.set(key, value, expire=TIMEOUT_S, retry=False)


class MemoryAnswers:
    """A bounded LRU in this process (ATLAS_CACHE=memory), entries expiring after TIMEOUT_S."""

    def __init__(self, items: int):
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = items
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return hit[1]

    def set(self, key: str, value: bytes) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + TIMEOUT_S, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


class NoAnswers:
    def get(self, key: str) -> None:
        return None

    def set(self, key: str, value: bytes) -> None:
        pass


@functools.lru_cache(maxsize=4)
def _cache_for(name: str, redis_url: str | None, folder: str, size_limit: int, items: int):
    if name == "redis":
        return RedisAnswers(redis_url)
    if name == "disk":
        return DiskAnswers(folder, size_limit)
    if name == "memory":
        return MemoryAnswers(items)
    return NoAnswers()


def get_cache():
    """The cache backend (get/set of bytes) for the current environment (one per process and configuration)."""
    return _cache_for(backend_name(), config.redis_url(), str(_disk_dir()), config.cache_mb() * 1024 * 1024,
                      config.cache_items())


@functools.lru_cache(maxsize=1)
def release_version() -> str:
    """Identifies code + data of this deploy (ATLAS_RELEASE, else a hash of dashboard/*.py and data/*), so a
    shared Redis never serves one release's answers to another."""
    explicit = config.release()
    if explicit:
        return explicit
    root = config.REPO_ROOT
    digest = hashlib.sha256()
    paths = [p for folder, pattern in (("dashboard", "**/*.py"), ("data", "*"))
             for p in sorted((root / folder).glob(pattern))]
    paths += _data_inputs()
    for path in paths:
        if path.is_file():
            digest.update(str(path).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _data_inputs() -> list[Path]:
    """The files the atlas is built from besides data/: the office's files (ATLAS_DATA_DIR, ATLAS_MEMBERS, …) and
    the prepared boundaries' manifest — so replacing the office's register never serves answers of the old one."""
    import geodata
    from dashboard.ingest.datafiles import data_files, split_sheet

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
