"""A person's cards and their states as the review room reads and writes them: the live card, the state row
as an FSRS memory state or a statistics snapshot, the person's scheduler, writing a computed state."""

from __future__ import annotations

from typing import Any

from fsrs import Scheduler
from sqlalchemy import Row, select

from quizapp import srs
from quizapp.extensions import db
from quizapp.models import Card, CardState, Topic, User, utcnow
from quizapp.services.errors import ServiceError
from quizapp.srs import CardSnapshot, MemoryState

LEARNING_STATES = (1, 3)  # fsrs.State.Learning, fsrs.State.Relearning
REVIEW_STATE = 2


def require_topic(topic: str) -> Topic:
    found = db.session.get(Topic, topic)
    if found is None:
        raise ServiceError(404, f"There is no topic named {topic!r}; GET /api/topics lists them.")
    return found


def live_card(card_slug: str) -> Card:
    card = db.session.get(Card, card_slug) if isinstance(card_slug, str) else None
    if card is None or card.retired:
        raise ServiceError(404, f"There is no card named {card_slug!r}.")
    return card


def state_row(user_id: int, card_slug: str) -> CardState | None:
    return db.session.scalar(
        select(CardState).where(CardState.user_id == user_id, CardState.card_slug == card_slug)
    )


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


def snapshot(card: Card, state: CardState | None) -> CardSnapshot:
    """A card and the person's state of it as the pure statistics see them (new when `state` is None)."""
    memory = to_memory_state(state) if state is not None else None
    return CardSnapshot(slug=card.slug, topic=card.topic_slug, front=card.front, memory=memory)


def user_scheduler(user: User, fuzz: bool = True) -> Scheduler:
    return srs.scheduler_for(user.desired_retention or 0.9, user.fsrs_parameters, fuzz=fuzz)


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
