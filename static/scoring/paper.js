/*
 * Shuzhi — paper-ballot entry (纸质票录入, /manage/paper/…): type a printed 测评表 with the keyboard alone.
 *
 * Without this file the page is a plain form: a select per cell (its options read "1 好" … "4 差", so
 * typing the digit on a focused select picks the grade anyway) and a button to save.
 * With it:
 *  - form number, Enter → the first cell;
 *  - grade modes: 1–4 set 好/较好/一般/差 and move to the next cell, 0 or Space leaves a cell blank and
 *    moves on, Backspace clears the cell (or, in an empty cell, goes back and clears the previous one),
 *    arrows move around the grid;
 *  - points mode: type the number; Enter moves to the next cell; Backspace in an empty cell goes back;
 *  - Enter goes to the next row, and saves at the last row or once every cell is filled;
 *    an incomplete form (when the scheme wants every cell) is not sent: the first empty cell gets focus;
 *  - the 废票 switch dims the grid and asks for the reason; "其他" asks for the text;
 *  - on the resolve page (data-advance-empty) the cursor skips to the next cell still to settle;
 *  - the form sends once.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-paper-form]");
  if (!form) {
    return;
  }
  var points = form.getAttribute("data-mode") === "points";
  var abstention = form.getAttribute("data-abstention") === "1";
  var advanceToEmpty = form.hasAttribute("data-advance-empty");
  var serial = form.querySelector("[data-serial]");
  var group = form.querySelector("[data-group]");
  var invalid = form.querySelector("[data-invalid]");
  var reason = form.querySelector("[data-reason]");
  var other = form.querySelector("[data-other]");
  var otherBox = form.querySelector("[data-spoilt-other]");
  var whyBox = form.querySelector("[data-spoilt-why]");
  var progress = form.querySelector("[data-progress]");
  var done = form.querySelector("[data-done]");
  var missing = form.querySelector("[data-missing]");
  var ready = form.querySelector("[data-ready]");
  var cells = [];
  var rows = [];
  var sent = false;

  function show(el, on) {
    if (!el) {
      return;
    }
    if (on) {
      el.removeAttribute("hidden");
    } else {
      el.setAttribute("hidden", "");
    }
  }

  /* ---------- The grid ---------- */

  var rowEls = form.querySelectorAll("[data-row]");
  for (var r = 0; r < rowEls.length; r++) {
    var inRow = rowEls[r].querySelectorAll("[data-cell]");
    var row = [];
    for (var c = 0; c < inRow.length; c++) {
      inRow[c].peRow = r;
      inRow[c].peCol = c;
      inRow[c].peIndex = cells.length;
      cells.push(inRow[c]);
      row.push(inRow[c]);
    }
    rows.push(row);
  }

  function isSpoilt() {
    return invalid && invalid.checked;
  }

  function firstEmpty(from) {
    for (var i = from || 0; i < cells.length; i++) {
      if (cells[i].value === "") {
        return i;
      }
    }
    return -1;
  }

  function filledCount() {
    var n = 0;
    for (var i = 0; i < cells.length; i++) {
      if (cells[i].value !== "") {
        n++;
      }
    }
    return n;
  }

  function update() {
    var n = filledCount();
    if (done) {
      done.textContent = String(n);
    }
    show(progress, cells.length > 0);
    var complete = isSpoilt() || n === cells.length;
    show(ready, complete);
    if (complete) {
      show(missing, false);
    }
  }

  function focusCell(i) {
    if (i < 0 || i >= cells.length) {
      return false;
    }
    cells[i].focus();
    if (points && cells[i].select) {
      cells[i].select();
    }
    return true;
  }

  function setValue(cell, value) {
    cell.value = value;
    cell.setAttribute("data-value", value);
    update();
  }

  function advance(i) {
    if (advanceToEmpty) {
      var next = firstEmpty(i + 1);
      if (next === -1) {
        next = firstEmpty(0);
      }
      if (next !== -1) {
        focusCell(next);
        return;
      }
      // Everything is settled: stay here; Enter saves.
      return;
    }
    focusCell(i + 1); // at the last cell the cursor stays; Enter saves
  }

  function trySubmit() {
    if (sent) {
      return;
    }
    if (serial && serial.value.replace(/\s/g, "") === "") {
      serial.focus();
      return;
    }
    if (isSpoilt()) {
      if (reason && reason.value === "") {
        reason.focus();
        return;
      }
      if (reason && reason.value === "other" && other && other.value.trim() === "") {
        other.focus();
        return;
      }
    } else if (!abstention) {
      var empty = firstEmpty(0);
      if (empty !== -1) {
        show(missing, true);
        focusCell(empty);
        return;
      }
    }
    sent = true;
    form.submit();
  }

  function onEnter(cell) {
    if (isSpoilt() || filledCount() === cells.length) {
      trySubmit();
      return;
    }
    if (points) {
      if (cell.peIndex === cells.length - 1) {
        trySubmit();
      } else {
        focusCell(cell.peIndex + 1);
      }
      return;
    }
    if (cell.peRow === rows.length - 1) {
      trySubmit();
    } else {
      focusCell(rows[cell.peRow + 1][0].peIndex);
    }
  }

  function moveVertical(cell, step) {
    var target = rows[cell.peRow + step];
    if (target) {
      focusCell(target[Math.min(cell.peCol, target.length - 1)].peIndex);
    }
  }

  function optionForKey(select, key) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].getAttribute("data-key") === key) {
        return select.options[i].value;
      }
    }
    return null;
  }

  function onGradeKey(event) {
    var cell = event.target;
    var key = event.key;
    var i = cell.peIndex;
    if (event.ctrlKey || event.altKey || event.metaKey) {
      if (key === "Enter") {
        event.preventDefault();
        trySubmit();
      }
      return;
    }
    if (key === "Tab" || key === "Escape") {
      return;
    }
    var value = /^[0-9]$/.test(key) ? optionForKey(cell, key) : null;
    if (value !== null) {
      setValue(cell, value);
      advance(i);
    } else if (key === "0" || key === " ") {
      setValue(cell, "");
      advance(i);
    } else if (key === "Backspace") {
      if (cell.value !== "") {
        setValue(cell, "");
      } else if (i > 0) {
        focusCell(i - 1);
        setValue(cells[i - 1], "");
      }
    } else if (key === "Delete") {
      setValue(cell, "");
    } else if (key === "Enter") {
      onEnter(cell);
    } else if (key === "ArrowLeft") {
      focusCell(i - 1);
    } else if (key === "ArrowRight") {
      focusCell(i + 1);
    } else if (key === "ArrowUp") {
      moveVertical(cell, -1);
    } else if (key === "ArrowDown") {
      moveVertical(cell, 1);
    } else if (key.length !== 1) {
      return; // F-keys, Home, End…: the browser's own
    }
    // Digits 5–9, letters…: nothing, rather than the select's type-ahead picking something.
    event.preventDefault();
  }

  function onPointsKey(event) {
    var cell = event.target;
    var key = event.key;
    if (key === "Enter") {
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) {
        trySubmit();
      } else {
        onEnter(cell);
      }
    } else if (key === "Backspace" && cell.value === "" && cell.peIndex > 0) {
      event.preventDefault();
      focusCell(cell.peIndex - 1);
    } else if (key === "ArrowUp") {
      event.preventDefault();
      moveVertical(cell, -1);
    } else if (key === "ArrowDown") {
      event.preventDefault();
      moveVertical(cell, 1);
    }
  }

  for (var k = 0; k < cells.length; k++) {
    cells[k].addEventListener("keydown", points ? onPointsKey : onGradeKey);
    cells[k].addEventListener("change", function (event) {
      event.target.setAttribute("data-value", event.target.value);
      update();
    });
    if (points) {
      cells[k].addEventListener("input", update);
      cells[k].addEventListener("focus", function (event) {
        event.target.select();
      });
    }
  }

  /* ---------- The head: group, form number, 废票 ---------- */

  if (group) {
    group.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (serial) {
          serial.focus();
        }
      }
    });
  }

  if (serial) {
    serial.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") {
        return;
      }
      event.preventDefault();
      if (serial.value.replace(/\s/g, "") === "") {
        return;
      }
      if (isSpoilt()) {
        if (reason) {
          reason.focus();
        }
      } else if (!focusCell(Math.max(0, firstEmpty(0)))) {
        trySubmit();
      }
    });
  }

  function spoiltChanged() {
    var on = isSpoilt();
    form.classList.toggle("pe-is-spoilt", on);
    show(whyBox, on);
    show(otherBox, on && reason && reason.value === "other");
    update();
  }

  if (invalid) {
    invalid.addEventListener("change", function () {
      spoiltChanged();
      if (isSpoilt() && reason) {
        reason.focus();
      }
    });
    invalid.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        trySubmit();
      }
    });
  }
  if (reason) {
    reason.addEventListener("change", function () {
      spoiltChanged();
      if (reason.value === "other" && other) {
        other.focus();
      }
    });
    reason.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (reason.value === "other" && other && other.value.trim() === "") {
          spoiltChanged();
          other.focus();
        } else {
          trySubmit();
        }
      }
    });
  }
  if (other) {
    other.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        trySubmit();
      }
    });
  }

  /* ---------- Sending ---------- */

  form.addEventListener("submit", function (event) {
    // A click on the button: the same checks as Enter.
    if (sent) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    trySubmit();
  });

  /* ---------- Where the cursor starts ---------- */

  spoiltChanged();
  if (form.getAttribute("data-refused") === "incomplete") {
    focusCell(Math.max(0, firstEmpty(0)));
  } else if (serial) {
    serial.focus();
    serial.select();
  } else if (cells.length) {
    focusCell(Math.max(0, firstEmpty(0)));
  }
})();
