/*
 * The codes page: one click issues one batch (ES5, no build step; the page works without it too).
 *
 * On submit the issue buttons are disabled and a progress bar shows; a second click is ignored. The slips
 * (PDF) are printed by a background job: the server answers with its progress page, which offers the file.
 * The list (CSV) comes at once, with a cookie carrying the form's download token: once it is there the
 * download has arrived, so the page shows it is done, locks the filled form (its buttons download the same
 * batch again) and fetches the new counts. Without JavaScript the form's issue key still makes a second
 * click lead to the same batch rather than issue new codes.
 */
(function () {
  "use strict";
  var POLL_MS = 400;
  var GIVE_UP_MS = 10 * 60 * 1000;

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var at = parts[i].indexOf("=");
      if (parts[i].slice(0, at) === name) {
        return decodeURIComponent(parts[i].slice(at + 1));
      }
    }
    return null;
  }

  function forget(name) {
    document.cookie = name + "=; Max-Age=0; path=/; SameSite=Strict";
  }

  function buttons(form, disabled) {
    var list = form.querySelectorAll("[data-sz-issue-button]");
    for (var i = 0; i < list.length; i++) {
      list[i].disabled = disabled;
    }
  }

  function show(form, selector, visible) {
    var element = form.querySelector(selector);
    if (element) {
      element.hidden = !visible;
    }
  }

  function refreshCounts() {
    var request = new XMLHttpRequest();
    request.open("GET", window.location.pathname, true);
    request.onload = function () {
      if (request.status !== 200) {
        return;
      }
      var fresh = new DOMParser().parseFromString(request.responseText, "text/html");
      ["sz-code-counts", "sz-batches", "sz-code-list"].forEach(function (id) {
        var now = document.getElementById(id);
        var next = fresh.getElementById(id);
        if (now && next) {
          now.parentNode.replaceChild(document.importNode(next, true), now);
        } else if (!now && next) {
          var list = document.getElementById("sz-code-list");
          if (list) {
            list.parentNode.insertBefore(document.importNode(next, true), list);
          }
        }
      });
    };
    request.send();
  }

  function done(form) {
    form.removeAttribute("data-busy");
    show(form, "[data-sz-issue-progress]", false);
    show(form, "[data-sz-issue-done]", true);
    buttons(form, false);
    var fields = form.querySelectorAll("select, input[type=number], textarea, input[type=checkbox]");
    for (var i = 0; i < fields.length; i++) {
      fields[i].setAttribute("readonly", "readonly");
      if (fields[i].tagName === "SELECT" || fields[i].type === "checkbox") {
        fields[i].style.pointerEvents = "none";
        fields[i].setAttribute("tabindex", "-1");
      }
    }
    refreshCounts();
  }

  function wait(form, name, token, started) {
    if (cookie(name) === token) {
      forget(name);
      done(form);
      return;
    }
    if (Date.now() - started > GIVE_UP_MS) {
      form.removeAttribute("data-busy");
      show(form, "[data-sz-issue-progress]", false);
      buttons(form, false);
      return;
    }
    window.setTimeout(function () {
      wait(form, name, token, started);
    }, POLL_MS);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-sz-issue")) {
      return;
    }
    if (form.hasAttribute("data-busy")) {
      event.preventDefault(); // the second click of a double click
      return;
    }
    var name = form.getAttribute("data-cookie");
    var token = form.querySelector("[name=download]");
    form.setAttribute("data-busy", "1");
    forget(name);
    show(form, "[data-sz-issue-done]", false);
    show(form, "[data-sz-issue-progress]", true);
    // Disabled after the submission has read the clicked button's value (format=pdf or csv).
    window.setTimeout(function () {
      buttons(form, true);
    }, 0);
    if (token && token.value) {
      wait(form, name, token.value, Date.now());
    }
  });
})();
