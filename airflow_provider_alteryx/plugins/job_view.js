// Refreshes the Alteryx job panel in place while the job is unfinished: the API server renders (and escapes)
// the panel; this only swaps it in. No build step, no framework.
(function () {
  "use strict";
  var REFRESH_MS = 2000;
  var holder = document.getElementById("panel");
  if (!holder) return;
  function unfinished() {
    var job = document.getElementById("job");
    return !job || job.getAttribute("data-final") !== "true";
  }
  function refresh() {
    if (!unfinished()) return;
    fetch(holder.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
      .then(function (html) { holder.innerHTML = html; })
      .catch(function () { /* the next refresh tries again */ })
      .then(function () { setTimeout(refresh, REFRESH_MS); });
  }
  setTimeout(refresh, REFRESH_MS);
})();
