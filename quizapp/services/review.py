"""Flashcard review use cases: the due queue, rating a card (idempotent, version-locked), undo.

Each use case is one transaction. `quizapp.srs` computes a rating's outcome; this module applies it to the
person's CardState, always filtered by the person's id so nobody can touch another's schedule.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fsrs import Scheduler
from sqlalchemy import ColumnElement, Row, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from quizapp import srs, timeparse
from quizapp.extensions import db
from quizapp.models import Card, CardState, Review, Topic, User, utcnow
from quizapp.monitoring.metrics import RATINGS
from quizapp.services.card_flags import held_back, mark_leech
from quizapp.services.errors import ServiceError
from quizapp.srs import CardSnapshot, MemoryState, Rating, interview_order, new_card_order
from quizapp.srs.leeches import becomes_leech

LEARNING_STATES = (1, 3)  # fsrs.State.Learning, fsrs.State.Relearning
REVIEW_STATE = 2
MAX_STORED_DURATION_MS = 3_600_000  # like Anki's maximum answer time: an idle tab is not study time
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
UNDOABLE_ORIGINS = ("review", "focus")


@dataclass(frozen=True)
class Counts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class QueuedCard:
    """A card to show: its memory state (None if new), the queue it came from, the state's lock version."""

    card: Card
    state: MemoryState | None
    queue: str  # new | learning | review
    version: int  # 0 for a new card (no state row yet)


@dataclass(frozen=True)
class Queue:
    counts: Counts
    next: QueuedCard | None
    next_due_at: dt.datetime | None  # when nothing is left: when the next card becomes due
    now: dt.datetime


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


@dataclass(frozen=True)
class UndoResult:
    card_slug: str
    rating: Rating
    restored: MemoryState | None  # None: the card is new again


# ------------------------------------------------------------------------------------------------ queue


def due_queue(user: User, topic: str | None = None, now: dt.datetime | None = None) -> Queue:
    """What is left to study now: counts per queue and the next card.

    Order as in Anki: learning cards that are due, then review cards due today (the person's local day),
    then new cards up to the daily limit, then learning cards due within the learn-ahead window. Before an
    interview the review cards are ordered for that day (and may be joined by cards not due yet).
    """
    now = now or utcnow()
    if topic is not None:
        require_topic(topic)
    day_start, day_end = srs.local_day_window(now, user.timezone)
    learn_cutoff = now + srs.LEARN_AHEAD
    learning_where = _state_filter(user, topic, now, CardState.state.in_(LEARNING_STATES))
    reviews = _review_cards(user, topic, now, day_start, day_end)
    new_allowed = new_cards_left_today(user, day_start, day_end)
    counts = Counts(
        new=min(new_allowed, _count_new(user, topic, now)) if new_allowed else 0,
        learning=_count_states(and_(learning_where, CardState.due <= learn_cutoff)),
        review=reviews.count,
    )
    upcoming = (
        _first_state(and_(learning_where, CardState.due <= now), "learning")
        or reviews.first
        or (_first_new(user, topic, now) if counts.new else None)
        or _first_state(and_(learning_where, CardState.due <= learn_cutoff), "learning")
    )
    next_due = None if upcoming else _next_due_at(user, topic, now, day_end, counts.new, new_allowed)
    return Queue(counts=counts, next=upcoming, next_due_at=next_due, now=now)


def require_topic(topic: str) -> Topic:
    found = db.session.get(Topic, topic)
    if found is None:
        raise ServiceError(404, f"There is no topic named {topic!r}; GET /api/topics lists them.")
    return found


def new_cards_left_today(user: User, day_start: dt.datetime, day_end: dt.datetime) -> int:
    """The daily new-card limit minus the cards first reviewed today (the person's local day)."""
    introduced = db.session.scalar(
        select(func.count(Review.id)).where(
            Review.user_id == user.id,
            Review.state_before == 0,
            Review.origin == "review",
            Review.reviewed_at >= day_start,
            Review.reviewed_at < day_end,
        )
    )
    return max(0, user.new_cards_per_day - int(introduced or 0))


def card_for_review(user: User, card_slug: str, now: dt.datetime | None = None) -> QueuedCard:
    """One named card, due or not (a person asked to study it, e.g. from a drill's diagnosis), unless the
    person suspended or buried it."""
    card = live_card(card_slug)
    if db.session.scalar(select(held_back(user.id, now or utcnow())).where(Card.slug == card.slug)):
        raise ServiceError(409, f"Card {card_slug!r} is suspended or buried; unsuspend it on /cards first.")
    row = _state_row(user.id, card_slug)
    state = to_memory_state(row) if row else None
    queue = "new" if row is None else ("review" if row.state == REVIEW_STATE else "learning")
    return QueuedCard(card=card, state=state, queue=queue, version=row.version if row else 0)


def _state_filter(
    user: User, topic: str | None, now: dt.datetime, *conditions: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The person's studied live cards (of one topic) that are not suspended or buried, and `conditions`."""
    where = [CardState.user_id == user.id, Card.retired.is_(False), ~held_back(user.id, now), *conditions]
    if topic is not None:
        where.append(Card.topic_slug == topic)
    return and_(*where)


def _count_states(where: ColumnElement[bool]) -> int:
    query = select(func.count(CardState.id)).join(Card, Card.slug == CardState.card_slug).where(where)
    return int(db.session.scalar(query) or 0)


def _first_state(where: ColumnElement[bool], queue: str) -> QueuedCard | None:
    query = (
        select(CardState, Card)
        .join(Card, Card.slug == CardState.card_slug)
        .where(where)
        .order_by(CardState.due, CardState.id)
        .limit(1)
    )
    row = db.session.execute(query).first()
    if row is None:
        return None
    state, card = row
    return QueuedCard(card=card, state=to_memory_state(state), queue=queue, version=state.version)


@dataclass(frozen=True)
class _ReviewCards:
    count: int
    first: QueuedCard | None


def _review_cards(
    user: User, topic: str | None, now: dt.datetime, day_start: dt.datetime, day_end: dt.datetime
) -> _ReviewCards:
    """Review cards due today, earliest first. With an interview date ahead: ordered by predicted recall on
    that day, lowest first, and — if the person asked for it — joined by cards not due yet whose recall
    would fall below the desired retention by then (quizapp.srs.interview_order)."""
    due_today = _state_filter(user, topic, now, CardState.state == REVIEW_STATE, CardState.due < day_end)
    interview_at = _interview_moment(user, now)
    if interview_at is None:
        return _ReviewCards(_count_states(due_today), _first_state(due_today, "review"))
    rows = _states_with_cards(due_today)
    pull_ahead = bool(user.pull_ahead_for_interview)
    if pull_ahead:
        # Only cards not reviewed yet today: one whose recall stays below the target until a distant
        # interview would otherwise come straight back after every rating.
        rows |= _states_with_cards(
            _state_filter(
                user,
                topic,
                now,
                CardState.state == REVIEW_STATE,
                CardState.due >= day_end,
                CardState.last_review < day_start,
            )
        )
    # `now=day_end`: the cards due today pass the ordering's due test; the others must be at risk.
    ordered = interview_order.order_for_interview(
        [snapshot(card, state) for state, card in rows.values()],
        interview_at,
        user.desired_retention or 0.9,
        include_not_due=pull_ahead,
        now=max(day_end, now),
        parameters=user.fsrs_parameters,
    )
    if not ordered:
        return _ReviewCards(0, None)
    state, card = rows[ordered[0].slug]
    first = QueuedCard(card=card, state=to_memory_state(state), queue="review", version=state.version)
    return _ReviewCards(len(ordered), first)


def _states_with_cards(where: ColumnElement[bool]) -> dict[str, tuple[CardState, Card]]:
    query = select(CardState, Card).join(Card, Card.slug == CardState.card_slug).where(where)
    return {state.card_slug: (state, card) for state, card in db.session.execute(query)}


def _interview_moment(user: User, now: dt.datetime) -> dt.datetime | None:
    if user.interview_date is None:
        return None
    moment = interview_order.interview_moment(user.interview_date, timeparse.zone(user.timezone))
    return moment if moment >= now else None  # a past interview changes nothing


def snapshot(card: Card, state: CardState | None) -> CardSnapshot:
    """A card and the person's state of it as the pure statistics see them (new when `state` is None)."""
    memory = to_memory_state(state) if state is not None else None
    return CardSnapshot(slug=card.slug, topic=card.topic_slug, front=card.front, memory=memory)


def _new_cards_where(
    user: User, topic: str | None, now: dt.datetime, *, seen_too: bool = False
) -> ColumnElement[bool]:
    """Live cards the person has not studied nor suspended or buried (`seen_too`: any live card) of one
    topic, or of every topic the person has not marked as known."""
    where = [Card.retired.is_(False)]
    if not seen_too:
        where.extend([~_has_state(user), ~held_back(user.id, now)])
    if topic is not None:
        where.append(Card.topic_slug == topic)
    elif user.known_topics:
        where.append(Card.topic_slug.not_in(user.known_topics))
    return and_(*where)


def _has_state(user: User) -> Any:
    return exists().where(CardState.user_id == user.id, CardState.card_slug == Card.slug)


def _count_new(user: User, topic: str | None, now: dt.datetime) -> int:
    query = select(func.count(Card.slug)).where(_new_cards_where(user, topic, now))
    return int(db.session.scalar(query) or 0)


def _first_new(user: User, topic: str | None, now: dt.datetime) -> QueuedCard | None:
    cards = next_new_cards(user, topic, limit=1, now=now)
    return QueuedCard(card=cards[0], state=None, queue="new", version=0) if cards else None


BANK_ORDER = (Topic.position, Topic.slug, Card.position, Card.slug)


def next_new_cards(
    user: User, topic: str | None = None, limit: int = 1, now: dt.datetime | None = None
) -> list[Card]:
    """The next `limit` unseen cards in the person's new-card order (quizapp.srs.new_card_order)."""
    if limit <= 0:
        return []
    now = now or utcnow()
    if user.new_card_order == new_card_order.TOPIC_BY_TOPIC:
        where = _new_cards_where(user, topic, now)
        query = select(Card).join(Topic, Topic.slug == Card.topic_slug).where(where)
        return list(db.session.scalars(query.order_by(*BANK_ORDER).limit(limit)))
    # The mixed order is computed over every card in scope, seen or not, so that it stays the same order
    # from one day to the next as cards get introduced (or suspended).
    query = (
        select(
            Card.slug,
            Card.topic_slug,
            Card.kind,
            _has_state(user).label("seen"),
            held_back(user.id, now).label("held"),
        )
        .join(Topic, Topic.slug == Card.topic_slug)
        .where(_new_cards_where(user, topic, now, seen_too=True))
        .order_by(*BANK_ORDER)
    )
    rows = db.session.execute(query).all()
    seen = {row.slug for row in rows if row.seen or row.held}
    ordered = new_card_order.mixed_order([new_card_order.NewCard(r.slug, r.topic_slug, r.kind) for r in rows])
    chosen = [card.slug for card in ordered if card.slug not in seen][:limit]
    by_slug = {card.slug: card for card in db.session.scalars(select(Card).where(Card.slug.in_(chosen)))}
    return [by_slug[slug] for slug in chosen]


def _next_due_at(
    user: User, topic: str | None, now: dt.datetime, day_end: dt.datetime, new_shown: int, new_allowed: int
) -> dt.datetime | None:
    """When the next card becomes due; tomorrow's start when only the new-card limit holds cards back."""
    after = now + srs.LEARN_AHEAD
    query = select(func.min(CardState.due)).join(Card, Card.slug == CardState.card_slug)
    soonest = db.session.scalar(query.where(_state_filter(user, topic, now, CardState.due > after)))
    candidates = [soonest] if soonest else []
    if not new_shown and not new_allowed and _count_new(user, topic, now):
        candidates.append(day_end)
    return min(candidates) if candidates else None


# ----------------------------------------------------------------------------------------------- rating


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
    """Record one rating in one transaction; the same idempotency key again returns the stored result.

    `expected_version` is the state version the client saw (0 for a new card): if the card was rated
    since (another tab), the rating is refused with 409 and nothing is written.
    """
    chosen, key, duration = _validated(rating, idempotency_key, duration_ms)
    user_id, threshold = user.id, user.leech_threshold  # read once: a rollback below expires the object
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
    }
    try:
        # Two statements in the one transaction: the state write fails on a stale version (UPDATE ...
        # WHERE version = seen matches nothing) or a concurrent first rating (unique user+card); the review
        # insert fails on a repeated key (unique user+key). Core statements: the ORM's unit of work cost
        # more CPU than the rest of the rating.
        version = _write_state(user_id, card_slug, seen.version, outcome.state)
        review_id = db.session.execute(_INSERT_REVIEW, review).scalar_one()
        leech = becomes_leech(previous.lapses if previous else 0, outcome.state.lapses, threshold)
        if leech:
            mark_leech(user_id, card_slug)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
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


def apply_state(user_id: int, card_slug: str, row: CardState | None, state: MemoryState) -> CardState:
    """Write a computed state onto the person's CardState (created for a new card); flushes."""
    if row is None:
        row = CardState(user_id=user_id, card_slug=card_slug, introduced_at=state.last_review or utcnow())
        db.session.add(row)
    row.state = state.state
    row.step = state.step
    row.stability = state.stability
    row.difficulty = state.difficulty
    row.due = state.due
    row.last_review = state.last_review
    row.reps = state.reps
    row.lapses = state.lapses
    db.session.flush()
    return row


def user_scheduler(user: User, fuzz: bool = True) -> Scheduler:
    return srs.scheduler_for(user.desired_retention or 0.9, user.fsrs_parameters, fuzz=fuzz)


def _card_and_state(user_id: int, card_slug: str) -> tuple[str, _SeenState]:
    """The live card's slug and the person's state for it, in one query; 404 for unknown or retired cards."""
    found = db.session.execute(_READ_CARD_AND_STATE, {"user_id": user_id, "card_slug": card_slug}).first()
    if found is None or found.retired:
        raise ServiceError(404, f"There is no card named {card_slug!r}.")
    if found.version is None:
        return found.slug, _SeenState(0, None)
    return found.slug, _SeenState(found.version, to_memory_state(found))


def live_card(card_slug: str) -> Card:
    card = db.session.get(Card, card_slug) if isinstance(card_slug, str) else None
    if card is None or card.retired:
        raise ServiceError(404, f"There is no card named {card_slug!r}.")
    return card


def to_memory_state(row: CardState | Row[Any]) -> MemoryState:
    """The FSRS memory state of a card-state row (an ORM object or a plain result row with its columns)."""
    return MemoryState(
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
        reps=row.reps or 0,
        lapses=row.lapses or 0,
    )


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


def _state_row(user_id: int, card_slug: str) -> CardState | None:
    return db.session.scalar(
        select(CardState).where(CardState.user_id == user_id, CardState.card_slug == card_slug)
    )


def _stored_review(user_id: int, key: str, card_slug: str) -> ReviewResult | None:
    review = db.session.scalar(select(Review).where(Review.user_id == user_id, Review.idempotency_key == key))
    if review is None:
        return None
    if review.card_slug != card_slug:
        raise ServiceError(
            409, f"This idempotency key was already used for card {review.card_slug!r}; send a new key."
        )
    row = _state_row(user_id, review.card_slug)
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


# ------------------------------------------------------------------------------------------------- undo


def undo_last_review(user: User, review_id: int | None = None) -> UndoResult:
    """Take back the person's last rating: restore the card's previous state (or make it new again) and
    delete the review. With `review_id`, only if that review is still the last one (a repeated undo
    request does not take back a second rating)."""
    last = db.session.scalar(
        select(Review)
        .where(Review.user_id == user.id, Review.origin.in_(UNDOABLE_ORIGINS))
        .order_by(Review.reviewed_at.desc(), Review.id.desc())
        .limit(1)
    )
    if review_id is not None and _own_review(user, review_id) is None:
        raise ServiceError(404, f"You have no rating with id {review_id} (undone already?).")
    if last is None:
        raise ServiceError(409, "There is no rating to undo.")
    if review_id is not None and last.id != review_id:
        raise ServiceError(409, "That rating is no longer your last one (it was undone already); reload.")
    _require_last_of_card(user, last)
    undone = UndoResult(
        card_slug=last.card_slug,
        rating=Rating(last.rating),
        restored=MemoryState.from_dict(last.previous_state) if last.previous_state else None,
    )
    _delete_review_once(user.id, last.id)
    row = _state_row(user.id, undone.card_slug)
    if undone.restored is None and row is not None:
        db.session.delete(row)
    elif undone.restored is not None:
        apply_state(user.id, undone.card_slug, row, undone.restored)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ServiceError(409, "The card changed while undoing; reload and try again.") from None
    return undone


def _delete_review_once(user_id: int, review_id: int) -> None:
    """Delete the review first, and only if it is still there: of two undos racing for it, the second
    waits on the first one's row lock (PostgreSQL) or write lock (SQLite), then deletes nothing and is
    refused before it writes anything."""
    deleted = db.session.execute(
        delete(Review).where(Review.id == review_id, Review.user_id == user_id),
        execution_options={"synchronize_session": False},
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise ServiceError(409, "That rating was just undone (another tab or request); reload.")


def _own_review(user: User, review_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.id == review_id, Review.user_id == user.id))


def _require_last_of_card(user: User, review: Review) -> None:
    later = db.session.scalar(
        select(func.count(Review.id)).where(
            Review.user_id == user.id,
            Review.card_slug == review.card_slug,
            Review.id != review.id,
            Review.reviewed_at >= review.reviewed_at,
        )
    )
    if later:
        raise ServiceError(409, "This card was reviewed again since (e.g. by a drill); it cannot be undone.")


# ------------------------------------------------------------------------------------------ from drills


def make_card_due_now(user_id: int, card_slug: str, now: dt.datetime | None = None) -> None:
    """A drill diagnosed the mistake this card covers: put it in front of the queue now.

    A card the person has never seen enters learning (first step, due now) without counting against the
    daily new-card limit.
    """
    now = now or utcnow()
    card = live_card(card_slug)
    row = _state_row(user_id, card.slug)
    if row is None:
        row = CardState(user_id=user_id, card_slug=card.slug, state=1, step=0, reps=0, lapses=0)
        row.introduced_at = now
        db.session.add(row)
    row.due = now
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()  # a review landed meanwhile; try once more against the fresh row
        fresh = _state_row(user_id, card.slug)
        if fresh is not None:
            fresh.due = now
            db.session.commit()


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


# -------------------------------------------------------------------------------------------- overview


def topic_counts(user: User, now: dt.datetime | None = None) -> list[tuple[Topic, Counts]]:
    """Every topic (in bank order) with what is left to study in it now."""
    now = now or utcnow()
    ordered = db.session.scalars(select(Topic).order_by(Topic.position, Topic.slug))
    return [(topic, due_queue(user, topic.slug, now).counts) for topic in ordered]


# ---------------------------------------------------------------------------------------- typed answers

TYPED_KINDS = new_card_order.TYPED_KINDS


def typed_answers_enabled(card: Card) -> bool:
    """Numeric and symbolic cards take a typed answer when the answer checker is installed."""
    return card.kind in TYPED_KINDS and bool(card.answer) and _answer_checker() is not None


def check_typed_answer(card_slug: str, typed: str) -> Any:
    """Check a typed answer against the card's answer spec: a quizapp.answers.AnswerCheck. Never raises
    for what the person typed (the checker turns bad input into a wrong answer with a reason)."""
    card = live_card(card_slug)
    checker = _answer_checker()
    if checker is None or not typed_answers_enabled(card):
        raise ServiceError(422, f"Card {card_slug!r} takes no typed answer; reveal it and rate yourself.")
    if len(typed) > MAX_TYPED_ANSWER:
        raise ServiceError(422, f"Keep the answer under {MAX_TYPED_ANSWER} characters.")
    return checker(card.kind, card.answer or {}, typed)


MAX_TYPED_ANSWER = 500


def _answer_checker() -> Callable[[str, dict[str, Any], str], Any] | None:
    try:
        from quizapp.answers import check_answer
    except ImportError:
        return None
    return check_answer
