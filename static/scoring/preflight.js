/*
 * 会前检查: compare this computer's clock with the server's (the time the page was rendered with).
 * Without this file the check shows the server time only.
 */
(function () {
  "use strict";
  var item = document.querySelector("[data-check=clock][data-server-ms]");
  if (!item) {
    return;
  }
  var loaded = window.performance && performance.timing ? performance.timing.responseStart : 0;
  var server = parseInt(item.getAttribute("data-server-ms"), 10);
  // The server rendered its time a moment before the response started arriving.
  var skew = Math.round(((loaded || Date.now()) - server) / 1000);
  var size = Math.abs(skew);
  var status = size <= 30 ? "green" : size <= 120 ? "amber" : "red";
  var text = item.getAttribute(skew >= 0 ? "data-ahead" : "data-behind").replace("__S__", String(size));
  item.className = item.className.replace(/\bpf-\w+\b/g, "").replace(/\s+$/, "") + " pf-check pf-" + status;
  item.setAttribute("data-status", status);
  item.querySelector("[data-status-label]").textContent = item.getAttribute("data-label-" + status);
  item.querySelector("[data-clock-note]").textContent = text;
})();
