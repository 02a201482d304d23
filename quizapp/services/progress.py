"""Progress use cases: load a person's cards, reviews and submissions and compute the dashboard's numbers.

The arithmetic lives in `quizapp.srs.dashboard` (pure); this module only turns rows into its records and back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select

from quizapp import timeparse
from quizapp.extensions import db
from quizapp.models import Card, CardState, Drill, Review, Submission, Topic, User, utcnow
from quizapp.services import card_browser
from quizapp.services.card_flags import held_back
from quizapp.services.errors import ServiceError
from quizapp.services.review import ReviewResult, review_card, snapshot
from quizapp.srs import CardSnapshot, dashboard
from quizapp.srs.dashboard import ProgressReport, ReviewRecord, SubmissionRecord

DAY_SECONDS = 86400.0


def user_progress(user: User, topic: str | None = None, now: dt.datetime | None = None) -> ProgressReport:
    """The dashboard report for `user`, over all topics or one (ServiceError(404) for a bad slug)."""
    inputs = progress_inputs(user, now or utcnow())
    if topic is not None and all(info.slug != topic for info in inputs.topics):
        raise ServiceError(404, f"There is no topic called {topic!r}.")
    return dashboard.build_report(inputs, topic)


def progress_inputs(user: User, now: dt.datetime) -> dashboard.ProgressInputs:
    topics = db.session.scalars(select(Topic).order_by(Topic.position, Topic.slug)).all()
    return dashboard.ProgressInputs(
        now=now,
        timezone=user.timezone or "UTC",
        desired_retention=user.desired_retention,
        topics=[dashboard.TopicInfo(topic.slug, topic.title) for topic in topics],
        cards=card_snapshots(user.id),
        reviews=review_records(user.id),
        drills=[
            dashboard.DrillInfo(drill.slug, drill.topic_slug, drill.title)
            for drill in db.session.scalars(
                select(Drill).where(Drill.retired.is_(False)).order_by(Drill.position, Drill.slug)
            )
        ],
        submissions=submission_records(user.id),
        parameters=user.fsrs_parameters,
        interview_date=user.interview_date,
    )


def card_snapshots(user_id: int, slugs: list[str] | None = None) -> list[CardSnapshot]:
    """Every live card (or the named ones) with this person's memory state, new cards included."""
    query = (
        select(Card, CardState)
        .outerjoin(CardState, (CardState.card_slug == Card.slug) & (CardState.user_id == user_id))
        .where(Card.retired.is_(False))
        .order_by(Card.topic_slug, Card.position, Card.slug)
    )
    if slugs is not None:
        query = query.where(Card.slug.in_(slugs))
    return [snapshot(card, state) for card, state in db.session.execute(query)]


def review_records(user_id: int) -> list[ReviewRecord]:
    # Plain columns, not ORM objects: a long history has tens of thousands of reviews. Of the state before
    # each review only the two times the interval needs, read by the database: decoding every review's
    # whole JSON state in Python was a third of the dashboard's server time.
    rows = db.session.execute(
        select(
            Review.card_slug,
            Card.topic_slug,
            Review.rating,
            Review.reviewed_at,
            Review.state_before,
            Review.previous_state["due"].as_string(),
            Review.previous_state["last_review"].as_string(),
            Review.origin,
        )
        .join(Card, Card.slug == Review.card_slug)
        .where(Review.user_id == user_id)
        .order_by(Review.reviewed_at, Review.id)
    )
    previous_at: dict[str, dt.datetime] = {}
    records = []
    for slug, topic, rating, reviewed_at, state_before, due, last_review, origin in rows:
        before = {"due": due, "last_review": last_review}
        interval = interval_at_review(reviewed_at, state_before, before, previous_at.get(slug))
        previous_at[slug] = reviewed_at
        records.append(ReviewRecord(slug, topic, rating, reviewed_at, interval, origin))
    return records


def interval_at_review(
    reviewed_at: dt.datetime,
    state_before: int,
    previous_state: dict[str, Any] | None,
    previous_at: dt.datetime | None,
) -> float | None:
    """The card's interval in days when it was reviewed: the scheduled one (due − last review of the state
    before) when the review kept it, else the time since the card's previous review; None for a new card."""
    if state_before == 0 or previous_at is None:
        return None
    before = previous_state or {}
    due, last = _parse_time(before.get("due")), _parse_time(before.get("last_review"))
    if due is not None and last is not None:
        return (due - last).total_seconds() / DAY_SECONDS
    return (reviewed_at - previous_at).total_seconds() / DAY_SECONDS


def _parse_time(value: Any) -> dt.datetime | None:
    """A time from a stored previous state; None when it is missing or unreadable (the interval then falls
    back to the time since the card's previous review)."""
    try:
        return timeparse.parse_datetime(value, naive_is_utc=True)
    except ValueError:
        return None


def submission_records(user_id: int) -> list[SubmissionRecord]:
    rows = db.session.scalars(
        select(Submission).where(Submission.user_id == user_id).order_by(Submission.created_at)
    )
    return [SubmissionRecord(row.drill_slug, submission_passed(row), row.created_at) for row in rows]


def submission_passed(submission: Submission) -> bool:
    verdict = submission.verdict or {}
    return submission.status == "done" and verdict.get("verdict") == "passed"


def report_to_dict(report: ProgressReport) -> dict[str, Any]:
    """The report as JSON-ready data (ISO dates, derived rates included) for /api/progress."""
    return _jsonable(report)


_DERIVED = {"Retention": ("rate",), "DrillAttempts": ("passed",)}


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {field.name: _jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)}
        for name in _DERIVED.get(type(value).__name__, ()):
            data[name] = _jsonable(getattr(value, name))
        return data
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


# --------------------------------------------------------------------------------------- focused sessions

MAX_FOCUS_CARDS = 20


def focus_cards(
    user: User, slugs: list[str], topic: str | None = None, *, leeches: bool = False
) -> list[Card]:
    """The named live cards in the given order (duplicates dropped, at most MAX_FOCUS_CARDS), none of them
    suspended or buried, except in a leeches session (`leeches`), which studies the suspended leeches."""
    wanted = list(dict.fromkeys(slug for slug in slugs if slug))[:MAX_FOCUS_CARDS]
    if not wanted:
        raise ServiceError(400, "Choose at least one card to review.")
    found = {card.slug: card for card in db.session.scalars(select(Card).where(Card.slug.in_(wanted)))}
    missing = [slug for slug in wanted if slug not in found or found[slug].retired]
    if missing:
        raise ServiceError(400, f"These cards do not exist (any more): {', '.join(missing)}.")
    allowed = set(card_browser.leech_slugs(user)) if leeches else set()
    held = set(
        db.session.scalars(select(Card.slug).where(Card.slug.in_(wanted), held_back(user.id, utcnow())))
    )
    if held - allowed:
        raise ServiceError(400, f"These cards are suspended or buried: {', '.join(sorted(held - allowed))}.")
    if topic is not None and any(card.topic_slug != topic for card in found.values()):
        raise ServiceError(400, f"Some of these cards are not in the topic {topic!r}.")
    return [found[slug] for slug in wanted]


def weakest_card_slugs(user: User, topic: str | None = None) -> list[str]:
    """The dashboard's weakest cards (per topic, or across all topics), lowest recall first."""
    report = user_progress(user, topic)
    held = set(db.session.scalars(select(Card.slug).where(held_back(user.id, utcnow()))))
    if topic is not None:
        return [card.slug for card in report.overall.weakest if card.slug not in held]
    weak = sorted(
        (card for stats_ in report.topics for card in stats_.weakest), key=lambda c: c.retrievability
    )
    return [card.slug for card in weak if card.slug not in held][:MAX_FOCUS_CARDS]


def record_focus_review(
    user: User, card_slug: str, rating: int, idempotency_key: str, duration_ms: int | None
) -> ReviewResult:
    """Record one rating from a focused session: an ordinary review, marked origin="focus"."""
    return review_card(user, card_slug, rating, idempotency_key, duration_ms, origin="focus")
