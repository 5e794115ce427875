// The plotly.js of Atlas ZMP: only the trace types the dashboard and the press export draw.
//   scatter    - core (the growth chart's published-totals line)
//   bar        - the three cross-filter bar charts
//   choropleth - the map of the 2,477 gminy (plotly "geo")
//   scattergeo - town markers on the press export map
// Keep in step with dashboard/view/figures.py and dashboard/export/ (tests/test_plotly_bundle.py checks it).
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/scattergeo')
]);

module.exports = Plotly;
