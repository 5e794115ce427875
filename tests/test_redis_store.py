"""The answer cache and the short links on a real redis-server with a password, and on one that speaks only TLS:
raw bytes with a TTL, nothing read back is ever unpickled, a wrong password or a dead Redis costs a miss, never an
error."""
from __future__ import annotations

import os
import pickle
import time

import pytest

from dashboard import config
from dashboard.export.links import LINK_TTL_S, LinkStore
from dashboard.serving import answers
from tests.gunicorn_server import free_port
from tests.redis_server import start_redis, stop_group
from tests.system_tools import output

PASSWORD = "s3cret-pass"


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    port = free_port()
    proc = start_redis(tmp_path_factory.mktemp("redis"), port, "--port", str(port), "--maxmemory", "64mb",
                       "--maxmemory-policy", "volatile-lru", password=PASSWORD)
    yield port
    stop_group(proc)


def _certificate_authority(folder, name: str):
    """A CA's key and self-signed certificate (openssl), as a TLS deployment's private CA would be."""
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    output("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
           "-keyout", str(key), "-out", str(cert))
    return key, cert


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    """A redis-server that speaks only TLS, its certificate for 127.0.0.1 signed by a private CA. Yields its port,
    that CA's certificate, and another CA's (which did not sign it)."""
    folder = tmp_path_factory.mktemp("redis-tls")
    ca_key, ca = _certificate_authority(folder, "ca")
    _, other_ca = _certificate_authority(folder, "other-ca")
    key, csr, cert, ext = (folder / n for n in ("server.key", "server.csr", "server.pem", "san.ext"))
    ext.write_text("subjectAltName = IP:127.0.0.1\n", encoding="ascii")
    output("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
           "-out", str(csr))
    output("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
           "-days", "2", "-extfile", str(ext), "-out", str(cert))
    port = free_port()
    proc = start_redis(folder, port, "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert),
                       "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no",
                       password=PASSWORD, ssl=True, ssl_ca_certs=str(ca))
    yield port, ca, other_ca
    stop_group(proc)


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


def _rediss(port: int, ca) -> str:
    """The README's TLS address: Celery needs ssl_cert_reqs in a rediss:// URL, redis-py takes the CA from it."""
    return f"rediss://:{PASSWORD}@127.0.0.1:{port}/0?ssl_cert_reqs=required&ssl_ca_certs={ca}"


def test_a_rediss_url_carries_answers_short_links_the_signing_key_and_celery(tls_redis, monkeypatch):
    port, ca, _ = tls_redis
    from dashboard.serving import jobs

    url = _rediss(port, ca)
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.delenv("ATLAS_CACHE", raising=False)
    monkeypatch.delenv("ATLAS_SECRET_KEY", raising=False)
    jobs.check_redis()                                           # the start-up check passes
    answers.put_response("cb:tls", b'{"response": 1}')
    assert answers.get_response("cb:tls") == b'{"response": 1}'
    store = LinkStore(url)
    store.save("tlslinkkey", "p=P1&woj=02")
    assert store.resolve("tlslinkkey") == "p=P1&woj=02"
    assert len(jobs.signing_secret()) >= 32
    celery = jobs._celery_app(url)                               # broker and result backend, both over TLS
    with celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
    assert celery.backend.client.ping()


def test_a_rediss_server_that_the_ca_did_not_sign_stops_the_start_and_costs_only_misses(tls_redis, monkeypatch):
    port, _, other_ca = tls_redis
    from dashboard.serving import jobs

    monkeypatch.setenv("REDIS_URL", _rediss(port, other_ca))
    monkeypatch.delenv("ATLAS_CACHE", raising=False)
    with pytest.raises(config.ConfigError, match="REDIS_URL does not answer.*certificate verify failed") as err:
        jobs.check_redis()
    assert PASSWORD not in str(err.value)
    answers.put_response("cb:tls-bad", b"{}")
    assert answers.get_response("cb:tls-bad") is None
