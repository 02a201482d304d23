"""The daily plan's arithmetic (quizapp.srs.daily_plan) against cases worked out by hand.

The common case: 60 unseen cards (topics a: 40, b: 20), a new card costs 60 s and a review 30 s, each new
card comes back once, the day after it was introduced, and there are 20 minutes (1200 s) a day. At p new
cards a day the first day costs 60p s and every following day with new cards 60p + 30p = 90p s, so the
minutes allow p = 13 (1170 s) and not 14 (1260 s).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from quizapp.srs import compute_review, scheduler_for
from quizapp.srs.daily_plan import PlanInputs, consolidation_days, daily_plan, forecast_reviews, review_days

TODAY = dt.date(2026, 12, 7)  # a Monday
BASE = PlanInputs(
    today=TODAY,
    interview_date=None,
    minutes_per_day=20,
    unseen_by_topic=(("a", 40), ("b", 20)),
    followup_days=(1,),
    seconds_per_review=30,
    seconds_per_new_card=60,
)


def plan_with(**changes: object):
    return daily_plan(dataclasses.replace(BASE, **changes))


def test_an_interview_in_ten_days_keeps_two_for_consolidation_and_finishes_three_days_early() -> None:
    plan = plan_with(interview_date=dt.date(2026, 12, 17))
    # 10 days left, 10 // 5 = 2 kept for consolidation, 8 learning days: ⌈60 / 8⌉ = 8 a day.
    assert (plan.consolidation_days, plan.needed_per_day, plan.affordable_per_day) == (2, 8, 13)
    assert plan.fits and plan.new_cards_per_day == 8
    # 8 a day: days 0–6 take 56 cards, day 7 the last 4 → finished on Monday 14th, 3 days before.
    assert plan.finish_date == dt.date(2026, 12, 14)
    assert plan.days_before_interview == 3
    assert plan.today_minutes == 8.0  # 8 × 60 s
    assert plan.busiest_minutes == 12.0  # 8 × 60 + 8 × 30 s
    assert plan.drop_topics == ()


def test_an_interview_too_close_to_fit_says_what_to_drop() -> None:
    plan = plan_with(interview_date=dt.date(2026, 12, 9))
    # 2 days left, none for consolidation: ⌈60 / 2⌉ = 30 a day, but the minutes allow 13.
    assert (plan.consolidation_days, plan.needed_per_day, plan.affordable_per_day) == (0, 30, 13)
    assert not plan.fits and plan.new_cards_per_day == 13
    # 13 a day: ⌈60 / 13⌉ = 5 days → Friday 11th, 2 days after the interview.
    assert plan.finish_date == dt.date(2026, 12, 11)
    assert plan.days_before_interview == -2
    # 2 days × 13 = 26 fit; 34 too many: dropping a (40 cards, the largest) is enough.
    assert plan.drop_topics == ("a",)
    assert plan.busiest_minutes == 19.5  # day 1: 13 × 60 + 13 × 30 s


def test_without_an_interview_the_pace_is_what_the_minutes_allow() -> None:
    plan = plan_with()
    assert plan.needed_per_day is None and plan.days_before_interview is None
    assert plan.fits and plan.new_cards_per_day == 13
    assert plan.finish_date == dt.date(2026, 12, 11)


def test_a_past_interview_counts_as_none() -> None:
    assert plan_with(interview_date=TODAY - dt.timedelta(days=1)) == plan_with()
    assert plan_with(interview_date=TODAY) == plan_with()


def test_zero_minutes_fit_no_new_card_and_dropping_topics_cannot_help() -> None:
    for interview in (None, dt.date(2026, 12, 17)):
        plan = plan_with(minutes_per_day=0, interview_date=interview)
        assert not plan.fits
        assert (plan.new_cards_per_day, plan.affordable_per_day, plan.finish_date) == (0, 0, None)
        assert plan.drop_topics == ()


def test_all_topics_known_leaves_reviews_only() -> None:
    plan = plan_with(unseen_by_topic=(), interview_date=dt.date(2026, 12, 17), due_reviews=(4, 2))
    assert plan.fits and plan.cards_to_see == 0 and plan.new_cards_per_day == 0
    assert plan.finish_date == TODAY and plan.days_before_interview == 10
    assert plan.today_minutes == 2.0  # 4 reviews × 30 s
    assert plan.busiest_minutes == 2.0


def test_forecast_reviews_take_minutes_from_new_cards() -> None:
    # 12 reviews tomorrow: 90p + 360 ≤ 1200 → p ≤ 9.
    plan = plan_with(due_reviews=(0, 12))
    assert plan.new_cards_per_day == 9
    assert plan.finish_date == dt.date(2026, 12, 13)  # ⌈60 / 9⌉ = 7 days


def test_a_backlog_larger_than_the_minutes_leaves_no_room_today() -> None:
    plan = plan_with(due_reviews=(41,), interview_date=dt.date(2026, 12, 17))  # 41 × 30 s > 1200 s
    assert plan.affordable_per_day == 0 and not plan.fits


def test_consolidation_is_a_fifth_of_the_days_left_at_most_two_weeks() -> None:
    assert [consolidation_days(n) for n in (1, 4, 5, 10, 70, 71, 365)] == [0, 0, 1, 2, 14, 14, 14]


def test_fsrs_brings_a_new_card_back_on_growing_intervals() -> None:
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    days = review_days(None, start, dt.UTC, 400, scheduler_for(0.9, fuzz=False))
    assert days[0] == 0  # the learning step, later the same day
    gaps = [later - earlier for earlier, later in itertools.pairwise(days)]
    assert all(gap > 0 for gap in gaps) and gaps == sorted(gaps)
    assert all(day < 400 for day in days)


def test_the_review_forecast_counts_overdue_cards_today() -> None:
    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
    scheduler = scheduler_for(0.9, fuzz=False)
    # A card studied once, now in review and overdue since yesterday.
    learnt = compute_review(None, "easy", start - dt.timedelta(days=30), scheduler).state
    overdue = dataclasses.replace(learnt, due=start - dt.timedelta(days=1))
    counts = forecast_reviews([overdue], start, dt.UTC, 30, scheduler)
    assert len(counts) == 30 and counts[0] == 1
    assert sum(counts) == len(review_days(overdue, start, dt.UTC, 30, scheduler))
