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
        if (values[field]) { el.textContent = values[field]; el.classList.add("revealed"); }
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
          el.querySelectorAll("[data-id]").forEach(function (item) {
            if (seen.indexOf(item.dataset.id) < 0) { item.classList.add("new"); added += 1; }
          });
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

  document.querySelectorAll("[data-poll]").forEach(poll);

  document.querySelectorAll("[data-fill]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      var box = document.querySelector(chip.dataset.fill);
      if (box) { box.value = chip.textContent; box.focus(); }
    });
  });
})();
