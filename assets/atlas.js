/* Atlas ZMP: keeps <html lang> in step with the language toggle (screen readers, hyphenation).
   Plain DOM code in assets/ (self-hosted); no Dash callback, so nothing here is reachable from a request. */
(function () {
  function sync() {
    var checked = document.querySelector("#lang input:checked");
    if (checked) {
      var value = checked.value === "en" ? "en" : "pl";
      if (document.documentElement.getAttribute("lang") !== value) {
        document.documentElement.setAttribute("lang", value);
      }
    }
  }
  var observer = new MutationObserver(sync);
  function start() {
    observer.observe(document.body, {subtree: true, attributes: true, attributeFilter: ["aria-selected", "checked"],
                                     childList: true});
    sync();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
