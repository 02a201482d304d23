"""The floor of a rating: only the durable work every rating must do, for the rating benchmark to compare.

Lock the person's state row of the card (SELECT ... FOR UPDATE on PostgreSQL), update it, insert one review
row, commit (the route): the same rows, columns and indexes a rating writes. No scheduling, no request
schema, no idempotent replay, no version check, no answer check: what is left is what no implementation of a
rating can skip. Served only when BENCH_FLOOR_ROUTE is set (quizapp/api/rating_floor.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from quizapp.extensions import db
from quizapp.models import CardState, Review, utcnow
from quizapp.services.errors import ServiceError

_STATES = CardState.__table__
_LOCK_STATE = (
    select(_STATES)
    .where(_STATES.c.user_id == bindparam("user_id"), _STATES.c.card_slug == bindparam("card_slug"))
    .with_for_update()
)
_WRITE_STATE = update(_STATES).where(_STATES.c.id == bindparam("state_id"))
_INSERT_REVIEW = Review.__table__.insert()
# The state columns a rating writes (with the version): the floor writes them all, the indexed `due` too.
_STATE_COLUMNS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")


def record_floor_rating(user_id: int, card_slug: str, idempotency_key: str) -> None:
    """One locked update and one insert in the caller's unit of work; 404 without a state row, 409 on a
    repeated key.

    The rows written have the shape a rating writes (every state column; the review with the state before
    it for undo); their values are simple stand-ins for the scheduler's (due a day later, one more rep)."""
    row = db.session.execute(_LOCK_STATE, {"user_id": user_id, "card_slug": card_slug}).first()
    if row is None:
        raise ServiceError(404, f"You have no state for card {card_slug!r} to rate.")
    now = utcnow()
    before = {name: getattr(row, name) for name in _STATE_COLUMNS}
    after = before | {"due": now + dt.timedelta(days=1), "last_review": now, "reps": row.reps + 1}
    db.session.execute(_WRITE_STATE, {"state_id": row.id, "version": row.version + 1, **after})
    review = {
        "user_id": user_id,
        "card_slug": card_slug,
        "rating": 3,
        "reviewed_at": now,
        "duration_ms": None,
        "idempotency_key": idempotency_key,
        "state_before": row.state,
        "previous_state": {name: _json_value(value) for name, value in before.items()},
        "origin": "review",
    }
    try:
        db.session.execute(_INSERT_REVIEW, review)
    except IntegrityError:
        raise ServiceError(409, "That idempotency key was used already.") from None


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value
