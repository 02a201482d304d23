"""The day's study: the daily plan (from onboarding's answers and FSRS's review forecast) and the Today
page's contents. The plan's arithmetic is pure (quizapp.srs.daily_plan); this module gathers its inputs.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import func, select

from quizapp import timeparse
from quizapp.extensions import db
from quizapp.models import Card, CardState, Drill, Review, Submission, Topic, User, utcnow
from quizapp.services import accounts
from quizapp.services.review import (
    Counts,
    due_queue,
    next_new_cards,
    snapshot,
    to_memory_state,
    user_scheduler,
)
from quizapp.srs import CardSnapshot, daily_plan, dashboard
from quizapp.srs.daily_plan import DailyPlan, PlanInputs

TIMING_SAMPLE = 500  # the latest answers a person's own timing is measured on
TIMING_MIN_ANSWERS = 10  # fewer than this: the defaults
RECENT_DIAGNOSIS_DAYS = 14


@dataclass(frozen=True)
class SuggestedDrill:
    drill: Drill
    reason: str  # why this one: a recent diagnosis, the weakest topic, or a first drill


@dataclass(frozen=True)
class PlanProgress:
    seen: int  # cards studied at least once, known topics left out
    total: int  # live cards, known topics left out

    @property
    def percent(self) -> int:
        return round(100 * self.seen / self.total) if self.total else 100


@dataclass(frozen=True)
class Today:
    counts: Counts
    new_cards: list[Card]
    drill: SuggestedDrill | None
    plan: DailyPlan
    progress: PlanProgress
    topic_titles: dict[str, str]


# ------------------------------------------------------------------------------------------------- plan


def study_plan(user: User, now: dt.datetime | None = None) -> DailyPlan:
    """The person's daily plan as of `now` (see quizapp.srs.daily_plan for the formula)."""
    return daily_plan.daily_plan(plan_inputs(user, now or utcnow()))


def plan_inputs(user: User, now: dt.datetime) -> PlanInputs:
    zone = timeparse.zone(user.timezone)
    today = now.astimezone(zone).date()
    interview = user.interview_date if user.interview_date and user.interview_date > today else None
    horizon = (interview - today).days if interview else daily_plan.HORIZON_WITHOUT_INTERVIEW_DAYS
    scheduler = user_scheduler(user, fuzz=False)
    states = [to_memory_state(row) for row in _studied_states(user)]
    per_review, per_new = seconds_per_answer(user.id)
    return PlanInputs(
        today=today,
        interview_date=interview,
        minutes_per_day=user.minutes_per_day if user.minutes_per_day is not None else 30,
        unseen_by_topic=tuple(_unseen_by_topic(user)),
        due_reviews=daily_plan.forecast_reviews(states, now, zone, horizon, scheduler),
        followup_days=daily_plan.review_days(None, now, zone, horizon, scheduler),
        seconds_per_review=per_review,
        seconds_per_new_card=per_new,
    )


def seconds_per_answer(user_id: int) -> tuple[float, float]:
    """Median seconds the person spends on a review and on a new card (their latest answers), each falling
    back to the default until there are enough answers to measure."""
    rows = db.session.execute(
        select(Review.state_before, Review.duration_ms)
        .where(Review.user_id == user_id, Review.origin == "review", Review.duration_ms.is_not(None))
        .order_by(Review.reviewed_at.desc())
        .limit(TIMING_SAMPLE)
    ).all()
    reviews = [row.duration_ms / 1000 for row in rows if row.state_before != 0]
    new = [row.duration_ms / 1000 for row in rows if row.state_before == 0]
    return (
        _median_or(reviews, daily_plan.DEFAULT_SECONDS_PER_REVIEW),
        _median_or(new, daily_plan.DEFAULT_SECONDS_PER_NEW_CARD),
    )


def _median_or(values: list[float], default: float) -> float:
    return float(statistics.median(values)) if len(values) >= TIMING_MIN_ANSWERS else default


def _studied_states(user: User) -> list[CardState]:
    query = (
        select(CardState)
        .join(Card, Card.slug == CardState.card_slug)
        .where(CardState.user_id == user.id, Card.retired.is_(False))
    )
    return list(db.session.scalars(query))


def _live_cards_by_topic(user: User, unseen_only: bool) -> list[tuple[str, int]]:
    """(topic title, live cards) per topic in bank order, topics marked as known left out."""
    query = (
        select(Topic.title, func.count(Card.slug))
        .join(Card, Card.topic_slug == Topic.slug)
        .where(Card.retired.is_(False), Topic.slug.not_in(user.known_topics or []))
        .group_by(Topic.slug, Topic.title, Topic.position)
        .order_by(Topic.position, Topic.slug)
    )
    if unseen_only:
        seen = select(CardState.card_slug).where(CardState.user_id == user.id)
        query = query.where(Card.slug.not_in(seen))
    return [(title, int(count)) for title, count in db.session.execute(query)]


def _unseen_by_topic(user: User) -> list[tuple[str, int]]:
    return _live_cards_by_topic(user, unseen_only=True)


def plan_progress(user: User) -> PlanProgress:
    total = sum(count for _, count in _live_cards_by_topic(user, unseen_only=False))
    unseen = sum(count for _, count in _unseen_by_topic(user))
    return PlanProgress(seen=total - unseen, total=total)


# -------------------------------------------------------------------------------------------- decisions


def finish_onboarding(
    user: User, choices: accounts.StudyPlanChoices, *, today: dt.date | None = None
) -> None:
    """Save onboarding's answers, then set the daily new-card limit to the plan's pace."""
    accounts.update_study_plan(user, choices, today=today)
    adopt_plan_pace(user)


def adopt_plan_pace(user: User, now: dt.datetime | None = None) -> int:
    """Make the plan's pace the daily new-card limit (unchanged when the plan introduces nothing: no
    time, or nothing left to see). Returns the limit now in force."""
    pace = study_plan(user, now).new_cards_per_day
    if pace > 0:
        user.new_cards_per_day = min(pace, accounts.NEW_CARDS_MAX)
        db.session.flush()
    return user.new_cards_per_day


# ------------------------------------------------------------------------------------------------ today


def today_overview(user: User, now: dt.datetime | None = None) -> Today:
    """What the Today page shows: what is due, the day's new cards, one drill, and the plan."""
    now = now or utcnow()
    queue = due_queue(user, now=now)
    topics = {slug: title for slug, title in db.session.execute(select(Topic.slug, Topic.title))}
    return Today(
        counts=queue.counts,
        new_cards=next_new_cards(user, limit=queue.counts.new, now=now),
        drill=suggested_drill(user, now),
        plan=study_plan(user, now),
        progress=plan_progress(user),
        topic_titles=topics,
    )


def suggested_drill(user: User, now: dt.datetime) -> SuggestedDrill | None:
    """A drill whose mistake a recent submission was diagnosed with (not passed since), else an unpassed
    drill of the weakest topic (lowest predicted recall now), else the first unpassed drill."""
    diagnosed = _recently_diagnosed(user, now)
    if diagnosed is not None:
        return diagnosed
    passed = set(
        db.session.scalars(
            select(Submission.drill_slug).where(Submission.user_id == user.id, Submission.outcome == "passed")
        )
    )
    drills = db.session.scalars(
        select(Drill)
        .join(Topic, Topic.slug == Drill.topic_slug)
        .where(Drill.retired.is_(False), Drill.slug.not_in(passed))
        .order_by(Topic.position, Topic.slug, Drill.position, Drill.slug)
    ).all()
    if not drills:
        return None
    weakest = _weakest_topic(user, now, {drill.topic_slug for drill in drills})
    if weakest is not None:
        topic, recall = weakest
        drill = next(drill for drill in drills if drill.topic_slug == topic)
        return SuggestedDrill(drill, f"Your weakest topic: predicted recall {recall:.0%}.")
    return SuggestedDrill(drills[0], "A first drill, from the start of the bank.")


def _recently_diagnosed(user: User, now: dt.datetime) -> SuggestedDrill | None:
    since = now - dt.timedelta(days=RECENT_DIAGNOSIS_DAYS)
    failures = db.session.scalars(
        select(Submission)
        .where(
            Submission.user_id == user.id,
            Submission.status == "done",
            Submission.outcome != "passed",
            Submission.created_at >= since,
        )
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(20)
    )
    for failure in failures:
        diagnosis = (failure.verdict or {}).get("diagnosis")
        if not isinstance(diagnosis, dict) or _passed_since(failure):
            continue
        drill = db.session.get(Drill, failure.drill_slug)
        if drill is not None and not drill.retired:
            title = str(diagnosis.get("title") or diagnosis.get("id") or "a known mistake")
            return SuggestedDrill(drill, f"Your last attempt was diagnosed: {title}.")
    return None


def _passed_since(failure: Submission) -> bool:
    later_pass = select(func.count(Submission.id)).where(
        Submission.user_id == failure.user_id,
        Submission.drill_slug == failure.drill_slug,
        Submission.outcome == "passed",
        Submission.id > failure.id,
    )
    return bool(db.session.scalar(later_pass))


def _weakest_topic(user: User, now: dt.datetime, candidates: set[str]) -> tuple[str, float] | None:
    """The topic (among `candidates`) whose studied cards have the lowest mean predicted recall now."""
    scheduler = user_scheduler(user, fuzz=False)
    rows = db.session.execute(
        select(CardState, Card)
        .join(Card, Card.slug == CardState.card_slug)
        .where(CardState.user_id == user.id, Card.retired.is_(False), Card.topic_slug.in_(candidates))
    ).all()
    by_topic: dict[str, list[CardSnapshot]] = {}
    for state, card in rows:
        by_topic.setdefault(card.topic_slug, []).append(snapshot(card, state))
    recalls = {
        topic: dashboard.mean_retrievability(snapshots, now, scheduler)
        for topic, snapshots in by_topic.items()
    }
    scored = [(recall, topic) for topic, recall in recalls.items() if recall is not None]
    if not scored:
        return None
    recall, topic = min(scored)
    return topic, recall
