/*
 * Shuzhi — the delegate's ballot (/vote/…), progressively enhanced. ES5 only: old Android WebViews.
 *
 * Without this file every page still works: the ballot posts to the review page, which posts to submit.
 * With it:
 *  - progress "已评 x/y" (reporters fully scored) and a button to the first unscored reporter;
 *  - a draft in localStorage (marks and the submission key) saved on every change and restored on load,
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

  function enhanceBallot(form) {
    var key = form.getAttribute("data-draft-key");
    var submission = form.querySelector("[data-submission]");
    var sections = form.querySelectorAll("[data-reporter]");
    var progress = form.querySelector("[data-progress]");
    var doneOut = form.querySelector("[data-progress-done]");
    var jump = form.querySelector("[data-jump]");

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
      try {
        storage.setItem(key, JSON.stringify({ submission: submission.value, marks: values }));
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

    function complete(section) {
      var items = section.querySelectorAll("[data-item]");
      for (var i = 0; i < items.length; i++) {
        var filled = false;
        each(items[i].querySelectorAll("input"), function (input) {
          filled = filled || hasValue(input);
        });
        if (!filled) {
          return false;
        }
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

    // Marks each reporter done or not, updates the counter; returns the first reporter left to score.
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
      show(jump, first !== null);
      return first;
    }

    form.addEventListener("change", function (event) {
      clamp(event.target);
      update();
      save();
    });
    form.addEventListener("input", function () {
      update();
      save();
    });
    jump.addEventListener("click", function () {
      var target = update();
      if (target) {
        var scrolled = window.pageYOffset || document.documentElement.scrollTop;
        window.scrollTo(0, target.getBoundingClientRect().top + scrolled - progress.offsetHeight - 8);
      }
    });

    if (!form.hasAttribute("data-prefilled")) {
      restore(readDraft(key)); // marks sent back from the review page win over the draft
    }
    show(progress, true);
    update();
    save();
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
