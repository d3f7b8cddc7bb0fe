// Polls an upload's progress while a background job checks or stores it, moves the
// <progress> bar, and reloads the page (with its verdicts or result) once it is done.
(function () {
  "use strict";
  var summary = document.getElementById("summary");
  var bar = document.getElementById("csv-progress");
  var text = document.getElementById("csv-progress-text");
  var label = document.getElementById("csv-status");
  if (!summary || !bar) return;
  var url = summary.getAttribute("data-progress-url");

  function show(p) {
    if (label) label.textContent = p.status_label;
    if (p.status === "checking") {
      bar.max = Math.max(p.rows_total, 1);
      bar.value = p.rows_checked;
      if (text) text.textContent = p.rows_checked.toLocaleString() + " of " + p.rows_total.toLocaleString();
    } else {
      bar.removeAttribute("value"); // storing is one transaction: no partial count to show
      if (text) text.textContent = "";
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        show(p);
        if (p.done) window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  var initial = document.getElementById("csv-progress-initial");
  if (initial) show(JSON.parse(initial.textContent));
  window.setTimeout(poll, 1000);
})();
