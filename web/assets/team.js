// The gallery's behaviour; every page works without it. No inline script anywhere (the CSP says so).
(function () {
  "use strict";
  // Filters apply as soon as they change.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Copy links.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var text = b.getAttribute("data-copy"), label = b.textContent;
      var done = function () { b.textContent = "✓"; setTimeout(function () { b.textContent = label; }, 1200); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var t = document.createElement("textarea");
        t.value = text; document.body.appendChild(t); t.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* the link stays visible to copy by hand */ }
        t.remove();
      }
    });
  });
  // Revoke asks once more; without JavaScript the server asks instead (a second page, a second click).
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      var question = f.getAttribute("data-confirm");
      if (question === null) { return; } // the server asks instead
      if (!window.confirm(question)) { e.preventDefault(); return; }
      var i = document.createElement("input");
      i.type = "hidden"; i.name = "confirm"; i.value = "yes";
      f.appendChild(i);
    });
  });
  // HLS: native on Safari only (Chrome's own HLS is unreliable: hls.js #7827), hls.js elsewhere.
  document.querySelectorAll("video[data-hls]").forEach(function (v) {
    var src = v.getAttribute("data-hls");
    var safari = /^((?!chrome|android|crios|fxios).)*safari/i.test(navigator.userAgent);
    if (safari && v.canPlayType("application/vnd.apple.mpegurl")) {
      v.src = src;
    } else if (window.Hls && window.Hls.isSupported()) {
      // No worker: the CSP allows scripts from this server only, and a short clip needs none.
      var hls = new window.Hls({ enableWorker: false });
      hls.loadSource(src);
      hls.attachMedia(v);
      v.hls = hls;
    } else if (v.canPlayType("application/vnd.apple.mpegurl")) {
      v.src = src;
    }
  });
})();
