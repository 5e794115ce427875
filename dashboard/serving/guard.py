"""Production hardening of the Dash app: `harden(app)` — call it once, at the end of create_app.

What it adds to the Flask server behind the Dash app:
- security headers on every response: a Content-Security-Policy that still lets Dash and plotly run
  (scripts only from this origin plus the sha256 of Dash's own inline renderer script, no 'unsafe-eval',
  no 'unsafe-inline' scripts), X-Content-Type-Options: nosniff, frame-ancestors 'none' + X-Frame-Options: DENY,
  Referrer-Policy, Cross-Origin-Opener-Policy, Permissions-Policy;
- compressed responses (Flask-Compress: brotli, gzip) including JSON callback responses and GeoJSON;
- no tracebacks to clients: 4xx/5xx answered with a short JSON body ({"error", "status", "message"}), the
  traceback goes to the server log only;
- a guard in front of /_dash-update-component: body size limit (413), malformed or non-object JSON (400),
  unknown callback outputs and outputs of clientside callbacks (404: no server function), inputs/state that do
  not match the registered callback (400);
- answers of callbacks reused for identical request bodies (dashboard.serving.answers: Redis when REDIS_URL is
  set, else a disk cache shared by the machine's workers; ATLAS_CACHE=off disables it) — every dashboard
  callback is a pure function of its request.

The callbacks themselves still validate every *value* they receive (dashboard.model.state.FilterState): the guard
only makes sure that a request that reaches Dash has the shape Dash's dispatcher expects, so that nothing a
client sends can crash Dash's own bookkeeping with a 500.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import re
from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from dashboard.serving import answers as cache

log = logging.getLogger(__name__)

#: Largest accepted body of a callback request. A real filter change is a few KB; 256 KB leaves room for a
#: long selection of TERYT codes (2,477 x ~12 bytes = 30 KB) and rejects megabyte payloads before parsing.
MAX_CALLBACK_BYTES = 256 * 1024

#: Mimetypes Flask-Compress compresses (its default list plus GeoJSON).
COMPRESS_MIMETYPES = [
    "text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
    "application/json", "application/geo+json", "image/svg+xml",
]

_STATIC_POLICY = {
    "default-src": ["'self'"],
    # Dash loads its bundles from /_dash-component-suites/ and runs one inline script
    # (`var renderer = new DashRenderer();`) whose hash is added per response, see _inline_script_hashes.
    "script-src": ["'self'"],
    # plotly.js and React inject <style> elements and style attributes at run time: they cannot be hashed.
    "style-src": ["'self'", "'unsafe-inline'"],
    # plotly's modebar "download plot" and its SVG patterns use data:/blob: URLs.
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

# An inline script: <script ...> with no src attribute; JSON data blocks are not scripts and need no hash.
_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_NOT_JS_TYPE = re.compile(r"""type\s*=\s*["']?application/json""", re.I)


def content_security_policy(script_hashes: list[str] | tuple[str, ...] = (),
                            frame_ancestors: list[str] | tuple[str, ...] | None = None) -> str:
    """The CSP header value, with the given `'sha256-...'` sources added to script-src. `frame_ancestors`: who may
    frame the response (default 'none'; the /embed page gets ATLAS_EMBED_ORIGINS)."""
    parts = []
    for directive, sources in _STATIC_POLICY.items():
        if directive == "script-src":
            sources = [*sources, *script_hashes]
        if directive == "frame-ancestors" and frame_ancestors:
            sources = list(frame_ancestors)
        parts.append(f"{directive} {' '.join(sources)}")
    return "; ".join(parts)


#: Files whose address changes with their content: a repeat visit reuses them (and the browser's compiled code)
#: without asking the server again.
IMMUTABLE = "public, max-age=31536000, immutable"


def is_fingerprinted(path: str, args) -> bool:
    """Dash's component suites carry their version and mtime in the file name (…/bundle.v7_4_1m1796026549.js);
    the files of assets/ carry their mtime as ?m=…: a changed file gets a new address."""
    if "/_dash-component-suites/" in path:
        return bool(re.search(r"\.v[0-9_]+m[0-9]+\.", path))
    return "/assets/" in path and bool(args.get("m"))


def is_embed_path(path: str, prefix: str = "/") -> bool:
    """The embed page and its own requests (prefix + 'embed', prefix + 'embed/...'): the only framable paths."""
    base = prefix + "embed"
    return path == base or path.startswith(base + "/")


def inline_script_hashes(html: str) -> list[str]:
    """CSP sha256 sources for every executable inline <script> in `html` (what the browser will hash)."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(html):
        attrs, body = match.group("attrs"), match.group("body")
        if re.search(r"\bsrc\s*=", attrs, re.I) or _NOT_JS_TYPE.search(attrs) or match.start() and _in_comment(
            html, match.start()
        ):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def _in_comment(html: str, position: int) -> bool:
    """True when `position` lies inside an HTML comment (e.g. Dash's <!--[if IE]><script>...)."""
    opened = html.rfind("<!--", 0, position)
    return opened != -1 and html.rfind("-->", opened, position) == -1


def error_response(status: int, message: str) -> Response:
    """A short JSON error body: what went wrong in words, never internals."""
    from http import HTTPStatus

    try:
        name = HTTPStatus(status).phrase
    except ValueError:
        name = "Error"
    response = jsonify({"error": name, "status": status, "message": message})
    response.status_code = status
    return response


class CallbackRequestError(ValueError):
    """A /_dash-update-component request that does not match any registered callback's shape."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def check_callback_body(body: Any, callback_map: dict) -> None:
    """Raise CallbackRequestError unless `body` has the shape of a request for a registered callback."""
    if not isinstance(body, dict):
        raise CallbackRequestError(400, "The callback request body must be a JSON object.")
    output = body.get("output")
    if not isinstance(output, str):
        raise CallbackRequestError(400, "The callback request needs an 'output' string.")
    spec = callback_map.get(output)
    if spec is None or "callback" not in spec:  # unknown, or a clientside callback (runs in the browser only)
        raise CallbackRequestError(404, "No callback is registered for this output.")
    if not callable(spec.get("callback")):   # a clientside callback: it runs in the browser, the server has none
        raise CallbackRequestError(404, "This output is computed in the browser; the server has no callback for it.")
    for key, declared in (("inputs", spec.get("inputs", [])), ("state", spec.get("state", []))):
        sent = body.get(key, [])
        if not isinstance(sent, list) or len(sent) != len(declared):
            raise CallbackRequestError(
                400, f"'{key}' must be a list of {len(declared)} item(s) matching the callback."
            )
        for item, dependency in zip(sent, declared):
            _check_dependency(item, dependency, key)
    _check_outputs(body.get("outputs"), output, spec)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise CallbackRequestError(400, "'changedPropIds' must be a list of strings.")
    # The renderer lists only inputs of this callback that changed; anything else would make
    # dash.ctx.triggered_id name a component the callback never declared as a trigger.
    inputs = spec.get("inputs", [])
    plain = {f"{d.get('id')}.{d.get('property')}" for d in inputs if not _is_pattern(d.get("id"))}
    patterns = {d.get("property") for d in inputs if _is_pattern(d.get("id"))}
    sent = set()  # the concrete ids of the pattern-matching inputs in this request, as Dash writes them
    for item in body.get("inputs", []):
        for one in item if isinstance(item, list) else []:
            if isinstance(one, dict) and isinstance(one.get("id"), dict):
                sent.add(json.dumps(one["id"], sort_keys=True, separators=(",", ":")) + "." + str(one.get("property")))
    for prop_id in changed:
        if prop_id in plain:
            continue
        ident, _, prop = prop_id.rpartition(".")
        if not (ident.startswith("{") and prop in patterns and _same_id(ident, prop, sent)):
            raise CallbackRequestError(400, "'changedPropIds' may only name inputs of this callback.")


def _same_id(ident: str, prop: str, sent: set[str]) -> bool:
    """A changed pattern-matching id names one of the components sent with the request."""
    try:
        parsed = json.loads(ident)
    except ValueError:
        return False
    if not isinstance(parsed, dict):
        return False
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")) + "." + prop in sent


def _check_outputs(outputs: Any, output: str, spec: dict) -> None:
    """'outputs' as the renderer sends it: one entry per declared output (a list for multi-output callbacks)."""
    if spec.get("no_output"):
        return
    multi = output.startswith("..") and output.endswith("..")
    count = len(output[2:-2].split("...")) if multi else 1
    entries = outputs if multi else [outputs]
    if not isinstance(entries, list) or len(entries) != count:
        raise CallbackRequestError(400, f"'outputs' must describe the callback's {count} output(s).")
    declared = output[2:-2].split("...") if multi else [output]
    for entry, part in zip(entries, declared):
        pattern = part.startswith("{")
        if pattern and not isinstance(entry, (list, dict)):
            raise CallbackRequestError(400, "A pattern-matching output must be described by its matches.")
        group = entry if isinstance(entry, list) else [entry]   # pattern-matching outputs are lists
        if not all(isinstance(o, dict) and isinstance(o.get("property"), str) and "id" in o for o in group):
            raise CallbackRequestError(400, "Every 'outputs' entry needs an 'id' and a 'property'.")
        if pattern and not all(isinstance(o.get("id"), dict) for o in group):
            raise CallbackRequestError(400, "A pattern-matching output needs object ids.")


def _is_pattern(declared_id: Any) -> bool:
    """A pattern-matching id: Dash's callback_map holds it as a JSON string ('{"key":["ALL"],"type":...}')."""
    return isinstance(declared_id, dict) or (isinstance(declared_id, str) and declared_id.startswith("{"))


def _check_dependency(item: Any, dependency: dict, key: str) -> None:
    declared_id, declared_prop = dependency.get("id"), dependency.get("property")
    if not _is_pattern(declared_id):
        if not isinstance(item, dict) or item.get("id") != declared_id or item.get("property") != declared_prop:
            raise CallbackRequestError(400, f"'{key}' do not match the callback's {key}.")
        return
    # Pattern-matching dependency: Dash sends one object (MATCH) or a list of objects (ALL/ALLSMALLER).
    items = item if isinstance(item, list) else [item]
    for one in items:
        if not isinstance(one, dict) or not isinstance(one.get("id"), dict) or one.get("property") != declared_prop:
            raise CallbackRequestError(400, f"'{key}' do not match the callback's pattern {key}.")


def _guard_callback_view(app, view):
    """Wrap Dash's /_dash-update-component view with the size, JSON and shape checks."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        request.max_content_length = MAX_CALLBACK_BYTES
        if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
            return error_response(413, f"Callback requests are limited to {MAX_CALLBACK_BYTES // 1024} KB.")
        try:
            # A chunked body (no Content-Length) is cut at the limit by werkzeug: reaching it means too large.
            if len(request.get_data(cache=True)) >= MAX_CALLBACK_BYTES:
                raise RequestEntityTooLarge()
            body = request.get_json(force=True, silent=False)  # cached: Dash's own get_json() reuses it
        except RequestEntityTooLarge:
            return error_response(413, f"Callback requests are limited to {MAX_CALLBACK_BYTES // 1024} KB.")
        except (HTTPException, ValueError, RecursionError):
            return error_response(400, "The callback request body is not valid JSON.")
        try:
            check_callback_body(body, app.callback_map)
        except CallbackRequestError as exc:
            return error_response(exc.status, exc.message)
        key = _response_cache_key(app, body)
        if key is not None:
            hit = cache.get_response(key)
            if hit is not None:
                response = Response(hit, mimetype="application/json")
                response.headers["X-Atlas-Cache"] = "hit"
                return response
        response = view(*args, **kwargs)
        if key is not None and getattr(response, "status_code", 0) == 200 and not response.direct_passthrough:
            cache.put_response(key, response.get_data())
            response.headers["X-Atlas-Cache"] = "miss"
        return response

    return guarded


def _response_cache_key(app, body: dict) -> str | None:
    """Cache key of a callback request whose answer may be reused: any but a background job (those have side
    effects and are polled); every other dashboard callback is a pure function of its request and the atlas."""
    if cache.backend_name() == "off":
        return None
    spec = app.callback_map.get(body.get("output"), {})
    if spec.get("background") or request.args.get("cacheKey") or request.args.get("job"):
        return None
    return cache.response_key(request.get_data(cache=True), _cache_namespace(app))


def _cache_namespace(app) -> str:
    """Which app's answers these are: its import name and a hash of its layout. The layout is built from the
    atlas, so two apps over different data (e.g. create_app(atlas=...) in tests) never share answers."""
    namespace = getattr(app, "_atlas_cache_namespace", None)
    if namespace is None:
        import plotly.utils

        layout = app.layout() if callable(app.layout) else app.layout
        # sorted keys: Dash keeps wildcard props (aria-*) in a set's order, which differs between processes
        text = json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8"))
        namespace = f"{app.server.import_name}:{digest.hexdigest()[:16]}"
        app._atlas_cache_namespace = namespace
    return namespace


def bytes_response(data: bytes, mimetype: str, cache_control: str, etag: str) -> Response:
    """A static file's bytes (kept in memory) as the answer, or 304 when the client has them (If-None-Match). Bytes,
    not a streamed file: so their compressed form is kept (StaticCompressCache) instead of made at every request."""
    # Flask-Compress tags the ETag with the encoding ("<etag>:br"): compare the part before it
    if etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
    else:
        response = Response(data, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response


class StaticCompressCache:
    """Flask-Compress cache backend that keeps the compressed bytes of static files only (Dash's component
    suites, assets/, the geometry): without it plotly.min.js (4.8 MB) was brotli-compressed again on every request,
    ~60-80 ms of CPU, and even a 304 revalidation paid it (the gminy GeoJSON: 20-45 ms, while the first map waits).
    Keys come from `static_compress_key`; everything else (callback
    answers, the layout, the page) is never stored. Bounded: least recently used entries go beyond max_bytes."""

    def __init__(self, max_bytes: int = 48 * 1024 * 1024):
        import threading
        from collections import OrderedDict

        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _NOT_STATIC) or not isinstance(value, bytes) or len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size += len(value) - (len(old) if old is not None else 0)
            self._items[key] = value
            while self._size > self.max_bytes and self._items:
                self._size -= len(self._items.popitem(last=False)[1])

    def __len__(self) -> int:
        return len(self._items)


_NOT_STATIC = "-"
_STATIC_PATHS = ("/_dash-component-suites/", "/assets/", "/_atlas/js/", "/geo/")


def static_compress_key(req) -> str:
    """Cache key of a response's compressed bytes: the full path of a GET for a static file, else a marker that
    StaticCompressCache never stores."""
    if req.method in ("GET", "HEAD") and any(p in req.path for p in _STATIC_PATHS):
        return req.full_path
    return _NOT_STATIC


def _enable_compression(server) -> None:
    from flask_compress import Compress

    server.config.setdefault("COMPRESS_CACHE_BACKEND", StaticCompressCache)
    server.config.setdefault("COMPRESS_CACHE_KEY", static_compress_key)
    server.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    server.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    server.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    server.config.setdefault("COMPRESS_BR_LEVEL", 4)
    server.config.setdefault("COMPRESS_LEVEL", 6)
    # Files are streamed (send_file) and compressed on the fly; Flask-Compress then tags the ETag with the
    # algorithm ("abc:br"), so If-None-Match revalidation only works where it re-evaluates the condition itself.
    file_endpoints = {r.endpoint for r in server.url_map.iter_rules() if r.endpoint.endswith("static")}
    server.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", sorted(file_endpoints | {"static"}))
    if not server.extensions.get("compress"):
        Compress(server)


def _security_headers(response: Response) -> Response:
    """CSP (with the hashes of the page's inline scripts), the other security headers; no caching of callbacks."""
    hashes: list[str] = []
    if response.mimetype == "text/html" and not response.direct_passthrough and (
        "Content-Encoding" not in response.headers
    ):
        hashes = inline_script_hashes(response.get_data(as_text=True))
    from dashboard import config

    embed = is_embed_path(request.path, config.url_prefix())
    response.headers["Content-Security-Policy"] = content_security_policy(
        hashes, frame_ancestors=config.embed_origins() if embed else None)
    for header, value in _SECURITY_HEADERS.items():
        if embed and header == "X-Frame-Options":
            continue  # framing is governed by the CSP's frame-ancestors alone here
        response.headers.setdefault(header, value)
    if request.path.endswith(("/_dash-update-component", "/_dash-layout")):
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.status_code == 200 and is_fingerprinted(request.path, request.args):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.description or exc.name)


def _unexpected_error(exc: Exception):
    from dash.exceptions import DependencyException, PreventUpdate

    if isinstance(exc, PreventUpdate):  # Dash's own "nothing to update"
        return "", 204
    if isinstance(exc, DependencyException):  # a made-up /_dash-component-suites/ path
        return error_response(404, "No such resource.")
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500, "The server could not complete this request; the error has been logged.")


def _guard_callback_routes(app, more_apps) -> None:
    """Each app's /_dash-update-component route checked against that app's own callbacks (the longest matching
    prefix owns a route)."""
    server = app.server
    guarded = 0
    apps = sorted([app, *more_apps], key=lambda a: -len(a.config.routes_pathname_prefix))
    for rule in list(server.url_map.iter_rules()):
        if rule.rule.endswith("_dash-update-component"):
            owner = next((a for a in apps if rule.rule.startswith(a.config.routes_pathname_prefix)), app)
            server.view_functions[rule.endpoint] = _guard_callback_view(owner, server.view_functions[rule.endpoint])
            guarded += 1
    if not guarded:
        raise RuntimeError("harden(app): the Dash app has no /_dash-update-component route yet; call harden() "
                           "after the app is attached to its Flask server (Dash(server=...) or app.init_app())")


def harden(app, *more_apps) -> Any:
    """Apply the production settings to a Dash `app` (idempotent). Returns the app.

    Call after the layout and callbacks exist (the guard looks callbacks up at request time, so later
    registrations are covered too). `more_apps`: other Dash apps on the same Flask server (the /embed page); each
    one's callback route is guarded against its own callbacks.
    """
    server = app.server
    if server.extensions.get("atlas_hardening"):
        return app
    server.extensions["atlas_hardening"] = True
    server.debug = False
    server.config["PROPAGATE_EXCEPTIONS"] = False
    server.config["TRAP_HTTP_EXCEPTIONS"] = False

    # Compression first: Flask runs after_request hooks in reverse order of registration, so the header hook
    # registered below sees the uncompressed HTML whose inline scripts it hashes.
    _enable_compression(server)
    server.after_request(_security_headers)
    server.errorhandler(HTTPException)(_http_error)
    server.errorhandler(Exception)(_unexpected_error)
    _guard_callback_routes(app, more_apps)
    return app
