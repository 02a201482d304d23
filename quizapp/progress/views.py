from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from quizapp import jobs
from quizapp.errors import error_response
from quizapp.extensions import unit_of_work
from quizapp.models import utcnow
from quizapp.progress import bp, charts
from quizapp.services import card_browser, history, interviews, progress, scheduler_tuning
from quizapp.services.errors import ServiceError


@bp.get("/progress")
@login_required
@unit_of_work()  # reading the interviews finishes those whose time ran out
def dashboard() -> str:
    report = progress.user_progress(current_user)
    past_interviews = interviews.interview_history(current_user)
    shown = _charts(report, per_topic=True)
    if past_interviews:
        shown["interviews"] = charts.interview_score_chart(past_interviews)
    return render_template(
        "progress/dashboard.html",
        report=report,
        charts=shown,
        calendar=charts.calendar_grid(report.reviews_per_day),
        tuning=scheduler_tuning.latest_optimization(current_user),
        leeches=card_browser.leeches(current_user),
        past_interviews=past_interviews,
    )


@bp.get("/progress/<topic>")
@login_required
def topic(topic: str) -> str:
    report = progress.user_progress(current_user, topic=topic)
    return render_template(
        "progress/topic.html",
        report=report,
        charts=_charts(report, per_topic=False),
        calendar=charts.calendar_grid(report.reviews_per_day),
    )


def _charts(report: progress.ProgressReport, *, per_topic: bool) -> dict[str, charts.Chart | None]:
    """What the page's bar charts show; the browser draws them (static/charts.js)."""
    shown = {
        "forecast": charts.forecast_chart(report.due_forecast),
        "drills": charts.drill_chart(report.drills) if report.drills else None,
    }
    if per_topic:
        shown["retrievability"] = charts.retrievability_chart(report.topics, report.desired_retention)
        if report.interview_date is not None:
            shown["projection"] = charts.projection_chart(
                report.topics, report.desired_retention, report.interview_date
            )
    return shown


# ------------------------------------------------------------------------------------------ focused session


@bp.get("/progress/focus")
@login_required
def focus() -> str | BaseResponse:
    """One card at a time from `cards` (comma-separated slugs, default: the weakest cards, or with
    `leeches=1` the person's leeches)."""
    topic = request.args.get("topic") or None
    leeches = request.args.get("leeches") == "1"
    slugs = [slug.strip() for slug in request.args.get("cards", "").split(",") if slug.strip()]
    done = request.args.get("done", 0, type=int)
    if not slugs and not done:
        slugs = (
            card_browser.leech_slugs(current_user)
            if leeches
            else progress.weakest_card_slugs(current_user, topic)
        )
    if not slugs:
        return render_template("progress/focus.html", card=None, done=done, topic=topic, leeches=leeches)
    cards = progress.focus_cards(current_user, slugs, topic, leeches=leeches)
    return render_template(
        "progress/focus.html",
        card=cards[0],
        remaining=[card.slug for card in cards[1:]],
        done=done,
        topic=topic,
        leeches=leeches,
        idempotency_key=uuid.uuid4().hex,
        shown_at=int(utcnow().timestamp() * 1000),
    )


@bp.post("/progress/focus")
@login_required
def focus_review() -> BaseResponse:
    form = request.form
    rating = form.get("rating", type=int)
    card = form.get("card", "")
    key = form.get("idempotency_key", "")
    if rating not in (1, 2, 3, 4) or not card or not key:
        abort(400, "Rate the card with Again, Hard, Good or Easy (1–4).")
    with unit_of_work():
        progress.record_focus_review(current_user, card, rating, key[:64], _duration_ms(form.get("shown_at")))
    return redirect(
        url_for(
            "progress.focus",
            topic=form.get("topic") or None,
            leeches=form.get("leeches") or None,
            cards=form.get("remaining", ""),
            done=form.get("done", 0, type=int) + 1,
        )
    )


def _duration_ms(shown_at: str | None) -> int | None:
    try:
        elapsed = int(utcnow().timestamp() * 1000) - int(shown_at or "")
    except ValueError:
        return None
    return elapsed if 0 <= elapsed <= 3_600_000 else None


# ------------------------------------------------------------------------------------------- export, import


@bp.get("/progress/export.json")
@login_required
def export_json() -> Response:
    data = history.export_history(current_user)
    filename = f"quizapp-{current_user.username}-{utcnow().date().isoformat()}.json"
    return Response(
        json.dumps(data, indent=1, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/progress/export.apkg")
@login_required
def export_apkg() -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quizapp.apkg"
        history.write_apkg(path, current_user)
        payload = path.read_bytes()
    return Response(
        payload,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": 'attachment; filename="quizapp-optimizers.apkg"'},
    )


@bp.get("/progress/import")
@login_required
def import_form() -> str:
    return render_template("progress/import.html", error=None)


@bp.url_value_preprocessor
def _allow_large_history_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Raise the body limit for the import form alone, before anything reads the form.

    URL value preprocessors run before every `before_request` function, including CSRFProtect's, which
    parses the form (and would refuse a file over the site-wide MAX_CONTENT_LENGTH with a 413).
    """
    if endpoint == "progress.import_upload":
        request.max_content_length = history.IMPORT_MAX_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(exc: RequestEntityTooLarge) -> tuple[Response | str, int]:
    if request.endpoint == "progress.import_upload":
        error = history.HistoryImportError(history.TOO_LARGE)
        return render_template("progress/import.html", error=error), 413
    return error_response(413, exc.description or exc.name)


@bp.post("/progress/import")
@login_required
def import_upload() -> str | BaseResponse | tuple[str, int]:
    upload = request.files.get("history")
    if upload is None or not upload.filename:
        return _import_failed(history.HistoryImportError("Choose the .json file you exported"))
    try:
        data = history.read_history_file(_read_and_close(upload))
        with unit_of_work():
            counts = history.import_history(current_user, data)
    except history.HistoryImportError as exc:
        return _import_failed(exc)
    flash(history.import_summary(counts), "success")
    return redirect(url_for("progress.dashboard"))


def _read_and_close(upload: FileStorage) -> bytes:
    try:
        return upload.read()
    finally:
        upload.close()  # big uploads are spooled to a temporary file: release it now


def _import_failed(error: history.HistoryImportError) -> tuple[str, int]:
    return render_template("progress/import.html", error=error), 400


# ------------------------------------------------------------------------------------------ scheduler fit


@bp.get("/progress/scheduler")
@login_required
def scheduler() -> str:
    return render_template(
        "progress/scheduler.html",
        readiness=scheduler_tuning.readiness(current_user),
        run=scheduler_tuning.latest_optimization(current_user),
    )


@bp.post("/progress/scheduler")
@login_required
def optimize_scheduler() -> BaseResponse | tuple[str, int]:
    try:
        jobs.request_fit(current_user)
    except ServiceError as exc:  # 409 one is running or too little history, 429 too soon after the last
        flash(exc.message, "error")
        return scheduler(), exc.status
    flash(
        "Optimisation started. It takes a few seconds to a minute; reload this page to see the result.",
        "info",
    )
    return redirect(url_for("progress.scheduler"))
