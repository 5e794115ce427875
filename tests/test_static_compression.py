"""Static files are compressed once per process, not on every request (dashboard.serving.guard.StaticCompressCache):
plotly.min.js (4.8 MB) used to be brotli-compressed again for every page load and every revalidation. Dynamic
answers (callbacks, layout) are never stored. Timings are printed by bench/, not asserted here."""
from __future__ import annotations

import json

import brotli
import pytest

PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


@pytest.fixture(scope="module")
def app(mini_atlas):
    from dashboard.app import create_app

    return create_app(mini_atlas)


def _cache(app):
    from flask_compress import Compress

    hooks = app.server.after_request_funcs[None]
    return next(f.__self__.cache for f in hooks if isinstance(getattr(f, "__self__", None), Compress))


def test_plotly_is_compressed_once_and_served_from_the_cache(app):
    client = app.server.test_client()
    plain = client.get(PLOTLY, headers={"Accept-Encoding": "identity"}).data
    assert len(plain) > 1_000_000
    first = client.get(PLOTLY, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    cache = _cache(app)
    assert cache is not None and cache.get(f"br;{PLOTLY}?") == first.data   # stored once ...
    second = client.get(PLOTLY, headers={"Accept-Encoding": "br"})
    assert second.data == first.data and brotli.decompress(second.data) == plain   # ... and served as it is
    gz = client.get(PLOTLY, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and cache.get(f"gzip;{PLOTLY}?") == gz.data
    # revalidation still answers 304
    etag = second.headers["ETag"]
    assert client.get(PLOTLY, headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code == 304


def test_dynamic_answers_are_never_stored(app):
    client = app.server.test_client()
    cache = _cache(app)
    before = len(cache)
    for _ in range(2):
        client.get("/_dash-layout", headers={"Accept-Encoding": "br"})
        client.get("/", headers={"Accept-Encoding": "br"})
    key = next(k for k in app.callback_map if "table-data.data" in k)  # the charts and the table below the map
    outputs = [[] if o.startswith("{") else {"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
               for o in key.strip(".").split("...")]
    body = {"output": key, "outputs": outputs,
            "inputs": [{"id": "below-ready", "property": "data", "value": 1},
                       {"id": "table-sort", "property": "data", "value": []}],
            "state": [{"id": "url", "property": "search", "value": "?p=P2"},
                      {"id": "below-view", "property": "data", "value": None}],
            "changedPropIds": ["below-ready.data"]}
    r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                    headers={"Accept-Encoding": "br"})
    assert r.status_code == 200
    assert len(cache) == before


def test_the_cache_is_bounded():
    from dashboard.serving.guard import StaticCompressCache

    cache = StaticCompressCache(max_bytes=100)
    for i in range(5):
        cache.set(f"br;/assets/{i}.js", b"x" * 40)
    assert len(cache) == 2 and cache.get("br;/assets/4.js") and cache.get("br;/assets/0.js") is None
    cache.set("br;-", b"y")
    assert cache.get("br;-") is None


def test_fingerprinted_static_files_are_immutable_and_the_rest_is_not(app):
    """A repeat visit reuses the scripts the page names by content (Dash's versioned component suites, assets/ with
    their ?m=mtime): immutable for a year. The same file without its fingerprint, and the page, are revalidated."""
    import re

    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    suites = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    assets = re.findall(r'src="(/assets/[^"]+\?m=[^"]+)"', page)
    assert suites and assets
    for url in (suites[0], assets[0]):
        assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    bare = assets[0].split("?")[0]
    assert "immutable" not in client.get(bare).headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/").headers.get("Cache-Control", "")
    assert client.get("/assets/no-such-file.js?m=1").status_code == 404
