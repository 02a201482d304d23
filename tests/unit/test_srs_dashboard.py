"""The dashboard's statistics against small histories whose answers are worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from support.srs_cards import NOW, UTC, fsrs6_recall, new_card, review_card

from quizapp.srs import dashboard as stats
from quizapp.srs import scheduler_for
from quizapp.srs.dashboard import DrillInfo, ProgressInputs, ReviewRecord, SubmissionRecord, TopicInfo

PLAIN = scheduler_for(fuzz=False)


def rating(slug: str, value: int, days_ago: float, interval: float | None, topic: str = "t1") -> ReviewRecord:
    return ReviewRecord(slug, topic, value, NOW - dt.timedelta(days=days_ago), interval)


def test_mean_retrievability_ignores_unseen_cards() -> None:
    cards = [
        review_card("a", stability=10, days_ago=10, due_in=0),
        review_card("b", stability=5, days_ago=0, due_in=5),
        new_card("c"),
    ]
    assert stats.mean_retrievability(cards, NOW, PLAIN) == pytest.approx((0.9 + 1.0) / 2)
    assert stats.mean_retrievability([new_card("c")], NOW, PLAIN) is None


def test_card_counts_split_due_today_and_overdue_by_local_day() -> None:
    zone = ZoneInfo("Europe/Berlin")  # NOW is 16:00 local; local midnight tonight is 23:00 UTC
    cards = [
        review_card("due-tonight", stability=3, days_ago=3, due_in=7.9 / 24),  # 22:54 UTC
        review_card("due-tomorrow", stability=3, days_ago=3, due_in=8.5 / 24),  # 23:30 UTC = 00:30 local
        review_card("two-days-late", stability=3, days_ago=5, due_in=-2),
        review_card("due-this-morning", stability=3, days_ago=3, due_in=-0.25),  # 09:00 UTC today
        new_card("unseen"),
    ]
    counts = stats.card_counts(cards, NOW, zone)
    assert counts == stats.CardCounts(total=5, seen=4, new=1, due_today=3, overdue=1)


def test_true_retention_counts_only_mature_reviews_in_the_last_thirty_days() -> None:
    reviews = [
        rating("a", 3, days_ago=1, interval=21),  # mature, recalled
        rating("b", 2, days_ago=2, interval=40),  # mature, Hard still counts as recalled
        rating("c", 1, days_ago=3, interval=30),  # mature, forgotten
        rating("d", 4, days_ago=4, interval=20.9),  # young card: not counted
        rating("e", 3, days_ago=31, interval=50),  # outside the window
        rating("f", 1, days_ago=0.5, interval=None),  # new card
    ]
    retention = stats.true_retention(reviews, NOW)
    assert (retention.recalled, retention.total) == (2, 3)
    assert retention.rate == pytest.approx(2 / 3)
    assert stats.true_retention([], NOW).rate is None


def test_average_stability_over_seen_cards() -> None:
    cards = [
        review_card("a", stability=2, days_ago=1, due_in=1),
        review_card("b", stability=10, days_ago=1, due_in=9),
        new_card("c"),
    ]
    assert stats.average_stability(cards) == pytest.approx(6.0)
    assert stats.average_stability([new_card("c")]) is None


def test_due_forecast_puts_overdue_cards_on_today_and_spans_thirty_days() -> None:
    zone = ZoneInfo("UTC")
    cards = [
        review_card("late", stability=3, days_ago=9, due_in=-4),
        review_card("today", stability=3, days_ago=3, due_in=0.1),
        review_card("in-two", stability=3, days_ago=1, due_in=2),
        review_card("in-two-b", stability=3, days_ago=1, due_in=2.2),
        review_card("beyond", stability=90, days_ago=1, due_in=45),
        new_card("unseen"),
    ]
    forecast = stats.due_forecast(cards, NOW, zone)
    assert len(forecast) == 30
    assert forecast[0] == stats.DayCount(dt.date(2026, 3, 10), 2)
    assert forecast[2] == stats.DayCount(dt.date(2026, 3, 12), 2)
    assert sum(day.count for day in forecast) == 4


def test_reviews_per_day_uses_the_persons_timezone() -> None:
    zone = ZoneInfo("America/New_York")  # UTC−4 on 2026-03-10 (DST started on the 8th)
    reviews = [
        ReviewRecord("a", "t1", 3, dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)),  # 22:00 on the 9th locally
        ReviewRecord("a", "t1", 3, dt.datetime(2026, 3, 10, 5, 0, tzinfo=UTC)),  # 01:00 on the 10th
        ReviewRecord("b", "t1", 1, dt.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)),
    ]
    per_day = stats.reviews_per_day(reviews, zone, dt.date(2026, 3, 8), dt.date(2026, 3, 10))
    assert [(day.day.day, day.count) for day in per_day] == [(8, 0), (9, 1), (10, 2)]


def test_calendar_starts_on_a_monday_and_covers_whole_weeks() -> None:
    start = stats.calendar_start(dt.date(2026, 3, 10))
    assert start.weekday() == 0
    assert (dt.date(2026, 3, 9) - start).days == 52 * 7


def test_streak_survives_until_today_ends() -> None:
    day = dt.date(2026, 3, 1)
    series = [stats.DayCount(day + dt.timedelta(days=i), n) for i, n in enumerate([3, 0, 2, 5, 1, 0])]
    assert stats.streak_days(series) == 3
    assert stats.streak_days([*series[:-1], stats.DayCount(dt.date(2026, 3, 6), 4)]) == 4


def test_drill_attempts_and_passes_per_drill() -> None:
    drills = [DrillInfo("sgd", "t1", "SGD"), DrillInfo("adam", "t2", "Adam"), DrillInfo("lion", "t2", "Lion")]
    subs = [
        SubmissionRecord("adam", False, NOW),
        SubmissionRecord("adam", True, NOW),
        SubmissionRecord("adam", True, NOW),
        SubmissionRecord("sgd", False, NOW),
    ]
    result = {
        row.slug: (row.attempts, row.passed_attempts, row.passed)
        for row in stats.drill_attempts(drills, subs)
    }
    assert result == {"sgd": (1, 0, False), "adam": (3, 2, True), "lion": (0, 0, False)}


def test_weakest_cards_are_lowest_recall_first_with_lapses_breaking_ties() -> None:
    cards = [
        review_card("fresh", stability=10, days_ago=0, due_in=10),
        review_card("faded", stability=1, days_ago=20, due_in=-19),
        review_card("tie-many-lapses", stability=10, days_ago=10, due_in=0),
        review_card("tie-few-lapses", stability=10, days_ago=10, due_in=0),
        new_card("unseen"),
    ]
    memory = cards[2].memory
    assert memory is not None
    cards[2] = dataclasses.replace(cards[2], memory=dataclasses.replace(memory, lapses=3))
    weakest = stats.weakest_cards(cards, NOW, PLAIN, limit=3)
    assert [card.slug for card in weakest] == ["faded", "tie-many-lapses", "tie-few-lapses"]
    assert weakest[0].retrievability == pytest.approx(fsrs6_recall(20, 1))


def test_projected_recall_on_interview_day() -> None:
    cards = [review_card("a", stability=10, days_ago=0, due_in=10), new_card("b")]
    at = NOW + dt.timedelta(days=10)
    projection = stats.project_recall(cards, at, PLAIN)
    assert projection.mean_recall == pytest.approx(0.9)
    assert projection.expected_recalled == pytest.approx(0.9)
    assert projection.cards_total == 2


def test_build_report_overall_and_per_topic_numbers() -> None:
    inputs = ProgressInputs(
        now=NOW,
        timezone="UTC",
        desired_retention=0.9,
        topics=[TopicInfo("t1", "Topic one"), TopicInfo("t2", "Topic two")],
        cards=[
            review_card("a", "t1", stability=10, days_ago=10, due_in=0.2),
            new_card("b", "t1"),
            review_card("c", "t2", stability=5, days_ago=0, due_in=5),
        ],
        reviews=[rating("a", 3, 10, 25, "t1"), rating("c", 1, 0, 30, "t2"), rating("c", 3, 0.01, None, "t2")],
        drills=[DrillInfo("sgd", "t1", "SGD")],
        submissions=[SubmissionRecord("sgd", True, NOW)],
        interview_date=dt.date(2026, 3, 20),
    )
    report = stats.build_report(inputs)
    assert report.overall.counts == stats.CardCounts(total=3, seen=2, new=1, due_today=1, overdue=0)
    assert report.overall.retrievability_now == pytest.approx((0.9 + 1.0) / 2)
    assert (report.overall.true_retention.recalled, report.overall.true_retention.total) == (1, 2)
    assert [t.slug for t in report.topics] == ["t1", "t2"]
    t1, t2 = report.topics
    assert (t1.drills_passed, t1.drills_tried, t1.drills_total) == (1, 1, 1)
    assert t2.drills_total == 0
    assert t1.retrievability_now == pytest.approx(0.9)
    # interview at 09:00 UTC on the 20th: card c was last reviewed at 15:00 on the 10th, 9 whole days before
    assert t2.projection is not None
    assert t2.projection.mean_recall == pytest.approx(fsrs6_recall(9, 5))
    assert report.reviews_today == 2
    assert report.due_forecast[0].count == 1
    only_t2 = stats.build_report(inputs, topic="t2")
    assert only_t2.overall.title == "Topic two"
    assert only_t2.overall.counts.total == 1


def test_interval_at_review_prefers_the_scheduled_interval_of_the_state_before() -> None:
    from quizapp.services.progress import interval_at_review

    at = NOW
    before = {
        "due": (NOW - dt.timedelta(days=2)).isoformat(),
        "last_review": (NOW - dt.timedelta(days=32)).isoformat(),
    }
    assert interval_at_review(at, 2, before, NOW - dt.timedelta(days=32)) == pytest.approx(30)
    # no usable state before: the time since the card's previous review stands in for the interval
    assert interval_at_review(at, 2, {"state": 2}, NOW - dt.timedelta(days=21.5)) == pytest.approx(21.5)
    assert interval_at_review(at, 0, None, None) is None


def test_a_past_interview_date_projects_nothing() -> None:
    inputs = ProgressInputs(
        now=NOW,
        timezone="UTC",
        desired_retention=0.9,
        topics=[TopicInfo("t1", "Topic one")],
        cards=[review_card("a", stability=10, days_ago=1, due_in=9)],
        interview_date=dt.date(2026, 3, 9),
    )
    assert stats.build_report(inputs).overall.projection is None
    same_day = stats.build_report(
        ProgressInputs(**{**inputs.__dict__, "interview_date": dt.date(2026, 3, 10)})
    )
    assert same_day.overall.projection is not None
    assert same_day.overall.projection.at == NOW  # 09:00 has passed: recall is projected from now


def test_an_unknown_time_zone_counts_days_in_utc() -> None:
    cards = [review_card("due-at-23h", stability=3, days_ago=3, due_in=8 / 24)]  # 23:00 UTC today
    inputs = ProgressInputs(
        now=NOW,
        timezone="Mars/Olympus_Mons",
        desired_retention=0.9,
        topics=[TopicInfo("t1", "T")],
        cards=cards,
    )
    in_utc = stats.build_report(dataclasses.replace(inputs, timezone="UTC"))
    report = stats.build_report(inputs)
    assert report.overall.counts == in_utc.overall.counts and report.overall.counts.due_today == 1
    assert report.due_forecast == in_utc.due_forecast
