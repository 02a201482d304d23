"""JSON API for drill submissions: submit code for grading, then poll its status and verdict; or run the
code on one problem without recording it.

POST /api/drills/<slug>/submissions → 202 {id, url, status, ...}; GET /api/submissions/<id> (owner only);
POST /api/drills/<slug>/runs → 200 {drill, problem, recorded: false, verdict, result_html}. Submissions
and runs share one per-person limit per minute.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from quizapp import jobs
from quizapp.api import protect
from quizapp.extensions import limiter
from quizapp.models import Submission
from quizapp.services.drill_runs import run_drill
from quizapp.services.submissions import owned_submission

bp = protect(Blueprint("submissions_api", __name__, url_prefix="/api"))


def _submissions_per_minute() -> str:
    return f"{current_app.config['SUBMISSIONS_PER_MINUTE']}/minute"


def _per_person() -> str:
    return f"submissions:user:{current_user.id}"


def _too_many_message() -> str:
    return (
        f"You can submit or run {current_app.config['SUBMISSIONS_PER_MINUTE']} times per minute "
        "(submissions and runs together); wait a moment, then try again."
    )


@bp.record_once
def _setup(state: Any) -> None:
    jobs.init_app(state.app)


@bp.before_request
def _start_grading_pool() -> None:
    # After protect's checks: the in-process pool starts with the first accepted drills API request.
    jobs.ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]


# A limit on the blueprint's POSTs (submitting) is checked before the blueprint's own hooks, so requests
# that the OpenAPI check refuses count against it too. Shared: submissions and quick runs draw on one count.
limiter.shared_limit(
    _submissions_per_minute,
    scope="drill-submissions-and-runs",
    key_func=_per_person,
    error_message=_too_many_message,
    exempt_when=lambda: not current_user.is_authenticated,  # answered with 401 instead
    methods=["POST"],
)(bp)


@bp.post("/drills/<slug>/submissions")
def create_submission(slug: str) -> tuple[Response, int, dict[str, str]]:
    payload = request.get_json()  # an object with the fields openapi.yaml allows (checked before this view)
    submission = jobs.submit_drill(current_user, slug, payload.get("code"), payload.get("framework"))
    body = submission_json(submission)
    return jsonify(body), 202, {"Location": body["api_url"]}


@bp.post("/drills/<slug>/runs")
def create_run(slug: str) -> Response:
    """Grade the code on one problem and answer with the verdict at once; nothing is stored."""
    payload = request.get_json()
    run = run_drill(current_user, slug, payload.get("code"), payload.get("framework"), payload.get("problem"))
    return jsonify(
        drill=run.drill,
        problem=run.problem,
        recorded=False,
        verdict=run.verdict,
        result_html=render_template("drills/_run_result.html", run=run),
    )


@bp.get("/submissions/<int:submission_id>")
def show_submission(submission_id: int) -> Response:
    return jsonify(submission_json(owned_submission(current_user, submission_id)))


def submission_json(submission: Submission) -> dict[str, Any]:
    """The API's view of a submission: status, timestamps, links and (once done) the verdict JSON."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": submission.id,
        "drill": submission.drill_slug,
        "framework": submission.framework,
        "status": submission.status,
        "attempts": submission.attempts,
        "created_at": iso(submission.created_at),
        "started_at": iso(submission.started_at),
        "finished_at": iso(submission.finished_at),
        "error": submission.error,
        "verdict": submission.verdict if submission.status == "done" else None,
        "url": url_for("drills.submission", submission_id=submission.id),
        "api_url": url_for("submissions_api.show_submission", submission_id=submission.id),
        "result_url": url_for("drills.submission_result", submission_id=submission.id),
    }
