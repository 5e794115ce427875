"""Serve the prepared geodata web assets from Flask, so the browser fetches geometry once and caches it.

- /geo/<gminy|wojewodztwa>.<hash>.geojson — content-hashed file names (geodata.web_asset), so they are cached
  forever: Cache-Control: public, max-age=31536000, immutable. Any other name -> 404.
- /geo/topojson/<name>.json — the local base topojson folder that plotly geo requests (given to dcc.Graph as
  config topojsonURL), so no request ever goes to a CDN.
- /data/README.md — the description of the union's data (sources, gaps), which the page's source note links to.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, abort, send_file

import geodata
from dashboard import config
from dashboard.serving.guard import IMMUTABLE, bytes_response
from dashboard.view.urls import GeoUrls

GEOJSON_MIMETYPE = "application/geo+json"
DATA_README = config.REPO_ROOT / "data" / "README.md"


def register(server: Flask, prefix: str = "/") -> GeoUrls:
    """Add the routes to the Flask server; returns the URLs the layout uses (under the app's URL prefix). The
    files (~2 MB) are read once and answered as bytes, so their compressed form is kept too (guard.bytes_response):
    the first map waits for the gminy's GeoJSON."""
    files = {name: geodata.web_asset(name) for name in ("gminy", "wojewodztwa")}
    geojson = {p.name: _read(p) for p in files.values()}
    topo_files = {p.name: _read(p) for p in geodata.web_asset("topojson_dir").glob("*.json")}
    max_age = config.geo_max_age()

    def geo_asset(filename: str):
        found = geojson.get(filename)
        if found is None:
            abort(404)
        return bytes_response(found[0], GEOJSON_MIMETYPE, IMMUTABLE, found[1])

    def topojson(filename: str):
        found = topo_files.get(filename)
        if found is None:
            abort(404)
        return bytes_response(found[0], "application/json", f"public, max-age={max_age}", found[1])

    def data_readme():
        response = send_file(DATA_README, mimetype="text/markdown", conditional=True, etag=True, max_age=max_age)
        response.headers["Content-Type"] = "text/markdown; charset=utf-8"
        return response

    server.add_url_rule(f"{prefix}geo/<string:filename>", "atlas_geo_asset", geo_asset)
    server.add_url_rule(f"{prefix}geo/topojson/<string:filename>", "atlas_geo_topojson", topojson)
    server.add_url_rule(f"{prefix}data/README.md", "atlas_data_readme", data_readme)
    return GeoUrls(
        gminy=f"{prefix}geo/{files['gminy'].name}",
        wojewodztwa=f"{prefix}geo/{files['wojewodztwa'].name}",
        topojson=f"{prefix}geo/topojson/",
        data_readme=f"{prefix}data/README.md",
    )


def _read(path: Path) -> tuple[bytes, str]:
    """A file's bytes and their ETag (the start of their sha256)."""
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]
