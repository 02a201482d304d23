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
  }
  window.renderMath = renderMath;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".math").forEach(function (el) { renderMath(el); });
  });
})();
