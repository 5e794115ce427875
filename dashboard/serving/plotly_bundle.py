"""The dashboard's own plotly.js: only the traces it draws, served instead of the full 4.8 MB plotly.min.js.

Build (a set-up step, `make plotly-bundle`, run by `make run` / `make test` when the file is missing):

    python -m dashboard.serving.plotly_bundle build     # npm ci in js/ (pinned lockfile) + esbuild -> .cache/js/

js/entry.js registers bar, choropleth and scattergeo on plotly.js's core (scatter is in the core), at exactly the
plotly.js version that the pinned plotly Python package embeds (js/package.json pins it; `check()` compares the
bundle's header with plotly's own). The sha256 of the output is recorded in js/plotly-atlas.sha256: the build
refuses an output with another hash, and the server only serves a file whose hash matches.

Serving (`register(app)`), when the bundle is there and verified (ATLAS_PLOTLY_BUNDLE=auto, the default):
- `<prefix>_atlas/js/plotly-atlas.<sha12>.min.js`: the bundle at a content-hashed URL, cached for a year,
  immutable, preloaded from the page's head and the page's first script (see `first_script`), so it is
  downloaded and compiled once, and a repeat visit reuses the browser's compiled code;
- `<prefix>_dash-component-suites/plotly/package_data/plotly.min.js` (the URL dcc.Graph's loader asks for by
  default; Dash's registry entry for it stays) answers the same bytes, with an ETag;
- `<prefix>_atlas/js/regenerator-runtime.<sha12>.min.js`, loaded where Dash's page loaded its @babel/polyfill
  (`use_on`); without it the polyfill stays, and one line at start-up says why.
Otherwise the full bundle is served as before and one line at start-up says why.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

from dashboard import config
from dashboard.serving.guard import IMMUTABLE, bytes_response
from dashboard.view.plotly_js import (  # noqa: F401 - re-exported: the bundle's paths and checks
    BUILT,
    BUNDLE_NAME,
    JS_DIR,
    RUNTIME_NAME,
    SHA_FILE,
    Bundle,
    bundle_dir,
    bundle_path,
    check,
    check_runtime,
    expected_sha256,
    plotlyjs_version,
)

log = logging.getLogger(__name__)

DASH_PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
JS = "application/javascript"


def build(force: bool = False) -> int:
    """npm ci (pinned lockfile) + esbuild into .cache/js/, then check the sha256s. 0 ok, 1 failed, 3 no Node."""
    out = bundle_path()
    if not force:
        (bundle, why), (runtime, why_runtime) = check(), check_runtime()
        if bundle is not None and runtime is not None:
            print(f"plotly bundle: {out} ok ({len(bundle.data) / 1e6:.2f} MB, sha256 {bundle.sha256[:12]}…)")
            return 0
        if out.is_file():
            print(f"plotly bundle: rebuilding ({why or why_runtime})")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("plotly bundle: Node.js/npm not found — the dashboard will serve the full plotly.min.js "
              "(apt-get install -y nodejs npm, then `make plotly-bundle`)")
        return 3
    _npm_ci(npm, force)
    tmp = out.parent / f".build{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        subprocess.run([node, "build.mjs", str(tmp)], cwd=JS_DIR, check=True)
        for name in BUILT:
            digest, expected = hashlib.sha256((tmp / name).read_bytes()).hexdigest(), expected_sha256(name)
            if digest != expected:
                print(f"plotly bundle: the build gave {name} sha256 {digest}, js/plotly-atlas.sha256 records "
                      f"{expected}.\n  If js/ was changed on purpose, record the new hashes: "
                      "python -m dashboard.serving.plotly_bundle record", file=sys.stderr)
                return 1
        for name in BUILT:
            os.replace(tmp / name, out.parent / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"plotly bundle: built {out} ({out.stat().st_size / 1e6:.2f} MB) and {RUNTIME_NAME}")
    return 0


def _npm_ci(npm: str, force: bool) -> None:
    installed = all((JS_DIR / "node_modules" / p / "package.json").is_file()
                    for p in ("plotly.js", "regenerator-runtime", "esbuild"))
    if force or not installed:
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=JS_DIR, check=True)


def record() -> int:
    """After a deliberate change in js/: rebuild without the check and record the new sha256s."""
    out_dir = bundle_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    _npm_ci("npm", force=True)
    subprocess.run(["node", "build.mjs", str(out_dir)], cwd=JS_DIR, check=True)
    lines = [f"{hashlib.sha256((out_dir / name).read_bytes()).hexdigest()}  {name}\n" for name in BUILT]
    SHA_FILE.write_text("".join(lines), encoding="utf-8")
    print(f"recorded in {SHA_FILE}:\n" + "".join(lines), end="")
    return 0


# --- serving -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Served:
    """The verified files a page loads instead of Dash's stock ones, and their content-hashed URLs."""
    plotly: Bundle
    plotly_url: str
    runtime_url: str | None   # None: regenerator-runtime is not built, and Dash's @babel/polyfill stays


def register(app) -> Served | None:
    """Serve the partial bundle (and regenerator-runtime) for `app` (see the module docstring) and point its page at
    them. Returns what is served, or None (Dash's stock scripts and the full plotly.js)."""
    if config.plotly_bundle() == "full":
        log.info("plotly.js: the full bundle (ATLAS_PLOTLY_BUNDLE=full)")
        return None
    bundle, why = check()
    if bundle is None:
        log.warning("plotly.js: serving the full 4.8 MB bundle: %s", why)
        return None
    runtime, why = check_runtime()
    if runtime is None:
        log.warning("Dash's @babel/polyfill stays (regenerator-runtime: %s)", why)
    from flask import Response

    files = {b.filename: b for b in (bundle, runtime) if b is not None}

    def hashed(filename: str):
        found = files.get(filename)
        if found is None:
            return Response("Not found", status=404, mimetype="text/plain")
        return bytes_response(found.data, JS, IMMUTABLE, found.sha256[:32])

    def dash_url():
        return bytes_response(bundle.data, JS, "public, max-age=0, must-revalidate", bundle.sha256[:32])

    prefix = app.config.requests_pathname_prefix
    # a fully static rule: werkzeug matches it before Dash's /_dash-component-suites/<package>/<path> rule
    app.server.add_url_rule(f"{prefix}{DASH_PLOTLY_PATH}", "atlas_plotly_dash_url", dash_url)
    app.server.add_url_rule(f"{prefix}_atlas/js/<string:filename>", "atlas_plotly_bundle", hashed)
    served = Served(bundle, f"{prefix}_atlas/js/{bundle.filename}",
                    f"{prefix}_atlas/js/{runtime.filename}" if runtime else None)
    use_on(app, served)
    log.info("plotly.js: partial bundle %s (%.2f MB)", served.plotly_url, len(bundle.data) / 1e6)
    return served


def use_on(app, served: Served) -> None:
    """Point a Dash app's page (the main one, or /embed's on the same server) at the served files: the bundle as the
    page's first script (`first_script`), and Dash's @babel/polyfill <script> at regenerator-runtime. That polyfill
    is core-js 2 and regenerator-runtime: on a current browser core-js only replaces native methods with slower
    ones (String.prototype.trim among them), which cost ~0.25 s of running it and slowed plotly's first drawing of
    the map by as much again; Dash's scripts need only the global regeneratorRuntime (their lazy components)."""
    app.index_string = app.index_string.replace(
        "{%css%}", "{%css%}" + f'<link rel="preload" href="{served.plotly_url}" as="script">')
    interpolate = app.interpolate_index

    def interpolate_index(**parts: str) -> str:
        parts["scripts"] = first_script(parts["scripts"], served.plotly_url)
        if served.runtime_url is not None:
            parts["scripts"] = swap_polyfill(parts["scripts"], served.runtime_url)
        return interpolate(**parts)

    app.interpolate_index = interpolate_index


def first_script(scripts: str, url: str) -> str:
    """Dash's scripts (HTML) with plotly.js before them: it has run when the page's early map is drawn
    (assets/atlas-map.js) and before any graph mounts, so dcc.Graph's loader, which loads plotly.js only when
    window.Plotly is missing, never loads it a second time."""
    return f'<script src="{url}"></script>\n' + scripts


_POLYFILL_SRC = re.compile(r'(<script\b[^>]*\bsrc=")[^"]*/polyfill@[^"]*(")')


def swap_polyfill(scripts: str, runtime_url: str) -> str:
    """Dash's scripts (HTML) with the @babel/polyfill <script> loading `runtime_url` instead, in the same place."""
    return _POLYFILL_SRC.sub(lambda m: m.group(1) + runtime_url + m.group(2), scripts)


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
