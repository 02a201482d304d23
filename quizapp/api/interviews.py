"""JSON API for mock interviews: start one, answer its questions, submit its drill, finish, read the report.

POST /api/mock-interviews → 201 {id, questions (no answers), drill, ends_at, ...};
POST /api/mock-interviews/<id>/questions/<n>/answer; POST .../drill; POST .../finish;
GET /api/mock-interviews/<id> → the state while running, the report once over; GET /api/mock-interviews
→ the finished ones. Owner only (404 for anyone else), login and CSRF like every API POST.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user

from quizapp import jobs
from quizapp.api import protect
from quizapp.extensions import limiter, unit_of_work
from quizapp.models import MockInterview, MockInterviewQuestion, utcnow
from quizapp.prose import render_prose
from quizapp.services import interviews
from quizapp.services.interviews import InterviewReport

bp = protect(Blueprint("interviews_api", __name__, url_prefix="/api"))


@bp.post("/mock-interviews")
@unit_of_work()
def start() -> tuple[Response, int, dict[str, str]]:
    interview = interviews.start_interview(current_user)
    body = interview_state_json(interview)
    return jsonify(body), 201, {"Location": body["api_url"]}


@bp.get("/mock-interviews")
@unit_of_work()  # reading finishes interviews whose time ran out
def history() -> Response:
    return jsonify(interviews=[summary_json(i) for i in interviews.interview_history(current_user)])


@bp.get("/mock-interviews/<int:interview_id>")
@unit_of_work()  # reading finishes an interview whose time ran out
def show(interview_id: int) -> Response:
    found = interviews.interview_or_report(current_user, interview_id)
    if isinstance(found, InterviewReport):
        return jsonify(report_json(found))
    return jsonify(interview_state_json(found))


@bp.post("/mock-interviews/<int:interview_id>/questions/<int:number>/answer")
@unit_of_work()
def answer(interview_id: int, number: int) -> tuple[Response, int]:
    payload = request.get_json()  # an object with the fields openapi.yaml allows (checked before this view)
    recorded = interviews.record_answer(
        current_user, interview_id, number, payload.get("answer"), payload.get("rating")
    )
    return jsonify(
        number=recorded.number,
        recorded=True,
        answered_at=recorded.answered_at.isoformat() if recorded.answered_at else None,
        seconds_left=recorded.seconds_left,
    ), 201


def _submissions_per_minute() -> str:
    return f"{current_app.config['SUBMISSIONS_PER_MINUTE']}/minute"


@bp.post("/mock-interviews/<int:interview_id>/drill")
@limiter.limit(
    _submissions_per_minute,
    key_func=lambda: f"submissions:user:{current_user.id}",
    error_message="You are submitting code too often; wait a moment, then submit again.",
    exempt_when=lambda: not current_user.is_authenticated,
)
def submit_drill(interview_id: int) -> tuple[Response, int]:
    jobs.ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]
    payload = request.get_json()
    interview = jobs.submit_interview_drill(
        current_user, interview_id, payload.get("code"), payload.get("framework")
    )
    return jsonify(interview_state_json(interview)), 202


@bp.post("/mock-interviews/<int:interview_id>/finish")
@unit_of_work()
def finish(interview_id: int) -> Response:
    return jsonify(report_json(interviews.finish_with_report(current_user, interview_id)))


# ------------------------------------------------------------------------------------------------ shapes


def summary_json(interview: MockInterview) -> dict[str, Any]:
    return {
        "id": interview.id,
        "minutes": interview.minutes,
        "started_at": interview.started_at.isoformat(),
        "ends_at": interview.ends_at.isoformat(),
        "finished_at": interview.finished_at.isoformat() if interview.finished_at else None,
        "score": round(interview.score, 4) if interview.score is not None else None,
        "url": url_for("interview.show", interview_id=interview.id),
        "api_url": url_for("interviews_api.show", interview_id=interview.id),
    }


def interview_state_json(interview: MockInterview) -> dict[str, Any]:
    """A running interview as the learner may see it: the questions, never the answers."""
    return {
        **summary_json(interview),
        "finished": interview.finished_at is not None,
        "now": utcnow().isoformat(),
        "seconds_left": interviews.seconds_left(interview),
        "questions": [_question_json(q) for q in interview.questions],
        "drill": _drill_json(interview),
    }


def _question_json(question: MockInterviewQuestion) -> dict[str, Any]:
    return {
        "number": question.number,
        "card": question.card_slug,
        "topic": question.card.topic_slug,
        "kind": question.card.kind,
        "typed": question.typed,
        "front": question.card.front,
        "front_html": str(render_prose(question.card.front)),
        "answered": question.answered_at is not None,
    }


def _drill_json(interview: MockInterview) -> dict[str, Any] | None:
    if interview.drill_slug is None:
        return None
    return {
        "slug": interview.drill_slug,
        "url": url_for("drills.drill", slug=interview.drill_slug),
        "submission_id": interview.submission_id,
    }


def report_json(report: InterviewReport) -> dict[str, Any]:
    """A finished interview: scores, every answer beside the card's back, the drill's verdict."""
    drill = report.drill
    return {
        **summary_json(report.interview),
        "finished": True,
        "score": round(report.score, 4),
        "topics": [
            {
                "topic": t.slug,
                "title": t.title,
                "questions": t.score.questions,
                "answered": t.score.answered,
                "points": t.score.points,
                "score": round(t.score.score, 4),
            }
            for t in report.topics
        ],
        "questions": [
            {
                "number": q.number,
                "card": q.card.slug,
                "topic": q.card.topic_slug,
                "kind": q.card.kind,
                "typed": q.typed,
                "front": q.card.front,
                "back": q.card.back,
                "answer": q.answer,
                "rating": q.rating,
                "correct": q.correct,
                "points": q.points,
                "seconds": round(q.seconds, 1) if q.seconds is not None else None,
            }
            for q in report.questions
        ],
        "drill": None
        if drill is None
        else {
            "slug": drill.slug,
            "title": drill.title,
            "status": drill.status,
            "submission_id": drill.submission_id,
            "verdict": drill.verdict,
            "diagnosis": drill.diagnosis,
        },
        "study_next": [
            {"topic": t.slug, "title": t.title, "url": url_for("progress.focus", topic=t.slug)}
            for t in report.study_next
        ],
    }
