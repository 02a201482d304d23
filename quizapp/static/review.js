// The review page: fetch the next card, reveal (Space/Enter), rate (1-4), undo (U), typed answers,
// report a problem with the card (!), bury it until tomorrow (-), suspend it (@), Anki's keys, or reset it to
// new (#, after a confirmation: its memory state is forgotten; the review history stays). Talks to
// /api/review/next, /api/reviews, /api/reviews/undo, /api/cards/<slug>/check, /reports, /bury and /suspend
// through lib/http.js.
import { newIdempotencyKey, requestJSON } from "./lib/http.js";
import { renderMath } from "./lib/math.js";

const OFFLINE = "Could not reach the server. Check your connection, then press the key again.";

const root = document.getElementById("review-session");
if (root) startReview();

function startReview() {

  const RATING_NAMES = { 1: "again", 2: "hard", 3: "good", 4: "easy" };
  const els = {
    counts: root.querySelector("[data-testid=counts]"),
    error: root.querySelector(".rv-error"),
    status: root.querySelector(".rv-status"),
    card: root.querySelector(".rv-card"),
    topic: root.querySelector(".rv-topic"),
    queue: root.querySelector(".rv-queue"),
    front: root.querySelector(".rv-front"),
    typed: root.querySelector(".rv-typed"),
    answer: root.querySelector(".rv-answer-input"),
    check: root.querySelector(".rv-check"),
    drill: root.querySelector(".rv-drill"),
    drillLink: root.querySelector(".rv-drill-link"),
    reveal: root.querySelector(".rv-reveal"),
    back: root.querySelector(".rv-back"),
    backText: root.querySelector(".rv-back-text"),
    source: root.querySelector(".rv-source"),
    rateButtons: root.querySelectorAll(".rv-rate button"),
    done: root.querySelector(".rv-done"),
    nextDue: root.querySelector(".rv-next-due"),
    reportOpen: root.querySelector(".rv-report-open"),
    report: root.querySelector(".rv-report"),
    reportReason: root.querySelector(".rv-report-reason"),
    reportCancel: root.querySelector(".rv-report-cancel"),
    bury: root.querySelector(".rv-bury"),
    suspend: root.querySelector(".rv-suspend"),
    reset: root.querySelector(".rv-reset"),
  };

  const session = {
    card: null,          // the card being shown (API shape)
    key: null,           // idempotency key for rating this showing of the card; reused on retry
    shownAt: 0,          // performance.now() when the card appeared
    revealed: false,
    suggested: 3,        // rating that Space/Enter picks on the answer side (Good, or from a typed answer)
    answer: null,        // the typed answer, sent with the rating
    queue: Promise.resolve(),  // actions run one after another: a key pressed while loading waits its turn
    lastReviewId: null,  // what U takes back
    focusCard: root.dataset.focusCard || null,
  };

  function api(method, url, body) {
    return requestJSON(url, { method, body, offlineMessage: OFFLINE });
  }

  function showError(message) {
    els.error.textContent = message;
    els.error.hidden = !message;
  }

  function setText(el, text) {
    el.textContent = text || "";
    renderMath(el);
  }

  // `html` comes from the server's escaping renderer (quizapp/prose.py), never from the person.
  function setProse(el, html) {
    el.innerHTML = html || "";
    renderMath(el);
  }

  function renderCounts(counts) {
    ["new", "learning", "review"].forEach(function (name) {
      els.counts.querySelector("[data-count=" + name + "]").textContent = counts[name];
    });
  }

  function nextUrl() {
    const params = new URLSearchParams();
    if (root.dataset.topic) params.set("topic", root.dataset.topic);
    if (session.focusCard) params.set("card", session.focusCard);
    const query = params.toString();
    return root.dataset.nextUrl + (query ? "?" + query : "");
  }

  function enqueue(action) {
    session.queue = session.queue.then(action).catch(function (failure) { showError(failure.message); });
    return session.queue;
  }

  function loadNext() {
    return api("GET", nextUrl())
      .then(function (data) {
        session.focusCard = null;
        renderCounts(data.counts);
        if (data.card) showCard(data.card); else showDone(data.next_due_at);
      })
      .catch(function (failure) { showError(failure.message); });
  }

  function showCard(card) {
    session.card = card;
    session.key = newIdempotencyKey();
    session.shownAt = performance.now();
    session.revealed = false;
    session.suggested = 3;
    session.answer = null;
    els.done.hidden = true;
    els.card.hidden = false;
    els.card.dataset.card = card.slug;
    els.topic.textContent = card.topic;
    els.queue.textContent = card.queue;
    setProse(els.front, card.front_html);
    els.back.hidden = true;
    els.reveal.hidden = false;
    els.check.hidden = true;
    els.check.textContent = "";
    els.typed.hidden = !card.typed;
    els.answer.value = "";
    closeReport();
    els.drill.hidden = !card.drill_url;
    if (card.drill_url) els.drillLink.href = card.drill_url;
    els.rateButtons.forEach(function (button) {
      const preview = card.previews[RATING_NAMES[button.dataset.rating]];
      button.querySelector(".rv-interval").textContent = preview ? preview.label : "";
      button.classList.remove("rv-suggested");
    });
    if (card.typed) els.answer.focus();
  }

  function showDone(nextDueAt) {
    session.card = null;
    els.card.hidden = true;
    els.done.hidden = false;
    if (nextDueAt) {
      const when = new Date(nextDueAt);
      els.nextDue.textContent = "The next card is due " + formatWhen(when) + ".";
    } else {
      els.nextDue.textContent = "Nothing is scheduled here yet.";
    }
  }

  function formatWhen(when) {
    const sameDay = when.toDateString() === new Date().toDateString();
    const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return sameDay ? "today at " + time : "on " + when.toLocaleDateString() + " at " + time;
  }

  function reveal() {
    if (!session.card || session.revealed) return;
    session.revealed = true;
    els.reveal.hidden = true;
    els.back.hidden = false;
    els.answer.blur();
    setProse(els.backText, session.card.back_html);
    setText(els.source, "Source: " + session.card.source.seed + " — " + session.card.source.section);
    markSuggested(session.suggested);
  }

  function markSuggested(rating) {
    session.suggested = rating;
    els.rateButtons.forEach(function (button) {
      button.classList.toggle("rv-suggested", Number(button.dataset.rating) === rating);
    });
  }

  function checkAnswer() {
    if (!session.card || session.revealed) return;
    const typed = els.answer.value;
    if (!typed.trim()) { showError("Type an answer first, or press Escape and then Space to just reveal."); return; }
    const url = root.dataset.checkUrlTemplate.replace("__slug__", encodeURIComponent(session.card.slug));
    showError("");
    return api("POST", url, { answer: typed })
      .then(function (result) {
        // The checker could not decide (busy, out of time): say so and keep the question open for a retry.
        if (!result.judged) { showError(result.message); return; }
        session.answer = typed;
        els.check.hidden = false;
        els.check.className = "rv-check " + (result.correct ? "rv-correct" : "rv-wrong");
        const verdict = result.message || (result.correct ? "Correct." : "Not quite.");
        setText(els.check, verdict + " Expected: $" + result.expected_latex + "$");
        session.suggested = result.correct ? 3 : 1;
        reveal();
        markSuggested(session.suggested);
      })
      .catch(function (failure) { showError(failure.message); });
  }

  function rate(rating) {
    if (!session.card || !session.revealed) return;
    const card = session.card;
    const body = {
      card: card.slug,
      rating: rating,
      idempotency_key: session.key,
      duration_ms: Math.max(0, Math.round(performance.now() - session.shownAt)),
      version: card.version,
    };
    if (session.answer !== null) body.answer = session.answer;
    showError("");
    return api("POST", root.dataset.reviewsUrl, body)
      .then(function (result) {
        session.lastReviewId = result.id;
        session.card = null;  // rated: further keys wait for the next card
        return loadNext().then(function () {
          els.status.textContent = "Rated " + result.rating + (result.interval ? "; next in " + result.interval : "") + "." +
            (result.leech ? " That card is now a leech (forgotten again and again): it is suspended; see your dashboard." : "");
        });
      })
      .catch(function (failure) {
        showError(failure.message);
        // A stale card (rated in another tab) or one that vanished: move on; otherwise keep the key for a retry.
        if (failure.status === 409 || failure.status === 404) return loadNext();
      });
  }

  function undo() {
    showError("");
    const body = session.lastReviewId ? { review_id: session.lastReviewId } : {};
    return api("POST", root.dataset.undoUrl, body)
      .then(function (result) {
        session.lastReviewId = null;
        session.focusCard = result.card;
        return loadNext().then(function () {
          els.status.textContent = "Undid the " + result.rating + " rating of this card.";
        });
      })
      .catch(function (failure) { showError(failure.message); });
  }

  const SET_ASIDE_DONE = {
    bury: function (slug) { return "Buried " + slug + " until tomorrow."; },
    suspend: function (slug) { return "Suspended " + slug + "; unsuspend it on the Cards page."; },
    reset: function (slug) { return "Reset " + slug + " to new; it comes back with the new cards."; },
  };

  // Bury (until tomorrow), suspend or reset the card shown, then move on: it leaves this session.
  function setAside(action) {
    if (!session.card) return;
    const slug = session.card.slug;
    if (action === "reset" && !window.confirm("Reset " + slug + " to new? Its memory state is forgotten.")) return;
    showError("");
    return api("POST", cardUrl(root.dataset.cardActionUrlTemplate, slug).replace("__action__", action))
      .then(function () {
        session.card = null;
        return loadNext().then(function () {
          els.status.textContent = SET_ASIDE_DONE[action](slug);
        });
      })
      .catch(function (failure) { showError(failure.message); });
  }

  function cardUrl(template, slug) {
    return template.replace("__slug__", encodeURIComponent(slug));
  }

  function openReport() {
    if (!session.card) return;
    els.report.hidden = false;
    els.reportReason.focus();
  }

  function closeReport() {
    els.report.hidden = true;
    els.reportReason.value = "";
  }

  function sendReport() {
    if (!session.card) return;
    const reason = els.reportReason.value;
    if (!reason.trim()) { showError("Say what is wrong with the card first, or press Escape to cancel."); return; }
    const slug = session.card.slug;
    showError("");
    return api("POST", cardUrl(root.dataset.reportUrlTemplate, slug), { reason: reason })
      .then(function (report) {
        closeReport();
        els.status.textContent = "";
        els.status.append("Thanks: report #" + report.id + " received. ");
        const link = document.createElement("a");
        link.href = cardUrl(root.dataset.cardUrlTemplate, slug);
        link.className = "rv-report-link";
        link.textContent = "See it on the card's page";
        els.status.append(link, ".");
      })
      .catch(function (failure) { showError(failure.message); });
  }

  function onReportKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeReport();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      enqueue(sendReport);
    }
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;  // the answer box takes its own keys; Enter submits the check form
    }
    const key = event.key;
    if (key === " " || key === "Enter") {
      if (target && (target.tagName === "BUTTON" || target.tagName === "A") && key === "Enter") return;
      event.preventDefault();
      enqueue(function () { return session.revealed ? rate(session.suggested) : reveal(); });
    } else if (key >= "1" && key <= "4") {
      event.preventDefault();
      enqueue(function () { return rate(Number(key)); });
    } else if (key === "u" || key === "U") {
      event.preventDefault();
      enqueue(undo);
    } else if (key === "!") {
      event.preventDefault();
      openReport();
    } else if (key === "-") {
      event.preventDefault();
      enqueue(function () { return setAside("bury"); });
    } else if (key === "@") {
      event.preventDefault();
      enqueue(function () { return setAside("suspend"); });
    } else if (key === "#") {
      event.preventDefault();
      enqueue(function () { return setAside("reset"); });
    }
  }

  els.reveal.addEventListener("click", function () { enqueue(reveal); });
  els.typed.addEventListener("submit", function (event) {
    event.preventDefault();
    enqueue(checkAnswer);
  });
  els.rateButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      enqueue(function () { return rate(Number(button.dataset.rating)); });
    });
  });
  els.reportOpen.addEventListener("click", openReport);
  els.bury.addEventListener("click", function () { enqueue(function () { return setAside("bury"); }); });
  els.suspend.addEventListener("click", function () { enqueue(function () { return setAside("suspend"); }); });
  els.reset.addEventListener("click", function () { enqueue(function () { return setAside("reset"); }); });
  els.reportCancel.addEventListener("click", closeReport);
  els.reportReason.addEventListener("keydown", onReportKey);
  els.report.addEventListener("submit", function (event) {
    event.preventDefault();
    enqueue(sendReport);
  });
  document.addEventListener("keydown", onKey);
  enqueue(loadNext);
}
