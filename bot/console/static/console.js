// Keeps console lists fresh without a build step: any element with data-poll is re-fetched every
// data-interval ms and replaced when its HTML changed; quick-reply chips fill the reply box.
(function () {
  "use strict";

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
