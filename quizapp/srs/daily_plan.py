"""The daily plan: how many new cards a day see the whole bank before an interview, and what that costs in
minutes once FSRS's review load is counted. Pure arithmetic over plain numbers; services/daily.py feeds it.

The formula, in days counted from today (day 0):
- `days_left` = interview date − today. The last fifth of them (at most 14 days, none when only one day
  is left) is kept for consolidation: reviews only. The rest are the learning days.
- pace needed = ⌈cards to see ÷ learning days⌉.
- load on day d = new(d) × seconds per new card + reviews(d) × seconds per review, where reviews(d) is
  the forecast of the cards already studied plus, for every card introduced on day d − k, one review for
  each k in `followup_days` (when FSRS brings a new card back if it is answered Good each time).
- the pace the minutes allow = the largest number of new cards a day whose busiest day fits the minutes.
The plan fits when the pace needed is no more than the pace allowed. Without an interview date the pace
is simply what the minutes allow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from fsrs import Rating, Scheduler

from quizapp.srs.scheduling import MemoryState, compute_review

CONSOLIDATION_SHARE = 5  # one day in five before the interview is kept for reviews only
CONSOLIDATION_MAX_DAYS = 14
HORIZON_WITHOUT_INTERVIEW_DAYS = 365
DEFAULT_SECONDS_PER_REVIEW = 15.0
DEFAULT_SECONDS_PER_NEW_CARD = 45.0
MINUTES_PER_DAY_MAX = 24 * 60
_MAX_SIMULATED_REVIEWS = 64


@dataclass(frozen=True)
class PlanInputs:
    today: dt.date
    interview_date: dt.date | None
    minutes_per_day: int
    # Unseen cards per topic, topics the person marked as known left out: ((topic, count), ...) in bank order.
    unseen_by_topic: Sequence[tuple[str, int]]
    # Reviews of the cards already studied: index 0 is today (overdue ones included), 1 tomorrow, ...
    due_reviews: Sequence[int] = ()
    # Days after its introduction on which a new card is reviewed again (0: a learning step the same day).
    followup_days: Sequence[int] = ()
    seconds_per_review: float = DEFAULT_SECONDS_PER_REVIEW
    seconds_per_new_card: float = DEFAULT_SECONDS_PER_NEW_CARD


@dataclass(frozen=True)
class DailyPlan:
    cards_to_see: int
    new_cards_per_day: int  # the pace proposed: the pace needed when it fits, else what the minutes allow
    affordable_per_day: int  # the most new cards a day the minutes allow
    needed_per_day: int | None  # with an interview ahead: the pace that leaves the consolidation days free
    finish_date: dt.date | None  # the day the last unseen card is introduced at the proposed pace
    days_before_interview: int | None  # from finish_date to the interview
    consolidation_days: int
    fits: bool
    today_minutes: float  # today's load at the proposed pace
    busiest_minutes: float  # the busiest day's load at the proposed pace
    drop_topics: tuple[str, ...] = ()  # marking these known would make the plan fit (when it does not)


def consolidation_days(days_left: int) -> int:
    return min(CONSOLIDATION_MAX_DAYS, days_left // CONSOLIDATION_SHARE)


def daily_plan(inputs: PlanInputs) -> DailyPlan:
    """The plan for `inputs` (see the module docstring for the formula)."""
    cards = sum(count for _, count in inputs.unseen_by_topic)
    days_left = _days_left(inputs)
    horizon = days_left if days_left is not None else HORIZON_WITHOUT_INTERVIEW_DAYS
    affordable = affordable_pace(inputs, cards, horizon)
    if days_left is None:
        return _plan_at(inputs, cards, affordable, affordable, None, 0, fits=affordable > 0 or cards == 0)
    consolidation = consolidation_days(days_left)
    needed = math.ceil(cards / (days_left - consolidation))
    fits = needed <= affordable
    plan = _plan_at(inputs, cards, needed if fits else affordable, affordable, needed, consolidation, fits)
    if fits:
        return plan
    capacity = affordable * (days_left - consolidation)
    return _with_drops(plan, inputs.unseen_by_topic, cards - capacity, affordable)


def _days_left(inputs: PlanInputs) -> int | None:
    """Days from today to the interview; None without an interview ahead (none set, today or past)."""
    if inputs.interview_date is None or inputs.interview_date <= inputs.today:
        return None
    return (inputs.interview_date - inputs.today).days


def _plan_at(
    inputs: PlanInputs,
    cards: int,
    pace: int,
    affordable: int,
    needed: int | None,
    consolidation: int,
    fits: bool,
) -> DailyPlan:
    finish = finish_date(inputs.today, cards, pace)
    before = (
        (inputs.interview_date - finish).days
        if finish and needed is not None and inputs.interview_date
        else None
    )
    loads = day_loads(inputs, cards, pace, _load_horizon(inputs, cards, pace))
    return DailyPlan(
        cards_to_see=cards,
        new_cards_per_day=pace,
        affordable_per_day=affordable,
        needed_per_day=needed,
        finish_date=finish,
        days_before_interview=before,
        consolidation_days=consolidation,
        fits=fits,
        today_minutes=loads[0] / 60,
        busiest_minutes=max(loads) / 60,
    )


def finish_date(today: dt.date, cards: int, pace: int) -> dt.date | None:
    """The day the last of `cards` is introduced at `pace` a day (today when none are left; None at 0)."""
    if cards == 0:
        return today
    return today + dt.timedelta(days=math.ceil(cards / pace) - 1) if pace else None


def _with_drops(
    plan: DailyPlan, unseen: Sequence[tuple[str, int]], excess: int, affordable: int
) -> DailyPlan:
    """Which topics to mark as known so the rest fits: the largest first, as few as possible. None when no
    new card fits at all (dropping topics cannot help then)."""
    if affordable == 0:
        return plan
    dropped: list[str] = []
    for topic, count in sorted(unseen, key=lambda item: -item[1]):
        if excess <= 0:
            break
        if count:
            dropped.append(topic)
            excess -= count
    return dataclasses.replace(plan, drop_topics=tuple(dropped))


def _load_horizon(inputs: PlanInputs, cards: int, pace: int) -> int:
    days_left = _days_left(inputs)
    if days_left is not None:
        return days_left
    last_new_day = math.ceil(cards / pace) if pace else 1
    return min(HORIZON_WITHOUT_INTERVIEW_DAYS, last_new_day + max(inputs.followup_days, default=0) + 1)


def day_loads(inputs: PlanInputs, cards: int, pace: int, days: int) -> list[float]:
    """Seconds of study on each of `days` days when `pace` new cards a day are introduced until `cards`
    are seen: new cards, their follow-up reviews, and the reviews already forecast."""
    days = max(1, days)
    new = [min(pace, max(0, cards - pace * day)) for day in range(days)]
    reviews = [
        float(inputs.due_reviews[day]) if day < len(inputs.due_reviews) else 0.0 for day in range(days)
    ]
    for day, count in enumerate(new):
        for offset in inputs.followup_days:
            if count and day + offset < days:
                reviews[day + offset] += count
    return [
        n * inputs.seconds_per_new_card + r * inputs.seconds_per_review
        for n, r in zip(new, reviews, strict=True)
    ]


def affordable_pace(inputs: PlanInputs, cards: int, horizon: int) -> int:
    """The most new cards a day (at most `cards`) whose busiest day stays within the minutes per day."""
    budget = inputs.minutes_per_day * 60

    def fits(pace: int) -> bool:
        loads = day_loads(inputs, cards, pace, min(horizon, _load_horizon(inputs, cards, pace)))
        return max(loads) <= budget

    if cards == 0 or not fits(1):
        return 0
    low, high = 1, cards  # fits(low) holds; find the largest pace that fits (the load grows with the pace)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


# ------------------------------------------------------------------------------------------- forecasting


def review_days(
    state: MemoryState | None, start: dt.datetime, zone: dt.tzinfo, horizon_days: int, scheduler: Scheduler
) -> list[int]:
    """The days (0 = `start`'s local day) on which FSRS brings a card back within `horizon_days`, if every
    answer is Good. A new card (None) is first seen at `start`; that first sight is not counted."""
    today = start.astimezone(zone).date()
    if state is None:
        state = compute_review(None, Rating.Good, start, scheduler).state
    days = []
    for _ in range(_MAX_SIMULATED_REVIEWS):
        at = max(state.due, start)
        day = (at.astimezone(zone).date() - today).days
        if day >= horizon_days:
            break
        days.append(day)
        state = compute_review(state, Rating.Good, at, scheduler).state
    return days


def forecast_reviews(
    states: Sequence[MemoryState],
    start: dt.datetime,
    zone: dt.tzinfo,
    horizon_days: int,
    scheduler: Scheduler,
) -> list[int]:
    """Reviews per day over `horizon_days` of the cards already studied (overdue ones on day 0)."""
    counts = [0] * max(1, horizon_days)
    for state in states:
        for day in review_days(state, start, zone, horizon_days, scheduler):
            counts[day] += 1
    return counts
