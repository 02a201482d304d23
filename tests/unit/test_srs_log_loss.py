"""The log loss fitted weights are judged by: only reviews a day or more apart are scored."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from quizapp.srs.log_loss import RatingEvent, long_term_review_count, scheduler_log_loss

UTC = dt.UTC


def test_log_loss_scores_only_reviews_a_day_or_more_apart() -> None:
    start = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    events = [
        RatingEvent("a", 3, start),
        RatingEvent("a", 3, start + dt.timedelta(hours=1)),  # same day: not scored
        RatingEvent("a", 3, start + dt.timedelta(days=3)),
        RatingEvent("a", 1, start + dt.timedelta(days=20)),
    ]
    loss, scored = scheduler_log_loss(events, None)
    assert scored == 2
    assert long_term_review_count(events) == 2
    assert 0 < loss < 5
    assert math.isnan(scheduler_log_loss(events[:2], None)[0])


def test_the_loss_of_one_scored_review_is_the_cross_entropy_of_the_predicted_recall() -> None:
    from fsrs import Card, Rating, Scheduler

    start = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    later = start + dt.timedelta(days=3)
    scheduler = Scheduler(enable_fuzzing=False)
    card, _ = scheduler.review_card(Card(card_id=1, due=start), Rating.Good, start)
    recall = scheduler.get_card_retrievability(card, later)
    assert 0.5 < recall < 1
    remembered = [RatingEvent("a", 3, start), RatingEvent("a", 3, later)]
    forgotten = [RatingEvent("a", 3, start), RatingEvent("a", 1, later)]
    assert scheduler_log_loss(remembered, None) == (pytest.approx(-math.log(recall)), 1)
    assert scheduler_log_loss(forgotten, None) == (pytest.approx(-math.log(1 - recall)), 1)


def test_each_card_is_replayed_on_its_own() -> None:
    start = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    one_card = [RatingEvent("a", 3, start), RatingEvent("a", 3, start + dt.timedelta(days=3))]
    other_card = [RatingEvent("b", 3, start + dt.timedelta(days=2))]  # first review of b: nothing to score
    assert scheduler_log_loss(one_card + other_card, None) == scheduler_log_loss(one_card, None)
    assert long_term_review_count(one_card + other_card) == 1
