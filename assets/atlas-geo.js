/* Atlas ZMP: the map's geometry is handed to plotly.js before it asks for it (issue 10).

   The page's head preloads the gminy and voivodeship GeoJSON and the world topojson (<link rel=preload>, see
   dashboard/app.py). plotly.js would fetch each itself when the map is first drawn, after React has rendered the page
   and plotly.js has been loaded, and then wait for the answers (polling every 50 ms for a URL another draw is already
   fetching). Here each preloaded answer is parsed as soon as it arrives, while the page is still starting, and put
   where plotly.js looks first: window.PlotlyGeoAssets (keyed by the trace's `geojson` URL) and its `topojson` (keyed
   by name, e.g. "world_110m") — the same store plotly.js's own offline topojson scripts fill. The first drawing of
   the map then runs at once (window.atlasGeoReady says when). Plain DOM code; if a file cannot be read here, plotly.js fetches it as before. */
(function () {
  "use strict";
  var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};
  assets.topojson = assets.topojson || {};
  var TOPOJSON = /\/topojson\/([A-Za-z0-9_]+)\.json$/;

  function store(url, json) {
    var topojson = TOPOJSON.exec(url);
    if (topojson) {
      if (assets.topojson[topojson[1]] === undefined) { assets.topojson[topojson[1]] = json; }
    } else if (assets[url] === undefined || assets[url] === "pending") {  // "pending": plotly.js's own fetch
      assets[url] = json;
    }
  }

  var links = document.querySelectorAll('link[rel="preload"][as="fetch"]');
  var stored = Array.prototype.map.call(links, function (link) {
    var url = link.getAttribute("href");
    if (!/\.geojson$/.test(url) && !TOPOJSON.test(url)) { return null; }
    return window.fetch(url, {credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (json) { if (json) { store(url, json); } })
      .catch(function () { /* plotly.js fetches it itself */ });
  });
  // settled when every file is stored (or given up): the early map draws then (assets/atlas-map.js), at once
  window.atlasGeoReady = Promise.all(stored);
})();
