"""What a graded drill submission does to the review queue: a diagnosed mistake puts its card in front of
the queue, a pass counts as a Good review of the drill's code card. The grading job calls these in its own
unit of work, after storing the verdict."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from quizapp.extensions import db, savepoint
from quizapp.models import CardState, User, utcnow
from quizapp.services.errors import ServiceError
from quizapp.services.review.rating import ReviewResult, review_card
from quizapp.services.review.states import live_card, state_row
from quizapp.srs import Rating


def learn_from_verdict(user_id: int, drill_slug: str, verdict: dict[str, Any]) -> None:
    """A failed verdict whose diagnosis names a card makes that card due now; a passed one counts as a Good
    review of the drill's code card (`code-<drill>`). Raises ServiceError for a card that is not there."""
    diagnosis = verdict.get("diagnosis") or {}
    if verdict.get("verdict") == "failed" and diagnosis.get("card"):
        make_card_due_now(user_id, diagnosis["card"])
    elif verdict.get("verdict") == "passed":
        record_drill_pass(user_id, f"code-{drill_slug}")


def make_card_due_now(user_id: int, card_slug: str, now: dt.datetime | None = None) -> None:
    """A drill diagnosed the mistake this card covers: put it in front of the queue now.

    A card the person has never seen enters learning (first step, due now) without counting against the
    daily new-card limit.
    """
    now = now or utcnow()
    card = live_card(card_slug)
    try:
        with savepoint():
            _put_due_now(user_id, card.slug, now)
    except (IntegrityError, StaleDataError):
        # A review landed meanwhile (a first rating, or a new state version): once more on the fresh row.
        fresh = state_row(user_id, card.slug)
        if fresh is not None:
            fresh.due = now
            db.session.flush()


def _put_due_now(user_id: int, card_slug: str, now: dt.datetime) -> None:
    row = state_row(user_id, card_slug)
    if row is None:
        row = CardState(user_id=user_id, card_slug=card_slug, state=1, step=0, reps=0, lapses=0)
        row.introduced_at = now
        db.session.add(row)
    row.due = now
    db.session.flush()


def record_drill_pass(user_id: int, card_slug: str, now: dt.datetime | None = None) -> ReviewResult:
    """A passed drill counts as a Good review of its code card (origin "drill", not undoable)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError(404, f"There is no user with id {user_id}.")
    key = f"drill:{uuid.uuid4().hex}"
    try:
        return review_card(user, card_slug, Rating.Good, key, None, now=now, origin="drill")
    except ServiceError as exc:
        if exc.status != 409:
            raise
        return review_card(user, card_slug, Rating.Good, key, None, now=now, origin="drill")
