/*
 * Shuzhi — the delegate's ballot (/vote/…), progressively enhanced. ES5 only: old Android WebViews.
 *
 * Without this file every page still works: the ballot posts to the review page, which posts to submit.
 * With it:
 *  - progress "已评 x/y" (reporters fully scored) and a button to the first unscored reporter;
 *  - two views over the same form: one reporter per screen (phones: 上一位/下一位, a progress bar, moving on
 *    when a reporter's last item is marked) or a compact grid of reporters × items (tablets and laptops),
 *    chosen by the viewport's width and switchable; the choice is remembered on the device;
 *  - a submit with a reporter left to score goes straight to that reporter (the same rule as the server:
 *    with 允许弃权 a blank grade item is an abstention; in points mode a reporter is scored fully or not at all);
 *  - a link back from the review page (#r<report>) opens that reporter;
 *  - a draft in localStorage (marks, the submission key and the reporter on screen) saved on every change and restored on load,
 *    so a reload loses nothing and a retried submit keeps its key; cleared on the receipt page;
 *  - points mode: each value clamped to 0..max, a running total per reporter;
 *  - forms send once (the server is idempotent anyway);
 *  - on the "already submitted" page, a draft left on this device can ask for its receipt again.
 */
(function () {
  "use strict";

  var storage = (function () {
    try {
      var s = window.localStorage;
      s.setItem("shuzhi-probe", "1");
      s.removeItem("shuzhi-probe");
      return s;
    } catch (e) {
      return null; // private mode or storage disabled: no draft, everything else works
    }
  })();

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) {
      fn(list[i], i);
    }
  }

  function setClass(el, name, on) {
    if (on) {
      el.classList.add(name);
    } else {
      el.classList.remove(name);
    }
  }

  function show(el, on) {
    if (on) {
      el.removeAttribute("hidden");
    } else {
      el.setAttribute("hidden", "");
    }
  }

  function readDraft(key) {
    if (!storage) {
      return null;
    }
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function isMark(el) {
    // Marks and the optional satisfaction rows are all kept in the draft.
    return el.name && (el.name.indexOf("m-") === 0 || el.name.indexOf("s-") === 0);
  }

  function hasValue(input) {
    return input.type === "radio" ? input.checked : input.value !== "";
  }

  function round2(n) {
    return Math.round(n * 100) / 100;
  }

  /* ---------- Forms send once ---------- */

  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) {
        return; // the ballot sent the delegate to a reporter left to score instead
      }
      if (form.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      each(form.querySelectorAll("button"), function (button) {
        button.disabled = true;
      });
    });
  }

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    each(document.querySelectorAll("form[data-sent]"), function (form) {
      form.removeAttribute("data-sent");
      each(form.querySelectorAll("button"), function (button) {
        button.disabled = false;
      });
    });
  });

  /* ---------- The ballot ---------- */

  var VIEW_KEY = "shuzhi-ballot-view";
  var WIDE = 720; // px: below this a phone, one reporter per screen

  function enhanceBallot(form) {
    var key = form.getAttribute("data-draft-key");
    var points = form.getAttribute("data-mode") === "points";
    var abstention = form.getAttribute("data-abstention") === "1";
    var submission = form.querySelector("[data-submission]");
    var sections = form.querySelectorAll("[data-reporter]");
    var progress = form.querySelector("[data-progress]");
    var doneOut = form.querySelector("[data-progress-done]");
    var jump = form.querySelector("[data-jump]");
    var meter = form.querySelector("[data-meter]");
    var switcher = form.querySelector("[data-switch]");
    var stepper = form.querySelector("[data-stepper]");
    var stepPos = form.querySelector("[data-step-pos]");
    var prev = form.querySelector("[data-prev]");
    var next = form.querySelector("[data-next]");
    var gridHead = form.querySelector("[data-grid-head]");
    var missingNote = form.querySelector("[data-missing-note]");
    var view = "step";
    var current = 0;
    var advancing = null;

    function marks() {
      var found = [];
      each(form.elements, function (el) {
        if (isMark(el)) {
          found.push(el);
        }
      });
      return found;
    }

    function save() {
      if (!storage) {
        return;
      }
      var values = {};
      each(marks(), function (el) {
        if (hasValue(el)) {
          values[el.name] = el.value;
        }
      });
      var draft = { submission: submission.value, marks: values, position: sections[current].id };
      try {
        storage.setItem(key, JSON.stringify(draft));
      } catch (e) {
        // storage full: the form itself still works
      }
    }

    function restore(draft) {
      if (!draft || !draft.marks) {
        return;
      }
      if (draft.submission) {
        submission.value = draft.submission;
      }
      each(marks(), function (el) {
        var value = draft.marks[el.name];
        if (value === undefined) {
          return;
        }
        if (el.type === "radio") {
          el.checked = el.value === value;
        } else {
          el.value = value;
        }
      });
    }

    function markedItems(section) {
      var items = section.querySelectorAll("[data-item]");
      var marked = 0;
      each(items, function (item) {
        var filled = false;
        each(item.querySelectorAll("input"), function (input) {
          filled = filled || hasValue(input);
        });
        marked += filled ? 1 : 0;
      });
      return { marked: marked, total: items.length };
    }

    function complete(section) {
      var count = markedItems(section);
      return count.marked === count.total;
    }

    // The server's rule (ballots.services._check_complete): may this reporter be sent as it stands?
    function missing(section) {
      var count = markedItems(section);
      if (count.marked === count.total) {
        return false;
      }
      if (abstention && (count.marked === 0 || !points)) {
        return false;
      }
      return true;
    }

    function total(section) {
      var out = section.querySelector("[data-total]");
      if (!out) {
        return;
      }
      var sum = 0;
      each(section.querySelectorAll("input[type=number]"), function (input) {
        var value = parseFloat(input.value);
        sum += isNaN(value) ? 0 : value;
      });
      out.textContent = String(round2(sum));
      show(out.parentNode, true);
    }

    function clamp(input) {
      if (input.type !== "number" || input.value === "") {
        return;
      }
      var value = parseFloat(input.value);
      var max = parseFloat(input.getAttribute("max"));
      input.value = isNaN(value) ? "" : String(round2(Math.min(Math.max(value, 0), max)));
    }

    function reporterOf(el) {
      while (el && el !== form) {
        if (el.hasAttribute && el.hasAttribute("data-reporter")) {
          return el;
        }
        el = el.parentNode;
      }
      return null;
    }

    function indexOf(section) {
      for (var i = 0; i < sections.length; i++) {
        if (sections[i] === section) {
          return i;
        }
      }
      return -1;
    }

    function firstMissing() {
      for (var i = 0; i < sections.length; i++) {
        if (missing(sections[i])) {
          return i;
        }
      }
      return -1;
    }

    // Marks each reporter done or not, updates the counters; returns the first reporter not fully scored.
    function update() {
      var done = 0;
      var first = null;
      each(sections, function (section) {
        var ok = complete(section);
        setClass(section, "bl-reporter--done", ok);
        total(section);
        if (ok) {
          done += 1;
        } else if (!first) {
          first = section;
        }
      });
      doneOut.textContent = String(done);
      meter.value = done;
      show(jump, first !== null);
      return first;
    }

    function scrollToEl(el) {
      var scrolled = window.pageYOffset || document.documentElement.scrollTop;
      var top = el.getBoundingClientRect().top + scrolled - (view === "step" ? 8 : progress.offsetHeight + 8);
      window.scrollTo(0, Math.max(top, 0));
    }

    // Shows reporter i: alone on the screen in the one-per-screen view, scrolled to in the grid.
    function go(i, scroll) {
      if (advancing) {
        window.clearTimeout(advancing);
        advancing = null;
      }
      current = Math.max(0, Math.min(i, sections.length - 1));
      each(sections, function (section, n) {
        setClass(section, "bl-current", n === current);
        show(section, view !== "step" || n === current);
      });
      stepPos.textContent = String(current + 1);
      prev.disabled = current === 0;
      next.disabled = current === sections.length - 1;
      show(missingNote, false);
      if (scroll) {
        scrollToEl(view === "step" ? form : sections[current]);
      }
      save();
    }

    function setView(name) {
      view = name;
      setClass(form, "bl-mode-step", view === "step");
      setClass(form, "bl-mode-grid", view === "grid");
      setClass(document.body, "bl-wide", view === "grid");
      show(stepper, view === "step");
      show(gridHead, view === "grid");
      switcher.textContent = switcher.getAttribute(view === "step" ? "data-label-grid" : "data-label-step");
      var columns = "minmax(11em, 16em) repeat(" + (gridHead.children.length - 1) + ", minmax(0, 1fr))";
      each([gridHead].concat(Array.prototype.slice.call(sections)), function (el) {
        el.style.gridTemplateColumns = view === "grid" ? columns : "";
      });
      go(current, false);
    }

    function savedView() {
      try {
        return storage ? storage.getItem(VIEW_KEY) : null;
      } catch (e) {
        return null;
      }
    }

    form.addEventListener("change", function (event) {
      var target = event.target;
      clamp(target);
      var section = reporterOf(target);
      var before = section ? section.classList.contains("bl-reporter--done") : true;
      update();
      if (section) {
        current = indexOf(section);
        each(sections, function (other, n) {
          setClass(other, "bl-current", n === current);
        });
      }
      save();
      // The last item of a reporter marked: the next reporter, after a moment to see the tick.
      if (view === "step" && section && !before && complete(section) && target.type === "radio" &&
          !section.querySelector("[name^='s-']") && current < sections.length - 1) {
        advancing = window.setTimeout(function () {
          advancing = null;
          go(current + 1, true);
        }, 350);
      }
    });
    form.addEventListener("input", function (event) {
      if (event.target.type === "radio") {
        return; // its change event follows, and must still see the reporter as it was before
      }
      update();
      save();
    });
    form.addEventListener("submit", function (event) {
      var first = firstMissing();
      if (first !== -1) {
        event.preventDefault();
        go(first, true);
        show(missingNote, true);
      }
    });
    jump.addEventListener("click", function () {
      var first = update();
      if (first) {
        go(indexOf(first), true);
      }
    });
    prev.addEventListener("click", function () {
      go(current - 1, true);
    });
    next.addEventListener("click", function () {
      go(current + 1, true);
    });
    switcher.addEventListener("click", function () {
      setView(view === "step" ? "grid" : "step");
      try {
        if (storage) {
          storage.setItem(VIEW_KEY, view);
        }
      } catch (e) {
        // the choice is simply not remembered
      }
      scrollToEl(view === "step" ? form : sections[current]);
    });

    var draft = readDraft(key);
    if (!form.hasAttribute("data-prefilled")) {
      restore(draft); // marks sent back from the review page win over the draft
    }
    // Where to start: the reporter the review page linked to, the one on screen before a reload, the first.
    var start = document.getElementById(window.location.hash.replace(/^#/, "") || "-");
    if (!start && draft && draft.position && !form.hasAttribute("data-prefilled")) {
      start = document.getElementById(draft.position);
    }
    current = start && start.hasAttribute("data-reporter") ? indexOf(start) : 0;
    var chosen = savedView();
    show(progress, true);
    update();
    setView(chosen === "grid" || chosen === "step" ? chosen : window.innerWidth < WIDE ? "step" : "grid");
    if (form.querySelector(".bl-alert[role=alert]:not([data-missing-note])") && firstMissing() !== -1) {
      go(firstMissing(), false); // the server refused an incomplete ballot: open the first gap
    }
    if (start && view === "grid") {
      scrollToEl(sections[current]);
    }
    sendOnce(form);
  }

  /* ---------- "Already submitted": ask again for the receipt of this device's draft ---------- */

  function offerRecovery(box) {
    var draft = readDraft(box.getAttribute("data-draft-key"));
    if (!draft || !draft.submission || !draft.marks) {
      return;
    }
    show(box, true);
    box.querySelector("button").addEventListener("click", function () {
      var form = document.createElement("form");
      var fields = { csrfmiddlewaretoken: box.getAttribute("data-csrf"), submission: draft.submission };
      for (var name in draft.marks) {
        if (Object.prototype.hasOwnProperty.call(draft.marks, name)) {
          fields[name] = draft.marks[name];
        }
      }
      form.method = "post";
      form.action = box.getAttribute("data-action");
      for (var field in fields) {
        if (Object.prototype.hasOwnProperty.call(fields, field)) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = field;
          input.value = fields[field];
          form.appendChild(input);
        }
      }
      document.body.appendChild(form);
      this.disabled = true;
      form.submit();
    });
  }

  var receipt = document.querySelector("[data-clear-draft]");
  if (receipt && storage) {
    storage.removeItem(receipt.getAttribute("data-clear-draft"));
  }
  each(document.querySelectorAll("form[data-ballot]"), enhanceBallot);
  each(document.querySelectorAll("form[data-once]"), sendOnce);
  each(document.querySelectorAll("[data-recover]"), offerRecovery);
})();
