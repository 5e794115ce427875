"""Shared pieces of the serving tests: the real app under gunicorn on a free port, its page, headless Chromium.
The plain real app (2 workers, the default environment) is one session-wide server: conftest's `atlas_server`."""
from __future__ import annotations

import pytest
import requests

from tests.dash_client import DashPage


@pytest.fixture(scope="module")
def server(atlas_server):
    """The session's `gunicorn -c gunicorn.conf.py app:server` (conftest.atlas_server)."""
    return atlas_server


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
