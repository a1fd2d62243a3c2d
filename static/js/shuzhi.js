/*
 * Small behaviours of the staff pages, declared in the HTML instead of inline handlers (the
 * Content-Security-Policy allows no inline script; see shuzhi/csp.py):
 *  - data-sz-autosubmit on a field submits its form when it changes (the language switch);
 *  - data-sz-confirm="question" on a form asks before it is sent;
 *  - data-sz-print on a button prints the page.
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest && event.target.closest("[data-sz-autosubmit]");
    if (field && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-sz-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-sz-print]")) {
      window.print();
    }
  });
})();
