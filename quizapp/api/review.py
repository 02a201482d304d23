"""JSON API for flashcard review: topics with due counts, the next card, rating, undo, typed answers.

Every route needs a logged-in person (401 otherwise, `quizapp.api.protect`); errors are answered app-wide as
`{"error": {status, message}}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_login import current_user

from quizapp import srs
from quizapp.api import protect
from quizapp.extensions import limiter, unit_of_work
from quizapp.models import Card
from quizapp.prose import render_prose
from quizapp.services import review as reviews
from quizapp.services import study
from quizapp.services.review import ReviewResult
from quizapp.services.study import ShownCard

bp = protect(Blueprint("review_api", __name__, url_prefix="/api"))

REVIEW_EXAMPLE = '{"card": "<slug>", "rating": 3, "idempotency_key": "<uuid>", "duration_ms": 4200}'


def _answer_checks_per_minute() -> str:
    return f"{current_app.config['ANSWER_CHECKS_PER_MINUTE']}/minute"


def _too_many_checks() -> str:
    return (
        f"You can have {current_app.config['ANSWER_CHECKS_PER_MINUTE']} typed answers checked per minute; "
        "wait a moment, or reveal the answer and rate yourself."
    )


def _checks_nothing() -> bool:
    """Requests that check no typed answer (a plain rating, or anonymous: 401) do not count."""
    payload = request.get_json(silent=True)
    answer = payload.get("answer") if isinstance(payload, dict) else None
    return not current_user.is_authenticated or not (isinstance(answer, str) and answer.strip())


# One budget per person for both routes that run the answer checker.
_limit_answer_checks = limiter.shared_limit(
    _answer_checks_per_minute,
    scope="answer-checks",
    key_func=lambda: f"answer-checks:user:{current_user.id}",
    error_message=_too_many_checks,
    exempt_when=_checks_nothing,
)


@bp.get("/topics")
def topics() -> Response:
    overview = reviews.topic_counts(current_user)
    return jsonify(topics=[_topic_json(topic, counts) for topic, counts in overview])


@bp.get("/review/next")
def next_card() -> Response:
    topic = request.args.get("topic") or None
    found = study.next_card(current_user, topic, request.args.get("card") or None)
    return jsonify(
        topic=topic,
        counts=_counts_json(found.queue.counts),
        card=card_json(found.shown) if found.shown else None,
        next_due_at=_iso(found.queue.next_due_at),
        now=_iso(found.queue.now),
    )


@bp.post("/reviews")
@_limit_answer_checks
@unit_of_work()
def create_review() -> tuple[Response, int]:
    payload = _json_object(REVIEW_EXAMPLE)  # fields and types as quizapp/api/openapi.yaml says (checked)
    result = study.rate_card(
        current_user,
        str(payload["card"]),
        payload["rating"],
        payload["idempotency_key"],
        payload.get("duration_ms"),
        answer=payload.get("answer"),
        expected_version=payload.get("version"),
    )
    return jsonify(review_json(result)), 200 if result.replayed else 201


@bp.post("/reviews/undo")
@unit_of_work()
def undo_review() -> Response:
    # An empty body undoes the last rating; a body that is there must be a well-formed JSON object.
    payload = _json_object('{"review_id": 17}') if request.get_data() else {}
    undone = reviews.undo_last_review(current_user, payload.get("review_id"))
    return jsonify(
        card=undone.card_slug,
        rating=undone.rating.name.lower(),
        state=_state_json(undone.restored) if undone.restored else None,
    )


@bp.post("/cards/<slug>/check")
@_limit_answer_checks
def check_answer(slug: str) -> Response:
    answer = _json_object('{"answer": "0.1"}')["answer"]  # a non-blank string (openapi.yaml, checked)
    check = reviews.check_typed_answer(slug, answer)
    return jsonify(
        card=slug,
        correct=check.correct,
        message=check.message,
        expected_latex=check.expected_latex,
        normalized=check.normalized,
        judged=check.judged,
        # No suggestion when the checker could not decide: the page keeps the question open for a retry.
        suggested_rating=("good" if check.correct else "again") if check.judged else None,
    )


# ------------------------------------------------------------------------------------------------ shapes


def card_json(shown: ShownCard) -> dict[str, Any]:
    """A card as the review page needs it: texts, kind, the answer buttons' intervals, the lock version."""
    queued = shown.queued
    card: Card = queued.card
    return {
        "slug": card.slug,
        "topic": card.topic_slug,
        "kind": card.kind,
        "typed": shown.typed,
        "front": card.front,
        "back": card.back,
        # The same texts as escaped HTML with the bank's light markup; $math$ is left for KaTeX.
        "front_html": str(render_prose(card.front)),
        "back_html": str(render_prose(card.back)),
        "source": {"seed": card.source_seed, "section": card.source_section},
        "drill_url": url_for("drills.drill", slug=card.drill_slug)
        if card.kind == "code" and card.drill_slug
        else None,
        "queue": queued.queue,
        "version": queued.version,
        "state": _state_json(queued.state) if queued.state else None,
        "previews": {
            rating.name.lower(): {
                "rating": int(rating),
                "seconds": int(interval.total_seconds()),
                "label": srs.interval_label(interval),
            }
            for rating, interval in shown.previews.items()
        },
    }


def review_json(result: ReviewResult) -> dict[str, Any]:
    interval = result.interval
    return {
        "id": result.review_id,
        "card": result.card_slug,
        "rating": result.rating.name.lower(),
        "reviewed_at": _iso(result.reviewed_at),
        "replayed": result.replayed,
        "leech": result.leech,
        "version": result.version,
        "state": _state_json(result.state) if result.state else None,
        "interval": srs.interval_label(interval) if interval is not None else None,
        "next_url": url_for("review_api.next_card"),
    }


def _state_json(state: srs.MemoryState) -> dict[str, Any]:
    return {
        "state": srs.state_name(state.state),
        "step": state.step,
        "stability": state.stability,
        "difficulty": state.difficulty,
        "due": _iso(state.due),
        "last_review": _iso(state.last_review),
        "reps": state.reps,
        "lapses": state.lapses,
    }


def _topic_json(topic: Any, counts: reviews.Counts) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "title": topic.title,
        "due": _counts_json(counts),
        "url": url_for("review.session", topic=topic.slug),
    }


def _counts_json(counts: reviews.Counts) -> dict[str, int]:
    return {"new": counts.new, "learning": counts.learning, "review": counts.review, "total": counts.total}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _json_object(example: str) -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, f"Send a JSON object (Content-Type: application/json) like {example}.")
    return payload
