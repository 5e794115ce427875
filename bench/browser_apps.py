"""The two pages bench/bench_browser.py compares, each served by werkzeug in its own process:

    python -m bench.browser_apps atlas PORT    # this dashboard (create_app(); ATLAS_PLOTLY_BUNDLE decides the bundle)
    python -m bench.browser_apps naive PORT    # a naive Dash page of the same 2,477 gminy

The naive page is what the Dash gallery does: px.choropleth with the gminy GeoJSON inline in the figure, a bar
chart of the voivodeships, and a callback that answers a click on a bar with two whole new figures. It gets the
same local base topojson (config topojsonURL), so neither page fetches anything from the internet.
"""
from __future__ import annotations

import json
import sys


def naive_app():
    import dash
    import pandas as pd
    import plotly.express as px
    from dash import Input, Output, dcc, html
    from flask import send_from_directory

    import geodata
    from dashboard.model.atlas import get_atlas

    atlas = get_atlas()
    geojson = json.loads(geodata.web_asset("gminy").read_text(encoding="utf-8"))
    gminy = pd.DataFrame({"terc": atlas.gminy["terc"].astype(str),
                          "voivodeship": atlas.gminy["voivodeship"].astype(str)})
    ent = atlas.entities[atlas.entities["kind"] == "gmina"] if "kind" in atlas.entities else atlas.entities
    counts = ent.groupby("gmina_teryt").size()
    gminy["cities"] = gminy["terc"].map(counts).fillna(0).astype(int)

    def figures(voivodeship):
        frame = gminy.copy()
        if voivodeship:
            frame["cities"] = frame["cities"].where(frame["voivodeship"] == voivodeship, 0)
        fig = px.choropleth(frame, geojson=geojson, locations="terc", featureidkey="id", color="cities",
                            color_continuous_scale="Blues", hover_name="terc")
        fig.update_geos(fitbounds="locations", visible=False)
        fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=620)
        by_woj = frame.groupby("voivodeship", as_index=False)["cities"].sum()
        bar = px.bar(gminy.groupby("voivodeship", as_index=False)["cities"].sum(), x="voivodeship", y="cities")
        if voivodeship:
            bar.update_traces(selectedpoints=[list(by_woj["voivodeship"]).index(voivodeship)])
        return fig, bar

    topo = geodata.web_asset("topojson_dir")
    app = dash.Dash(__name__, serve_locally=True, update_title=None)
    app.server.add_url_rule("/topojson/<path:name>", "topojson", lambda name: send_from_directory(topo, name))
    fig, bar = figures(None)
    config = {"topojsonURL": "/topojson/"}
    app.layout = html.Div([
        html.H1("Naive Dash map"),
        dcc.Graph(id="map", figure=fig, config=config),
        dcc.Graph(id="by-voivodeship", figure=bar, config=config),
    ])

    @app.callback(Output("map", "figure"), Output("by-voivodeship", "figure"),
                  Input("by-voivodeship", "clickData"), prevent_initial_call=True)
    def on_click(click):
        woj = click["points"][0]["x"] if click and click.get("points") else None
        return figures(woj)

    return app


def atlas_app():
    from dashboard.app import create_app

    return create_app()


def main(argv: list[str]) -> int:
    kind, port = argv[0], int(argv[1])
    from werkzeug.serving import make_server

    app = naive_app() if kind == "naive" else atlas_app()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    print(f"serving {kind} on {port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
