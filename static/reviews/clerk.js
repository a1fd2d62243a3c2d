/* Save each card as it is typed (debounced, and on leaving a field); keep an unsaved copy in localStorage
   so a reload or a dropped connection loses nothing. ES5, XMLHttpRequest. */
(function () {
  "use strict";
  var DELAY = 800;

  function fields(form) {
    var data = {};
    var inputs = form.querySelectorAll("input, textarea, select");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!input.name || input.name === "csrfmiddlewaretoken") { continue; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { continue; }
      data[input.name] = input.value;
    }
    return data;
  }

  function restore(form, data) {
    var inputs = form.querySelectorAll("input, textarea, select");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!(input.name in data)) { continue; }
      if (input.type === "radio") { input.checked = input.value === data[input.name]; } else { input.value = data[input.name]; }
    }
  }

  function setup(card) {
    var form = card.querySelector("form");
    var state = card.querySelector(".sz-save-state");
    var key = "shuzhi-clerk-" + card.getAttribute("data-draft");
    var timer = null;

    var labels = document.getElementById("sz-clerk-labels").dataset;
    function show(text) { if (state) { state.textContent = text; } }

    function save() {
      timer = null;
      var data = fields(form);
      var body = [];
      for (var name in data) { body.push(encodeURIComponent(name) + "=" + encodeURIComponent(data[name])); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", card.getAttribute("data-autosave"));
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      xhr.onload = function () {
        if (xhr.status === 200) {
          try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
          show(labels.saved + " " + JSON.parse(xhr.responseText).saved);
        } else {
          show(labels.failed);
          schedule();
        }
      };
      xhr.onerror = function () { show(labels.failed); schedule(); };
      xhr.send(body.join("&"));
    }

    function schedule() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, DELAY);
    }

    function changed() {
      try { localStorage.setItem(key, JSON.stringify(fields(form))); } catch (e) { /* private mode */ }
      show(labels.saving);
      schedule();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("focusout", function () { if (timer) { clearTimeout(timer); save(); } });
    var kept = null;
    try { kept = localStorage.getItem(key); } catch (e) { /* private mode */ }
    if (kept) { restore(form, JSON.parse(kept)); changed(); }
  }

  var cards = document.querySelectorAll("[data-autosave]");
  for (var i = 0; i < cards.length; i++) { setup(cards[i]); }
})();
