"""Where the page finds what the server serves beside it (filled in by dashboard.serving.geo_routes.register)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeoUrls:
    gminy: str          # URL of the gminy GeoJSON (feature id = TERYT)
    wojewodztwa: str    # URL of the województwa outline GeoJSON
    topojson: str       # URL prefix for plotly's topojsonURL (ends with '/')
    data_readme: str = "data/README.md"   # the data description the page's source note links to
