"""The dashboard's own plotly.js: only the traces it draws, served instead of the full 4.8 MB plotly.min.js.

Build (a set-up step, `make plotly-bundle`, run by `make run` / `make test` when the file is missing):

    python -m dashboard.serving.plotly_bundle build     # npm ci in js/ (pinned lockfile) + esbuild -> .cache/js/

js/entry.js registers bar, choropleth and scattergeo on plotly.js's core (scatter is in the core), at exactly the
plotly.js version that the pinned plotly Python package embeds (js/package.json pins it; `check()` compares the
bundle's header with plotly's own). The sha256 of the output is recorded in js/plotly-atlas.sha256: the build
refuses an output with another hash, and the server only serves a file whose hash matches.

Serving (`register(app)`), when the bundle is there and verified (ATLAS_PLOTLY_BUNDLE=auto, the default):
- `<prefix>_atlas/js/plotly-atlas.<sha12>.min.js`: the bundle at a content-hashed URL, cached for a year,
  immutable, preloaded from the page's head; dcc.Graph's loader is pointed at it (see `loader_html`), so it is
  downloaded and compiled once, and a repeat visit reuses the browser's compiled code;
- `<prefix>_dash-component-suites/plotly/package_data/plotly.min.js` (the URL dcc.Graph's loader asks for by
  default; Dash's registry entry for it stays) answers the same bytes, with an ETag.
Otherwise the full bundle is served as before and one line at start-up says why.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys

from dashboard import config
from dashboard.serving.guard import IMMUTABLE
from dashboard.view.plotly_js import (  # noqa: F401 - re-exported: the bundle's paths and checks
    BUNDLE_NAME,
    JS_DIR,
    SHA_FILE,
    Bundle,
    bundle_dir,
    bundle_path,
    check,
    expected_sha256,
    plotlyjs_version,
)

log = logging.getLogger(__name__)

DASH_PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"


def build(force: bool = False) -> int:
    """npm ci (pinned lockfile) + esbuild into .cache/js/, then check the sha256. 0 ok, 1 failed, 3 no Node."""
    out = bundle_path()
    if out.is_file() and not force:
        bundle, why = check(out)
        if bundle is not None:
            print(f"plotly bundle: {out} ok ({len(bundle.data) / 1e6:.2f} MB, sha256 {bundle.sha256[:12]}…)")
            return 0
        print(f"plotly bundle: rebuilding ({why})")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("plotly bundle: Node.js/npm not found — the dashboard will serve the full plotly.min.js "
              "(apt-get install -y nodejs npm, then `make plotly-bundle`)")
        return 3
    out.parent.mkdir(parents=True, exist_ok=True)
    if not (JS_DIR / "node_modules" / "plotly.js" / "package.json").is_file() or force:
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=JS_DIR, check=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}.js")
    try:
        subprocess.run([node, "build.mjs", str(tmp)], cwd=JS_DIR, check=True)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        expected = expected_sha256()
        if digest != expected:
            print(f"plotly bundle: the build gave sha256 {digest}, js/plotly-atlas.sha256 records {expected}.\n"
                  "  If js/ was changed on purpose, record the new hash: "
                  "python -m dashboard.serving.plotly_bundle record", file=sys.stderr)
            return 1
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"plotly bundle: built {out} ({out.stat().st_size / 1e6:.2f} MB, sha256 {digest[:12]}…)")
    return 0


def record() -> int:
    """After a deliberate change in js/: rebuild without the check and record the new sha256."""
    out = bundle_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                   cwd=JS_DIR, check=True)
    subprocess.run(["node", "build.mjs", str(out)], cwd=JS_DIR, check=True)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    SHA_FILE.write_text(f"{digest}  {BUNDLE_NAME}\n", encoding="utf-8")
    print(f"recorded sha256 {digest} in {SHA_FILE}")
    return 0


# --- serving -------------------------------------------------------------------------------------------------
def register(app) -> Bundle | None:
    """Serve the partial bundle for `app` (see the module docstring). Returns it, or None (full bundle)."""
    if config.plotly_bundle() == "full":
        log.info("plotly.js: the full bundle (ATLAS_PLOTLY_BUNDLE=full)")
        return None
    bundle, why = check()
    if bundle is None:
        log.warning("plotly.js: serving the full 4.8 MB bundle: %s", why)
        return None
    from flask import Response, request

    server = app.server
    prefix = app.config.requests_pathname_prefix
    etag = bundle.sha256[:32]

    def hashed(filename: str):
        if filename != bundle.filename:
            return Response("Not found", status=404, mimetype="text/plain")
        return _js_response(bundle.data, IMMUTABLE, etag, request)

    def dash_url():
        return _js_response(bundle.data, "public, max-age=0, must-revalidate", etag, request)

    # a fully static rule: werkzeug matches it before Dash's /_dash-component-suites/<package>/<path> rule
    server.add_url_rule(f"{prefix}{DASH_PLOTLY_PATH}", "atlas_plotly_dash_url", dash_url)
    server.add_url_rule(f"{prefix}_atlas/js/<string:filename>", "atlas_plotly_bundle", hashed)
    url = f"{prefix}_atlas/js/{bundle.filename}"
    app.index_string = app.index_string.replace("{%css%}", "{%css%}" + loader_html(url))
    app._atlas_plotly_url = url
    log.info("plotly.js: partial bundle %s (%.2f MB)", url, len(bundle.data) / 1e6)
    return bundle


def loader_html(url: str) -> str:
    """Download the bundle at once (preload), and make dcc.Graph's loader take it from its hashed URL.

    Dash's renderer sets window._dashPlotlyJSURL to the fixed /_dash-component-suites/…/plotly.min.js URL when it
    mounts, and dcc.Graph injects a <script> with that URL when the first graph needs plotly.js. A property that
    always answers the hashed URL (and ignores the renderer's write) makes that one <script> load the preloaded,
    immutable file: plotly.js is downloaded and compiled once, and a repeat visit reuses the compiled code.
    (A plain <script> of the bundle in the page raced with the loader: when it had not run yet as the first graph
    mounted, the browser downloaded and compiled plotly.js twice.)"""
    return (f'<link rel="preload" href="{url}" as="script">'
            '<script>Object.defineProperty(window, "_dashPlotlyJSURL", '
            f'{{configurable: true, get: function () {{ return "{url}"; }}, set: function () {{}}}});</script>')


def _js_response(data: bytes, cache_control: str, etag: str, request):
    from flask import Response

    # Flask-Compress tags the ETag with the encoding ("<etag>:br"): compare the part before it
    if etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
    else:
        response = Response(data, mimetype="application/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "build"
    if command == "build":
        return build(force="--force" in args)
    if command == "record":
        return record()
    if command == "check":
        bundle, why = check()
        print(f"ok {bundle.path} sha256 {bundle.sha256}" if bundle else f"not usable: {why}")
        return 0 if bundle else 1
    print("usage: python -m dashboard.serving.plotly_bundle [build [--force] | record | check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
