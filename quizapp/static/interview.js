// The running mock interview: one question at a time, answers posted to the JSON API, a countdown from
// the server's time left. Nothing here learns the answers: the server sends them only in the report.
import { postJSON } from "./lib/http.js";
import { renderMath } from "./lib/math.js";

const root = document.getElementById("interview-session");
if (root) startInterview();

function startInterview() {
  const questions = [...root.querySelectorAll(".mi-question")];
  const errorBox = root.querySelector(".rv-error");
  const answeredCount = document.getElementById("interview-answered");
  const endsAt = Date.now() + Number(root.dataset.secondsLeft) * 1000;
  let current = -1;
  let busy = false;

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  const isAnswered = (article) => article.dataset.answered === "true";

  function show(index) {
    questions.forEach((article, i) => { article.hidden = i !== index; });
    current = index;
    if (index < 0) return;
    const article = questions[index];
    renderMath(article);
    const field = article.querySelector(".mi-answer, .mi-notes");
    if (field && !isAnswered(article)) field.focus();
    else article.querySelector(".mi-skip").focus();
  }

  function nextOpen(from) {
    for (let step = 1; step <= questions.length; step++) {
      const index = (from + step) % questions.length;
      if (!isAnswered(questions[index])) return index;
    }
    return -1;
  }

  function showNextOpen(from) {
    const next = nextOpen(from);
    if (next >= 0) show(next);
  }

  function afterAnswer(article) {
    article.dataset.answered = "true";
    article.querySelectorAll("input, textarea, button[data-rating], form button").forEach((el) => { el.disabled = true; });
    article.querySelector(".mi-done").hidden = false;
    answeredCount.textContent = String(questions.filter(isAnswered).length);
    const next = nextOpen(current);
    if (next >= 0) {
      show(next);
    } else {
      show(-1);
      (root.querySelector("#mi-code") || document.getElementById("interview-finish")).focus();
    }
  }

  // One answer at a time: a second click or key while one is on its way does nothing.
  async function send(article, body) {
    if (busy || isAnswered(article)) return;
    busy = true;
    showError("");
    const url = root.dataset.answerUrlTemplate.replace("__n__", article.dataset.number);
    try {
      await postJSON(url, body);
      afterAnswer(article);
    } catch (failure) {
      showError(failure.message);
      if (failure.status === 409 && Date.now() >= endsAt) window.location.assign(root.dataset.reportUrl);
    } finally {
      busy = false;
    }
  }

  function rate(article, rating) {
    const notes = article.querySelector(".mi-notes");
    const body = { rating };
    if (notes && notes.value.trim()) body.answer = notes.value;
    send(article, body);
  }

  questions.forEach((article) => {
    const typed = article.querySelector(".mi-typed");
    typed?.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = typed.querySelector(".mi-answer").value;
      if (!value.trim()) {
        showError("Type an answer first (or press n to skip this question).");
        return;
      }
      send(article, { answer: value });
    });
    article.querySelectorAll("button[data-rating]").forEach((button) => {
      button.addEventListener("click", () => rate(article, Number(button.dataset.rating)));
    });
    article.querySelector(".mi-skip").addEventListener("click", () => showNextOpen(questions.indexOf(article)));
  });

  document.addEventListener("keydown", (event) => {
    if (current < 0 || event.altKey || event.metaKey) return;
    const article = questions[current];
    const target = event.target;
    const inText = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT");
    if (target?.classList?.contains("mi-notes") && event.key === "Enter" && event.ctrlKey) {
      event.preventDefault();
      article.querySelector("button[data-rating='3']").focus();
      return;
    }
    if (inText || event.ctrlKey) return;
    if (/^[1-4]$/.test(event.key) && article.dataset.typed === "false" && !isAnswered(article)) {
      event.preventDefault();
      rate(article, Number(event.key));
    } else if (event.key === "n") {
      event.preventDefault();
      showNextOpen(current);
    }
  });

  watchDrillForm(showError);
  show(nextOpen(-1));
  tick(endsAt, showError);
}

// The interview's drill: submitted for grading now, its verdict shown in the report.
function watchDrillForm(showError) {
  const drillForm = root.querySelector(".mi-drill-form");
  if (!drillForm) return;
  drillForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = drillForm.querySelector(".mi-drill-status");
    status.textContent = "Sending…";
    try {
      const data = await postJSON(root.dataset.drillUrl, {
        code: drillForm.querySelector("#mi-code").value, framework: drillForm.querySelector("#mi-framework").value,
      });
      status.textContent = `Submitted (#${data.drill.submission_id}) and queued for grading; the verdict is in the report.`;
    } catch (failure) {
      status.textContent = "";
      showError(failure.message);
    }
  });
}

// The countdown, once a second; at zero, the report.
function tick(endsAt, showError) {
  const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
  document.getElementById("interview-countdown").textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  if (left === 0) {
    showError("Time is up. Opening the report…");
    window.location.assign(root.dataset.reportUrl);
    return;
  }
  setTimeout(() => tick(endsAt, showError), 1000);
}
