/*
 * Shuzhi — the clerk's page (/manage/clerk/<session>/): questions, answers and comments typed live.
 * ES5, no library. Without this file every card is a plain form with its own 保存 button.
 *
 * With it:
 *  - a card is saved as it is typed: 800 ms after the last key, and at once when a field is left;
 *    one request per card at a time, so the newest text is always the last one sent; a failed save is
 *    retried (2 s, 4 s … 30 s) and the card says 保存失败，正在重试 until it gets through;
 *  - every change is written to localStorage first and removed only when the server has it: after a
 *    reload, a crash or a dropped network the unsaved text is put back into its card and sent again;
 *  - 添加质询 adds a card at once (offline too); its first save creates the question, carrying a random
 *    key so that a resent first save finds the question instead of making a second one;
 *  - 交办 saves the card first, then hands it over; 删除 asks first; Ctrl+S saves every card now.
 */
(function () {
  "use strict";

  var DELAY = 800;
  var RETRY_FIRST = 2000;
  var RETRY_MAX = 30000;
  var PREFIX = "shuzhi-clerk:";
  var MAX_AGE = 14 * 24 * 3600 * 1000;

  var root = document.getElementById("sz-clerk");
  if (!root || !root.getAttribute("data-report")) {
    return;
  }
  var reportId = root.getAttribute("data-report");
  var cards = [];
  // Set from the moment the page starts to go (a reload, the reporter switcher …): the old page keeps
  // running while the new one loads, and may hear of a save after the new page was read from the server.
  // Its local copies are then kept, so the new page compares them with what it shows and saves again.
  var leaving = false;

  function label(name) {
    return root.getAttribute("data-l-" + name) || "";
  }

  var storage = (function () {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null; // private mode: saving as typed still works, only the local copy is missing
    }
  })();

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) {
      fn(list[i], i);
    }
  }

  function owns(object, name) {
    return Object.prototype.hasOwnProperty.call(object, name);
  }

  function newKey() {
    return "k" + new Date().getTime().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function csrfToken(form) {
    // The cookie first: logging in again in another tab rotates the token this page was given.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = form.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function isField(el) {
    return el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "client_key" &&
      el.type !== "submit" && el.type !== "button";
  }

  function fieldsOf(form) {
    var data = {};
    each(form.elements, function (el) {
      if (!isField(el) || ((el.type === "radio" || el.type === "checkbox") && !el.checked)) {
        return;
      }
      data[el.name] = el.value;
    });
    return data;
  }

  function fill(form, data) {
    each(form.elements, function (el) {
      if (!isField(el) || !owns(data, el.name)) {
        return;
      }
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = el.value === data[el.name];
      } else {
        el.value = data[el.name];
      }
    });
  }

  function trimmed(value) {
    return String(value === undefined || value === null ? "" : value).replace(/^\s+|\s+$/g, "");
  }

  function sameFields(a, b) {
    var name;
    for (name in a) {
      if (owns(a, name) && trimmed(a[name]) !== trimmed(b[name])) {
        return false;
      }
    }
    for (name in b) {
      if (owns(b, name) && trimmed(a[name]) !== trimmed(b[name])) {
        return false;
      }
    }
    return true;
  }

  function hasText(data) {
    for (var name in data) {
      if (owns(data, name) && name !== "asker_role" && trimmed(data[name]) !== "") {
        return true;
      }
    }
    return false;
  }

  function encode(data) {
    var parts = [];
    for (var name in data) {
      if (owns(data, name)) {
        parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(data[name]));
      }
    }
    return parts.join("&");
  }

  function post(url, data, form, done) {
    var xhr = new XMLHttpRequest();
    var finished = false;
    function finish(status, body) {
      if (!finished) {
        finished = true;
        done(status, body);
      }
    }
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
    xhr.timeout = 15000;
    xhr.onload = function () {
      var body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = null; // a login page, a proxy's error page …
      }
      finish(xhr.status, body);
    };
    xhr.onerror = function () { finish(0, null); };
    xhr.ontimeout = function () { finish(0, null); };
    xhr.send(encode(data));
  }

  // Worth sending again later: no answer, the server or a proxy failing, the login or the token expired.
  function retryable(status, body) {
    return !status || status >= 500 || status === 401 || status === 403 || status === 429 || !body;
  }

  /* ---------- Local copies ---------- */

  function readDraft(key) {
    if (!storage) {
      return null;
    }
    try {
      var draft = JSON.parse(storage.getItem(key) || "null");
      return draft && draft.f ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function forgetOld() {
    if (!storage) {
      return;
    }
    var now = new Date().getTime();
    var old = [];
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        var draft = readDraft(key);
        if (!draft || now - (draft.t || 0) > MAX_AGE) {
          old.push(key);
        }
      }
    }
    each(old, function (key) { storage.removeItem(key); });
  }

  /* ---------- A card ---------- */

  function Card(el) {
    var self = this;
    this.el = el;
    this.form = el.querySelector("form");
    this.kind = el.getAttribute("data-kind");
    this.state = el.querySelector("[data-state]");
    this.timer = null;
    this.inflight = false;
    this.changes = 0; // edits made on this page …
    this.sent = 0; // … and how many of them the server has
    this.retry = RETRY_FIRST;
    this.waiting = [];
    this.stopped = false;
    this.claimed = false;
    this.keyInput = el.querySelector("[data-client-key]");
    if (this.keyInput && !this.keyInput.value) {
      this.keyInput.value = newKey();
    }
    if (!this.id()) {
      var remove = el.querySelector("[data-action=delete]");
      if (remove) {
        remove.removeAttribute("hidden"); // a card not saved yet can always be taken away
      }
    }

    this.form.addEventListener("input", function () { self.changed(); });
    this.form.addEventListener("change", function (event) {
      var type = event.target.type;
      if (type !== "text" && type !== "textarea") {
        self.changed(); // radios and selects; typed text is counted by "input"
      }
    });
    this.form.addEventListener("focusout", function () {
      if (self.pending()) {
        self.flush();
      }
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault(); // Enter in a one-line field
      self.flush();
    });
    this.form.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-action]") : event.target;
      var action = button && button.getAttribute("data-action");
      if (action === "hand-over") {
        event.preventDefault();
        self.handOver();
      } else if (action === "delete") {
        event.preventDefault();
        self.remove();
      } else if (action === "save") {
        event.preventDefault();
        self.flush();
      }
    });
    cards.push(this);
  }

  Card.prototype.id = function () {
    return this.el.getAttribute("data-id");
  };

  Card.prototype.draftKey = function () {
    if (this.id()) {
      return PREFIX + this.kind + "-" + this.id();
    }
    return PREFIX + "new-" + this.kind + "-" + reportId + "-" + this.keyInput.value;
  };

  Card.prototype.fields = function () {
    return fieldsOf(this.form);
  };

  Card.prototype.pending = function () {
    return this.changes !== this.sent;
  };

  Card.prototype.show = function (text, tone) {
    if (!this.state) {
      return;
    }
    this.state.textContent = text;
    this.state.classList.remove("sz-state--saved");
    this.state.classList.remove("sz-state--failed");
    if (tone) {
      this.state.classList.add("sz-state--" + tone);
    }
  };

  Card.prototype.writeDraft = function () {
    if (!storage) {
      return;
    }
    var draft = { f: this.fields(), v: this.el.getAttribute("data-version") || "", t: new Date().getTime() };
    try {
      storage.setItem(this.draftKey(), JSON.stringify(draft));
    } catch (e) {
      // storage full: the save to the server still runs
    }
  };

  Card.prototype.dropDraft = function (key) {
    if (storage) {
      storage.removeItem(key || this.draftKey());
    }
  };

  Card.prototype.changed = function () {
    if (this.stopped) {
      return;
    }
    this.changes += 1;
    this.writeDraft();
    if (!this.inflight) {
      this.show(label("unsaved"), "");
    }
    this.schedule(DELAY);
  };

  Card.prototype.schedule = function (ms) {
    var self = this;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(function () {
      self.timer = null;
      self.send();
    }, ms);
  };

  Card.prototype.flush = function () {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.send();
  };

  Card.prototype.settle = function (ok) {
    var waiting = this.waiting;
    this.waiting = [];
    each(waiting, function (callback) { callback(ok); });
  };

  // Calls back with true once everything typed in this card is on the server, with false if it is not.
  Card.prototype.whenSaved = function (callback) {
    if (!this.pending() && !this.inflight) {
      callback(true);
      return;
    }
    this.waiting.push(callback);
    this.flush();
  };

  Card.prototype.payload = function () {
    var data = this.fields();
    if (this.keyInput) {
      data.client_key = this.keyInput.value;
    }
    return data;
  };

  Card.prototype.send = function () {
    var self = this;
    if (this.stopped || this.inflight) {
      return;
    }
    if (!this.pending()) {
      this.settle(true);
      return;
    }
    var upto = this.changes;
    var sentKey = this.draftKey();
    this.inflight = true;
    this.show(label("saving"), "");
    post(this.el.getAttribute("data-save"), this.payload(), this.form, function (status, body) {
      self.inflight = false;
      if (self.stopped) {
        return;
      }
      if (status >= 200 && status < 300 && body && body.id) {
        self.sent = upto;
        self.retry = RETRY_FIRST;
        if (!self.id()) {
          self.adopt(body, sentKey);
        }
        if (body.version) {
          self.el.setAttribute("data-version", body.version);
        }
        if (self.pending()) {
          self.send(); // typed on while this save was under way
        } else {
          if (!leaving) {
            self.dropDraft();
          }
          self.show(label("saved") + " " + body.saved, "saved");
          self.settle(true);
        }
      } else if (retryable(status, body)) {
        self.show(body && body.error ? body.error : label("failed"), "failed");
        self.schedule(self.retry);
        self.retry = Math.min(self.retry * 2, RETRY_MAX);
        self.settle(false);
      } else {
        // Refused (a field too long, the card gone …): sending the same again would not help.
        // The text stays in this browser; the next edit tries again.
        self.show(label("refused") + " " + (body && body.error ? body.error : status), "failed");
        self.settle(false);
      }
    });
  };

  // The first save created the object: from now on the card saves to its own address.
  Card.prototype.adopt = function (body, oldKey) {
    var prefix = this.kind === "question" ? "q" : "c";
    var twin = document.getElementById(prefix + body.id);
    if (twin && twin !== this.el) {
      // Restored after a reload whose page already showed what this card had created: keep one.
      each(cards, function (card) {
        if (card.el === twin) {
          card.stopped = true;
        }
      });
      twin.parentNode.removeChild(twin);
      renumber();
    }
    this.el.removeAttribute("data-new");
    this.el.id = prefix + body.id;
    this.el.setAttribute("data-id", String(body.id));
    this.el.setAttribute("data-save", body.urls.save);
    this.form.setAttribute("action", body.urls.save);
    var handOver = this.el.querySelector("[data-action=hand-over]");
    if (handOver) {
      handOver.setAttribute("formaction", body.urls.hand_over);
      handOver.removeAttribute("hidden");
    }
    var remove = this.el.querySelector("[data-action=delete]");
    if (remove && body.urls["delete"]) {
      remove.setAttribute("href", body.urls["delete"]);
      remove.removeAttribute("hidden");
    }
    this.dropDraft(oldKey);
    if (this.pending() || leaving) {
      this.writeDraft();
    }
  };

  Card.prototype.handedOver = function () {
    this.el.classList.add("sz-card--handed");
    var badge = this.el.querySelector("[data-handed-badge]");
    if (badge) {
      badge.removeAttribute("hidden");
    }
    var handOver = this.el.querySelector("[data-action=hand-over]");
    if (handOver) {
      var done = document.createElement("button");
      done.type = "button";
      done.className = "btn btn-sm btn-outline-secondary";
      done.disabled = true;
      done.textContent = label("handed");
      handOver.parentNode.replaceChild(done, handOver);
    }
    var remove = this.el.querySelector("[data-action=delete]");
    if (remove) {
      remove.parentNode.removeChild(remove);
    }
  };

  Card.prototype.handOver = function () {
    var self = this;
    if (!window.confirm(label("hand-over"))) {
      return;
    }
    this.whenSaved(function (saved) {
      var handOver = self.el.querySelector("[data-action=hand-over]");
      if (!saved || !handOver || !handOver.getAttribute("formaction")) {
        return; // the card says why it is not saved
      }
      handOver.disabled = true;
      post(handOver.getAttribute("formaction"), {}, self.form, function (status, body) {
        handOver.disabled = false;
        if (status >= 200 && status < 300 && body && body.handed_over) {
          self.handedOver();
        } else {
          self.show(label("refused") + " " + (body && body.error ? body.error : label("failed")), "failed");
        }
      });
    });
  };

  Card.prototype.detach = function () {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.dropDraft();
    this.el.parentNode.removeChild(this.el);
    renumber();
  };

  Card.prototype.remove = function () {
    var self = this;
    if (!window.confirm(label("delete"))) {
      return;
    }
    if (!this.id()) {
      this.detach(); // never reached the server
      return;
    }
    var link = this.el.querySelector("[data-action=delete]");
    post(link.getAttribute("href"), {}, this.form, function (status, body) {
      if (status >= 200 && status < 300 && body && body.deleted) {
        self.detach();
      } else {
        self.show(label("refused") + " " + (body && body.error ? body.error : label("failed")), "failed");
      }
    });
  };

  // Puts back what was typed here and not saved; true if there was something to put back.
  Card.prototype.restore = function (draft) {
    if (!draft || sameFields(draft.f, this.fields())) {
      if (draft) {
        this.dropDraft();
      }
      return false;
    }
    fill(this.form, draft.f);
    this.changes += 1;
    this.writeDraft();
    this.show(label("restored"), "failed");
    this.schedule(DELAY);
    return true;
  };

  /* ---------- Lists ---------- */

  function renumber() {
    each(document.querySelectorAll("[data-list=question]"), function (list) {
      each(list.querySelectorAll("[data-card]"), function (el, i) {
        var number = el.querySelector("[data-number]");
        if (number) {
          number.textContent = String(i + 1);
        }
      });
    });
  }

  function addCard(kind) {
    var list = document.querySelector("[data-list=" + kind + "]");
    var template = list.querySelector("template[data-template]");
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML;
    var el = holder.querySelector("[data-card]");
    var key = newKey();
    var from = kind === "question" ? "qnew-" : "cnew-";
    var to = (kind === "question" ? "q" : "c") + key + "-";
    each(el.querySelectorAll("[id]"), function (node) {
      node.id = node.id.replace(from, to);
    });
    each(el.querySelectorAll("label[for]"), function (node) {
      node.setAttribute("for", node.getAttribute("for").replace(from, to));
    });
    el.querySelector("[data-client-key]").value = key;
    list.querySelector("[data-cards]").appendChild(el);
    renumber();
    return new Card(el);
  }

  function blankCard(kind) {
    for (var i = 0; i < cards.length; i++) {
      var card = cards[i];
      if (card.kind === kind && !card.id() && !card.claimed && !card.changes && !hasText(card.fields())) {
        return card;
      }
    }
    return null;
  }

  function restoreNewCards() {
    if (!storage) {
      return;
    }
    var found = [];
    each(["question", "comment"], function (kind) {
      var prefix = PREFIX + "new-" + kind + "-" + reportId + "-";
      for (var i = 0; i < storage.length; i++) {
        var key = storage.key(i);
        if (key && key.indexOf(prefix) === 0) {
          found.push({ kind: kind, key: key, clientKey: key.slice(prefix.length), draft: readDraft(key) });
        }
      }
    });
    found.sort(function (a, b) {
      return ((a.draft || {}).t || 0) - ((b.draft || {}).t || 0);
    });
    each(found, function (item) {
      storage.removeItem(item.key);
      if (!item.draft || !hasText(item.draft.f)) {
        return;
      }
      var card = blankCard(item.kind) || addCard(item.kind);
      card.claimed = true;
      card.keyInput.value = item.clientKey;
      card.restore(item.draft);
    });
  }

  /* ---------- The page ---------- */

  forgetOld();
  each(root.querySelectorAll("[data-card]"), function (el) {
    new Card(el); // eslint-disable-line no-new
  });
  restoreNewCards();
  each(cards.slice(), function (card) {
    if (card.id()) {
      card.restore(readDraft(card.draftKey()));
    }
  });

  each(root.querySelectorAll("form[data-add]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.getAttribute("data-add");
      var card = addCard(kind);
      var first = card.el.querySelector(kind === "question" ? "textarea" : "input[type=text]");
      if (first) {
        first.focus();
      }
    });
  });

  var switcher = root.querySelector("form[data-switch]");
  if (switcher) {
    switcher.querySelector("select").addEventListener("change", function () {
      switcher.submit(); // what is not saved yet is kept here and sent when the page comes back
    });
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.keyCode === 83)) {
      event.preventDefault();
      each(cards, function (card) { card.flush(); });
    }
  });

  window.addEventListener("beforeunload", function () {
    leaving = true;
    setTimeout(function () { leaving = false; }, 5000); // the page stayed after all (a download …)
  });

  // Leaving the page: one last try for every card with unsent text (the local copy stays anyway).
  window.addEventListener("pagehide", function () {
    leaving = true;
    if (!navigator.sendBeacon || !window.FormData) {
      return;
    }
    each(cards, function (card) {
      if (card.stopped || !card.pending()) {
        return;
      }
      var data = new FormData();
      var payload = card.payload();
      data.append("csrfmiddlewaretoken", csrfToken(card.form));
      for (var name in payload) {
        if (owns(payload, name)) {
          data.append(name, payload[name]);
        }
      }
      navigator.sendBeacon(card.el.getAttribute("data-save"), data);
    });
  });

  root.setAttribute("data-ready", "1");
})();
