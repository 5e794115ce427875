/* Atlas ZMP: the charts and the table below the map are drawn after the map (issue 10: the map's first paint
   waits for nothing below the fold). Once the map's first gmina is on screen (or after 6 s, whatever happens),
   this sets the store "below-ready", which fills the charts and the table (callback "below" in
   dashboard/view/callbacks.py). Plain DOM code, no data. */
(function () {
  var start = Date.now();
  var sent = false;
  function send() {
    if (sent) { return; }
    var dc = window.dash_clientside;
    if (dc && dc.set_props && document.getElementById("by-voivodeship")) {
      sent = true;
      dc.set_props("below-ready", {data: true});
    } else if (Date.now() - start < 30000) {  // the /embed page (same assets) has no charts: give up there
      window.setTimeout(send, 50);
    }
  }
  function check() {
    if (document.querySelector("#map .choroplethlayer path.choroplethlocation") || Date.now() - start > 6000) {
      // after the frame that paints the map
      window.requestAnimationFrame(function () { window.setTimeout(send, 0); });
      return;
    }
    window.requestAnimationFrame(check);
  }
  window.requestAnimationFrame(check);
})();
