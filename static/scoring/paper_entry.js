/* Keyboard-only entry of a paper 测评表: 1–4 pick 好/较好/一般/差 in the focused cell and move on;
   Enter moves to the next row, and from the last cell saves; Backspace goes back. ES5. */
(function () {
  "use strict";
  var form = document.querySelector("#sz-paper-form, form[method=post]");
  if (!form) { return; }
  var cells = form.querySelectorAll(".sz-cell");
  var index = -1;

  function focusCell(i) {
    if (i < 0 || i >= cells.length) { return false; }
    index = i;
    var cell = cells[i];
    var target = cell.tagName === "INPUT" ? cell : (cell.querySelector("input:checked") || cell.querySelector("input"));
    target.focus();
    return true;
  }

  for (var i = 0; i < cells.length; i++) {
    (function (position) {
      cells[position].addEventListener("focusin", function () { index = position; });
    })(i);
  }

  var serial = form.querySelector("[name=serial]");
  if (serial) {
    serial.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); focusCell(0); }
    });
  }

  form.addEventListener("keydown", function (event) {
    if (index < 0 || event.target === serial) { return; }
    var cell = cells[index];
    if (/^[1-4]$/.test(event.key) && cell.tagName !== "INPUT") {
      event.preventDefault();
      var radios = cell.querySelectorAll("input[type=radio]");
      radios[Number(event.key) - 1].checked = true;
      if (!focusCell(index + 1)) { form.querySelector("button[type=submit], button:not([type])").focus(); }
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (!focusCell(index + 1)) { form.submit(); }
    } else if (event.key === "Backspace" && cell.tagName !== "INPUT") {
      event.preventDefault();
      focusCell(index - 1);
    }
  });
})();
