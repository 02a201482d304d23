// Today page: each link marked data-key="x" opens on the key x (no modifiers, not while typing).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var link = document.querySelector('[data-key="' + event.key.toLowerCase() + '"]');
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();
