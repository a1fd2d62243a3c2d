/*
 * Meeting-room live updates, shared by the big screen and the host console (ES5, no build step).
 *
 * - Timers: every [data-timer] counts down from data-started (ISO, UTC) + data-limit (seconds) on the
 *   SERVER's clock: each live answer carries X-Server-Time (the page carries data-server-time), so a
 *   laptop whose clock is minutes off still shows the right time. The last minute is amber; once over
 *   it turns red and counts up (+0:35).
 * - Polling: htmx keeps polling after a failed request (a server restart, a dropped network); while
 *   requests fail, [data-offline] shows "reconnecting". A 404 means the screen address was changed: the
 *   screen goes black and says so.
 * - [data-skip-same]: an answer identical to the last one is not swapped in, so nothing flickers and the
 *   reveal animation plays once.
 */
(function () {
  "use strict";

  var WARN_SECONDS = 60;
  var offset = 0; // server time minus browser time, in ms

  function setServerTime(iso) {
    var server = Date.parse(iso || "");
    if (!isNaN(server)) {
      offset = server - new Date().getTime();
    }
  }

  function clock(left) {
    var seconds = Math.abs(left);
    var rest = seconds % 60;
    return (left < 0 ? "+" : "") + Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    var timers = document.querySelectorAll("[data-timer]");
    var now = new Date().getTime() + offset;
    for (var i = 0; i < timers.length; i++) {
      var timer = timers[i];
      var started = Date.parse(timer.getAttribute("data-started"));
      var limit = parseInt(timer.getAttribute("data-limit"), 10);
      if (isNaN(started) || isNaN(limit)) {
        continue;
      }
      var left = limit - Math.max(0, Math.floor((now - started) / 1000));
      timer.setAttribute("data-state", left < 0 ? "over" : left <= WARN_SECONDS ? "warn" : "ok");
      var text = timer.querySelector("[data-timer-text]");
      if (text) {
        text.textContent = clock(left);
      }
      var label = timer.querySelector("[data-timer-label]");
      if (label) {
        label.textContent = label.getAttribute(left < 0 ? "data-over" : "data-left");
      }
    }
  }

  function badge(which) {
    var element = document.querySelector("[data-offline]");
    if (!element) {
      return;
    }
    if (!which) {
      element.hidden = true;
      return;
    }
    element.textContent = element.getAttribute(which === "gone" ? "data-gone" : "data-lost") || element.textContent;
    element.hidden = false;
  }

  function lost() {
    badge("lost");
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status) {
      setServerTime(xhr.getResponseHeader("X-Server-Time"));
    }
    if (event.detail.successful) {
      badge(null);
    }
  });
  document.addEventListener("htmx:sendError", lost);
  document.addEventListener("htmx:timeout", lost);
  document.addEventListener("htmx:responseError", function (event) {
    var state = document.getElementById("sc-state");
    if (event.detail.xhr.status === 404 && state) {
      state.innerHTML = '<div class="sc-root sc-blank"></div>'; // the address was changed: show nothing
      badge("gone");
    } else {
      lost();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute("data-skip-same") && event.detail.xhr.status === 200) {
      if (event.detail.serverResponse === target.lastAnswer) {
        event.detail.shouldSwap = false;
      }
      target.lastAnswer = event.detail.serverResponse;
    }
  });
  document.addEventListener("htmx:afterSwap", tick);

  function start() {
    var stamped = document.querySelector("[data-server-time]");
    if (stamped) {
      setServerTime(stamped.getAttribute("data-server-time"));
    }
    tick();
    window.setInterval(tick, 250);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
