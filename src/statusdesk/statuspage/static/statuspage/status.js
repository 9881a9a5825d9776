/* statusdesk status page: the uptime bars answer the arrow keys (one Tab stop per bar, the
 * days one arrow apart); Escape hides a day's details. Everything else works without it. */
(function () {
  "use strict";

  function visible(day) {
    return day.offsetParent !== null;
  }

  function move(bar, from, step) {
    var days = Array.prototype.filter.call(bar.querySelectorAll(".sp-day"), visible);
    var index = days.indexOf(from);
    if (index < 0) return;
    var next = step === "first" ? days[0] : step === "last" ? days[days.length - 1] : days[index + step];
    if (!next) return;
    from.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  }

  document.addEventListener("keydown", function (event) {
    var day = event.target.closest && event.target.closest(".sp-day");
    if (!day) return;
    var bar = day.parentElement;
    var keys = { ArrowLeft: -1, ArrowRight: 1, Home: "first", End: "last" };
    if (event.key in keys) {
      event.preventDefault();
      move(bar, day, keys[event.key]);
    } else if (event.key === "Escape") {
      day.blur();
    }
  });

  // On a phone the older days are hidden: the Tab stop must be a day that shows (today).
  document.addEventListener("focusin", function (event) {
    var day = event.target.closest && event.target.closest(".sp-day");
    if (!day) return;
    Array.prototype.forEach.call(day.parentElement.querySelectorAll(".sp-day"), function (d) {
      d.setAttribute("tabindex", d === day ? "0" : "-1");
    });
  });
})();
