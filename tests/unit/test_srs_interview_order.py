"""The review order before an interview: lowest predicted recall on the interview day first."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from support.srs_cards import NOW, new_card, review_card

from quizapp.srs.interview_order import interview_moment, order_for_interview


def test_order_for_interview_lowest_recall_on_that_day_first() -> None:
    interview = NOW + dt.timedelta(days=20)
    cards = [
        review_card("due-strong", stability=50, days_ago=30, due_in=-1),
        review_card("due-weak", stability=2, days_ago=3, due_in=-1),
        review_card("later-would-fade", stability=8, days_ago=1, due_in=5),
        review_card("later-stays", stability=400, days_ago=1, due_in=300),
        new_card("unseen"),
    ]
    without = order_for_interview(cards, interview, 0.9, include_not_due=False, now=NOW)
    assert [card.slug for card in without] == ["due-weak", "due-strong"]
    with_pull = order_for_interview(cards, interview, 0.9, include_not_due=True, now=NOW)
    assert [card.slug for card in with_pull] == ["due-weak", "later-would-fade", "due-strong"]


def test_order_for_interview_in_the_past_orders_by_recall_now() -> None:
    cards = [
        review_card("slightly-late", stability=10, days_ago=11, due_in=-1),
        review_card("very-late", stability=2, days_ago=12, due_in=-10),
    ]
    past = NOW - dt.timedelta(days=100)
    ordered = order_for_interview(cards, past, 0.9, include_not_due=False, now=NOW)
    assert [card.slug for card in ordered] == ["very-late", "slightly-late"]


def test_the_interview_starts_at_nine_in_the_persons_time_zone() -> None:
    moment = interview_moment(dt.date(2026, 3, 29), ZoneInfo("Europe/Berlin"))  # the day clocks go forward
    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC)
