"""create_app(): the one factory that builds the Dash app (layout, callbacks, geodata routes).

    from dashboard.app import create_app
    app = create_app()          # real data: dashboard.model.atlas.get_atlas()
    app.run(port=8050)

Everything is served locally (serve_locally=True, no external scripts or stylesheets, assets/ for CSS,
the geo base topojson from /geo/topojson/).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import dash

import geodata
from dashboard import config
from dashboard.export import panel as export_panel
from dashboard.export.render import kill_renderer
from dashboard.i18n import t
from dashboard.ingest.tabular import DataFileError
from dashboard.model.atlas import rows_needing_attention
from dashboard.serving import export_queue, geo_routes, jobs, plotly_bundle, render_host
from dashboard.serving.guard import harden
from dashboard.view import boot, callbacks, layout

ROOT = Path(__file__).resolve().parent.parent


def create_app(atlas: Any = None) -> dash.Dash:
    """Build the app. `atlas` defaults to the real atlas (dashboard.model.atlas_cache.cached_atlas(): built by
    get_atlas() once, then read back from disk while the data, boundaries and code are unchanged); the page, its
    callbacks and its exports all show this one atlas. A bad setting stops here (config.ConfigError)."""
    config.validate()
    jobs.check_redis()
    if atlas is None:   # read from the disk cache (dashboard.model.atlas_cache) when the data are unchanged
        from dashboard.model.atlas_cache import cached_atlas

        atlas = cached_atlas()
    _say_rows_that_need_attention(atlas)
    geodata.ensure_prepared()
    prefix = config.url_prefix()
    app = dash.Dash(
        __name__,
        title=t("title"),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        url_base_pathname=prefix,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": t("subtitle")}],
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="pl">')
    app.server.secret_key = jobs.signing_secret()   # the same in every worker and instance (see there)
    urls = geo_routes.register(app.server, prefix)
    # start downloading the geometry while plotly.js is still loading (it asks for the same URLs later)
    preload = preload_html(urls.gminy, urls.wojewodztwa, f"{urls.topojson}world_110m.json")
    app.index_string = app.index_string.replace("{%css%}", "{%css%}" + preload)
    # Dash's index puts its scripts in a <footer>: a second "contentinfo" landmark next to the page's own footer
    app.index_string = app.index_string.replace("<footer>", '<div class="dash-scripts">').replace(
        "</footer>", "</div>")
    boot.install(app, atlas, urls)   # the map of the asked-for view in the page itself, and the scripts' order
    served = plotly_bundle.register(app)   # the partial plotly.js (or the full one, said at start-up)
    # a view's page starts as its first answer would leave it (that answer then changes nothing)
    layout.in_the_pages_view(app, atlas, lambda view: layout.with_props(
        layout.build_layout(atlas, urls, export_panel, view.lang), callbacks.first_answer_props(atlas, urls, view)))
    callbacks.register(app, atlas, urls)
    export_panel.register(app, atlas, jobs.background_manager(), job_slot=export_queue.job_slot)
    export_queue.register_admission(app)   # new export jobs get a ticket or HTTP 429 before Dash starts them
    jobs.on_job_exit(kill_renderer)   # an export job's Chromium ends with the job, however it ends
    embed = create_embed_app(app, atlas, urls, preload, served)
    problem = export_panel.link_problem()
    if problem:   # the panel tells the user; the fix is the administrator's
        print(f"exports: {problem}: the graphics print no link to their view; set it to the atlas's public address "
              "(e.g. https://atlas.miasta.pl) and restart", file=sys.stderr, flush=True)
    return harden(app, embed)   # security headers, compression, JSON errors, callback guard


def create_embed_app(app: dash.Dash, atlas: Any, urls: Any, preload: str = "", served: Any = None) -> dash.Dash:
    """/embed?<view query>: the map alone for articles (an <iframe>), a second Dash app on the same server.
    Framing is allowed only there (dashboard.serving.guard, ATLAS_EMBED_ORIGINS)."""
    prefix = config.url_prefix()
    embed = dash.Dash(
        __name__ + ".embed",
        server=app.server,
        title=t("embed_frame_title"),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        url_base_pathname=prefix + "embed/",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    embed.index_string = embed.index_string.replace("<html>", '<html lang="pl">').replace(
        "{%css%}", "{%css%}" + preload).replace(
        "<footer>", '<div class="dash-scripts">').replace("</footer>", "</div>")
    boot.install(embed, atlas, urls, article=True)
    if served is not None:   # the embed's page (in articles) takes the same small plotly.js
        plotly_bundle.use_on(embed, served)
    layout.in_the_pages_view(embed, atlas, lambda view: layout.embed_layout(atlas, urls, view))
    callbacks.register_embed(embed, atlas, urls, main_path=prefix)
    # /embed without the trailing slash serves the same page (the snippet's address)
    app.server.add_url_rule(prefix + "embed", endpoint="atlas_embed_index", view_func=embed.index)
    return embed


def preload_html(*urls: str) -> str:
    """<link rel=preload> for what the page will fetch(): the request starts as the page is parsed, and the
    page's own fetch() of the same URL (same-origin, CORS mode) takes the answer from there."""
    return "".join(f'<link rel="preload" href="{u}" as="fetch" crossorigin="anonymous">' for u in urls)


def _say_rows_that_need_attention(atlas: Any) -> None:
    """Rows of the office's files that need attention do not stop the app (they are left off the map): the log
    says how many, as the page's footer does."""
    rows = rows_needing_attention(atlas)
    if rows:
        logging.getLogger("atlas").warning(
            "%d rows of the data files need attention and are left off the map; `python -m dashboard check-data` "
            "lists them and what to correct", rows)


def start() -> dash.Dash:
    """create_app() for `python app.py` and gunicorn: a bad setting (or an unreachable Redis) or a bad data file
    stops it with one clear line instead of a traceback."""
    try:
        return create_app()
    except (config.ConfigError, DataFileError) as exc:
        raise SystemExit(f"Atlas ZMP cannot start: {exc}") from None


def main(app: dash.Dash | None = None) -> None:
    app = app or start()
    if not config.debug():   # (debug's reloader runs the app in a second process: its jobs start their own)
        render_host.start()  # exports render in one warm Chromium, as under gunicorn
    try:
        app.run(host=config.host(), port=config.port(), debug=config.debug())
    finally:
        render_host.stop()


if __name__ == "__main__":
    main()
