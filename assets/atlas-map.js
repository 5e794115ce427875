/* Atlas ZMP: the live map, drawn before Dash's page has started, and the Dash component that takes it over.

   1. The early map. The server puts the figure of the asked-for view in the page (dashboard/view/boot.py: a JSON
      <script id="atlas-map-figure"> after the boot frame), and plotly.js is the first of the page's
      deferred scripts. This script draws that figure into the boot frame's map box at once, while Dash's scripts
      are still being run (React, the renderer, dcc: ~0.4 s of the main thread here), and Dash's renderer starts
      once the map is drawn (window.atlasMapReady, boot.py). The map is live at once: hover, zoom and pan work; a
      tap or click on a gmina is kept and given to the page when it has started.
   2. window.atlas_map.AtlasMap (dashboard/view/atlas_map.py): when Dash mounts the map, the drawn plot moves into
      the component's box, not drawn again. From then on it is a graph like dcc.Graph: a new figure or config goes
      to Plotly.react (one at a time, in order), a click sets clickData and a box/lasso selection selectedData,
      in dcc.Graph's format; the plot follows its box's size.
   Without an early map (no figure in the page, no plotly.js yet) the component draws the map itself. */
(function () {
  "use strict";

  var EARLY_TIMEOUT_MS = 4000;   // Dash's page starts anyway when the early map takes longer than this
  var RESIZE_WAIT_MS = 200;      // a new figure within this time is drawn at the new size: no resize of its own

  // plotly.js: the partial bundle is the page's first script; the full one (the fallback) is loaded here, or by
  // dcc.Graph's loader for the charts if it asked first (one <script>: a second would run 4.8 MB again)
  function plotly() {
    if (window.Plotly) { return Promise.resolve(forTouch(window.Plotly)); }
    if (!plotly.loading) {
      plotly.loading = new Promise(function (resolve, reject) {
        var url = window._dashPlotlyJSURL;
        var script = document.querySelector('script[src="' + url + '"]');
        if (!script) {
          script = document.createElement("script");
          script.src = url;
          script.async = true;
          document.body.appendChild(script);
        }
        script.addEventListener("load", function () { resolve(forTouch(window.Plotly)); });
        script.addEventListener("error", reject);
      });
    }
    return plotly.loading;
  }

  /* On a touch screen no plot takes a one-finger drag (dragmode off: every drawing, the map's and the charts'
     through dcc.Graph), so the page scrolls past them (the map and the charts are as wide as a phone's screen): a
     swipe with the figures' box selection selected gminy or bars instead (1,939 gminy in one swipe, a 15 KB
     address; ten voivodeships from the bars). A tap still picks a gmina or a bar; the toolbar's +/- buttons zoom. */
  var TOUCH = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);

  function forTouch(Plotly) {
    if (!TOUCH || !Plotly || Plotly.atlasTouch) { return Plotly; }
    ["react", "newPlot"].forEach(function (name) {
      var original = Plotly[name];
      Plotly[name] = function (gd, data, layout, config) {
        if (data && !Array.isArray(data)) {   // the figure form, {data, layout, frames, config}: dcc.Graph's
          data = Object.assign({}, data, {layout: Object.assign({}, data.layout, {dragmode: false})});
        } else {
          layout = Object.assign({}, layout, {dragmode: false});
        }
        return original.call(this, gd, data, layout, config);
      };
    });
    Plotly.atlasTouch = true;
    return Plotly;
  }
  forTouch(window.Plotly);

  // dcc.Graph's layout for a responsive graph: the box's size, not the figure's
  function layoutOf(figure) {
    return Object.assign({}, figure.layout, {autosize: true, width: undefined, height: undefined});
  }

  // (at once when plotly.js is there: the plot's event methods exist when this returns)
  function draw(gd, figure, config) {
    var f = figure || {};
    function react(Plotly) {
      return Plotly.react(gd, {data: f.data || [], layout: layoutOf(f), frames: f.frames, config: config || {}});
    }
    return window.Plotly ? react(forTouch(window.Plotly)) : plotly().then(react);
  }

  // dcc.Graph's event data (its filterEventData): each point's plain values, its trace's customdata, the selection
  function eventData(gd, event) {
    if (!event || !event.points) { return null; }
    var points = event.points.map(function (p) {
      var point = {};
      Object.keys(p).forEach(function (k) {
        if (p[k] === null || typeof p[k] !== "object") { point[k] = p[k]; }
      });
      if (p.bbox) { point.bbox = p.bbox; }
      var trace = gd.data && gd.data[p.curveNumber];
      if (trace && trace.customdata && p.pointNumber !== undefined) {
        point.customdata = trace.customdata[p.pointNumber];
      }
      if (p.pointNumbers) { point.pointNumbers = p.pointNumbers; }
      return point;
    });
    var data = {points: points};
    if (event.range) { data.range = event.range; }
    if (event.lassoPoints) { data.lassoPoints = event.lassoPoints; }
    return data;
  }

  // the figure as it will be drawn in `box`: a zoomed view's ranges fitted to the box's shape (assets/atlas-frame.js)
  function fitted(figure, box) {
    var layout = figure.layout || {};
    var fit = window.atlasFrame && window.atlasFrame.forBox(layout, box.clientWidth, box.clientHeight);
    if (!fit) { return {figure: figure, fit: null}; }
    var geo = Object.assign({}, layout.geo, {
      lonaxis: Object.assign({}, layout.geo.lonaxis, {range: fit.lon}),
      lataxis: Object.assign({}, layout.geo.lataxis, {range: fit.lat}),
      projection: Object.assign({}, layout.geo.projection, {scale: fit.scale})});
    return {figure: Object.assign({}, figure, {layout: Object.assign({}, layout, {geo: geo})}), fit: fit};
  }

  var early = null;   // {gd, ready, click, drawn}: the early map until the component takes it

  // what a figure and config draw, to compare (the key order is the server's, the same for the same figure)
  function key(figure, config) {
    return JSON.stringify([figure, config]);
  }

  function drawEarly() {
    var source = document.getElementById("atlas-map-figure");
    var box = document.querySelector("#boot .boot-map");   // the frame's map box, with the picture
    if (!source || !box || !window.Plotly) { return Promise.resolve(); }
    var spec = JSON.parse(source.textContent);
    var gd = document.createElement("div");
    box.appendChild(gd);
    var plan = fitted(spec.figure, box);
    if (plan.fit) { gd._atlasFit = {lat: plan.fit.lat, k: plan.fit.k}; }
    early = {gd: gd, ready: null, click: null, drawn: key(spec.figure, spec.config)};
    // with the geometry stored (assets/atlas-geo.js) plotly.js draws at once, not fetching it a second time
    early.ready = Promise.resolve(window.atlasGeoReady).then(function () {
      var drawn = draw(gd, plan.figure, spec.config);
      gd.on("plotly_click", function (event) { if (early) { early.click = eventData(gd, event); } });
      return drawn;
    }).then(function () {
      var picture = box.querySelector("svg");
      if (picture) { box.removeChild(picture); }
    });
    var timeout = new Promise(function (resolve) { window.setTimeout(resolve, EARLY_TIMEOUT_MS); });
    return Promise.race([early.ready, timeout]).catch(function () {});
  }

  function takeEarly() {
    var taken = early;
    early = null;
    if (taken && taken.gd.removeAllListeners) { taken.gd.removeAllListeners("plotly_click"); }
    return taken;
  }

  // the component's class, made when Dash first asks for it (React is loaded after the early map: boot.py)
  function atlasMap(React) {
    return class AtlasMap extends React.Component {
      constructor(props) {
        super(props);
        this.box = React.createRef();
      }

      componentDidMount() {
        var self = this, box = this.box.current, taken = takeEarly();
        this.gd = taken ? taken.gd : document.createElement("div");
        box.appendChild(this.gd);
        var drawn = taken ? taken.ready.then(function () { return self.fit(); }, function () { return self.draw(); })
          : this.draw();
        this.queue = drawn.then(this.listen.bind(this));
        this.early = taken && taken.drawn;
        this.size = [box.clientWidth, box.clientHeight];
        this.observer = new ResizeObserver(this.resized.bind(this));
        this.observer.observe(box);
        if (taken && taken.click) { this.props.setProps({clickData: taken.click}); }
      }

      componentDidUpdate(previous) {
        if (previous.figure !== this.props.figure || previous.config !== this.props.config) {
          // the page's first figure for the address (another language than the layout's, an embedded view) is
          // often the very one the early map drew: not drawn again (~0.25 s of the main thread here)
          var drawn = this.early;
          this.early = null;
          if (drawn && drawn === key(this.props.figure, this.props.config)) {
            this.gd.emit("atlas_shown");   // the map shows the page's new values (assets/atlas-below.js)
            return;
          }
          this.queue = this.redraw(this.queue);
        }
      }

      componentWillUnmount() {
        this.observer.disconnect();
        window.clearTimeout(this.resizeTimer);
        if (window.Plotly) { window.Plotly.purge(this.gd); }
      }

      draw() {
        return draw(this.gd, this.props.figure, this.props.config)
          .catch(function (error) { console.error("atlas map:", error); });
      }

      redraw(after) {
        return after.then(this.draw.bind(this));
      }

      fit() {   // the early map drawn in a box of another size (the frame is the page's, but not to the pixel)
        var gd = this.gd, full = gd._fullLayout;
        if (full && (Math.abs(full.width - gd.clientWidth) > 1 || Math.abs(full.height - gd.clientHeight) > 1)) {
          window.Plotly.Plots.resize(gd);   // (not waited for: plotly runs it after its own short delay)
        }
      }

      listen() {
        var gd = this.gd, setProps = this.props.setProps;
        gd.on("plotly_click", function (event) {
          var data = eventData(gd, event);
          if (data) { setProps({clickData: data}); }
        });
        gd.on("plotly_selected", function (event) {
          var data = eventData(gd, event);
          if (data) { setProps({selectedData: data}); }
        });
        gd.on("plotly_deselect", function () { setProps({selectedData: null}); });
      }

      /* The box changed size (plotly's own "responsive" follows the window only; a panel opening, chips appearing
         change the box too). Not at once: a filter's answer changes the page around the map and brings the map's
         new figure a frame later, whose drawing takes the new size anyway; a resize drawn before it would show the
         old colours again over the ones assets/atlas.js has just put on the paths. */
      resized() {
        var box = this.box.current;
        var size = [box.clientWidth, box.clientHeight];
        if (size[0] === this.size[0] && size[1] === this.size[1]) { return; }
        this.size = size;
        var self = this, figure = this.props.figure;
        window.clearTimeout(this.resizeTimer);
        this.resizeTimer = window.setTimeout(function () {
          if (self.props.figure !== figure) { return; }   // drawn since, at the new size
          self.queue = self.queue.then(function () { return window.Plotly && window.Plotly.Plots.resize(self.gd); });
        }, RESIZE_WAIT_MS);
      }

      render() {
        return React.createElement("div", {id: this.props.id, className: this.props.className,
                                           style: this.props.style, ref: this.box});
      }
    };
  }

  var made = null;
  Object.defineProperty(window, "atlas_map", {
    get: function () { return made || (made = {AtlasMap: atlasMap(window.React)}); }});
  try {
    window.atlasMapReady = drawEarly();
  } catch (error) {   // the page starts as without an early map; its component draws the figure
    console.error("atlas map (early):", error);
    early = null;
  }
})();
