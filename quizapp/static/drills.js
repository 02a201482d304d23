// Drill page: a CodeMirror 6 editor whose draft is kept in localStorage per drill and framework, submission
// through the JSON API (button or Ctrl+Enter), and a live status that polls until the verdict is shown; a
// quick run on one problem (button or Ctrl+Shift+Enter) that is not recorded; and, after a pass or three
// failures, the way to the reference solution.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Compartment, Prec } from "@codemirror/state";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { ApiError, getJSON, postJSON } from "./lib/http.js";
import { followSubmission } from "./lib/poll.js";
import { fillResultPanel, showSubmissionPanel } from "./lib/result-panel.js";

const root = document.getElementById("drill-editor-root");
const drill = root.dataset.drill;
const starters = JSON.parse(document.getElementById("drill-starters").textContent);
const frameworkInput = document.getElementById("drill-framework");
const statusLine = document.getElementById("drill-status");
const resultSlot = document.getElementById("drill-result");
const submitButton = document.getElementById("drill-submit");
const runButton = document.getElementById("drill-run");
const runProblem = document.getElementById("drill-run-problem");
const solutionSection = document.getElementById("drill-solution");
const OFFLINE = "Could not reach the server. Your draft is saved here; try again in a moment.";

const draftKey = (framework) => `quizapp:drill:${drill}:draft:${framework}`;
const frameworkKey = `quizapp:drill:${drill}:framework`;

function storedFramework() {
  const saved = localStorage.getItem(frameworkKey);
  const offered = frameworkInput.tagName === "SELECT" ? [...frameworkInput.options].map((o) => o.value) : [];
  return offered.includes(saved) ? saved : frameworkInput.value;
}

function draftFor(framework) {
  return localStorage.getItem(draftKey(framework)) ?? starters[framework] ?? "";
}

frameworkInput.value = storedFramework();
let shownFramework = frameworkInput.value;

// Colours come from app.css's variables, so the editor follows the page's light or dark scheme; the
// darkTheme flag (CodeMirror's own selection and tooltip defaults) follows the same media query.
const pageColours = EditorView.theme({
  "&": { color: "var(--fg)", backgroundColor: "var(--card)" },
  ".cm-content": { caretColor: "var(--fg)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--fg)" },
  ".cm-gutters": { backgroundColor: "var(--code-bg)", color: "var(--muted)", borderColor: "var(--border)" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--code-active-line)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground":
    { background: "var(--code-selection)" },
  ".cm-tooltip": { color: "var(--fg)", backgroundColor: "var(--card)", borderColor: "var(--border)" },
});
const codeColours = HighlightStyle.define([
  { tag: tags.keyword, color: "var(--code-keyword)" },
  { tag: [tags.atom, tags.bool, tags.number, tags.literal], color: "var(--code-literal)" },
  { tag: tags.string, color: "var(--code-string)" },
  { tag: [tags.definition(tags.variableName), tags.function(tags.variableName)], color: "var(--code-name)" },
  { tag: [tags.typeName, tags.className, tags.namespace], color: "var(--code-type)" },
  { tag: tags.comment, color: "var(--muted)", fontStyle: "italic" },
  { tag: tags.invalid, color: "var(--bad)" },
]);
const darkScheme = window.matchMedia("(prefers-color-scheme: dark)");
const scheme = new Compartment();

const view = new EditorView({
  doc: draftFor(shownFramework),
  parent: document.getElementById("drill-editor"),
  extensions: [
    // Ctrl+Enter (Cmd+Enter on a Mac) submits, ahead of the editor's own Enter bindings.
    Prec.highest(keymap.of([
      { key: "Mod-Enter", run: () => { submit(); return true; } },
      { key: "Shift-Mod-Enter", run: () => { runOnce(); return true; } },
    ])),
    basicSetup,
    // CodeMirror styles itself with <style> elements; the page's Content-Security-Policy admits only those
    // carrying this response's nonce (the import map's script element has it).
    EditorView.cspNonce.of(document.querySelector("script[nonce]")?.nonce ?? ""),
    keymap.of([indentWithTab]),
    python(),
    pageColours,
    syntaxHighlighting(codeColours),
    scheme.of(EditorView.darkTheme.of(darkScheme.matches)),
    EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) localStorage.setItem(draftKey(shownFramework), update.state.doc.toString());
    }),
  ],
});

darkScheme.addEventListener("change", () => {
  view.dispatch({ effects: scheme.reconfigure(EditorView.darkTheme.of(darkScheme.matches)) });
});

function replaceDoc(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

frameworkInput.addEventListener("change", () => {
  shownFramework = frameworkInput.value;
  localStorage.setItem(frameworkKey, shownFramework);
  replaceDoc(draftFor(shownFramework));
});

document.getElementById("drill-reset").addEventListener("click", () => {
  if (window.confirm("Replace your draft with the starter code?")) replaceDoc(starters[shownFramework] ?? "");
  view.focus();
});
submitButton.addEventListener("click", () => submit());
runButton.addEventListener("click", () => runOnce());

function setStatus(text, kind = "") {
  statusLine.textContent = text;
  statusLine.className = `drl-live ${kind ? `drl-live-${kind}` : ""}`;
}

let busy = false;

function setBusy(value) {
  busy = value;
  submitButton.disabled = value;
  runButton.disabled = value;
}

// What to say when a run or submission fails: the server's own message, or what went wrong here.
function failureMessage(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return "Could not show the result. Your draft is saved here; reload the page to see it.";
}

// Grade the editor's code on one problem and show the panel; the server stores nothing.
async function runOnce() {
  if (busy) return;
  setBusy(true);
  const problem = runProblem.value;
  setStatus(`Running on ${problem}…`, "pending");
  try {
    const body = await postJSON(root.dataset.runUrl, {
      code: view.state.doc.toString(), framework: shownFramework, problem,
    }, { offlineMessage: OFFLINE });
    fillResultPanel(resultSlot, body.result_html, body.verdict);
    const outcome = body.verdict.verdict;
    setStatus(`Run on ${body.problem}: ${outcome} (not recorded).`, outcome === "passed" ? "ok" : "error");
  } catch (error) {
    setStatus(failureMessage(error), "error");
  } finally {
    setBusy(false);
  }
}

async function submit() {
  if (busy) return;
  setBusy(true);
  setStatus("Submitting…");
  try {
    const submission = await postJSON(root.dataset.submitUrl, {
      code: view.state.doc.toString(), framework: shownFramework,
    }, { offlineMessage: OFFLINE });
    await follow(submission);
  } catch (error) {
    setStatus(failureMessage(error), "error");
  } finally {
    setBusy(false);
  }
}

// Follow the submission until it is done or failed, then show the result panel and its plots.
async function follow(submission) {
  const followed = await followSubmission(submission, {
    onWait: (current, elapsedMs) => {
      setStatus(`Submission #${current.id}: ${current.status}… ${(elapsedMs / 1000).toFixed(1)} s`, "pending");
    },
  });
  const last = followed.submission;
  if (!followed.finished) {
    setStatus(`Submission #${last.id} is still ${last.status}; its result page will show the verdict.`, "error");
    return;
  }
  await showSubmissionPanel(resultSlot, last);
  const outcome = last.verdict ? last.verdict.verdict : "not graded";
  setStatus(`Submission #${last.id}: ${outcome}.`, outcome === "passed" ? "ok" : "error");
  if (outcome === "passed") document.getElementById("drill-solution-open").hidden = false;
}

// Three failures: the person may ask for the reference solution (recorded by the server), after a confirm.
const askButton = document.getElementById("drill-solution-ask");
if (askButton) {
  askButton.addEventListener("click", async () => {
    if (!window.confirm("Show the reference solution? Trying once more on your own teaches more.")) return;
    try {
      const body = await postJSON(solutionSection.dataset.unlockUrl);
      window.location.assign(body.url);
    } catch (error) {
      setStatus(failureMessage(error), "error");
    }
  });
}

// After a reload, show the latest attempt again (and keep following it if it is still being graded).
async function showLatest() {
  const url = root.dataset.latestApiUrl;
  if (url) await follow(await getJSON(url));
}

showLatest().catch(() => setStatus("Could not load your latest result.", "error"));
