/*
 * Shuzhi — scanned-form upload (扫描计票): while the upload posts (the pages are read in the request,
 * ~6 s per 50 pages), show a progress bar fed by the batch's page counter. Without this file the form
 * posts as any form does.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-scan-upload]");
  if (!form) {
    return;
  }
  var box = form.querySelector("[data-scan-progress]");
  var bar = form.querySelector("[data-scan-bar]");
  var text = form.querySelector("[data-scan-text]");
  var button = form.querySelector("[data-scan-submit]");
  var url = form.getAttribute("data-progress-url");
  var label = text.textContent;

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.total) {
          bar.max = state.total;
          bar.value = state.done;
          text.textContent = label + " " + state.done + " / " + state.total;
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 800); });
  }

  form.addEventListener("submit", function () {
    box.hidden = false;
    window.setTimeout(function () { button.disabled = true; }, 0);
    window.setTimeout(poll, 500);
  });
})();
