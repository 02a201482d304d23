// The running mock interview: one question at a time, answers posted to the JSON API, a countdown from
// the server's time left. Nothing here learns the answers: the server sends them only in the report.
(function () {
  "use strict";
  var root = document.getElementById("interview-session");
  if (!root) return;
  var questions = Array.prototype.slice.call(root.querySelectorAll(".mi-question"));
  var errorBox = root.querySelector(".rv-error");
  var countdown = document.getElementById("interview-countdown");
  var answeredCount = document.getElementById("interview-answered");
  var endsAt = Date.now() + Number(root.dataset.secondsLeft) * 1000;
  var current = -1;
  var busy = false;

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var failure = new Error((data.error && data.error.message) || ("The server answered " + response.status + "."));
          failure.status = response.status;
          throw failure;
        }
        return data;
      });
    });
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function isAnswered(article) { return article.dataset.answered === "true"; }

  function show(index) {
    questions.forEach(function (article, i) { article.hidden = i !== index; });
    current = index;
    if (index < 0) return;
    var article = questions[index];
    if (window.renderMath) window.renderMath(article);
    var field = article.querySelector(".mi-answer, .mi-notes");
    if (field && !isAnswered(article)) field.focus();
    else article.querySelector(".mi-skip").focus();
  }

  function nextOpen(from) {
    for (var step = 1; step <= questions.length; step++) {
      var index = (from + step) % questions.length;
      if (!isAnswered(questions[index])) return index;
    }
    return -1;
  }

  function afterAnswer(article) {
    article.dataset.answered = "true";
    article.querySelectorAll("input, textarea, button[data-rating], form button").forEach(function (el) { el.disabled = true; });
    article.querySelector(".mi-done").hidden = false;
    answeredCount.textContent = String(questions.filter(isAnswered).length);
    var next = nextOpen(current);
    if (next >= 0) show(next);
    else {
      show(-1);
      var drill = root.querySelector("#mi-code");
      (drill || document.getElementById("interview-finish")).focus();
    }
  }

  function send(article, body) {
    if (busy || isAnswered(article)) return;
    busy = true;
    showError("");
    var url = root.dataset.answerUrlTemplate.replace("__n__", article.dataset.number);
    post(url, body).then(function () { afterAnswer(article); }, function (failure) {
      showError(failure.message);
      if (failure.status === 409 && Date.now() >= endsAt) window.location.assign(root.dataset.reportUrl);
    }).then(function () { busy = false; });
  }

  questions.forEach(function (article) {
    var typed = article.querySelector(".mi-typed");
    if (typed) {
      typed.addEventListener("submit", function (event) {
        event.preventDefault();
        var value = typed.querySelector(".mi-answer").value;
        if (!value.trim()) { showError("Type an answer first (or press n to skip this question)."); return; }
        send(article, { answer: value });
      });
    }
    article.querySelectorAll("button[data-rating]").forEach(function (button) {
      button.addEventListener("click", function () { rate(article, Number(button.dataset.rating)); });
    });
    article.querySelector(".mi-skip").addEventListener("click", function () {
      var next = nextOpen(questions.indexOf(article));
      if (next >= 0) show(next);
    });
  });

  function rate(article, rating) {
    var notes = article.querySelector(".mi-notes");
    var body = { rating: rating };
    if (notes && notes.value.trim()) body.answer = notes.value;
    send(article, body);
  }

  document.addEventListener("keydown", function (event) {
    if (current < 0 || event.altKey || event.metaKey) return;
    var article = questions[current];
    var target = event.target;
    var inText = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT");
    if (target && target.classList && target.classList.contains("mi-notes") && event.key === "Enter" && event.ctrlKey) {
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
      var next = nextOpen(current);
      if (next >= 0) show(next);
    }
  });

  var drillForm = root.querySelector(".mi-drill-form");
  if (drillForm) {
    drillForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = drillForm.querySelector(".mi-drill-status");
      status.textContent = "Sending…";
      post(root.dataset.drillUrl, { code: drillForm.querySelector("#mi-code").value, framework: drillForm.querySelector("#mi-framework").value })
        .then(function (data) {
          status.textContent = "Submitted (#" + data.drill.submission_id + ") and queued for grading; the verdict is in the report.";
        }, function (failure) { status.textContent = ""; showError(failure.message); });
    });
  }

  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) {
      showError("Time is up. Opening the report…");
      window.location.assign(root.dataset.reportUrl);
      return;
    }
    window.setTimeout(tick, 1000);
  }

  var first = nextOpen(-1);
  show(first >= 0 ? first : -1);
  tick();
})();
