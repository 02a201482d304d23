"""The due queue: what is left to study now (counts per queue, the next card) and the topics' counts.

Order as in Anki: learning cards due, review cards due today, new cards up to the daily limit, then learning
cards within the learn-ahead window; before an interview, review cards ordered for that day.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, exists, func, select, union_all

from quizapp import srs, timeparse
from quizapp.extensions import db
from quizapp.models import Card, CardState, Review, Topic, User, utcnow
from quizapp.services.card_flags import held_back, held_back_slugs
from quizapp.services.errors import ServiceError
from quizapp.services.review.states import (
    LEARNING_STATES,
    REVIEW_STATE,
    live_card,
    require_topic,
    snapshot,
    state_row,
    to_memory_state,
)
from quizapp.srs import CardSnapshot, MemoryState, interview_order, new_card_order


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
    interview_at = _interview_moment(user, now)
    due_today = _due_today(user, topic, now, day_end)
    learning_due = and_(learning_where, CardState.due <= learn_cutoff)
    tally = _tally(user, topic, now, (day_start, day_end), learning_due, None if interview_at else due_today)
    reviews = (
        _reviews_for_interview(user, topic, now, (day_start, day_end), interview_at)
        if interview_at
        else _ReviewCards(tally.review, _first_state(due_today, "review") if tally.review else None)
    )
    new_allowed = max(0, user.new_cards_per_day - tally.introduced)
    counts = Counts(new=min(new_allowed, tally.new), learning=tally.learning, review=reviews.count)
    upcoming = (
        (_first_state(and_(learning_where, CardState.due <= now), "learning") if counts.learning else None)
        or reviews.first
        or (_first_new(user, topic, now) if counts.new else None)
        or (_first_state(learning_due, "learning") if counts.learning else None)
    )
    next_due = (
        None if upcoming else _next_due_at(user, topic, now, day_end, counts.new, new_allowed, tally.new)
    )
    return Queue(counts=counts, next=upcoming, next_due_at=next_due, now=now)


@dataclass(frozen=True)
class _Tally:
    """The due queue's counts, from one statement: cards first reviewed today, unseen cards in scope (before
    the daily limit), learning cards due within the learn-ahead window, review cards due today (0 when
    they are ordered for an interview instead)."""

    introduced: int
    new: int
    learning: int
    review: int


def _tally(
    user: User,
    topic: str | None,
    now: dt.datetime,
    day: tuple[dt.datetime, dt.datetime],
    learning: ColumnElement[bool],
    due_today: ColumnElement[bool] | None,
) -> _Tally:
    """Every count of the due queue in one round trip, as scalar subqueries of one SELECT."""
    columns = [
        _introduced_query(user, *day).scalar_subquery(),
        select(func.count(Card.slug)).where(_new_cards_where(user, topic, now)).scalar_subquery(),
        _count_states_query(learning).scalar_subquery(),
    ]
    if due_today is not None:
        columns.append(_count_states_query(due_today).scalar_subquery())
    row = db.session.execute(select(*columns)).one()
    introduced, new, learning_count, *review = (int(value or 0) for value in row)
    return _Tally(introduced=introduced, new=new, learning=learning_count, review=review[0] if review else 0)


def new_cards_left_today(user: User, day_start: dt.datetime, day_end: dt.datetime) -> int:
    """The daily new-card limit minus the cards first reviewed today (the person's local day)."""
    introduced = db.session.scalar(_introduced_query(user, day_start, day_end))
    return max(0, user.new_cards_per_day - int(introduced or 0))


def _introduced_query(user: User, day_start: dt.datetime, day_end: dt.datetime) -> Select[tuple[int]]:
    """How many cards the person first reviewed in the day from `day_start` to `day_end`."""
    return select(func.count(Review.id)).where(
        Review.user_id == user.id,
        Review.state_before == 0,
        Review.origin == "review",
        Review.reviewed_at >= day_start,
        Review.reviewed_at < day_end,
    )


def card_for_review(user: User, card_slug: str, now: dt.datetime | None = None) -> QueuedCard:
    """One named card, due or not (a person asked to study it, e.g. from a drill's diagnosis), unless the
    person suspended or buried it."""
    card = live_card(card_slug)
    if db.session.scalar(select(held_back(user.id, now or utcnow())).where(Card.slug == card.slug)):
        raise ServiceError(409, f"Card {card_slug!r} is suspended or buried; unsuspend it on /cards first.")
    row = state_row(user.id, card_slug)
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


def _count_states_query(where: ColumnElement[bool]) -> Select[tuple[int]]:
    return select(func.count(CardState.id)).join(Card, Card.slug == CardState.card_slug).where(where)


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


def _reviews_for_interview(
    user: User,
    topic: str | None,
    now: dt.datetime,
    day: tuple[dt.datetime, dt.datetime],
    interview_at: dt.datetime,
) -> _ReviewCards:
    """With an interview date ahead, the review cards of today (`day`: its start and end) ordered by
    predicted recall on that day, lowest first, and — if the person asked for it — joined by cards not due
    yet whose recall would fall below the desired retention by then (quizapp.srs.interview_order). Without
    one, due_queue takes today's review cards earliest first, their count from its tally."""
    rows, ordered = _ordered_for_interview(user, topic, now, day, interview_at)
    if not ordered:
        return _ReviewCards(0, None)
    state, card = rows[ordered[0].slug]
    first = QueuedCard(card=card, state=to_memory_state(state), queue="review", version=state.version)
    return _ReviewCards(len(ordered), first)


def _due_today(user: User, topic: str | None, now: dt.datetime, day_end: dt.datetime) -> ColumnElement[bool]:
    return _state_filter(user, topic, now, CardState.state == REVIEW_STATE, CardState.due < day_end)


def _ordered_for_interview(
    user: User,
    topic: str | None,
    now: dt.datetime,
    day: tuple[dt.datetime, dt.datetime],
    interview_at: dt.datetime,
) -> tuple[dict[str, tuple[CardState, Card]], list[CardSnapshot]]:
    """The review cards of today (`day`: its start and end) and, with pull-ahead, those at risk by the
    interview, with their order for it."""
    day_start, day_end = day
    rows = _states_with_cards(_due_today(user, topic, now, day_end))
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
    return rows, ordered


def _states_with_cards(where: ColumnElement[bool]) -> dict[str, tuple[CardState, Card]]:
    query = select(CardState, Card).join(Card, Card.slug == CardState.card_slug).where(where)
    return {state.card_slug: (state, card) for state, card in db.session.execute(query)}


def _interview_moment(user: User, now: dt.datetime) -> dt.datetime | None:
    if user.interview_date is None:
        return None
    moment = interview_order.interview_moment(user.interview_date, timeparse.zone(user.timezone))
    return moment if moment >= now else None  # a past interview changes nothing


def _new_cards_where(
    user: User, topic: str | None, now: dt.datetime, *, seen_too: bool = False, known_too: bool = False
) -> ColumnElement[bool]:
    """Live cards the person has not studied nor suspended or buried (`seen_too`: any live card) of one
    topic, or of every topic the person has not marked as known (`known_too`: of every topic)."""
    where = [Card.retired.is_(False)]
    if not seen_too:
        where.extend([~_has_state(user), ~held_back(user.id, now)])
    if topic is not None:
        where.append(Card.topic_slug == topic)
    elif user.known_topics and not known_too:
        where.append(Card.topic_slug.not_in(user.known_topics))
    return and_(*where)


def _has_state(user: User) -> Any:
    return exists().where(CardState.user_id == user.id, CardState.card_slug == Card.slug)


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
    # from one day to the next as cards get introduced (or suspended). The cards in scope come without the
    # person's state (one plain query), their order from a cache keyed by those very rows, and the cards
    # the person has seen or holds back from one small query of their own rows.
    query = (
        select(Card.slug, Card.topic_slug, Card.kind)
        .join(Topic, Topic.slug == Card.topic_slug)
        .where(_new_cards_where(user, topic, now, seen_too=True))
        .order_by(*BANK_ORDER)
    )
    in_scope = tuple(tuple(row) for row in db.session.execute(query))
    if not in_scope:
        return []
    excluded = set(db.session.scalars(_seen_or_held_slugs(user, now)))
    chosen = [slug for slug in _mixed_slugs(in_scope) if slug not in excluded][:limit]
    by_slug = {card.slug: card for card in db.session.scalars(select(Card).where(Card.slug.in_(chosen)))}
    return [by_slug[slug] for slug in chosen]


def _seen_or_held_slugs(user: User, now: dt.datetime) -> CompoundSelect:
    """The cards the person has a state row for, or suspended or buried past `now` (services/card_flags)."""
    studied = select(CardState.card_slug).where(CardState.user_id == user.id)
    return union_all(studied, held_back_slugs(user.id, now))


@functools.lru_cache(maxsize=32)
def _mixed_slugs(in_scope: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """The slugs of `in_scope` ((slug, topic, kind) in bank order) in the mixed new-card order. Cached per
    process: the key is the rows themselves, so an edited bank (or another database) is ordered anew."""
    cards = [new_card_order.NewCard(slug, topic, kind) for slug, topic, kind in in_scope]
    return tuple(card.slug for card in new_card_order.mixed_order(cards))


def _next_due_at(
    user: User,
    topic: str | None,
    now: dt.datetime,
    day_end: dt.datetime,
    new_shown: int,
    new_allowed: int,
    new_left: int,
) -> dt.datetime | None:
    """When the next card becomes due; tomorrow's start when only the new-card limit holds cards back
    (`new_left`: the unseen cards in scope)."""
    after = now + srs.LEARN_AHEAD
    query = select(func.min(CardState.due)).join(Card, Card.slug == CardState.card_slug)
    soonest = db.session.scalar(query.where(_state_filter(user, topic, now, CardState.due > after)))
    candidates = [soonest] if soonest else []
    if not new_shown and not new_allowed and new_left:
        candidates.append(day_end)
    return min(candidates) if candidates else None


def topic_counts(user: User, now: dt.datetime | None = None) -> list[tuple[Topic, Counts]]:
    """Every topic (in bank order) with what is left to study in it now: the counts `due_queue` gives for
    each topic, from one grouped query per queue rather than a due queue per topic."""
    now = now or utcnow()
    day_start, day_end = srs.local_day_window(now, user.timezone)
    learning = _states_by_topic(
        _state_filter(
            user, None, now, CardState.state.in_(LEARNING_STATES), CardState.due <= now + srs.LEARN_AHEAD
        )
    )
    reviews = _review_counts_by_topic(user, now, day_start, day_end)
    new_allowed = new_cards_left_today(user, day_start, day_end)
    new = _new_by_topic(_new_cards_where(user, None, now, known_too=True)) if new_allowed else {}
    return [
        (
            topic,
            Counts(
                new=min(new_allowed, new.get(topic.slug, 0)),
                learning=learning.get(topic.slug, 0),
                review=reviews.get(topic.slug, 0),
            ),
        )
        for topic in db.session.scalars(select(Topic).order_by(Topic.position, Topic.slug))
    ]


def _review_counts_by_topic(
    user: User, now: dt.datetime, day_start: dt.datetime, day_end: dt.datetime
) -> dict[str, int]:
    interview_at = _interview_moment(user, now)
    if interview_at is None:
        return _states_by_topic(_due_today(user, None, now, day_end))
    _, ordered = _ordered_for_interview(user, None, now, (day_start, day_end), interview_at)
    return dict(Counter(card.topic for card in ordered))


def _states_by_topic(where: ColumnElement[bool]) -> dict[str, int]:
    query = (
        select(Card.topic_slug, func.count(CardState.id))
        .select_from(CardState)
        .join(Card, Card.slug == CardState.card_slug)
        .where(where)
        .group_by(Card.topic_slug)
    )
    return {slug: int(count) for slug, count in db.session.execute(query)}


def _new_by_topic(where: ColumnElement[bool]) -> dict[str, int]:
    query = select(Card.topic_slug, func.count(Card.slug)).where(where).group_by(Card.topic_slug)
    return {slug: int(count) for slug, count in db.session.execute(query)}
