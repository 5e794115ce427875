"""Caching of the pure (atlas, FilterState) -> update computations, shared by all web workers when possible.

- REDIS_URL set (scale-out): flask-caching RedisCache — every web instance and worker shares one cache, so a view
  computed on one machine is served from the cache by all others.
- otherwise: flask-caching SimpleCache, one per worker process (bounded: ATLAS_CACHE_ITEMS entries, default 512).
- ATLAS_CACHE=off disables caching (every call computes).

Only pure results are cached: the key is (what, data version, canonical FilterState query); the value is the
JSON-ready dict a callback returns. State itself never lives here — it lives in the URL and the browser.

    from dashboard import cache
    update = cache.memoized("map", state, lambda: figures.map_update(atlas, state), version=cache.version_of(atlas))
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT_S = 3600               # entries expire after an hour (the data only changes with a deploy anyway)
_DEFAULT_ITEMS = 512
_MISSING = object()


def backend_name() -> str:
    """"redis", "simple" or "off" — what get_cache() uses with the current environment."""
    if os.environ.get("ATLAS_CACHE", "").strip().lower() in {"off", "0", "false", "no"}:
        return "off"
    return "redis" if os.environ.get("REDIS_URL", "").strip() else "simple"


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
    return {"CACHE_TYPE": "NullCache"}


@functools.lru_cache(maxsize=4)
def _cache_for(config_items: tuple):
    from flask import Flask
    from flask_caching import Cache

    holder = Flask("atlas-cache")   # flask-caching needs an app to read its config from; never served
    config = dict(config_items)
    if "CACHE_OPTIONS" in config:
        config["CACHE_OPTIONS"] = dict(config["CACHE_OPTIONS"])
    extension = Cache(holder, config=config)
    # The backend itself (cachelib RedisCache/SimpleCache/NullCache): flask-caching's own get/set would look
    # the backend up through the *current* Flask app, which inside a request is the dashboard, not `holder`.
    return holder.extensions["cache"][extension]


def get_cache():
    """The cache backend (get/set/delete) for the current environment (one per process and configuration)."""
    return _cache_for(tuple(sorted(_config().items())))


def version_of(atlas: Any) -> str:
    """A short fingerprint of the atlas data, so cached views never outlive a data change across deploys."""
    cached = _versions.get(id(atlas))
    if cached is not None and cached[0] is atlas:
        return cached[1]
    import pandas as pd

    digest = hashlib.sha256()
    for name in ("entities", "participation", "projects"):
        frame = getattr(atlas, name, None)
        if isinstance(frame, pd.DataFrame):
            digest.update(name.encode())
            digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).values.tobytes())
    value = digest.hexdigest()[:12]
    _versions[id(atlas)] = (atlas, value)
    return value


_versions: dict[int, tuple[Any, str]] = {}


def key_for(what: str, state: Any, version: str = "") -> str:
    """Cache key: what is computed, data version, and the canonical URL form of the state (+ language)."""
    canonical = state.to_query() if hasattr(state, "to_query") else repr(state)
    lang = getattr(state, "lang", "")
    raw = f"{what}|{version}|{lang}|{canonical}"
    return f"{what}:{hashlib.sha1(raw.encode('utf-8')).hexdigest()}"


def memoized(what: str, state: Any, compute: Callable[[], T], *, version: str = "") -> T:
    """compute() once per (what, version, state) across the cache; a cache outage only costs the computation."""
    if backend_name() == "off":
        return compute()
    cache = get_cache()
    key = key_for(what, state, version)
    try:
        value = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - a cache problem must never break a view
        log.warning("cache get failed for %s (%s); computing", what, exc)
        value = None
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache set failed for %s (%s)", what, exc)
    return value


# -- whole callback responses ---------------------------------------------------------------------------------
# Every server callback of the dashboard is a pure function of its request body (inputs, state, which input
# changed) and of the immutable atlas, so the JSON it answers can be reused for an identical body. The hardening
# guard (dashboard/hardening.py) looks responses up here after validating the request and stores new ones.
MAX_CACHED_RESPONSE = 128 * 1024   # with ATLAS_CACHE_ITEMS=512: at most 64 MB per worker


@functools.lru_cache(maxsize=1)
def release_version() -> str:
    """Identifies code + data of this deploy (ATLAS_RELEASE, else a hash of dashboard/*.py and data/*), so a
    shared Redis never serves one release's answers to another."""
    from pathlib import Path

    explicit = os.environ.get("ATLAS_RELEASE", "").strip()
    if explicit:
        return explicit
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder, pattern in (("dashboard", "*.py"), ("data", "*")):
        for path in sorted((root / folder).glob(pattern)):
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def response_key(body_bytes: bytes) -> str:
    return "cb:" + hashlib.sha256(release_version().encode() + b"|" + body_bytes).hexdigest()


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
