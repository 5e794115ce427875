"""The ceiling of the load test: the smallest Dash app with one callback, served exactly like the atlas
(gunicorn -c gunicorn.conf.py bench.ceiling_app:server, same hardening). Whatever rate this reaches is what
Dash + gunicorn + Flask can do on this machine; the atlas's filter callbacks are reported as a share of it."""
from dash import Dash, Input, Output, dcc, html

from dashboard.serving.guard import harden

app = Dash(__name__, title="ceiling")
app.layout = html.Div([
    dcc.Dropdown(id="choice", options=[{"label": c, "value": c} for c in "ABCDEFGH"], value=["A"], multi=True),
    html.Div(id="echo"),
])


@app.callback(Output("echo", "children"), Input("choice", "value"))
def echo(value):
    return ", ".join(value or [])


harden(app)
server = app.server
