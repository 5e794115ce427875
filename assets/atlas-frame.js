/* Atlas ZMP: a zoomed map fills its frame.

   plotly.js clips a geo map to its lon/lat range box as fitted into the plot (plotly.js geo.js updateProjection:
   clipExtent = the fitted box's bounds). With Poland's box in a frame of another shape, a zoomed view (a
   voivodeship, a town, the reader's own zoom) is cut along straight lines inside the frame, and the neighbours
   beyond them are missing. The map figure's layout.meta.frames (dashboard/view/figures.py map_frames) holds, for
   frame shapes (width / height), the latitude range whose box has that shape and the box's projected size: with
   ranges of the frame's shape, the clip rectangle is the whole frame. projection.scale counts from the fitted box,
   so the view's scale is multiplied by k: the map is drawn exactly as large as with Poland's box.

   window.atlasFrame.patch(gd, viewScale) -> what a patch of the figure sets (assets/atlas.js mapPatch puts it in
   every patch): the ranges of the frame's shape and, for a new view or newly fitted ranges, the scale. Here:
   after the reader zooms, after a resize, and after a whole new figure of a zoomed view (/embed), the drawn map
   is refitted. The first drawing of the whole country is left as it is: Poland fits its box. Plain DOM code,
   plotly's public API only. */
(function () {
  "use strict";

  // the ranges and k for the plot's size (its box's)
  function fit(gd) {
    return gd ? fitBox(gd.layout, gd.clientWidth, gd.clientHeight) : null;
  }

  // the ranges and k for a figure's layout drawn in a box of w x h
  function fitBox(layout, w, h) {
    var frames = layout && layout.meta && layout.meta.frames;
    if (!frames || !frames.rows || frames.rows.length < 2 || !w || !h) { return null; }
    var rows = frames.rows, aspect = w / h, i = 1;
    while (i < rows.length - 1 && rows[i][0] < aspect) { i += 1; }
    var a = rows[i - 1], b = rows[i];
    var t = Math.max(0, Math.min(1, (aspect - a[0]) / (b[0] - a[0])));
    function at(j) { return a[j] + t * (b[j] - a[j]); }
    var poland = frames.poland;
    return {lon: frames.lon, lat: [at(1), at(2)],
            k: Math.min(w / poland[0], h / poland[1]) / Math.min(w / at(3), h / at(4))};
  }

  function same(x, y) {
    return Array.isArray(x) && Array.isArray(y) && Math.abs(x[0] - y[0]) < 1e-4 && Math.abs(x[1] - y[1]) < 1e-4;
  }

  // the k the drawn scale counts with: the one its ranges were fitted with, 1 for Poland's box
  function drawnK(gd, lat) {
    var last = gd._atlasFit;
    return last && same(last.lat, lat) ? last.k : 1;
  }

  // the relayout that fits the drawn map to its box, or null when it is fitted (or the unzoomed country)
  function refitted(gd) {
    var geo = gd.layout && gd.layout.geo;
    var wanted = fit(gd);
    if (!geo || !wanted || !geo.lataxis || !geo.projection) { return null; }
    var lat = geo.lataxis.range;
    if (same(lat, wanted.lat)) { return null; }
    var k = drawnK(gd, lat);
    var poland = same(lat, gd.layout.meta.frames.poland_lat);
    if (poland && (geo.projection.scale || 1) <= 1.0001) { return null; }   // the whole country, unzoomed
    gd._atlasFit = {lat: wanted.lat, k: wanted.k};
    return {"geo.lonaxis.range": wanted.lon, "geo.lataxis.range": wanted.lat,
            "geo.projection.scale": (geo.projection.scale || 1) * wanted.k / k};
  }

  function refit(gd) {
    var update = window.Plotly && refitted(gd);
    if (update) { window.Plotly.relayout(gd, update); }
  }

  function later(gd) { window.setTimeout(function () { refit(gd); }, 0); }

  /* plotly's pan and wheel zoom of this projection (a clipped one: plotly.js geo/zoom.js zoomClipped) draw each
     mouse move's map before they turn the projection for that move, so when the button goes up the map is drawn
     one move behind the projection that hover and click read: after a pan, a click on Kraków as drawn opened
     Krzeszowice. A pan or zoom by hand (the moves plotly reports as "relayouting") ends with the map drawn as the
     projection stands; a relayout by code (a zoom button, a refit) draws the whole map anyway. */
  function drawAsProjected(gd) {
    var geo = gd._fullLayout && gd._fullLayout.geo && gd._fullLayout.geo._subplot;
    if (geo) { geo.render(); }
  }

  var hooked = null;
  function watch() {
    var gd = document.querySelector("#map .js-plotly-plot");
    if (gd && gd.on && gd !== hooked) {
      hooked = gd;
      var byHand = false;
      gd.on("plotly_relayouting", function () { byHand = true; });
      gd.on("plotly_relayout", function () {
        if (byHand) { byHand = false; drawAsProjected(gd); }
        later(gd);
      });
      gd.on("plotly_afterplot", function () { later(gd); });
    }
    window.setTimeout(watch, hooked ? 1000 : 100);   // the map's div may be replaced (a new page layout)
  }
  watch();

  /* Printing (Ctrl+P): plotly keeps the screen's size, which a landscape page cut off (the map card went to a page
     of its own, its bottom lost). While printing, the map's box has its print size on the screen too (class
     "printing", assets/style.css: one that fits an A4 or Letter page either way round with its card), and plotly
     draws the map to that box at once (the print is taken right after this event); then it follows its box
     again. (A width and height set on the plot itself would not last: the graph component draws its figure
     again, without them.) */
  window.addEventListener("beforeprint", function () {
    document.documentElement.classList.add("printing");
    if (!hooked || !window.Plotly) { return; }
    var update = refitted(hooked) || {};
    update.autosize = true;
    window.Plotly.relayout(hooked, update);
  });
  window.addEventListener("afterprint", function () {
    document.documentElement.classList.remove("printing");
    if (hooked && window.Plotly) { window.Plotly.relayout(hooked, {autosize: true}); }
  });

  /* viewScale: the new view's scale, counted from Poland's box; undefined keeps the drawn one (the reader's zoom
     stays: plotly keeps a zoom made by hand while the figure's own scale does not change) */
  function patch(gd, viewScale) {
    var geo = gd && gd.layout && gd.layout.geo;
    var wanted = fit(gd);
    if (!wanted || !geo || !geo.lataxis || !geo.projection) { return null; }
    var out = {lon: wanted.lon, lat: wanted.lat};
    if (viewScale !== undefined) {
      out.scale = viewScale * wanted.k;
    } else if (!same(geo.lataxis.range, wanted.lat)) {
      out.scale = (geo.projection.scale || 1) * wanted.k / drawnK(gd, geo.lataxis.range);
    }
    gd._atlasFit = {lat: wanted.lat, k: wanted.k};
    return out;
  }

  /* A new figure about to be drawn in a box of w x h (assets/atlas-map.js, the early map): its ranges of the box's
     shape and its scale, or null for the whole country unzoomed (left as it is, as above) */
  function forBox(layout, w, h) {
    var geo = layout && layout.geo;
    var wanted = fitBox(layout, w, h);
    if (!wanted || !geo || !geo.lataxis || !geo.projection) { return null; }
    var scale = geo.projection.scale || 1;
    if (same(geo.lataxis.range, layout.meta.frames.poland_lat) && scale <= 1.0001) { return null; }
    return {lon: wanted.lon, lat: wanted.lat, k: wanted.k, scale: scale * wanted.k};
  }

  window.atlasFrame = {patch: patch, forBox: forBox};
})();
