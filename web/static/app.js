// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Forms that undo something ask first.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
      return;
    }
    // One click is one step: the button waits for the answer.
    var btn = e.target.querySelector("button[type=submit]");
    if (btn) {
      window.setTimeout(function () { btn.disabled = true; btn.setAttribute("aria-busy", "true"); }, 0);
    }
  });
  // Pages waiting on a workflow (a reconciliation, a refund) look again.
  var refresh = document.querySelector("[data-refresh]");
  if (refresh) {
    var secs = parseInt(refresh.getAttribute("data-refresh"), 10) || 5;
    window.setTimeout(function () { window.location.reload(); }, secs * 1000);
  }
})();
