"""gunicorn.conf.py: worker count, bind address and limits from the environment, clear errors for bad values."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")


def load(monkeypatch, **env) -> dict:
    for name in ("ATLAS_BIND", "ATLAS_WORKERS", "ATLAS_WORKER_CLASS", "ATLAS_THREADS", "ATLAS_TIMEOUT",
                 "ATLAS_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_defaults_are_local_preloaded_and_sync(monkeypatch):
    conf = load(monkeypatch)
    assert conf["bind"] == "127.0.0.1:8050"
    assert conf["preload_app"] is True and conf["worker_class"] == "sync"
    assert 1 <= conf["workers"] <= 8 and conf["timeout"] == 60 and conf["control_socket_disable"] is True
    assert "DASH_DEBUG=false" in conf["raw_env"]


def test_environment_wins(monkeypatch):
    conf = load(monkeypatch, ATLAS_BIND="0.0.0.0:9000", ATLAS_WORKERS="3", ATLAS_WORKER_CLASS="gthread",
                ATLAS_THREADS="6", ATLAS_MAX_REQUESTS="1000")
    assert conf["bind"] == "0.0.0.0:9000" and conf["workers"] == 3
    assert conf["threads"] == 6 and conf["max_requests"] == 1000 and conf["max_requests_jitter"] == 100


@pytest.mark.parametrize("cores, memory_mb, expected", [
    (2, 24_000, 5),      # 2 x cores + 1
    (16, 200_000, 8),    # capped
    (8, 2_000, 2),       # memory: half of 2 GB / 400 MB per worker
    (2, 100, 1),         # never zero
    (2, None, 5),        # memory unknown
])
def test_default_worker_count(monkeypatch, cores, memory_mb, expected):
    conf = load(monkeypatch)
    assert conf["default_workers"](cores, memory_mb) == expected


@pytest.mark.parametrize("value", ["many", "-2", "2.5"])
def test_bad_worker_count_is_a_clear_error(monkeypatch, value):
    with pytest.raises(SystemExit, match="ATLAS_WORKERS"):
        load(monkeypatch, ATLAS_WORKERS=value)
