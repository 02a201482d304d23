// Following a drill submission while the grader works on it: ask the API again after 100 ms, then each
// wait 1.5 times longer, never more than 1 s apart, and give up after ten minutes (the result page keeps
// the verdict). tests/bench/bench_drills.py polls on the same schedule.
import { getJSON } from "./http.js";

export const POLL = { firstDelayMs: 100, factor: 1.5, maxDelayMs: 1000, deadlineMs: 10 * 60 * 1000 };

export function isUnfinished(submission) {
  return submission.status === "queued" || submission.status === "running";
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Poll `submission.api_url` until the submission is done or failed. `onWait(submission, elapsedMs)` runs
// before each wait. Resolves to `{ submission, finished }`; `finished` is false when the deadline passed
// first. Errors from the API reject the promise as ApiError.
export async function followSubmission(submission, { onWait = () => {}, schedule = POLL } = {}) {
  const started = Date.now();
  let delay = schedule.firstDelayMs;
  while (isUnfinished(submission)) {
    const elapsed = Date.now() - started;
    if (elapsed > schedule.deadlineMs) return { submission, finished: false };
    onWait(submission, elapsed);
    await sleep(delay);
    delay = Math.min(delay * schedule.factor, schedule.maxDelayMs);
    submission = await getJSON(submission.api_url);
  }
  return { submission, finished: true };
}
