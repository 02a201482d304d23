"""A study session's steps, one call each for the review API: the card to show next with what each answer
button would schedule, and a rating with its typed answer checked again on the server.

Built on the review use cases (`quizapp.services.review`); nothing here writes except through them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from quizapp import srs
from quizapp.models import User
from quizapp.services import review as reviews
from quizapp.srs import Rating


@dataclass(frozen=True)
class ShownCard:
    """A queued card as the session shows it: whether it takes a typed answer, and the interval each
    answer button would give (without fuzz, as the buttons print it)."""

    queued: reviews.QueuedCard
    typed: bool
    previews: dict[Rating, dt.timedelta]


@dataclass(frozen=True)
class NextCard:
    """The due counts, the card to show (None when nothing is left) and when the next one falls due."""

    queue: reviews.Queue
    shown: ShownCard | None


def next_card(user: User, topic: str | None = None, card_slug: str | None = None) -> NextCard:
    """What is left in the person's queue (of one topic) and the card to study: the next due one, or the
    card named by `card_slug`, due or not (404 unknown, 409 suspended or buried)."""
    queue = reviews.due_queue(user, topic)
    queued = reviews.card_for_review(user, card_slug, queue.now) if card_slug else queue.next
    return NextCard(queue=queue, shown=shown_card(user, queued, queue.now) if queued else None)


def shown_card(user: User, queued: reviews.QueuedCard, now: dt.datetime) -> ShownCard:
    previews = srs.preview_intervals(queued.state, now, reviews.user_scheduler(user))
    return ShownCard(queued=queued, typed=reviews.typed_answers_enabled(queued.card), previews=previews)


def rate_card(
    user: User,
    card_slug: str,
    rating: object,
    idempotency_key: object,
    duration_ms: object = None,
    *,
    answer: object = None,
    expected_version: int | None = None,
) -> reviews.ReviewResult:
    """Record a rating (`quizapp.services.review.review_card`); a typed answer sent with it is stored and
    checked again here, since the client's verdict is not trusted for the record."""
    return reviews.review_card(
        user,
        card_slug,
        rating,
        idempotency_key,
        duration_ms,
        answer_given=answer if isinstance(answer, str) else None,
        answer_correct=_checked_answer(card_slug, answer),
        expected_version=expected_version,
    )


def _checked_answer(card_slug: str, answer: object) -> bool | None:
    """The typed answer's verdict; None when there is none, the card takes no typed answer, or the checker
    could not decide (busy, out of time): an unknown verdict is not recorded as a wrong answer."""
    if not isinstance(answer, str) or not answer.strip():
        return None
    card = reviews.live_card(card_slug)
    if not reviews.typed_answers_enabled(card):
        return None
    check = reviews.check_typed_answer(card_slug, answer)
    return check.correct if check.judged else None
