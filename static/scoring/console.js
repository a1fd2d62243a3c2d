/*
 * The host console's keyboard shortcuts and copy button (ES5, no build step).
 *
 * A shortcut clicks the console button marked data-key="<letter>" (N next, Q questions, E end,
 * S start the reporter up next, B blank / bring back the screen), so a key does exactly what the button
 * does, version check included. Keys are ignored while typing in a field, with a modifier held, when
 * held down (auto-repeat) and while an action is on its way to the server.
 */
(function () {
  "use strict";

  function typing(element) {
    var tag = element && element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (element && element.isContentEditable);
  }

  function closest(element, attribute) {
    while (element && element.nodeType === 1) {
      if (element.hasAttribute(attribute)) {
        return element;
      }
      element = element.parentNode;
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || typing(event.target)) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    var body = document.getElementById("console-body");
    if (key.length !== 1 || !body || body.querySelector("form.htmx-request")) {
      return;
    }
    var button = body.querySelector('[data-key="' + key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  function copied(button) {
    var label = button.innerHTML;
    button.textContent = button.getAttribute("data-copied");
    window.setTimeout(function () {
      button.innerHTML = label;
    }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = closest(event.target, "data-copy");
    var input = button && document.getElementById(button.getAttribute("data-copy"));
    if (!input) {
      return;
    }
    // navigator.clipboard needs https; meeting-room intranets are often plain http, so fall back.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        copied(button);
      });
      return;
    }
    input.select();
    try {
      if (document.execCommand("copy")) {
        copied(button);
      }
    } catch (ignored) {
      // the address stays selected for Ctrl+C
    }
  });
})();
