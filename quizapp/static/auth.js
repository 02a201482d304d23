// Account pages: fill in the browser's IANA time zone (registration) or offer it (settings).

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

const zone = browserZone();
const hidden = document.getElementById("detected-timezone");
if (zone && hidden) hidden.value = zone;
const button = document.getElementById("use-browser-timezone");
const field = document.getElementById("timezone");
if (zone && button && field && field.value !== zone) {
  document.getElementById("browser-timezone").textContent = `(${zone})`;
  button.closest(".auth-detect").hidden = false;
  button.addEventListener("click", () => {
    field.value = zone;
    field.focus();
  });
}
