"""The srs layer over FSRS-6: intervals grow with Good, Again sends a card to relearning, the previews are
what rating applies (fuzz off), labels read like Anki's, and days follow the person's time zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from support.srs_cards import NOW, fsrs6_recall, review_card

from quizapp import srs
from quizapp.srs import MemoryState, Rating

NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
PLAIN = srs.scheduler_for(0.9, fuzz=False)


def graduate(rating: Rating = Rating.Good) -> MemoryState:
    """A new card rated until it reaches the review state."""
    state = srs.compute_review(None, rating, NOON, PLAIN).state
    while state.state != 2:
        state = srs.compute_review(state, rating, state.due, PLAIN).state
    return state


def test_new_card_good_enters_learning_with_the_second_step() -> None:
    outcome = srs.compute_review(None, Rating.Good, NOON, PLAIN)
    assert outcome.previous is None
    assert (outcome.state.state, outcome.state.step) == (1, 1)
    assert outcome.interval == dt.timedelta(minutes=10)
    assert outcome.state.reps == 1 and outcome.state.last_review == NOON


def test_intervals_grow_with_each_good_review() -> None:
    state = graduate()
    intervals = []
    for _ in range(4):
        outcome = srs.compute_review(state, Rating.Good, state.due, PLAIN)
        intervals.append(outcome.interval)
        state = outcome.state
    assert all(later > earlier for earlier, later in itertools.pairwise(intervals))
    assert intervals[0] >= dt.timedelta(days=1)


def test_again_on_a_review_card_sends_it_to_relearning_and_counts_a_lapse() -> None:
    state = graduate()
    outcome = srs.compute_review(state, Rating.Again, state.due, PLAIN)
    assert outcome.state.state == 3  # relearning
    assert outcome.state.step == 0
    assert outcome.interval == dt.timedelta(minutes=10)
    assert outcome.state.lapses == state.lapses + 1
    assert outcome.state.stability < state.stability


@pytest.mark.parametrize("rounds", [0, 1, 3])
def test_previews_equal_what_rating_applies_without_fuzz(rounds: int) -> None:
    state: MemoryState | None = None
    now = NOON
    for _ in range(rounds):
        state = srs.compute_review(state, Rating.Good, now, PLAIN).state
        now = state.due
    previews = srs.preview_intervals(state, now, srs.scheduler_for(0.9, fuzz=True))
    assert set(previews) == set(Rating)
    for rating, interval in previews.items():
        assert srs.compute_review(state, rating, now, PLAIN).interval == interval


def test_fuzz_only_spreads_review_intervals_a_little() -> None:
    state = graduate()
    at = state.due + dt.timedelta(days=30)
    fuzzy = srs.scheduler_for(0.9, fuzz=True)
    plain_days = srs.compute_review(state, Rating.Good, at, PLAIN).interval.days
    fuzzed = {srs.compute_review(state, Rating.Good, at, fuzzy).interval.days for _ in range(40)}
    assert len(fuzzed) > 1
    assert all(abs(days - plain_days) <= 0.15 * plain_days + 1 for days in fuzzed)


def test_higher_desired_retention_gives_shorter_intervals() -> None:
    state = graduate()
    strict = srs.compute_review(state, Rating.Good, state.due, srs.scheduler_for(0.97, fuzz=False))
    relaxed = srs.compute_review(state, Rating.Good, state.due, srs.scheduler_for(0.8, fuzz=False))
    assert strict.interval < relaxed.interval


def test_retrievability_is_about_the_desired_retention_when_due() -> None:
    state = graduate()
    assert srs.retrievability(state, state.last_review) == pytest.approx(1.0)
    assert srs.retrievability(state, state.due) == pytest.approx(0.9, abs=0.02)
    assert srs.retrievability(None, NOON) == 0.0


def test_retrievability_equals_ninety_percent_after_one_stability_span() -> None:
    memory = review_card("a", stability=10, days_ago=10, due_in=0).memory
    assert srs.retrievability(memory, NOW, PLAIN) == pytest.approx(0.9)


def test_retrievability_follows_the_fsrs6_curve_in_whole_days() -> None:
    memory = review_card("a", stability=4, days_ago=9.5, due_in=-5).memory
    assert srs.retrievability(memory, NOW, PLAIN) == pytest.approx(fsrs6_recall(9, 4))


def test_retrievability_refuses_naive_times_and_reads_other_zones_as_the_same_instant() -> None:
    memory = review_card("a", stability=4, days_ago=3.9, due_in=1).memory
    assert memory is not None and memory.last_review is not None
    with pytest.raises(ValueError, match="timezone-aware"):
        srs.retrievability(memory, NOW.replace(tzinfo=None), PLAIN)
    # 3.9 days ago in UTC is 4 calendar days ago in Tokyo, but elapsed time is counted in whole days
    tokyo = dataclasses.replace(memory, last_review=memory.last_review.astimezone(ZoneInfo("Asia/Tokyo")))
    assert srs.retrievability(tokyo, NOW.astimezone(ZoneInfo("America/Denver")), PLAIN) == pytest.approx(
        fsrs6_recall(3, 4)
    )


def test_retrievability_of_a_state_without_stability_is_zero() -> None:
    learning = MemoryState(state=1, step=0, stability=None, difficulty=None, due=NOON, last_review=None)
    assert srs.retrievability(learning, NOON) == 0.0


def test_memory_state_survives_a_json_round_trip() -> None:
    state = graduate()
    assert MemoryState.from_dict(state.to_dict()) == state


def test_a_stored_state_without_offsets_is_read_as_utc() -> None:
    stored = {"state": 2, "due": "2026-03-02T12:00:00", "last_review": "2026-03-01T12:00:00+00:00"}
    state = MemoryState.from_dict(stored)
    assert state.due == NOON and state.last_review == NOON - dt.timedelta(days=1)
    assert (state.step, state.stability, state.reps, state.lapses) == (None, None, 0, 0)


@pytest.mark.parametrize("due", ["9999-99-99", "2026-03-02\x00", "x" * 100_000, None])
def test_a_stored_state_with_a_broken_time_is_refused(due: object) -> None:
    with pytest.raises(ValueError, match="expected an ISO 8601 time"):
        MemoryState.from_dict({"state": 2, "due": due})


@pytest.mark.parametrize(
    ("state", "name"),
    [(None, "new"), (0, "new"), (1, "learning"), (2, "review"), (3, "relearning"), (9, "unknown")],
)
def test_state_names_are_fsrs_card_types_as_a_learner_reads_them(state: int | None, name: str) -> None:
    assert srs.state_name(state) == name


def test_a_lapsed_card_is_named_relearning() -> None:
    lapsed = srs.compute_review(graduate(), Rating.Again, NOON + dt.timedelta(days=30), PLAIN).state
    assert srs.state_name(lapsed.state) == "relearning"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, Rating.Again), ("2", Rating.Hard), ("good", Rating.Good), ("EASY", Rating.Easy), (Rating.Good, 3)],
)
def test_ratings_are_read_from_numbers_and_names(value: object, expected: Rating) -> None:
    assert srs.parse_rating(value) == expected


@pytest.mark.parametrize("value", [0, 5, "meh", None, True, 2.5, ""])
def test_unknown_ratings_are_refused_with_a_hint(value: object) -> None:
    with pytest.raises(ValueError, match="1–4 or again, hard, good, easy"):
        srs.parse_rating(value)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        srs.compute_review(None, Rating.Good, dt.datetime(2026, 1, 1, 12))


def test_times_in_other_zones_are_read_as_the_same_instant() -> None:
    berlin = NOON.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert srs.compute_review(None, Rating.Good, berlin, PLAIN) == srs.compute_review(
        None, Rating.Good, NOON, PLAIN
    )


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (dt.timedelta(seconds=30), "<1m"),
        (dt.timedelta(minutes=1), "1m"),
        (dt.timedelta(minutes=10), "10m"),
        (dt.timedelta(hours=1, minutes=30), "1.5h"),
        (dt.timedelta(days=1), "1d"),
        (dt.timedelta(days=12, hours=5), "12d"),
        (dt.timedelta(days=96), "3.2mo"),
        (dt.timedelta(days=90), "3mo"),
        (dt.timedelta(days=400), "1.1y"),
    ],
)
def test_interval_labels_read_like_anki(interval: dt.timedelta, label: str) -> None:
    assert srs.interval_label(interval) == label


def test_local_day_starts_at_local_midnight() -> None:
    # 03:30 UTC is still the previous evening in New York (UTC-5 in March before DST).
    late = dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC)
    start, end = srs.local_day_window(late, "America/New_York")
    assert start == dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC)
    assert srs.local_day_window(late, "UTC")[0] == dt.datetime(2026, 3, 3, tzinfo=dt.UTC)


def test_a_day_across_the_dst_change_is_23_hours_long() -> None:
    start, end = srs.local_day_window(dt.datetime(2026, 3, 8, 18, tzinfo=dt.UTC), "America/New_York")
    assert end - start == dt.timedelta(hours=23)


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "America", "../../etc/passwd", "UTC\x00", "x" * 5000, ""]
)
def test_unknown_time_zones_fall_back_to_utc(zone: str) -> None:
    assert srs.local_day_window(NOON, zone) == srs.local_day_window(NOON, "UTC")


def test_out_of_range_retention_is_refused_and_bad_weights_fall_back_to_defaults() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        srs.scheduler_for(1.5)
    assert srs.scheduler_for(0.9, parameters=[0.1] * 3).parameters == srs.scheduler_for(0.9).parameters
