"""FSRS-6 scheduling as pure functions: compute a review's outcome, preview the answer buttons' intervals.

Like Anki's scheduler, computing an answer's new state is separate from applying it: nothing here stores
anything. Every datetime is timezone-aware; naive datetimes are refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from quizapp import timeparse

# Anki's learn-ahead limit: a learning card due within this window is shown when nothing else is left.
LEARN_AHEAD = dt.timedelta(minutes=20)

RATING_NAMES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
RATING_HELP = "Use a rating of 1–4 or again, hard, good, easy."
# How a learner reads fsrs.State (Learning, Review, Relearning: Anki's card types); no state at all is "new".
STATE_NAMES = {state.value: state.name.lower() for state in State}
NEW, UNKNOWN = "new", "unknown"

# fsrs invents a card id (and sleeps 1 ms to keep it unique) when none is given; ours are slugs elsewhere.
_ANONYMOUS_CARD_ID = 1


@dataclass(frozen=True)
class MemoryState:
    """A person's memory of one card after at least one review. A new card has no MemoryState (None).

    `state` is fsrs.State's value (1 learning, 2 review, 3 relearning); `step` is the (re)learning step.
    """

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None
    reps: int = 0
    lapses: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 timestamps), the shape stored as a review's `previous_state`."""
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps,
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryState:
        last_review = data.get("last_review")
        return cls(
            state=int(data["state"]),
            step=data.get("step"),
            stability=data.get("stability"),
            difficulty=data.get("difficulty"),
            due=timeparse.parse_datetime(data["due"], naive_is_utc=True),
            last_review=timeparse.parse_datetime(last_review, naive_is_utc=True) if last_review else None,
            reps=int(data.get("reps") or 0),
            lapses=int(data.get("lapses") or 0),
        )


@dataclass(frozen=True)
class CardSnapshot:
    """One card and a person's memory of it (`memory` None: never reviewed), as statistics read it."""

    slug: str
    topic: str
    front: str = ""
    memory: MemoryState | None = None


@dataclass(frozen=True)
class ReviewOutcome:
    """What rating a card would do: the state before (None if new), the state after, the interval."""

    rating: Rating
    reviewed_at: dt.datetime
    previous: MemoryState | None
    state: MemoryState

    @property
    def interval(self) -> dt.timedelta:
        return self.state.due - self.reviewed_at


def state_name(state: int | None) -> str:
    """The learner's word for an fsrs.State value: learning, review or relearning; new for None or 0 (the
    `state_before` of a card's first review); "unknown" for a value fsrs does not define."""
    return STATE_NAMES.get(state, UNKNOWN) if state else NEW


def parse_rating(value: object) -> Rating:
    """1–4 (int or digit string) or a name (again|hard|good|easy, any case) → Rating; else ValueError."""
    if isinstance(value, bool):
        raise ValueError(RATING_HELP)
    if isinstance(value, str):
        name = value.strip().lower()
        if name in RATING_NAMES:
            return RATING_NAMES[name]
        value = int(name) if name.isascii() and name.isdigit() and len(name) <= 3 else None
    if isinstance(value, int) and 1 <= value <= 4:
        return Rating(value)
    raise ValueError(RATING_HELP)


def scheduler_for(
    desired_retention: float = 0.9, parameters: Sequence[float] | None = None, fuzz: bool = True
) -> Scheduler:
    """An FSRS-6 scheduler for a person's settings. Weights that fsrs rejects (e.g. fitted by an older
    FSRS version) fall back to the defaults, so a stale setting never blocks reviewing."""
    if not 0 < desired_retention < 1:
        raise ValueError(f"desired retention must lie between 0 and 1, not {desired_retention}")
    try:
        return Scheduler(
            parameters=tuple(parameters or DEFAULT_PARAMETERS),
            desired_retention=desired_retention,
            enable_fuzzing=fuzz,
        )
    except ValueError:
        return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def compute_review(
    state: MemoryState | None,
    rating: Rating | int | str,
    now: dt.datetime,
    scheduler: Scheduler | None = None,
) -> ReviewOutcome:
    """The outcome of rating a card at `now` (state None = a new card). Pure: stores nothing."""
    chosen = parse_rating(rating)
    at = _as_utc(now)
    scheduler = scheduler or scheduler_for()
    reviewed, _log = scheduler.review_card(_to_fsrs(state, at), chosen, at)
    lapsed = state is not None and state.state == State.Review and chosen == Rating.Again
    after = MemoryState(
        state=int(reviewed.state.value),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=reviewed.due,
        last_review=at,
        reps=(state.reps if state else 0) + 1,
        lapses=(state.lapses if state else 0) + int(lapsed),
    )
    return ReviewOutcome(rating=chosen, reviewed_at=at, previous=state, state=after)


def preview_intervals(
    state: MemoryState | None, now: dt.datetime, scheduler: Scheduler | None = None
) -> dict[Rating, dt.timedelta]:
    """The interval each answer button would give, without fuzz (what Anki prints on the buttons)."""
    plain = _without_fuzz(scheduler or scheduler_for())
    return {rating: compute_review(state, rating, now, plain).interval for rating in Rating}


def retrievability(state: MemoryState | None, now: dt.datetime, scheduler: Scheduler | None = None) -> float:
    """Predicted probability of recalling the card at `now` (FSRS-6 forgetting curve); 0 for a new card."""
    if state is None or state.stability is None or state.last_review is None:
        return 0.0
    at = _as_utc(now)
    # The forgetting curve needs only stability and the last review: a lean card keeps a dashboard of
    # thousands of cards fast.
    card = FsrsCard(
        card_id=_ANONYMOUS_CARD_ID, stability=state.stability, last_review=_as_utc(state.last_review), due=at
    )
    return float((scheduler or scheduler_for()).get_card_retrievability(card, at))


def interval_label(interval: dt.timedelta) -> str:
    """Anki-style short label: "<1m", "10m", "1.5h", "3d", "3.2mo", "1.1y"."""
    seconds = interval.total_seconds()
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{_one_decimal(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{_one_decimal(days / 30)}mo"
    return f"{_one_decimal(days / 365)}y"


def local_day_window(now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC) of the calendar day containing `now` in `timezone` (unknown names: UTC).

    A day is 23 or 25 hours long across a daylight-saving change; both ends are local midnights.
    """
    zone = timeparse.zone(timezone)
    today = _as_utc(now).astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is dt.UTC:  # the database's times: the common case, first (dashboards call this a lot)
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime was given; pass a timezone-aware one")
    return moment.astimezone(dt.UTC)


def _to_fsrs(state: MemoryState | None, now: dt.datetime) -> FsrsCard:
    if state is None:
        return FsrsCard(card_id=_ANONYMOUS_CARD_ID, state=State.Learning, step=0, due=now)
    return FsrsCard(
        card_id=_ANONYMOUS_CARD_ID,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_as_utc(state.due),
        last_review=_as_utc(state.last_review) if state.last_review else None,
    )


def _without_fuzz(scheduler: Scheduler) -> Scheduler:
    if not scheduler.enable_fuzzing:
        return scheduler
    return replace(scheduler, enable_fuzzing=False)
