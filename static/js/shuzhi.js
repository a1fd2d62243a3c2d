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

/*
 * The organisation picker (reviews/orgs/forms.py OrganisationSearchInput): htmx fills the list of
 * matches as the user types; a click (or Enter) on a match stores its id in the hidden field and its
 * name in the box; typing again forgets the id, so the text is resolved by the server instead.
 * Arrow keys move through the matches, Escape closes the list.
 */
(function () {
  "use strict";
  function pickerOf(node) {
    return node && node.closest ? node.closest("[data-sz-org-picker]") : null;
  }
  function matchesOf(picker) {
    return picker.querySelector(".sz-org-matches");
  }
  function close(picker) {
    matchesOf(picker).innerHTML = "";
    picker.querySelector("[data-sz-org-text]").setAttribute("aria-expanded", "false");
  }
  function pick(picker, button) {
    picker.querySelector("[data-sz-org-id]").value = button.getAttribute("data-sz-org-pick");
    var text = picker.querySelector("[data-sz-org-text]");
    text.value = button.getAttribute("data-sz-org-label");
    text.classList.remove("is-invalid");
    close(picker);
    text.focus();
  }
  document.addEventListener("input", function (event) {
    var picker = pickerOf(event.target);
    if (picker && event.target.hasAttribute("data-sz-org-text")) {
      picker.querySelector("[data-sz-org-id]").value = "";
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-sz-org-pick]");
    var picker = pickerOf(button);
    if (button && picker) {
      pick(picker, button);
      return;
    }
    document.querySelectorAll("[data-sz-org-picker]").forEach(function (other) {
      if (!other.contains(event.target)) {
        close(other);
      }
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var picker = pickerOf(event.target);
    if (picker) {
      var open = !!matchesOf(picker).querySelector("[data-sz-org-pick]");
      picker.querySelector("[data-sz-org-text]").setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  document.addEventListener("keydown", function (event) {
    var picker = pickerOf(event.target);
    if (!picker) {
      return;
    }
    var buttons = Array.prototype.slice.call(picker.querySelectorAll("[data-sz-org-pick]"));
    var index = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && buttons.length) {
      event.preventDefault();
      buttons[Math.min(index + 1, buttons.length - 1)].focus();
    } else if (event.key === "ArrowUp" && buttons.length) {
      event.preventDefault();
      if (index <= 0) {
        picker.querySelector("[data-sz-org-text]").focus();
      } else {
        buttons[index - 1].focus();
      }
    } else if (event.key === "Escape") {
      close(picker);
    } else if (event.key === "Enter" && event.target.hasAttribute("data-sz-org-text") && buttons.length === 1) {
      event.preventDefault(); // one match: Enter picks it instead of sending the form
      pick(picker, buttons[0]);
    }
  });
})();
