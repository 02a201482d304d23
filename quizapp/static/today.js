// Today page: each link marked data-key="x" opens on the key x (no modifiers, not while typing).

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const link = document.querySelector(`[data-key="${CSS.escape(event.key.toLowerCase())}"]`);
  if (!link) return;
  event.preventDefault();
  link.click();
});
