// Render $...$ and $$...$$ with the vendored KaTeX wherever an element carries class "math".
// Exposed as window.renderMath(el) so pages can re-render content they insert later.
(function () {
  function renderMath(root) {
    if (!window.renderMathInElement) return;
    window.renderMathInElement(root || document.body, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
    // A display formula wider than a small screen scrolls in its own box; the keyboard must reach it.
    (root || document.body).querySelectorAll(".katex-display").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
    });
  }
  window.renderMath = renderMath;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".math").forEach(function (el) { renderMath(el); });
  });
})();
