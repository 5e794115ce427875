"""Shared pieces of the serving tests: the real app under gunicorn on a test port, its page, headless Chromium."""
from __future__ import annotations

import pytest
import requests

from bench.dash_client import DashPage
from bench.load_test import Gunicorn


def app_server(port: int, workers: int = 2, extra_env: dict | None = None):
    """A module-scoped fixture: `gunicorn -c gunicorn.conf.py app:server` on 127.0.0.1:<port>."""

    @pytest.fixture(scope="module")
    def server():
        with Gunicorn("app:server", port, workers=workers, extra_env=extra_env) as running:
            yield running

    return server


@pytest.fixture(scope="module")
def page(server) -> DashPage:
    """The served page as the renderer sees it: config, layout, callback dependencies."""
    with requests.Session() as session:
        return DashPage.load(session, server.base)


def headless_chromium(network_log: bool = False):
    """Debian's Chromium, headless, 1400x1000, with the console (and optionally the network) log kept."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    logs = {"browser": "ALL", **({"performance": "ALL"} if network_log else {})}
    options.set_capability("goog:loggingPrefs", logs)
    return webdriver.Chrome(options=options)
