// Typeset $...$, $$...$$, \(...\) and \[...\] inside an element with the vendored KaTeX. KaTeX's
// auto-render is a classic script (base.html loads it, deferred, ahead of every module), so its global is
// read here and nowhere else; without it the text stays as written.

const DELIMITERS = [
  { left: "$$", right: "$$", display: true },
  { left: "\\[", right: "\\]", display: true },
  { left: "$", right: "$", display: false },
  { left: "\\(", right: "\\)", display: false },
];

export function renderMath(root = document.body) {
  const autoRender = globalThis.renderMathInElement;
  if (typeof autoRender !== "function") return;
  autoRender(root, { delimiters: DELIMITERS, throwOnError: false });
  // A display formula wider than a small screen scrolls in its own box; the keyboard must reach it.
  root.querySelectorAll(".katex-display").forEach((box) => {
    if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
  });
}
