// Focused review keys: Space shows the answer, 1–4 rate (Again, Hard, Good, Easy) once it is shown.
// The page works without this script: the answer is a <details> element and ratings are plain buttons.

document.addEventListener("keydown", (event) => {
  const answer = document.getElementById("focus-answer");
  if (!answer || event.ctrlKey || event.metaKey || event.altKey) return;
  const tag = (event.target && event.target.tagName) || "";
  if (tag === "INPUT" || tag === "TEXTAREA") return;
  if (event.key === " " && !answer.open) {
    event.preventDefault();
    answer.open = true;
    return;
  }
  if (answer.open && /^[1-4]$/.test(event.key)) {
    const button = answer.querySelector(`button[name="rating"][value="${event.key}"]`);
    if (button) {
      event.preventDefault();
      button.click();
    }
  }
});
