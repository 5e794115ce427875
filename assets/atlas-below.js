/* Atlas ZMP: the charts and the table below the map are drawn after the map (issue 10). The map's first paint
   waits for nothing below the fold, and after a filter change the map is repainted before the bars and the table
   are redrawn. Each time the map has been drawn with new values (its first trace's `z` is a new array: the first
   draw, a filter change, a language change; not a zoom or a pan; or the page's first figure, which the early map
   shows already), once that frame is painted, this bumps the store
   "below-ready", which fills the charts and the table for the current filters (callback "below" in
   dashboard/view/callbacks.py). A fallback after 6 s covers a map that never draws. Plain DOM code, no data. */
(function () {
  var start = Date.now();
  var count = 0;
  var lastZ = null;
  var hooked = null;
  var pending = false;   // a bump on its way: the ones asked for meanwhile are the same (the charts read the address)

  function send() {
    var dc = window.dash_clientside;
    if (dc && dc.set_props && document.getElementById("by-voivodeship")) {
      pending = false;
      count += 1;
      dc.set_props("below-ready", {data: count});
    } else if (Date.now() - start < 30000) {  // the /embed page (same assets) has no charts: give up there
      window.setTimeout(send, 50);
    } else {
      pending = false;
    }
  }

  /* after the frame that paints the map; once while one is on its way (on a slow device the fallback below asks
     every 30 ms until that frame comes) */
  function afterPaint() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { window.setTimeout(send, 0); });
  }

  function onPlotted() {
    var gd = hooked;
    var z = gd && gd.data && gd.data[0] ? gd.data[0].z : null;
    if (z !== lastZ) {
      lastZ = z;
      afterPaint();
    }
  }

  function watch() {
    var gd = document.querySelector("#map .js-plotly-plot");
    if (gd && gd.on && gd !== hooked) {
      hooked = gd;
      gd.on("plotly_afterplot", onPlotted);
      gd.on("atlas_shown", afterPaint);   // a new figure the map showed already, not drawn again (atlas-map.js)
      if (gd.querySelector(".choroplethlayer path.choroplethlocation")) { onPlotted(); }  // drawn already
    }
    if (!hooked && Date.now() - start > 6000 && count === 0) { afterPaint(); }
    window.setTimeout(watch, hooked ? 1000 : 30);  // the map's div may be replaced (e.g. a new page layout)
  }
  watch();
})();
