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


def headless_chromium(request):
    """The session's headless Chromium (conftest.session_chromium) at 1400x1000, reset: its console and network
    logs hold only what happens from here on."""
    from tests.conftest import session_chromium

    return session_chromium(request.config, size=(1400, 1000))
