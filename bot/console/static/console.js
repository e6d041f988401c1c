// Keeps console lists fresh without a build step: any element with data-poll is re-fetched every
// data-interval ms and replaced when its HTML changed; quick-reply chips fill the reply box; a 显示号码
// button (form[data-reveal-form]) fetches one object's full numbers and shows them in place.
(function () {
  "use strict";

  // Values revealed on this page, by the form's address, put back when polling redraws a list.
  var revealed = {};

  function fill(form, values) {
    var scope = form.closest("[data-reveal-scope]") || document;
    Object.keys(values).forEach(function (field) {
      scope.querySelectorAll('[data-reveal="' + field + '"]').forEach(function (el) {
        if (values[field]) {
          el.textContent = values[field]; el.classList.add("revealed");
          // A revealed phone becomes a link that dials it (tel:) on a phone or softphone.
          if (el.dataset.revealHref) { el.setAttribute("href", el.dataset.revealHref + values[field]); }
        }
      });
    });
    form.remove();
  }

  function showRevealed(root) {
    root.querySelectorAll("form[data-reveal-form]").forEach(function (form) {
      var values = revealed[form.action];
      if (values) { fill(form, values); }
    });
  }

  // A form with data-confirm asks once before it is sent (putting a model into use, going back).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-reveal-form]")) { return; }
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form))
    })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (values) {
        revealed[form.action] = values;
        showRevealed(document);
      })
      .catch(function () {
        if (button) { button.value = "显示失败，请刷新页面后重试"; }
      });
  });

  function ids(root) {
    return Array.prototype.map.call(root.querySelectorAll("[data-id]"), function (el) { return el.dataset.id; });
  }

  function poll(el) {
    var url = el.dataset.poll;
    var every = parseInt(el.dataset.interval || "5000", 10);
    var last = null;
    var scroller = el.querySelector(".transcript");
    if (scroller) { scroller.scrollTop = scroller.scrollHeight; }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (resp) {
          if (resp.redirected || resp.status === 401) { window.location.href = "/console/login"; return null; }
          return resp.ok ? resp.text() : null;
        })
        .then(function (html) {
          if (html === null || html === undefined || html === last) { return; }
          last = html;
          var seen = ids(el);
          var old = el.querySelector(".transcript");
          var kept = old ? old.scrollTop : 0;
          el.innerHTML = html;
          showRevealed(el);
          var added = 0;
          var emergencies = [];
          el.querySelectorAll("[data-id]").forEach(function (item) {
            if (seen.indexOf(item.dataset.id) < 0) {
              item.classList.add("new");
              added += 1;
              if (item.dataset.emergency) { emergencies.push(item); }
            }
          });
          if (emergencies.length && el.hasAttribute("data-alert-emergencies")) { alarm(emergencies); }
          var list = el.querySelector(".transcript");
          if (list) { list.scrollTop = added ? list.scrollHeight : kept; }
          var counted = el.querySelector("[data-count]");
          if (counted) {
            var n = parseInt(counted.dataset.count, 10);
            document.title = (n ? "(" + n + ") " : "") + document.title.replace(/^\(\d+\) /, "");
          }
        })
        .catch(function () { /* offline for a moment: try again next tick */ })
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  // --- the emergency alert: a tone, a system notification and a blinking tab title ----------------------
  // Browsers start sound and ask for notifications only after a click on the page, so the inbox shows a
  // button until both are allowed; the choice is the browser's, asked once.
  var audio = null;

  function alertsReady() {
    return !("Notification" in window) || Notification.permission !== "default";
  }

  function showAlertState() {
    var button = document.getElementById("alerts-on");
    var state = document.getElementById("alerts-state");
    if (!button || !state) { return; }
    var ready = alertsReady() && audio !== null;
    button.hidden = ready;
    state.hidden = !ready;
  }

  function enableAlerts() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && audio === null) { audio = new Ctx(); }
    if (audio && audio.state === "suspended") { audio.resume(); }
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().then(showAlertState);
    }
    showAlertState();
  }

  function tone() {
    if (audio === null || audio.state !== "running") { return; }
    // Three short high beeps, loud enough to be heard across an office.
    [0, 0.35, 0.7].forEach(function (at) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.3;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.2);
    });
  }

  var blinking = null;
  function blinkTitle() {
    if (blinking !== null) { return; }
    var plain = document.title;
    var on = false;
    blinking = setInterval(function () {
      on = !on;
      document.title = on ? "【紧急】有居民遇到危险" : plain;
    }, 800);
    function stop() {
      if (document.visibilityState === "visible" && document.hasFocus()) {
        clearInterval(blinking);
        blinking = null;
        document.title = plain;
        window.removeEventListener("focus", stop);
        document.removeEventListener("visibilitychange", stop);
      }
    }
    window.addEventListener("focus", stop);
    document.addEventListener("visibilitychange", stop);
    setTimeout(stop, 10000);
  }

  function alarm(items) {
    tone();
    blinkTitle();
    if ("Notification" in window && Notification.permission === "granted") {
      items.forEach(function (item) {
        var link = item.querySelector("a");
        var note = new Notification("紧急转人工", {
          body: (item.querySelector(".line1") || item).textContent.replace(/\s+/g, " ").trim(),
          tag: "linli-emergency-" + item.dataset.id,
          requireInteraction: true
        });
        note.onclick = function () { window.focus(); if (link) { window.location.href = link.href; } };
      });
    }
  }

  var alertsButton = document.getElementById("alerts-on");
  if (alertsButton) {
    alertsButton.addEventListener("click", enableAlerts);
    // Any first click on the page also allows the tone (the notification permission needs the button).
    document.addEventListener("click", function once() {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx && audio === null) { audio = new Ctx(); }
      showAlertState();
      document.removeEventListener("click", once);
    });
    showAlertState();
  }

  document.querySelectorAll("[data-poll]").forEach(poll);

  document.querySelectorAll("[data-fill]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      var box = document.querySelector(chip.dataset.fill);
      if (box) { box.value = chip.textContent; box.focus(); }
    });
  });
})();
