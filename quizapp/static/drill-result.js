// A submission's result page: the server renders the panel; while the submission is still queued or running,
// follow it and swap in the finished panel, then draw the verdict plots.
import { getJSON } from "./lib/http.js";
import { followSubmission } from "./lib/poll.js";
import { showSubmissionPanel } from "./lib/result-panel.js";
import { drawVerdictPlots } from "./lib/verdict-plots.js";

async function followResultPage(slot) {
  const { submission, finished } = await followSubmission(await getJSON(slot.dataset.apiUrl));
  if (!finished) return;  // still being graded after ten minutes: a reload shows where it stands
  if (slot.querySelector("[data-status=queued], [data-status=running]")) await showSubmissionPanel(slot, submission);
  else drawVerdictPlots(slot, submission.verdict);
}

const slot = document.querySelector("#drill-result[data-api-url]");
if (slot) followResultPage(slot).catch((error) => console.error("could not load the result", error));
