// A drill's result panel: the server renders it (drills/_result.html or the run's result_html); the page
// puts it in its slot, typesets its formulas and draws the verdict plots.
import { getHTML } from "./http.js";
import { renderMath } from "./math.js";
import { drawVerdictPlots } from "./verdict-plots.js";

// `html` comes from the server's own templates, never from what a person typed.
export function fillResultPanel(slot, html, verdict) {
  slot.innerHTML = html;
  renderMath(slot);
  if (verdict) drawVerdictPlots(slot, verdict);
}

// Fetch a finished submission's panel (`submission.result_url`) and show it in `slot`.
export async function showSubmissionPanel(slot, submission) {
  fillResultPanel(slot, await getHTML(submission.result_url), submission.verdict);
}
