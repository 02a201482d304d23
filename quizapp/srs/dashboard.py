"""The progress dashboard's statistics: pure functions from plain records (cards, reviews, submissions) to
numbers and series.

No Flask, no SQL: `services/progress.py` gathers rows into these dataclasses. Recall is predicted by
`scheduling.retrievability`, the scheduler's own FSRS-6 forgetting curve.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fsrs import Rating, Scheduler

from quizapp import timeparse
from quizapp.srs.interview_order import interview_moment
from quizapp.srs.scheduling import CardSnapshot, MemoryState, retrievability, scheduler_for

# A review-state card counts as mature from this interval on (Anki's convention, used for true retention).
MATURE_INTERVAL_DAYS = 21
TRUE_RETENTION_WINDOW_DAYS = 30
FORECAST_DAYS = 30
CALENDAR_WEEKS = 53
WEAKEST_PER_TOPIC = 5


@dataclass(frozen=True)
class ReviewRecord:
    """One rating. `interval_days` is the card's scheduled interval when it was reviewed (None when new)."""

    card_slug: str
    topic: str
    rating: int
    reviewed_at: dt.datetime
    interval_days: float | None = None
    origin: str = "review"


@dataclass(frozen=True)
class DrillInfo:
    slug: str
    topic: str
    title: str = ""


@dataclass(frozen=True)
class SubmissionRecord:
    drill_slug: str
    passed: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class TopicInfo:
    slug: str
    title: str


@dataclass(frozen=True)
class ProgressInputs:
    """Everything a report needs, already loaded; `parameters` are the FSRS weights (None: defaults)."""

    now: dt.datetime
    timezone: str
    desired_retention: float
    topics: Sequence[TopicInfo]
    cards: Sequence[CardSnapshot]
    reviews: Sequence[ReviewRecord] = ()
    drills: Sequence[DrillInfo] = ()
    submissions: Sequence[SubmissionRecord] = ()
    parameters: Sequence[float] | None = None
    interview_date: dt.date | None = None


@dataclass(frozen=True)
class CardCounts:
    total: int
    seen: int
    new: int
    due_today: int
    overdue: int


@dataclass(frozen=True)
class Retention:
    """Mature reviews recalled (Hard/Good/Easy) out of mature reviews in the window."""

    recalled: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.recalled / self.total if self.total else None


@dataclass(frozen=True)
class WeakCard:
    slug: str
    topic: str
    front: str
    retrievability: float
    stability: float | None
    lapses: int
    due: dt.datetime | None


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    count: int


@dataclass(frozen=True)
class DrillAttempts:
    slug: str
    topic: str
    title: str
    attempts: int
    passed_attempts: int

    @property
    def passed(self) -> bool:
        return self.passed_attempts > 0


@dataclass(frozen=True)
class InterviewProjection:
    """Recall predicted at the interview with no more reviews: mean over seen cards, and expected count."""

    at: dt.datetime
    mean_recall: float | None
    expected_recalled: float
    cards_total: int


@dataclass(frozen=True)
class TopicStats:
    slug: str
    title: str
    counts: CardCounts
    retrievability_now: float | None
    true_retention: Retention
    average_stability: float | None
    drills_passed: int
    drills_tried: int
    drills_total: int
    projection: InterviewProjection | None
    weakest: tuple[WeakCard, ...] = ()


@dataclass(frozen=True)
class ProgressReport:
    generated_at: dt.datetime
    timezone: str
    desired_retention: float
    interview_date: dt.date | None
    overall: TopicStats
    topics: tuple[TopicStats, ...]
    due_forecast: tuple[DayCount, ...]
    reviews_per_day: tuple[DayCount, ...]
    drills: tuple[DrillAttempts, ...]
    reviews_today: int
    streak_days: int


# -------------------------------------------------------------------------------------- retrievability


def memories(cards: Iterable[CardSnapshot]) -> list[MemoryState]:
    """The memory states of the cards reviewed at least once."""
    return [card.memory for card in cards if card.memory is not None]


def mean_retrievability(cards: Iterable[CardSnapshot], at: dt.datetime, scheduler: Scheduler) -> float | None:
    """Mean predicted recall at `at` over the cards reviewed at least once (None when there are none)."""
    values = [retrievability(memory, at, scheduler) for memory in memories(cards)]
    return sum(values) / len(values) if values else None


# ---------------------------------------------------------------------------------------------- counts


def local_day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def card_counts(cards: Sequence[CardSnapshot], now: dt.datetime, zone: ZoneInfo) -> CardCounts:
    """Due today: seen cards due before local midnight tonight; overdue: due before today began (local)."""
    today = now.astimezone(zone).date()
    today_start = local_day_start(today, zone)
    tomorrow_start = local_day_start(today + dt.timedelta(days=1), zone)
    seen = memories(cards)
    return CardCounts(
        total=len(cards),
        seen=len(seen),
        new=len(cards) - len(seen),
        due_today=sum(1 for memory in seen if memory.due < tomorrow_start),
        overdue=sum(1 for memory in seen if memory.due < today_start),
    )


def average_stability(cards: Iterable[CardSnapshot]) -> float | None:
    values = [memory.stability for memory in memories(cards) if memory.stability is not None]
    return sum(values) / len(values) if values else None


def true_retention(
    reviews: Iterable[ReviewRecord],
    now: dt.datetime,
    *,
    window_days: int = TRUE_RETENTION_WINDOW_DAYS,
    mature_days: float = MATURE_INTERVAL_DAYS,
) -> Retention:
    """Share of reviews of mature cards (interval ≥ `mature_days` when reviewed) not rated Again."""
    since = now - dt.timedelta(days=window_days)
    mature = [
        review
        for review in reviews
        if since < review.reviewed_at <= now
        and review.interval_days is not None
        and review.interval_days >= mature_days
    ]
    return Retention(recalled=sum(1 for review in mature if review.rating > Rating.Again), total=len(mature))


# ---------------------------------------------------------------------------------------------- series


def due_forecast(
    cards: Iterable[CardSnapshot], now: dt.datetime, zone: ZoneInfo, days: int = FORECAST_DAYS
) -> tuple[DayCount, ...]:
    """Cards falling due on each of the next `days` local days; overdue cards are counted today."""
    today = now.astimezone(zone).date()
    counts: Counter[int] = Counter()
    for memory in memories(cards):
        offset = max(0, (memory.due.astimezone(zone).date() - today).days)
        if offset < days:
            counts[offset] += 1
    return tuple(DayCount(today + dt.timedelta(days=i), counts[i]) for i in range(days))


def calendar_start(today: dt.date, weeks: int = CALENDAR_WEEKS) -> dt.date:
    """The Monday `weeks - 1` weeks before this week's Monday: the heatmap shows whole weeks up to today."""
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(weeks=weeks - 1)


def reviews_per_day(
    reviews: Iterable[ReviewRecord], zone: ZoneInfo, start: dt.date, end: dt.date
) -> tuple[DayCount, ...]:
    """Reviews on each local calendar day from `start` to `end` inclusive (the heatmap's data)."""
    counts = Counter(review.reviewed_at.astimezone(zone).date() for review in reviews)
    length = (end - start).days + 1
    return tuple(
        DayCount(start + dt.timedelta(days=i), counts[start + dt.timedelta(days=i)]) for i in range(length)
    )


def streak_days(per_day: Sequence[DayCount]) -> int:
    """Consecutive days with reviews up to today (or yesterday: a streak lives until today ends)."""
    days = list(per_day)
    if days and days[-1].count == 0:
        days.pop()
    streak = 0
    for entry in reversed(days):
        if entry.count == 0:
            break
        streak += 1
    return streak


# ---------------------------------------------------------------------------------------------- drills


def drill_attempts(
    drills: Sequence[DrillInfo], submissions: Iterable[SubmissionRecord]
) -> tuple[DrillAttempts, ...]:
    """Attempts and passing attempts per drill, in catalogue order (drills never tried have zero attempts)."""
    attempts: Counter[str] = Counter()
    passes: Counter[str] = Counter()
    for submission in submissions:
        attempts[submission.drill_slug] += 1
        passes[submission.drill_slug] += int(submission.passed)
    return tuple(
        DrillAttempts(drill.slug, drill.topic, drill.title, attempts[drill.slug], passes[drill.slug])
        for drill in drills
    )


# --------------------------------------------------------------------------------------- weakest cards


def weakest_cards(
    cards: Iterable[CardSnapshot], now: dt.datetime, scheduler: Scheduler, limit: int = WEAKEST_PER_TOPIC
) -> tuple[WeakCard, ...]:
    """The seen cards least likely to be recalled now; ties go to the card with more lapses."""
    scored = [
        WeakCard(
            card.slug,
            card.topic,
            card.front,
            retrievability(memory, now, scheduler),
            memory.stability,
            memory.lapses,
            memory.due,
        )
        for card in cards
        if (memory := card.memory) is not None
    ]
    scored.sort(key=lambda weak: (weak.retrievability, -weak.lapses, weak.slug))
    return tuple(scored[:limit])


# ------------------------------------------------------------------------------------------- interview


def project_recall(
    cards: Sequence[CardSnapshot], at: dt.datetime, scheduler: Scheduler
) -> InterviewProjection:
    """Recall predicted at `at` without further reviews; never-reviewed cards are expected to be forgotten."""
    values = [retrievability(memory, at, scheduler) for memory in memories(cards)]
    return InterviewProjection(
        at=at,
        mean_recall=sum(values) / len(values) if values else None,
        expected_recalled=sum(values),
        cards_total=len(cards),
    )


# ------------------------------------------------------------------------------------------ the report


def topic_stats(
    slug: str,
    title: str,
    inputs: ProgressInputs,
    scheduler: Scheduler,
    attempts: Sequence[DrillAttempts],
) -> TopicStats:
    """All per-topic numbers for the given (already topic-filtered) inputs."""
    zone = timeparse.zone(inputs.timezone)
    projection = None
    today = inputs.now.astimezone(zone).date()
    if inputs.interview_date is not None and inputs.interview_date >= today:  # a past interview shows nothing
        at = max(interview_moment(inputs.interview_date, zone), inputs.now)
        projection = project_recall(inputs.cards, at, scheduler)
    return TopicStats(
        slug=slug,
        title=title,
        counts=card_counts(inputs.cards, inputs.now, zone),
        retrievability_now=mean_retrievability(inputs.cards, inputs.now, scheduler),
        true_retention=true_retention(inputs.reviews, inputs.now),
        average_stability=average_stability(inputs.cards),
        drills_passed=sum(1 for drill in attempts if drill.passed),
        drills_tried=sum(1 for drill in attempts if drill.attempts),
        drills_total=len(attempts),
        projection=projection,
        weakest=weakest_cards(inputs.cards, inputs.now, scheduler),
    )


def restrict_to_topic(inputs: ProgressInputs, topic: str) -> ProgressInputs:
    """The same inputs with only one topic's cards, reviews, drills and submissions."""
    drills = [drill for drill in inputs.drills if drill.topic == topic]
    drill_slugs = {drill.slug for drill in drills}
    return ProgressInputs(
        now=inputs.now,
        timezone=inputs.timezone,
        desired_retention=inputs.desired_retention,
        topics=[info for info in inputs.topics if info.slug == topic],
        cards=[card for card in inputs.cards if card.topic == topic],
        reviews=[review for review in inputs.reviews if review.topic == topic],
        drills=drills,
        submissions=[sub for sub in inputs.submissions if sub.drill_slug in drill_slugs],
        parameters=inputs.parameters,
        interview_date=inputs.interview_date,
    )


def build_report(inputs: ProgressInputs, topic: str | None = None) -> ProgressReport:
    """The whole dashboard: overall numbers, one row per topic, forecast, calendar and drill attempts."""
    if topic is not None:
        inputs = restrict_to_topic(inputs, topic)
    zone = timeparse.zone(inputs.timezone)
    scheduler = scheduler_for(inputs.desired_retention, inputs.parameters, fuzz=False)
    attempts = drill_attempts(inputs.drills, inputs.submissions)
    per_topic = tuple(
        topic_stats(
            info.slug,
            info.title,
            restrict_to_topic(inputs, info.slug),
            scheduler,
            [drill for drill in attempts if drill.topic == info.slug],
        )
        for info in inputs.topics
    )
    overall_title = per_topic[0].title if topic is not None and per_topic else "All topics"
    today = inputs.now.astimezone(zone).date()
    per_day = reviews_per_day(inputs.reviews, zone, calendar_start(today), today)
    return ProgressReport(
        generated_at=inputs.now,
        timezone=inputs.timezone,
        desired_retention=inputs.desired_retention,
        interview_date=inputs.interview_date,
        overall=topic_stats(topic or "all", overall_title, inputs, scheduler, attempts),
        topics=per_topic,
        due_forecast=due_forecast(inputs.cards, inputs.now, zone),
        reviews_per_day=per_day,
        drills=attempts,
        reviews_today=per_day[-1].count,
        streak_days=streak_days(per_day),
    )
