"""The Export panel: preset, format, title -> a file download, rendered in a Dash background callback.

The render runs in a background job (the manager is given by the app: dashboard.serving.jobs.background_manager(),
a DiskcacheManager by default, CeleryManager on Redis when REDIS_URL is set), so the web workers keep serving
filter changes while Chromium draws. The button is
disabled and a progress bar shown while the job runs; the generated alt text is shown under the panel.

Thin: the callback calls ``export_response()``, a plain function tested without a browser.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
from typing import Any, Callable, ContextManager

from dash import Input, Output, State, dcc, html

from dashboard.export.links import LinkStoreDown, link_store
from dashboard.export.press import FORMATS, LINK_PATH, MAX_TITLE_CHARS, PRESETS, ExportSpec, ExportSpecError, logo_path
from dashboard.export.spec import one_line, text_problem
from dashboard.i18n import format_number, plural_form, t
from dashboard.model.state import LANGS, FilterState


def _t(key: str, lang: str, **kw: Any) -> str:
    return t(f"export_{key}", lang, **kw)   # the panel's words: dashboard/i18n.py, export section


def preset_options(lang: str) -> list[dict]:
    return [{"label": p.label(lang), "value": p.name} for p in PRESETS.values()]


def format_options() -> list[dict]:
    return [{"label": f.upper(), "value": f} for f in FORMATS]


def layout(lang: str = "pl"):
    """The panel's components (ids prefixed ``export-``), in the filter column's house style."""
    return html.Div([
        html.Div([
            html.Label(_t("preset", lang), htmlFor="export-preset", id="export-preset-label",
                       className="control-label"),
            html.Div(dcc.Dropdown(id="export-preset", options=preset_options(lang), value="a4", clearable=False,
                                  searchable=False, className="dropdown"),
                     className="slot-dropdown"),   # its height before Dash has loaded its code (style.css)
        ], className="control"),
        html.Div([
            html.Label(_t("format", lang), id="export-format-label", className="control-label"),
            dcc.RadioItems(id="export-format", options=format_options(), value="pdf", inline=True,
                           className="segmented small"),
        ], className="control"),
        html.Div([
            html.Label(_t("title", lang), htmlFor="export-title", id="export-title-label", className="control-label"),
            dcc.Input(id="export-title", type="text", value="", maxLength=MAX_TITLE_CHARS, debounce=True,
                      placeholder=_t("title_placeholder", lang), style={"width": "100%"}),
        ], className="control"),
        html.Div([
            dcc.Checklist(id="export-logo", options=[{"label": _t("logo", lang), "value": "logo"}],
                          value=["logo"], className="check"),
        ], className="control", hidden=not _has_logo()),
        html.Div([
            html.Button(_t("button", lang), id="export-button", n_clicks=0, className="button"),
            html.Progress(id="export-progress", value="0", max="3", hidden=True,
                          style={"width": "100%", "marginTop": "8px"}),
            # the job's place in the machine's export queue, then "drawing" (progress of the background job)
            html.Div(id="export-queue", className="muted", hidden=True, style={"marginTop": "6px"},
                     **{"aria-live": "polite"}),
            html.Div(id="export-status", role="status", className="muted", style={"marginTop": "6px"},
                     **{"aria-live": "polite"}),
        ], className="control"),
        html.P(link_hint(lang), id="export-link-hint", className="muted", style={"fontSize": "12.5px"},
               hidden=not link_hint(lang)),
        html.Details([
            html.Summary(_t("alt", lang), id="export-alt-label"),
            html.P(id="export-alt", className="muted", style={"fontSize": "12.5px", "userSelect": "all"}),
        ], id="export-alt-box", open=True, hidden=True),
        dcc.Download(id="export-download"),
        dcc.Store(id="export-request"),   # one fresh token per click (see register)
    ], id="export-panel", style={"paddingTop": "10px"})


def link_problem() -> str | None:
    """Why the exports print no link to their view, for the server's log (None: ATLAS_PUBLIC_URL is public)."""
    from dashboard import config

    try:
        return None if config.public_url() else f"{config.PUBLIC_URL_ENV} is not set"
    except ValueError as exc:
        return f"{config.PUBLIC_URL_ENV} is not a public address ({exc})"


def link_hint(lang: str) -> str:
    """What the panel tells its user when the exports print no link (the fix is the administrator's), else ""."""
    return _t("no_link", lang) if link_problem() else ""


def _has_logo() -> bool:
    try:
        return logo_path() is not None
    except ExportSpecError:
        return False


class ExportBusy(RuntimeError):
    """No room to render now: the machine's bound on exports at once (dashboard.serving.export_queue)."""


def export_response(state_data: Any, preset: Any, fmt: Any, title: Any, lang: Any, *, atlas: Any,
                    logo: Any = None,
                    progress: Callable[[tuple[str, str]], None] | None = None,
                    slot: Callable[[], ContextManager] | None = None) -> tuple[Any, str, str, bool]:
    """(dcc.Download data or None, alt text, status message, alt box hidden) for the panel's inputs, rendered from
    `atlas` (the app's own: an export shows the data the page shows).

    `slot()`, when given, is a context manager held around the render (the machine's bound on renders at once,
    dashboard.serving.export_queue); it raises ExportBusy when there is no room.

    Every input comes from the browser and is validated: a bad value gives a message, never an exception."""
    lang = lang if lang in LANGS else "pl"
    known = [str(p) for p in atlas.projects["id"]]
    state_data = {**state_data, "lang": lang} if isinstance(state_data, dict) else {"lang": lang}
    state = FilterState.from_dict(state_data, known_projects=known)
    title = (one_line(title) or None) if isinstance(title, str) else None
    if title and (problem := text_problem(title)):   # the only setting a user types: said in the page's language
        return None, "", _t(f"title_{problem}", lang), True
    try:
        spec = ExportSpec(
            state=state, preset=preset if isinstance(preset, str) else "", format=fmt if isinstance(fmt, str) else "",
            title=title,
            logo=isinstance(logo, list) and "logo" in logo and _has_logo(),
        )
    except ExportSpecError as exc:
        return None, "", _t("invalid", lang, error=str(exc)), True
    if progress:
        progress(("1", "3"))
    from dashboard.export.render import ChromiumMissing, RenderError, render_export

    try:
        with (slot() if slot is not None else contextlib.nullcontext()):
            if progress:
                progress(("2", "3"))
            result = render_export(spec, atlas)
    except ExportBusy:
        return None, "", _t("busy", lang), True
    except (ChromiumMissing, RenderError, OSError) as exc:
        return None, "", _t("failed", lang, error=str(exc)), True
    if progress:
        progress(("3", "3"))
    data = {"content": base64.b64encode(result.content).decode("ascii"), "filename": result.filename,
            "type": result.mime, "base64": True}
    status = _t("done", lang, name=result.filename, size=format_number(len(result.content) / 1000, lang),
                sec=format_number(result.seconds, lang, decimals=1))
    return data, result.alt_text, status, False


def resolve_short_link(key: str) -> str | None:
    """The query of a short link printed on an export, or None (unknown or malformed key, or a stored value that
    is no URL query: one planted in a shared Redis with a line break made the redirect fail)."""
    if not re.fullmatch(r"[a-z2-7]{10}", key or ""):
        return None
    query = link_store().resolve(key)
    return query if query is not None and re.fullmatch(r"[A-Za-z0-9._~%&=,:;+*/!$'()@-]*", query) else None


def register_short_links(app) -> None:
    """<prefix>v/<key> -> 302 to <prefix>?<query> (the view printed on an export), 404 when unknown."""
    from flask import Response, redirect

    prefix = app.config.url_base_pathname or "/"

    def open_link(key: str):
        try:
            query = resolve_short_link(key)
        except LinkStoreDown:
            return Response(f"{t('export_links_down', 'pl')} / {t('export_links_down', 'en')}\n", status=503,
                            mimetype="text/plain", headers={"Retry-After": "60"})
        if query is None:
            return Response(f"{t('export_unknown_link', 'pl')} / {t('export_unknown_link', 'en')}\n", status=404,
                            mimetype="text/plain")
        return redirect(f"{prefix}?{query}", code=302)

    app.server.add_url_rule(f"{prefix}{LINK_PATH}<key>", "atlas_short_link", open_link, methods=["GET"])


# Each click gets its own token (click count, time, random part), made in the browser. Dash keys a background job
# by a hash of the callback's arguments: without the token, two users asking for the same export at the same
# moment share one job key, and whoever polls second gets an empty answer (204) instead of the file.
# crypto.getRandomValues works on plain http:// too (crypto.randomUUID needs a secure context).
REQUEST_TOKEN_JS = """
function (nClicks) {
    var no = window.dash_clientside.no_update;
    if (!nClicks) { return [no, no]; }
    var words = new Uint32Array(2);
    window.crypto.getRandomValues(words);
    return [nClicks + "-" + Date.now().toString(36) + "-" + words[0].toString(36) + words[1].toString(36), ""];
}
"""
LOST_JOB_JS = """
function (hidden, status, token, lang) {
    if (!hidden || !token || status) { return window.dash_clientside.no_update; }
    return lang === "en" ? %s : %s;
}
""" % (json.dumps(t("export_lost", "en")), json.dumps(t("export_lost", "pl")))


JobSlot = Callable[[str, Callable[[int], None]], ContextManager]


def register(app, atlas: Any, manager: Any, job_slot: JobSlot | None = None) -> None:
    """The background export callback (run by `manager`, a Dash background-callback manager) over the app's
    `atlas`, the short links printed on exports, re-labelling on the language toggle. `job_slot(token, on_wait)`
    (dashboard.serving.export_queue) holds the job's turn among the machine's renders; None = no bound."""
    register_short_links(app)
    _register_request(app)
    _register_job(app, atlas, manager, job_slot)
    _register_relabel(app)


def _register_request(app) -> None:
    """A click -> a fresh request token (starts the job); a job lost without an answer -> a message."""
    app.clientside_callback(REQUEST_TOKEN_JS, Output("export-request", "data"),
                            Output("export-status", "children", allow_duplicate=True),
                            Input("export-button", "n_clicks"), prevent_initial_call=True)
    # a job that ends without an answer (its web worker died, or the request was refused with 429) leaves the
    # status empty: say so, the button is enabled again for a retry
    app.clientside_callback(LOST_JOB_JS, Output("export-status", "children", allow_duplicate=True),
                            Input("export-progress", "hidden"), State("export-status", "children"),
                            State("export-request", "data"), State("lang", "value"), prevent_initial_call=True)


def _register_job(app, atlas: Any, manager: Any, job_slot: JobSlot | None) -> None:
    """The export itself: a background job that waits for its turn (job_slot), reports progress, answers the file."""
    @app.callback(
        Output("export-download", "data"), Output("export-alt", "children"), Output("export-status", "children"),
        Output("export-alt-box", "hidden"),
        Input("export-request", "data"),
        State("state", "data"), State("export-preset", "value"), State("export-format", "value"),
        State("export-title", "value"), State("lang", "value"), State("export-logo", "value"),
        background=True, manager=manager,
        running=[(Output("export-button", "disabled"), True, False),
                 (Output("export-progress", "hidden"), False, True),
                 (Output("export-queue", "hidden"), False, True)],
        progress=[Output("export-progress", "value"), Output("export-progress", "max"),
                  Output("export-queue", "children")],
        prevent_initial_call=True,
    )
    def run_export(set_progress, request_token, state_data, preset, fmt, title, lang, logo):
        # request_token makes the job key unique and names the job's ticket in the machine's export queue (taken
        # when the request was admitted, see serving.export_queue); a client that sends none still gets its export
        lang_ = lang if lang in LANGS else "pl"
        token = request_token if isinstance(request_token, str) else f"job-{os.getpid()}"

        def queued(ahead: int) -> None:
            set_progress(("0", "3", _t("queued", lang_, n=ahead, exports=plural_form("export_exports", ahead, lang_))))

        @contextlib.contextmanager
        def slot():
            with job_slot(token, queued):
                set_progress(("1", "3", _t("working", lang_)))
                yield

        def progress(values):
            set_progress((*values, _t("working", lang_)))

        return export_response(state_data, preset, fmt, title, lang, atlas=atlas, logo=logo, progress=progress,
                               slot=slot if job_slot is not None else None)


def _register_relabel(app) -> None:
    @app.callback(
        Output("export-preset", "options"), Output("export-preset-label", "children"),
        Output("export-format-label", "children"), Output("export-title-label", "children"),
        Output("export-title", "placeholder"), Output("export-button", "children"),
        Output("export-alt-label", "children"), Output("export-logo", "options"),
        Output("export-link-hint", "children"),
        Input("lang", "value"),
        prevent_initial_call=True,   # the layout is written in Polish; an address in English sets "lang" at load
    )
    def relabel(lang):
        lang = lang if lang in LANGS else "pl"
        return (preset_options(lang), _t("preset", lang), _t("format", lang), _t("title", lang),
                _t("title_placeholder", lang), _t("button", lang), _t("alt", lang),
                [{"label": _t("logo", lang), "value": "logo"}], link_hint(lang))
