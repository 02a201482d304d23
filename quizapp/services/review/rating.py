"""Rating a card: compute the outcome with quizapp.srs, then apply it to the person's state (idempotent by
the client's key, version-locked against other tabs), always filtered by the person's id."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from quizapp import srs
from quizapp.extensions import db, savepoint
from quizapp.models import Card, CardState, Review, User, utcnow
from quizapp.monitoring.metrics import RATINGS
from quizapp.services.card_flags import mark_leech
from quizapp.services.errors import ServiceError
from quizapp.services.review.states import state_row, to_memory_state, user_scheduler
from quizapp.srs import MemoryState, Rating
from quizapp.srs.leeches import becomes_leech

MAX_STORED_DURATION_MS = 3_600_000  # like Anki's maximum answer time: an idle tab is not study time
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


@dataclass(frozen=True)
class ReviewResult:
    review_id: int
    card_slug: str
    rating: Rating
    reviewed_at: dt.datetime
    state: MemoryState | None  # the card's state now
    version: int
    replayed: bool  # True when this idempotency key had already been recorded
    leech: bool = False  # this rating's lapse made the card a leech: it is suspended now

    @property
    def interval(self) -> dt.timedelta | None:
        return self.state.due - self.reviewed_at if self.state else None


def review_card(
    user: User,
    card_slug: str,
    rating: object,
    idempotency_key: object,
    duration_ms: object,
    now: dt.datetime | None = None,
    origin: str = "review",
    answer_given: str | None = None,
    answer_correct: bool | None = None,
    expected_version: int | None = None,
) -> ReviewResult:
    """Record one rating in the caller's unit of work; the same idempotency key again returns the stored
    result.

    `expected_version` is the state version the client saw (0 for a new card): if the card was rated
    since (another tab), the rating is refused with 409 and nothing is written.
    """
    chosen, key, duration = _validated(rating, idempotency_key, duration_ms)
    user_id, threshold = user.id, user.leech_threshold  # read before the writes: a rollback expires them
    card_slug, seen = _card_and_state(user_id, card_slug)
    if expected_version is not None and seen.version != expected_version:
        return _replay_or_conflict(user_id, key, card_slug)  # a retry of a rating that already went in?
    previous = seen.state
    outcome = srs.compute_review(previous, chosen, now or utcnow(), user_scheduler(user))
    review = {
        "user_id": user_id,
        "card_slug": card_slug,
        "rating": int(chosen),
        "reviewed_at": outcome.reviewed_at,
        "duration_ms": duration,
        "idempotency_key": key,
        "state_before": previous.state if previous else 0,
        "previous_state": previous.to_dict() if previous else None,
        "origin": origin,
        "answer_given": answer_given,
        "answer_correct": answer_correct,
        "flags_before": None,
    }
    try:
        # Two statements, in a savepoint of the caller's transaction: the state write fails on a stale
        # version (UPDATE ... WHERE version = seen matches nothing) or a concurrent first rating (unique
        # user+card); the review insert fails on a repeated key (unique user+key). Either undoes only what
        # the savepoint wrote, and the stored result (or the conflict) is read in the same transaction. Core
        # statements: the ORM's unit of work cost more CPU than the rest of the rating.
        with savepoint():
            version = _write_state(user_id, card_slug, seen.version, outcome.state)
            leech = becomes_leech(previous.lapses if previous else 0, outcome.state.lapses, threshold)
            if leech:  # the flags before it go with the review, so that undoing it clears what it set
                review["flags_before"] = mark_leech(user_id, card_slug)
            review_id = db.session.execute(_INSERT_REVIEW, review).scalar_one()
    except (IntegrityError, StaleDataError):
        return _replay_or_conflict(user_id, key, card_slug)
    RATINGS.labels(chosen.name.lower(), origin).inc()
    reviewed_at = outcome.reviewed_at
    return ReviewResult(review_id, card_slug, chosen, reviewed_at, outcome.state, version, False, leech)


_CARDS = Card.__table__
_STATES = CardState.__table__
_REVIEWS = Review.__table__
# The rating's statements, built once: every rating runs them, and building and cache-keying them anew
# each time was a measurable share of a rating's CPU.
_READ_CARD_AND_STATE = (
    select(_CARDS.c.slug, _CARDS.c.retired, _STATES)
    .select_from(
        _CARDS.outerjoin(
            _STATES, and_(_STATES.c.card_slug == _CARDS.c.slug, _STATES.c.user_id == bindparam("user_id"))
        )
    )
    .where(_CARDS.c.slug == bindparam("card_slug"))
)
_INSERT_STATE = insert(_STATES)
_UPDATE_STATE_IF_UNCHANGED = update(_STATES).where(
    _STATES.c.user_id == bindparam("seen_user_id"),
    _STATES.c.card_slug == bindparam("seen_card_slug"),
    _STATES.c.version == bindparam("seen_version"),
)
_INSERT_REVIEW = insert(_REVIEWS).returning(_REVIEWS.c.id)


@dataclass(frozen=True)
class _SeenState:
    """The person's state of a card as read before rating it; version 0 and no state for a new card."""

    version: int
    state: MemoryState | None


def _write_state(user_id: int, card_slug: str, seen_version: int, state: MemoryState) -> int:
    """Store a computed state: insert it for a new card, else update it only if its version is still the
    one read (the optimistic lock; StaleDataError otherwise). Returns the new version."""
    values = {
        "state": state.state,
        "step": state.step,
        "stability": state.stability,
        "difficulty": state.difficulty,
        "due": state.due,
        "last_review": state.last_review,
        "reps": state.reps,
        "lapses": state.lapses,
        "version": seen_version + 1,
    }
    if seen_version == 0:
        introduced_at = state.last_review or utcnow()
        db.session.execute(
            _INSERT_STATE,
            {"user_id": user_id, "card_slug": card_slug, "introduced_at": introduced_at, **values},
        )
        return 1
    seen = {"seen_user_id": user_id, "seen_card_slug": card_slug, "seen_version": seen_version}
    updated = db.session.execute(_UPDATE_STATE_IF_UNCHANGED, {**values, **seen})
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleDataError(f"card state {card_slug!r} changed since version {seen_version}")
    return seen_version + 1


_STALE_MESSAGE = (
    "This card was rated meanwhile (another tab or device), so this rating was not recorded. "
    "Load the next card and continue."
)


def _card_and_state(user_id: int, card_slug: str) -> tuple[str, _SeenState]:
    """The live card's slug and the person's state for it, in one query; 404 for unknown or retired cards."""
    found = db.session.execute(_READ_CARD_AND_STATE, {"user_id": user_id, "card_slug": card_slug}).first()
    if found is None or found.retired:
        raise ServiceError(404, f"There is no card named {card_slug!r}.")
    if found.version is None:
        return found.slug, _SeenState(0, None)
    return found.slug, _SeenState(found.version, to_memory_state(found))


def _validated(rating: object, key: object, duration_ms: object) -> tuple[Rating, str, int | None]:
    try:
        chosen = srs.parse_rating(rating)
    except ValueError as exc:
        raise ServiceError(422, f"Unknown rating {rating!r}. {exc}") from None
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
        raise ServiceError(
            422, "idempotency_key must be 8–64 characters of letters, digits, '-', '_', '.', ':' (a UUID)."
        )
    if duration_ms is None:
        return chosen, key, None
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0:
        raise ServiceError(422, "duration_ms must be a whole number of milliseconds, 0 or more.")
    return chosen, key, min(duration_ms, MAX_STORED_DURATION_MS)


def _stored_review(user_id: int, key: str, card_slug: str) -> ReviewResult | None:
    review = db.session.scalar(select(Review).where(Review.user_id == user_id, Review.idempotency_key == key))
    if review is None:
        return None
    if review.card_slug != card_slug:
        raise ServiceError(
            409, f"This idempotency key was already used for card {review.card_slug!r}; send a new key."
        )
    row = state_row(user_id, review.card_slug)
    return ReviewResult(
        review_id=review.id,
        card_slug=review.card_slug,
        rating=Rating(review.rating),
        reviewed_at=review.reviewed_at,
        state=to_memory_state(row) if row else None,
        version=row.version if row else 0,
        replayed=True,
    )


def _replay_or_conflict(user_id: int, key: str, card_slug: str) -> ReviewResult:
    """When a rating cannot go in as computed: if this key was recorded already (a retry, or a concurrent
    double submit that won), that stored result is the answer; otherwise the card changed meanwhile."""
    stored = _stored_review(user_id, key, card_slug)
    if stored is not None:
        return stored
    raise ServiceError(409, _STALE_MESSAGE)
