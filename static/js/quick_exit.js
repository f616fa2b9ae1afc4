// The quick-exit button (templates/_quick_exit.html): leaves for a neutral site at once and
// replaces this page's history entry, so the Back button does not bring it back. Esc pressed
// twice within a second leaves too. History recorded before this page is not touched: the
// page says so.
(function () {
  "use strict";
  var button = document.getElementById("quick-exit");
  if (!button) {
    return;
  }
  var target = button.getAttribute("data-exit-url") || button.href;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.body.style.display = "none"; // nothing left on screen while the next site loads
    window.location.replace(target);
  }

  button.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape < 1000) {
      leave(event);
    }
    lastEscape = now;
  });
})();
