/* statusdesk console: small progressive enhancements (everything works without JavaScript). */
(function () {
  "use strict";

  // After a form is re-shown with a problem, bring the first problem into view and focus its field.
  function showProblem() {
    var problem = document.querySelector("[data-problem]");
    if (!problem) return;
    problem.scrollIntoView({ block: "center" });
    var field = problem.querySelector("input:not([type=hidden]), select, textarea");
    if (field && typeof field.focus === "function") field.focus({ preventScroll: true });
  }

  var scheduled = false;
  function scheduleShowProblem() {
    if (scheduled) return;
    scheduled = true;
    // htmx settles (and applies its own scrolling) first; ours runs after it.
    window.setTimeout(function () {
      scheduled = false;
      showProblem();
    }, 0);
  }

  document.addEventListener("DOMContentLoaded", showProblem);
  document.addEventListener("htmx:afterSettle", scheduleShowProblem);
})();
