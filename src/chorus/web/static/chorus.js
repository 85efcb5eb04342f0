// chorus: small progressive enhancements. Pages work without this file (citations
// open on hover); it adds click-to-open citations, Escape to close, and "show all".
(function () {
  "use strict";
  function closeAll(except) {
    document.querySelectorAll(".cite.open").forEach(function (el) {
      if (el !== except) {
        el.classList.remove("open");
        var b = el.querySelector(".cite-mark");
        if (b) b.setAttribute("aria-expanded", "false");
      }
    });
  }
  function place(wrap) {
    var pop = wrap.querySelector(".pop");
    if (!pop) return;
    pop.classList.remove("left");
    var r = pop.getBoundingClientRect();
    if (r.right > window.innerWidth - 8) pop.classList.add("left");
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest(".cite-mark") : null;
    if (!btn) {
      if (!(e.target.closest && e.target.closest(".pop"))) closeAll(null);
    } else {
      var wrap = btn.parentElement;
      closeAll(wrap);
      var open = wrap.classList.toggle("open");
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) place(wrap);
    }
    var all = e.target.closest ? e.target.closest(".show-all") : null;
    if (all) {
      var section = document.getElementById(all.getAttribute("data-target"));
      if (section) { section.classList.add("all"); all.remove(); }
    }
  });
  document.addEventListener("mouseover", function (e) {
    var wrap = e.target.closest ? e.target.closest(".cite") : null;
    if (wrap) place(wrap);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") closeAll(null);
  });
})();
