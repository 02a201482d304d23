// Account pages: fill in the browser's IANA time zone (registration) or offer it (settings).
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (err) {
    return;
  }
  if (!zone) return;
  var hidden = document.getElementById("detected-timezone");
  if (hidden) hidden.value = zone;
  var button = document.getElementById("use-browser-timezone");
  var field = document.getElementById("timezone");
  if (button && field && field.value !== zone) {
    document.getElementById("browser-timezone").textContent = "(" + zone + ")";
    button.closest(".auth-detect").hidden = false;
    button.addEventListener("click", function () {
      field.value = zone;
      field.focus();
    });
  }
})();
