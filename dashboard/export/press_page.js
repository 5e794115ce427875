/* kaleido's page (dashboard.export.render): a PDF is printed from the figure's SVG shown as an image, which the
   page's own CSS does not reach. The SVG gets its own rule: no ligatures, or the PDF's text layer reads "ﬁgures"
   (U+FB01), and a reader's search or copy of "figures" finds nothing. kaleido asks plotly.js for that SVG with a
   background function (setBackground): only a PDF's. */
(function () {
  var toImage = window.Plotly.toImage;
  var prefix = "data:image/svg+xml,";
  window.Plotly.toImage = function (figure, options) {
    var image = toImage.apply(this, arguments);
    if (!options || typeof options.setBackground !== "function") { return image; }
    return image.then(function (url) {
      if (typeof url !== "string" || url.indexOf(prefix) !== 0) { return url; }
      var svg = decodeURIComponent(url.slice(prefix.length)).replace(
        /<svg[^>]*>/, function (open) { return open + "<style>text { font-variant-ligatures: none; }</style>"; });
      return prefix + encodeURIComponent(svg);
    });
  };
})();
