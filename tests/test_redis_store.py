"""The answer cache and the short links on a real redis-server with a password: raw bytes with a TTL, nothing
read back is ever unpickled, a wrong password or a dead Redis costs a miss, never an error."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time

import pytest

from dashboard import config
from dashboard.export.links import LINK_TTL_S, LinkStore
from dashboard.serving import answers
from tests.gunicorn_server import free_port
from tests.system_tools import need

PASSWORD = "s3cret-pass"


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    import redis

    port = free_port()
    proc = subprocess.Popen(
        [need("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis")), "--requirepass", PASSWORD,
         "--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = redis.Redis(port=port, password=PASSWORD, socket_connect_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            if client.ping():
                break
        except redis.RedisError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.1)
    yield port
    client.close()
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


@pytest.fixture
def redis_env(redis_port, monkeypatch):
    import redis

    url = f"redis://:{PASSWORD}@127.0.0.1:{redis_port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.delenv("ATLAS_CACHE", raising=False)
    client = redis.Redis.from_url(url)
    yield client
    client.flushdb()
    client.close()


class _Boom:
    """What an attacker with write access to Redis would plant: unpickling it writes a file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_answers_are_raw_bytes_with_a_ttl(redis_env):
    assert answers.backend_name() == "redis"
    body = b'{"response": {"map": {"figure": 1}}}'
    answers.put_response("cb:one", body)
    assert answers.get_response("cb:one") == body
    assert redis_env.get(answers.REDIS_PREFIX + "cb:one") == body      # stored as is: JSON bytes, no pickle
    assert 0 < redis_env.ttl(answers.REDIS_PREFIX + "cb:one") <= answers.TIMEOUT_S
    answers.put_response("cb:big", b"x" * (answers.MAX_CACHED_RESPONSE + 1))
    assert redis_env.get(answers.REDIS_PREFIX + "cb:big") is None      # too large: never stored


def test_a_planted_pickle_is_never_unpickled(redis_env, tmp_path):
    marker = tmp_path / "pwned"
    planted = pickle.dumps(_Boom(marker))
    redis_env.set(answers.REDIS_PREFIX + "cb:planted", planted)
    redis_env.set(LinkStore.PREFIX + "abcdefghij", planted)
    assert answers.get_response("cb:planted") == planted   # just bytes (at worst a spoiled answer)
    LinkStore(os.environ["REDIS_URL"]).resolve("abcdefghij")
    assert not marker.exists()


def test_a_wrong_password_or_no_redis_is_a_miss(redis_port, monkeypatch):
    for url in (f"redis://:wrong@127.0.0.1:{redis_port}/0", f"redis://127.0.0.1:{free_port()}/0"):
        monkeypatch.setenv("REDIS_URL", url)
        answers.put_response("cb:x", b"{}")
        assert answers.get_response("cb:x") is None


def test_short_links_live_in_redis_with_a_ttl(redis_env):
    store = LinkStore(os.environ["REDIS_URL"])
    store.save("abcdefghij", "sel=0201011,0264011")
    assert store.resolve("abcdefghij") == "sel=0201011,0264011"
    assert 0 < redis_env.ttl(LinkStore.PREFIX + "abcdefghij") <= LINK_TTL_S
    assert store.resolve("zzzzzzzzzz") is None
    store.save("toolongkey", "p=" + "x" * 50_000)                   # over FilterState's limit: never stored
    assert store.resolve("toolongkey") is None


def test_a_planted_short_link_or_a_redis_that_is_down_gets_a_clear_answer(redis_env, monkeypatch):
    """A value planted in the shared Redis with a line break (a header injection) made the redirect a 500, and so
    did a Redis that is down; a link that is no view query is unknown (404), a Redis down says try again (503)."""
    import dash

    from dashboard.export.panel import register_short_links

    app = dash.Dash(__name__)
    app.layout = dash.html.Div()
    register_short_links(app)
    client = app.server.test_client()
    redis_env.set(LinkStore.PREFIX + "abcdefghij", "p=P1\r\nSet-Cookie: x=1")
    assert client.get("/v/abcdefghij").status_code == 404
    redis_env.set(LinkStore.PREFIX + "abcdefghij", "p=P1&woj=02")
    assert client.get("/v/abcdefghij").headers["Location"].endswith("/?p=P1&woj=02")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    down = client.get("/v/abcdefghij")
    assert down.status_code == 503 and down.headers["Retry-After"] and "try again" in down.get_data(as_text=True)


def test_short_links_on_disk_expire_and_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    store = LinkStore(None)
    store.save("abcdefghij", "p=P1")
    assert store.resolve("abcdefghij") == "p=P1"
    assert store._cache.size_limit > 0
    _, expire = store._cache.get("abcdefghij", expire_time=True)
    assert expire is not None and expire - time.time() <= LINK_TTL_S


def test_the_signing_key_of_export_jobs_is_made_once_in_redis_and_never_expires(redis_env, monkeypatch):
    from dashboard.serving import jobs

    monkeypatch.delenv("ATLAS_SECRET_KEY", raising=False)
    first = jobs.signing_secret()
    assert len(first) >= 32 and jobs.signing_secret() == first   # a second web process reads the same key
    assert redis_env.ttl(jobs.SECRET_REDIS_KEY) == -1             # no TTL: a worker started later gets it too


def test_an_unreachable_redis_stops_the_signing_key_with_a_clear_error(monkeypatch):
    from dashboard.serving import jobs

    monkeypatch.delenv("ATLAS_SECRET_KEY", raising=False)
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(config.ConfigError, match="REDIS_URL is unreachable.*ATLAS_SECRET_KEY"):
        jobs.signing_secret()
