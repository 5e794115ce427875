"""A real redis-server for the Redis tests (Debian's, from `make system`): started in a session of its own on a
given port, returned once it answers a PING, stopped with everything it started."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.system_tools import need


def start_redis(folder, port: int, *args: str, password: str | None = None, **client_ssl) -> subprocess.Popen:
    """redis-server with no persistence in ``folder``; ``args`` name its port(s) (plain or TLS) and anything else;
    ``client_ssl`` is how a client must connect to PING it (ssl=True, ssl_ca_certs=… for a TLS-only server)."""
    import redis

    auth = ["--requirepass", password] if password else []
    proc = subprocess.Popen(
        [need("redis-server"), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder),
         *auth, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = redis.Redis(port=port, password=password, socket_connect_timeout=1, **client_ssl)
    deadline = time.monotonic() + 20
    while True:
        try:
            if client.ping():
                break
        except redis.RedisError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_group(proc)
            pytest.fail(f"redis-server did not start on port {port}")
        time.sleep(0.1)
    client.close()
    return proc


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process's session, SIGKILL to what is left after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
