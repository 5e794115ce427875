"""Short links printed on exports: <base>/v/<key> -> the view's FilterState query.

Kept in Redis when REDIS_URL is set (shared by every instance; plain UTF-8 strings, nothing deserialised), else in
a diskcache beside the machine's other caches (shared by the app and the CLI on one machine). Both are bounded:
every link lives LINK_TTL_S after it was last printed or opened, a query longer than MAX_LINK_QUERY is never
stored, and the disk store holds at most LINK_STORE_MB (Redis: its maxmemory with a volatile-* policy, README).
"""
from __future__ import annotations

import functools

from dashboard import config
from dashboard.model.state import MAX_QUERY_CHARS

LINK_TTL_S = 400 * 24 * 3600     # a printed map is looked at for about a year; opening a link renews it
MAX_LINK_QUERY = MAX_QUERY_CHARS  # what FilterState accepts at all
LINK_STORE_MB = 64


class LinkStoreDown(Exception):
    """The Redis that keeps the short links does not answer."""


class LinkStore:
    """key -> query, in Redis (`url`) or on this machine's disk."""

    PREFIX = "atlas:link:"

    def __init__(self, url: str | None):
        self._url = url
        if url:
            import redis

            self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        else:
            import diskcache

            folder = config.cache_dir() / "links"
            folder.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(folder), size_limit=LINK_STORE_MB * 1024 * 1024,
                                          eviction_policy="least-recently-used")

    def save(self, key: str, query: str) -> None:
        if len(query) > MAX_LINK_QUERY:
            return
        if self._url:
            self._redis.set(self.PREFIX + key, query.encode("utf-8"), ex=LINK_TTL_S)
        else:
            self._cache.set(key, query, expire=LINK_TTL_S)

    def resolve(self, key: str) -> str | None:
        if self._url:
            import redis

            try:
                with self._redis.pipeline() as pipe:
                    value, _ = pipe.get(self.PREFIX + key).expire(self.PREFIX + key, LINK_TTL_S).execute()
            except redis.RedisError as exc:
                raise LinkStoreDown(str(exc)) from exc
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else None
        value = self._cache.get(key)
        if isinstance(value, str):
            self._cache.touch(key, expire=LINK_TTL_S)
            return value
        return None


@functools.lru_cache(maxsize=2)
def _links(url: str | None) -> LinkStore:
    return LinkStore(url)


def link_store() -> LinkStore:
    """The store for the current REDIS_URL (one per process)."""
    return _links(config.redis_url())
