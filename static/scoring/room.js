/* Timers (console and screen), console keyboard shortcuts, and the screen's reconnect badge. ES5. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(seconds) {
    var sign = seconds < 0 ? "+" : "";
    var s = Math.abs(seconds);
    return sign + Math.floor(s / 60) + ":" + pad(s % 60);
  }

  // The server sends its own clock with each timer, so a laptop with a wrong clock still counts right.
  function tick() {
    var timers = document.querySelectorAll("[data-timer]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      if (!el.getAttribute("data-offset")) {
        el.setAttribute("data-offset", String(Number(el.getAttribute("data-server-now")) - Date.now()));
      }
      var now = Date.now() + Number(el.getAttribute("data-offset"));
      var elapsed = Math.floor((now - Number(el.getAttribute("data-started"))) / 1000);
      var left = Number(el.getAttribute("data-limit")) - elapsed;
      el.textContent = format(left);
      el.className = el.className.replace(/ ?sz-(amber|over)/g, "") + (left < 0 ? " sz-over" : left <= 60 ? " sz-amber" : "");
    }
  }
  setInterval(tick, 250);
  document.addEventListener("DOMContentLoaded", tick);

  // Console: N next, Q questions, E end, B blank — not while typing.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var button = document.querySelector('button[data-key="' + String(event.key).toLowerCase() + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  // Screen: keep polling through errors; show a badge until a poll succeeds again.
  function offline(show) {
    var badge = document.getElementById("sz-offline");
    if (badge) { badge.hidden = !show; }
  }
  document.addEventListener("htmx:sendError", function () { offline(true); });
  document.addEventListener("htmx:responseError", function () { offline(true); });
  document.addEventListener("htmx:afterSwap", function () { offline(false); tick(); });
})();
