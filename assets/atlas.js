/* Atlas ZMP: small DOM helpers for every reader (plain code in assets/, self-hosted; no Dash callback, so nothing
   here is reachable from a request).
   - <html lang> and the tab's title follow the language toggle (screen readers, hyphenation);
   - Dash 4's radio items and checklists are announced as named radio groups / groups of check boxes, not as
     list boxes of options that hold inputs (axe: aria-input-field-name, nested-interactive); the "as of" slider's
     thumb is named by its label, the join years' two thumbs by theirs ("Rok przystąpienia: od", "… do");
   - the dropdowns' hidden focus proxy is not a Tab stop (axe: aria-hidden-focus): the button itself is, named by
     its visible label, described by what it shows;
   - the filter sheet below 900 px: a button opens and closes it (Esc closes it too);
   - the copy button of the embed snippet; the export panel, opened, scrolled into the filter column's view;
   - on touch screens the map pans with a finger and a tap is a click (details), not the start of a box. */
(function () {
  "use strict";
  var GROUPS = {  // radio group / checklist id -> the id of its visible label
    "lang": "i18n-lang_toggle_label", "metric": "i18n-metric", "match": "i18n-match",
    "unknown-year": "i18n-join_years", "export-format": "export-format-label", "evidence": "i18n-evidence"
  };
  var SLIDERS = {  // a one-thumb slider id -> the id of its visible label
    "asof": "i18n-asof"
  };
  var RANGES = {  // a range slider id -> the id of its visible label; Dash names its thumbs "Minimum"/"Maximum"
    "years": "i18n-join_years"
  };
  var RANGE_ENDS = {pl: ["od", "do"], en: ["from", "to"]};

  function lang() {
    var checked = document.querySelector("#lang input:checked");
    if (checked) { return checked.value === "en" ? "en" : "pl"; }
    var embed = document.getElementById("embed");
    return embed && embed.getAttribute("lang") === "en" ? "en" : "pl";
  }

  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }

  function fixGroups() {
    Object.keys(GROUPS).forEach(function (id) {
      var group = document.getElementById(id);
      if (!group) { return; }
      var radio = group.querySelector("input[type=radio]");
      setAttr(group, "role", radio ? "radiogroup" : "group");
      if (document.getElementById(GROUPS[id])) { setAttr(group, "aria-labelledby", GROUPS[id]); }
      Array.prototype.forEach.call(group.querySelectorAll("[role=option], [aria-selected]"), function (option) {
        option.removeAttribute("role");
        option.removeAttribute("aria-selected");
      });
    });
  }

  function fixSliders() {
    Object.keys(SLIDERS).forEach(function (id) {
      var slider = document.getElementById(id);
      if (!slider || !document.getElementById(SLIDERS[id])) { return; }
      // its thumb and its number box (shown where the slider is wide enough, and on a desktop: assets/style.css)
      Array.prototype.forEach.call(slider.querySelectorAll("[role=slider], input.dash-range-slider-input"),
        function (thumb) {
          if (!thumb.getAttribute("aria-label")) { setAttr(thumb, "aria-labelledby", SLIDERS[id]); }
        });
    });
  }

  function nameRanges() {  // "Rok przystąpienia: od" / "Join year: to", in the page's language
    Object.keys(RANGES).forEach(function (id) {
      var slider = document.getElementById(id), label = document.getElementById(RANGES[id]);
      if (!slider || !label) { return; }
      var ends = RANGE_ENDS[lang()], name = label.textContent.trim();
      ["[role=slider]", "input.dash-range-slider-input"].forEach(function (selector) {   // thumbs, number boxes
        Array.prototype.forEach.call(slider.querySelectorAll(selector), function (thumb, i) {
          setAttr(thumb, "aria-label", name + ": " + ends[Math.min(i, 1)]);
        });
      });
    });
  }

  function fixDropdowns() {
    Array.prototype.forEach.call(document.querySelectorAll(".dash-dropdown-focus-target"), function (proxy) {
      if (!proxy.disabled) { proxy.disabled = true; }
      setAttr(proxy, "tabindex", "-1");
      var button = proxy.nextElementSibling;
      if (!button || button.tagName !== "BUTTON") { return; }
      setAttr(button, "tabindex", "0");
      var label = button.id && document.querySelector("label[for='" + button.id + "']");
      if (label && !label.id) { label.id = button.id + "-label"; }
      // named by its visible label (WCAG 2.5.3), described by what it shows — the chosen values with their count,
      // or the placeholder: "Województwa, mazowieckie śląskie wybrane: 2". With values chosen the description was
      // the label again and the values were never read; Dash's own aria-labelledby named it by the values alone,
      // count first. (Label and values in one name fails axe's label-content-name-mismatch: the chips' text runs
      // together, "mazowieckieśląskie".)
      var shown = [button.id + "-value", button.id + "-value-count"].filter(function (id) {
        return document.getElementById(id);
      });
      if (label && button.hasAttribute("aria-labelledby")) { button.removeAttribute("aria-labelledby"); }
      if (button.hasAttribute("aria-label")) { button.removeAttribute("aria-label"); }
      if (shown.length) { setAttr(button, "aria-describedby", shown.join(" ")); }
    });
  }

  function syncLanguage() {
    var value = lang();
    setAttr(document.documentElement, "lang", value);
    var title = document.getElementById("i18n-title") || document.getElementById("embed-title");
    if (title && title.textContent && document.title !== title.textContent) { document.title = title.textContent; }
  }

  /* Touch: plotly.js's geo maps turn a tap into nothing (its hover code needs cartesian axes on touch), so a tap
     (a short touch that does not move) on a gmina is sent as the map's clickData, as a mouse click would be. (On a
     touch screen the map takes no one-finger drag: assets/atlas-map.js.) */
  function gminaAt(x, y) {  // the gmina (calcdata point of trace 0) under a viewport point, as plotly's hover finds it
    var gd = document.querySelector("#map .js-plotly-plot");
    var geo = gd && gd._fullLayout && gd._fullLayout.geo && gd._fullLayout.geo._subplot;
    var svg = gd && gd.querySelector(".main-svg");
    if (!geo || !svg || !gd.calcdata || !gd.calcdata[0]) { return null; }
    var box = svg.getBoundingClientRect();
    var lonlat = geo.projection.invert([x - box.left, y - box.top]);
    if (!lonlat) { return null; }
    var points = gd.calcdata[0];
    for (var i = 0; i < points.length; i++) {
      var polygons = points[i]._polygons || [];
      for (var j = 0; j < polygons.length; j++) {
        if (polygons[j].contains(lonlat)) { return points[i]; }
      }
    }
    return null;
  }
  function geoSubplot(gd) {
    var geo = gd && gd._fullLayout && gd._fullLayout.geo;
    return geo && geo._subplot && geo._subplot.xaxis ? geo._subplot : null;
  }
  var tap = null;
  document.addEventListener("touchstart", function (event) {
    var t = event.touches.length === 1 ? event.touches[0] : null;
    tap = t && event.target.closest && event.target.closest("#map") && !event.target.closest(".modebar")
      ? {x: t.clientX, y: t.clientY, at: Date.now()} : null;
  }, {capture: true, passive: true});
  document.addEventListener("touchmove", function (event) {
    var t = event.touches[0];
    if (tap && t && Math.abs(t.clientX - tap.x) + Math.abs(t.clientY - tap.y) > 12) { tap = null; }
  }, {capture: true, passive: true});
  document.addEventListener("touchend", function (event) {
    if (!tap || Date.now() - tap.at > 700) { tap = null; return; }
    var point = tap;
    tap = null;
    // no emulated mouse events after the tap (the browser's); plotly still makes a click of its own after a touch
    // that did not drag, and its geo asks its axes where the pointer is, which only a mouse move tells them: a
    // TypeError (p2c) without one, another gmina after one. The tap is answered here: plotly's click finds no place.
    if (event.cancelable) { event.preventDefault(); }
    var geo = geoSubplot(document.querySelector("#map .js-plotly-plot"));
    if (geo) { geo.xaxis.p2c = geo.yaxis.p2c = function () { return NaN; }; }
    var datum = gminaAt(point.x, point.y);
    if (!datum || typeof datum.loc !== "string" || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    window.dash_clientside.set_props("map", {clickData: {points: [
      {curveNumber: 0, pointNumber: datum.i, pointIndex: datum.i, location: datum.loc, z: datum.z}]}});
  }, {capture: true, passive: false});

  /* A drag over the map is no click. Where the map draws no box (an article's map: dragmode off) the browser still
     clicks where the button goes up, and plotly's geo took that for a click on the gmina there: a reader trying to
     pan from Kraków opened the card of a gmina 80 km away. A button that goes up 8 px or more (plotly's own drag
     distance, MINDRAG) from where it went down does not reach plotly. */
  var press = null;
  document.addEventListener("mousedown", function (event) {
    press = event.target.closest && event.target.closest("#map") ? {x: event.clientX, y: event.clientY} : null;
  }, true);
  document.addEventListener("click", function (event) {
    var from = press;
    press = null;
    if (from && Math.max(Math.abs(event.clientX - from.x), Math.abs(event.clientY - from.y)) >= 8 &&
        event.target.closest && event.target.closest("#map")) {
      event.stopPropagation();
    }
  }, true);

  function fixAll() {
    observer.disconnect();
    try {
      fixGroups();
      fixSliders();
      nameRanges();
      fixDropdowns();
      syncLanguage();
    } finally {
      observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       attributeFilter: ["aria-selected", "aria-labelledby", "checked", "role", "lang", "tabindex"]});
    }
  }
  // at once, after the task that changed the page (a MutationObserver's callback is a microtask): with the fixes
  // waiting for the next frame, a script running in between (a screen reader's query, axe-core: seen once in
  // a test run) found Dash's new dropdowns and sliders without their names and with focusable hidden inputs
  var observer = new MutationObserver(fixAll);

  function sheet(open) {
    var toggle = document.getElementById("filters-toggle");
    document.body.classList.toggle("filters-open", open);
    if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
    if (open) {
      var heading = document.querySelector("#filters .panel-title");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    } else if (toggle && window.getComputedStyle(toggle).display !== "none") {
      toggle.focus();
    }
  }

  function copyCode() {
    var box = document.getElementById("embed-code");
    var status = document.getElementById("embed-copied");
    if (!box) { return; }
    function done() { if (status) { status.textContent = status.getAttribute("data-copied-" + lang()) || ""; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(done, function () { box.select(); document.execCommand("copy"); done(); });
    } else {
      box.focus(); box.select(); document.execCommand("copy"); done();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target) { return; }
    if (target.id === "filters-toggle") { sheet(!document.body.classList.contains("filters-open")); }
    else if (target.id === "filters-close") {
      sheet(false);
      var map = document.getElementById("map-section");
      if (map) { map.scrollIntoView(); }
    }
    else if (target.id === "embed-copy") { copyCode(); }
  });
  function scroller(el) {  // the nearest ancestor that scrolls its own content (the filter column on a desktop)
    for (var node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      var overflow = window.getComputedStyle(node).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollHeight > node.clientHeight) { return node; }
    }
    return null;
  }

  // A section opened at the foot of the filter column (the export panel) showed only its first line there: the rest
  // stayed below the column's edge, and the click seemed to do nothing. Its column scrolls it into view.
  document.addEventListener("toggle", function (event) {
    var section = event.target;
    if (section.id !== "export-section" || !section.open) { return; }
    var column = scroller(section);
    if (!column) { return; }
    var box = section.getBoundingClientRect(), view = column.getBoundingClientRect();
    if (box.bottom > view.bottom) {
      column.scrollTop += Math.min(box.bottom - view.bottom, box.top - view.top);
    }
  }, true);   // (toggle does not bubble)
  /* The embed's town card closes with its × or Esc, and the focus goes to the map's title (it fell to the page's
     start: the next Tab began again from the top) */
  document.addEventListener("keydown", function (event) {
    var card = event.key === "Escape" && event.target.closest && event.target.closest(".embed-card");
    var close = card && card.querySelector("#details-close");
    if (close && card.querySelector("h2")) { close.click(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".embed #details-close")) { return; }
    var title = document.getElementById("embed-title");
    if (title) { setAttr(title, "tabindex", "-1"); title.focus({preventScroll: true}); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("filters-open")
        && document.getElementById("filters").contains(document.activeElement)
        && !document.querySelector(".dash-dropdown-content")) {
      sheet(false);
    }
  });

  /* A slider's number box (Dash 4) applies its year only when it loses focus: Enter did nothing, and an emptied or
     out-of-range box left "NaN" or a year the map did not show. Enter applies it (the box keeps the focus), and on
     leaving the box what is not a year in range becomes the nearest one (an empty box: the year it had). */
  var BOX = "input.dash-range-slider-input";
  var setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(BOX)) { event.target.dataset.was = event.target.value; }
  });
  document.addEventListener("focusout", function (event) {   // capture: before Dash's own blur handler reads it
    var box = event.target;
    if (!box.matches || !box.matches(BOX)) { return; }
    var year = parseFloat(box.value), min = parseFloat(box.min), max = parseFloat(box.max);
    if (isNaN(year)) { year = parseFloat(box.dataset.was); }
    if (isNaN(year)) { return; }
    year = Math.round(Math.min(isNaN(max) ? year : max, Math.max(isNaN(min) ? year : min, year)));
    if (String(year) !== box.value) {
      setValue.call(box, String(year));
      box.dispatchEvent(new Event("input", {bubbles: true}));   // the slider's own change handler takes it
    }
  }, true);
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.matches || !box.matches(BOX)) { return; }
    event.preventDefault();
    box.blur();
    box.focus();
  });

  /* Typing into an open dropdown whose focus Dash put on its chosen option (the town search with Łódź chosen):
     the letters went nowhere and Enter then unchose Łódź. A letter typed on an option goes to the search box, as
     in a dropdown with nothing chosen; arrows, Space and Enter still work the options. */
  document.addEventListener("keydown", function (event) {
    var option = event.target.closest && event.target.closest(".dash-dropdown-option");
    var shortcut = (event.ctrlKey || event.metaKey || event.altKey) && !event.getModifierState("AltGraph");
    if (!option || event.key.length !== 1 || event.key === " " || shortcut || event.isComposing) { return; }
    var content = option.closest(".dash-dropdown-content");
    var search = content && content.querySelector("input.dash-dropdown-search");
    if (search) { search.focus(); }   // the key's character goes to the focused box
  }, true);

  /* Typing into a closed dropdown (Dash 4) — "krakow" on the town search: Dash reads each key from its keyup on the
     dropdown's button and moves the focus to the search box a frame after the first. A key pressed before the one
     before it is released (a fast typist's rollover) went down on the button and up in the box, and was lost
     ("kakow"). Each key is handed to Dash's own keyup handler at its keydown instead, in the order pressed, and its
     real keyup, wherever it lands, is not read again. (Space opens a closed dropdown, as a button's space does.) */
  var handedOver = {}, handing = false;
  window.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest("button.dash-dropdown");
    var shortcut = (event.ctrlKey || event.metaKey || event.altKey) && !event.getModifierState("AltGraph");
    if (!button || event.key.length !== 1 || shortcut || event.isComposing
        || (event.key === " " && button.getAttribute("aria-expanded") !== "true")) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    handedOver[event.code || event.key] = true;
    handing = true;
    try {
      button.dispatchEvent(new KeyboardEvent("keyup", {key: event.key, code: event.code, bubbles: true}));
    } finally {
      handing = false;
    }
  }, true);
  window.addEventListener("keyup", function (event) {
    var code = event.code || event.key;
    if (handing || !handedOver[code]) { return; }
    delete handedOver[code];
    event.stopImmediatePropagation();
  }, true);

  /* The address (dcc.Location pushes each change of it) gets one Back step per step of the user's own:
     - an address the page rewrites by itself (a link not in the atlas's own form, "?lang=EN", "?woj=02&woj=24", is
       given its canonical form when the page opens, and again when Back returns to it) replaces the entry: a push
       there made Back land on the same view again and again, a trap;
     - the play button steps the year: the steps after a play's first replace the address too, so one Back returns
       to the view before the play; its last step comes with the button already released (the same tick), a pause
       brings no step. */
  var pushState = window.history.pushState, playPushed = false, userActed = false;
  function playing() {
    var button = document.getElementById("asof-play");
    return !!button && button.getAttribute("data-playing") === "true";
  }
  window.history.pushState = function () {
    var replace = playPushed || !userActed;
    playPushed = playing();
    return (replace ? window.history.replaceState : pushState).apply(window.history, arguments);
  };
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () { userActed = true; }, true);
  });
  window.addEventListener("popstate", function () { userActed = false; });
  /* While the years play, a pause button over the map (on a phone the play button is in the closed sheet): it
     presses the play button; focus stays on the map's section when it goes */
  var wasPlaying = false, lastStep = false;
  new MutationObserver(function () {
    // a play's last step comes with its button released already (the same tick): its date is announced too
    lastStep = lastStep || (wasPlaying && !playing());
    wasPlaying = playing();
    if (lastStep) { announceDate(); }   // (the legend may have its last date already)
    document.documentElement.classList.toggle("playing", playing());
    // a play that ends by itself takes the pause button away: its focus goes to the map, as a pause's does
    var focused = document.activeElement, section = document.getElementById("map-section");
    if (!playing() && focused && focused.id === "map-pause" && section) { section.focus({preventScroll: true}); }
  }).observe(document.documentElement, {subtree: true, attributes: true, attributeFilter: ["data-playing"]});
  /* While the years play, a screen reader hears each date the map shows (by its legend), once: the play was silent
     (the chips, a live region, were read out again instead) */
  function announceDate() {
    var status = document.getElementById("asof-status"), date = document.querySelector("#legend .legend-date");
    if (status && date && (playing() || lastStep) && status.textContent !== date.textContent) {
      status.textContent = date.textContent;
      lastStep = false;
    }
  }
  ["pointerdown", "keydown"].forEach(function (type) {   // the reader's own change of the date is not a step
    document.addEventListener(type, function () { lastStep = false; }, true);
  });
  (function watchLegend() {
    var legend = document.getElementById("legend");
    if (!legend) { window.setTimeout(watchLegend, 200); return; }
    new MutationObserver(announceDate).observe(legend, {childList: true, subtree: true, characterData: true});
  })();
  /* A gmina's details out of sight below the map (a tablet's or a phone's one column: a click seemed to do
     nothing): a link at the map's foot names the gmina and goes there; it goes once they are in view */
  function detailsCue() {
    var details = document.getElementById("details"), cue = document.getElementById("details-cue");
    if (!details || !cue) { return; }
    var name = details.querySelector("h3");
    if (name) { cue.setAttribute("data-name", name.textContent); }
    var below = !!name && name.getBoundingClientRect().bottom > window.innerHeight;   // its name not in sight
    document.documentElement.classList.toggle("details-below", below);
  }
  (function watchDetails() {
    var details = document.getElementById("details");
    if (!details || details.closest(".embed")) {
      if (!details) { window.setTimeout(watchDetails, 200); }
      return;
    }
    new MutationObserver(detailsCue).observe(details, {childList: true, subtree: true});
    var queued = false;
    window.addEventListener("scroll", function () {
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () { queued = false; detailsCue(); });
    }, {passive: true});
  })();
  document.addEventListener("click", function (event) {
    var cue = event.target.closest && event.target.closest("#details-cue");
    if (!cue) { return; }
    event.preventDefault();   // no #hash in the address (and no step in its history)
    var heading = document.getElementById("details-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.scrollIntoView({block: "start"});
      heading.focus({preventScroll: true});
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#map-pause")) { return; }
    var button = document.getElementById("asof-play"), section = document.getElementById("map-section");
    if (button && playing()) { button.click(); }
    if (section) { section.focus({preventScroll: true}); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#asof-play")) { return; }
    if (playing()) {   // a pause: the next address is the user's own step
      playPushed = false;
    } else if (document.body.classList.contains("filters-open")) {
      sheet(false);   // on a phone the filter sheet covers the map the play is for; Filters opens it to pause
      var map = document.getElementById("map");
      if (map) { map.scrollIntoView({block: "center"}); }
    }
  }, true);

  /* The table's rows (a clientside callback, see dashboard/view/layout.py table_rows): one <tr> per row, the first
     value (the city) as the row header, each cell with its column's class. Text only (textContent). */
  function renderTable(table) {
    var body = document.getElementById("table-body");
    if (body && table && Array.isArray(table.rows)) {
      var words = Array.isArray(table.words) ? table.words : [];
      var coded = Array.isArray(table.coded) ? table.coded : [];
      var classes = Array.isArray(table.classes) ? table.classes : [];
      var fragment = document.createDocumentFragment();
      table.rows.forEach(function (row) {
        var tr = document.createElement("tr");
        (Array.isArray(row) ? row : []).forEach(function (value, i) {
          var cell = document.createElement(i === 0 ? "th" : "td");
          if (i === 0) { cell.setAttribute("scope", "row"); }
          cell.className = classes[i] || "";
          if (coded.indexOf(i) >= 0) { value = words[value]; }   // a repeated text, sent once
          cell.textContent = value === null || value === undefined ? "" : String(value);
          tr.appendChild(cell);
        });
        fragment.appendChild(tr);
      });
      body.replaceChildren(fragment);
    }
    return window.dash_clientside.no_update;
  }
  /* The bars' buttons (dashboard/view/layout.py bar_lists): {texts: {chart: [text per key]}, pressed: {chart:
     [keys]}} -> one <li><button class="pick" aria-pressed> per key of each list's data-keys. Text only
     (textContent). Built once, then updated in place, so that a focused button keeps the focus. */
  function barLists(lists) {
    document.querySelectorAll(".pick-list[data-chart]").forEach(function (list) {
      var chart = list.getAttribute("data-chart"), keys = JSON.parse(list.getAttribute("data-keys") || "[]");
      var texts = lists && lists.texts && lists.texts[chart];
      if (!Array.isArray(texts) || texts.length !== keys.length) { return; }
      var pressed = (lists.pressed && lists.pressed[chart]) || [];
      if (list.querySelectorAll("button.pick").length !== keys.length) {
        list.replaceChildren.apply(list, keys.map(function (key) {
          var item = document.createElement("li"), button = document.createElement("button");
          button.type = "button";
          button.className = "pick";
          button.setAttribute("data-key", key);
          item.appendChild(button);
          return item;
        }));
      }
      list.querySelectorAll("button.pick").forEach(function (button, i) {
        button.textContent = String(texts[i]);
        button.setAttribute("aria-pressed", String(Array.isArray(pressed) && pressed.indexOf(keys[i]) >= 0));
      });
    });
  }
  // a press of one of them -> the "pick" store ({chart, key, n}: n makes a second press of the same key news)
  var picks = 0;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".pick-list[data-chart] button.pick");
    if (!button || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    picks += 1;
    window.dash_clientside.set_props("pick", {data: {chart: button.closest(".pick-list").getAttribute("data-chart"),
                                                     key: button.getAttribute("data-key"), n: picks}});
  });
  // "#f0f2f5" -> "rgb(240, 242, 245)", the form plotly.js writes: a gmina whose colour stays is not touched
  function plotlyColour(colour) {
    var hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
    return hex ? "rgb(" + hex.slice(1).map(function (h) { return parseInt(h, 16); }).join(", ") + ")" : colour;
  }
  /* The drawn gminy recoloured at once from a filter change: plotly.js restyles and re-projects all 2,477 paths on
     any change of the figure (~400 ms on 2 cores), so the new colours would wait for it. The class colours are the
     stepped colorscale's (dashboard/view/figures.py _stepped: class c is its band c); the veil over members known
     only later is hidden where they left the view (plotly draws the new veil and the focus with the Patch). */
  function recolour(changes, view) {
    var layers = document.querySelectorAll("#map .choroplethlayer .trace");
    var scale = Array.isArray(changes.colorscale) ? changes.colorscale : [];
    var colours = scale.filter(function (_, i) { return i % 2 === 0; }).map(function (step) {
      return plotlyColour(step[1]);
    });
    if (!layers.length || !colours.length) { return; }
    var selected = Array.isArray(changes.selectedpoints) ? new Set(changes.selectedpoints) : null;
    layers[0].querySelectorAll("path.choroplethlocation").forEach(function (path) {
      var i = path.__data__ && path.__data__.index;
      if (typeof i !== "number") { return; }
      var fill = colours[view.z[i]] || colours[0];
      if (path.getAttribute("fill") !== fill) { path.setAttribute("fill", fill); }
      var opacity = selected ? (selected.has(i) ? "1" : "0.35") : "";
      if (path.style.opacity !== opacity) { path.style.opacity = opacity; }
    });
    var veil = new Set(view.undated);
    if (layers[3]) {
      layers[3].querySelectorAll("path.choroplethlocation").forEach(function (path) {
        // opacity, not display: plotly reuses these paths for the new veil and sets their opacity again
        if (path.__data__ && !veil.has(path.__data__.loc)) { path.style.opacity = "0"; }
      });
    }
  }
  /* The compact changes (dashboard/view/callbacks.py map_changes) over the figure's locations (atlas.gminy order):
     the class of every gmina, and the gminy of the veil and of the focus outline; null for anything else. */
  function decodeChanges(changes, locations) {
    if (!changes || typeof changes !== "object" || !Array.isArray(locations)) { return null; }
    var n = locations.length;
    function valid(list) {
      return (Array.isArray(list) ? list : []).filter(function (i) { return i >= 0 && i < n; });
    }
    function places(list) { return valid(list).map(function (i) { return locations[i]; }); }
    var z = new Array(n).fill(0);
    Object.keys(changes.classes || {}).forEach(function (c) {
      valid(changes.classes[c]).forEach(function (i) { z[i] = Number(c); });
    });
    return {z: z, undated: places(changes.undated), focus: places(changes.focus)};
  }
  /* The controller's answer recoloured as it arrives: Dash first applies all its outputs (React renders the chips,
     the legend, the controls), ~50-90 ms on 2 cores, before the map's clientside callback (mapPatch) runs. Only a
     successful answer that carries map changes is read, from a copy; Dash reads the answer itself as before. Where
     the copy cannot be read, plotly's redraw brings the colours, later. */
  var dashFetch = window.fetch;
  window.fetch = function (resource) {
    var answer = dashFetch.apply(this, arguments);
    if (String(resource && resource.url || resource).indexOf("_dash-update-component") >= 0) {
      answer.then(function (response) {
        var copy;
        try { copy = response.ok && response.clone(); } catch (error) { return; }   // its body already read
        if (!copy) { return; }
        copy.json().then(function (body) {
          var changes = body && body.response && body.response["map-changes"];
          var gd = document.querySelector("#map .js-plotly-plot");
          var view = changes && gd && gd.data && gd.data[0] && decodeChanges(changes.data, gd.data[0].locations);
          if (view) { recolour(changes.data, view); }
        }).catch(function () { /* not JSON: Dash reports it */ });
      }, function () { /* a failed request: Dash reports it */ });
    }
    return answer;
  };
  /* resolves at the start of the frame after the one that paints the recoloured map, so that plotly's redraw (one
     long task) neither delays that paint nor runs before the work queued behind it; at once in a hidden tab, which
     paints no frames */
  function afterPaint(value) {
    if (document.hidden) { return Promise.resolve(value); }
    return new Promise(function (resolve) {
      window.requestAnimationFrame(function () { window.requestAnimationFrame(function () { resolve(value); }); });
    });
  }
  /* A filter change on the map (dashboard/view/callbacks.py map_changes) -> a Patch of its figure, after the paint
     of the colours (recoloured as the answer came in, above): class numbers of all gminy from the positions of
     the coloured ones, the veil and the focus outline by position, the view. */
  function mapPatch(changes, figure) {
    var trace = figure && figure.data && figure.data[0];
    var view = decodeChanges(changes, trace && trace.locations);
    if (!view) { return window.dash_clientside.no_update; }
    var z = view.z, undated = view.undated, focus = view.focus;
    function zeros(list) { return list.map(function () { return 0; }); }
    var patch = new window.dash_clientside.Patch();
    patch.assign(["data", 0, "z"], z);
    patch.assign(["data", 0, "zmax"], changes.zmax);
    patch.assign(["data", 0, "colorscale"], changes.colorscale);
    patch.assign(["data", 0, "selectedpoints"], Array.isArray(changes.selectedpoints) ? changes.selectedpoints : null);
    patch.assign(["data", 3, "locations"], undated);
    patch.assign(["data", 3, "z"], zeros(undated));
    patch.assign(["data", 2, "locations"], focus);
    patch.assign(["data", 2, "z"], zeros(focus));
    if (changes.clear_selection) { patch.assign(["layout", "selections"], []); }
    var gd = document.querySelector("#map .js-plotly-plot");
    var fitted = window.atlasFrame && gd ? window.atlasFrame.patch(gd, changes.view ? changes.view.scale : undefined)
                                         : null;   // the ranges of the frame's shape (assets/atlas-frame.js)
    if (fitted) {
      patch.assign(["layout", "geo", "lonaxis", "range"], fitted.lon);
      patch.assign(["layout", "geo", "lataxis", "range"], fitted.lat);
      if (fitted.scale !== undefined) { patch.assign(["layout", "geo", "projection", "scale"], fitted.scale); }
    }
    if (changes.view) {
      patch.assign(["layout", "geo", "center"], changes.view.center);
      if (!fitted) { patch.assign(["layout", "geo", "projection", "scale"], changes.view.scale); }
      patch.assign(["layout", "uirevision"], changes.view.uirevision);
    }
    return afterPaint(patch.build());
  }
  // the server's snippet points at a path (its answers are shared by every host name): this page's origin first
  function absoluteEmbed(snippet) {
    if (typeof snippet !== "string") { return window.dash_clientside.no_update; }
    return snippet.replace('src="/', 'src="' + window.location.origin + "/");
  }

  // An open card says "as of <year>" and whether the evidence filter shows its city: when the state's year or
  // evidence levels differ from the ones it was drawn for (its heading's data-basis), it is asked for again. Any
  // other filter change costs no request for it.
  function cardBasis(state) {
    const heading = document.querySelector("#details [data-basis]");
    if (!state || !heading) { return window.dash_clientside.no_update; }
    const basis = state.asof + "|" + (state.evidence || []).slice().sort().join(",");
    return basis === heading.getAttribute("data-basis") ? window.dash_clientside.no_update : basis;
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.atlas = Object.assign({}, window.dash_clientside.atlas,
                                               {renderTable: renderTable, absoluteEmbed: absoluteEmbed,
                                                barLists: barLists, mapPatch: mapPatch, cardBasis: cardBasis});

  function start() { fixAll(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
