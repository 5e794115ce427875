/* Atlas ZMP: the server sends the map of the asked-for view as a picture (#boot, dashboard/view/boot.py), shown
   before any script has run; plotly.js draws the live map over it as soon as it can (assets/atlas-map.js). When
   the live page has mounted and the picture is still there (no early map yet), it moves over the live map's place
   and stays there until plotly has drawn the same view (the same classes per gmina and the same view key), so the
   visitor never sees an empty box or the default view of a shared link. Then it goes. Plain DOM code, no data. */
(function () {
  var boot = document.getElementById("boot");
  if (!boot) { return; }
  var picture = boot.querySelector(".boot-map");
  var wantZ = boot.getAttribute("data-z");
  var wantView = boot.getAttribute("data-view");
  var start = Date.now();
  var firstDraw = null;
  var GRACE = 3000;   // after the live map's first drawing: a view the page settles differently still shows

  function drawnView(gd) {
    var trace = gd && gd._fullData && gd._fullData[0];   // z decoded (the figure sends it as base64 int8)
    var paths = gd && gd.querySelector(".choroplethlayer path.choroplethlocation");
    if (!trace || !trace.z || !paths) { return null; }
    return {z: Array.prototype.join.call(trace.z, ""), view: gd.layout && gd.layout.uirevision};
  }

  function finish(how) {  // how: "view" (the live map shows the picture's view) or "timeout"; read by the tests
    document.documentElement.setAttribute("data-boot", how);
    window.requestAnimationFrame(function () {
      if (picture.parentNode) { picture.parentNode.removeChild(picture); }
      if (boot.parentNode) { boot.parentNode.removeChild(boot); }
    });
  }

  function place(live) {  // the picture over the live map's box, in page coordinates
    var r = live.getBoundingClientRect();
    var s = picture.style;
    s.left = (r.left + window.scrollX) + "px";
    s.top = (r.top + window.scrollY) + "px";
    s.width = r.width + "px";
    s.height = r.height + "px";
  }

  function tick() {
    var live = document.querySelector("#react-entry-point .map-graph");
    if (live) {
      if (boot.parentNode) {
        if (picture.querySelector("svg")) {   // (not when the early map has replaced it: assets/atlas-map.js)
          picture.classList.add("boot-overlay");
          document.body.appendChild(picture);
        }
        boot.parentNode.removeChild(boot);
      }
      var drawn = drawnView(live.querySelector(".js-plotly-plot"));
      if (drawn) {
        firstDraw = firstDraw || Date.now();
        if (drawn.z === wantZ && drawn.view === wantView) { return finish("view"); }
        if (Date.now() - firstDraw > GRACE) { return finish("timeout"); }
      }
      place(live);   // (not once the map is drawn: reading its box then would wait for the layout of 2,477 paths)
    }
    if (Date.now() - start > 30000) { return finish("timeout"); }   // a page that never draws its map
    window.requestAnimationFrame(tick);
  }
  window.requestAnimationFrame(tick);
})();
