"""AtlasMap: the map's Dash component — dcc.Graph's figure/config/clickData/selectedData, drawn by
assets/atlas-map.js.

Why not dcc.Graph: its plot exists only once Dash's renderer has started (React, the renderer, dcc: ~0.4 s of the
main thread here), and then it draws the map afresh. The page draws the map of the asked-for view with plotly.js
while Dash's scripts are still loading (dashboard.view.boot puts the figure in the page); this component takes that
drawn plot over when Dash mounts it, without drawing it again, and from then on is a graph like dcc.Graph: each new
figure is given to Plotly.react, a click or a box/lasso selection sets clickData / selectedData in dcc.Graph's
format.
"""
from __future__ import annotations

from typing import Any

from dash.development.base_component import Component

NAMESPACE = "atlas_map"   # window.atlas_map.AtlasMap (assets/atlas-map.js)
PROPS = ["id", "figure", "config", "className", "style", "clickData", "selectedData"]


class AtlasMap(Component):
    """The live map (see the module docstring). `figure` and `config` as for dcc.Graph; `clickData` and
    `selectedData` are set by the browser."""
    _children_props: list[str] = []
    _base_nodes = ["children"]
    _namespace = NAMESPACE
    _type = "AtlasMap"

    def __init__(self, id: str, figure: dict[str, Any] | None = None, config: dict[str, Any] | None = None,
                 className: str | None = None, style: dict[str, Any] | None = None, **kwargs: Any):
        self._prop_names = list(PROPS)
        self._valid_wildcard_attributes: list[str] = []
        self.available_properties = list(PROPS)
        self.available_wildcard_properties: list[str] = []
        given = {"id": id, "figure": figure, "config": config, "className": className, "style": style, **kwargs}
        super().__init__(**{k: v for k, v in given.items() if v is not None})
