"""Review use cases on both databases: the due queue and its daily new-card limit, idempotent ratings,
the version lock between tabs, undo, drill hooks, and one person never touching another's schedule."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.accounts import make_user
from support.review_cards import LIVE_CARDS, make_bank, new_key
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import CardState, Review, User
from quizapp.services import review as reviews
from quizapp.services.errors import ServiceError

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def user(app: Flask) -> User:
    make_bank()
    return make_user()


def rate(user: User, slug: str, rating: object = 3, now: dt.datetime = NOW, **kwargs: object):
    return committed(reviews.review_card, user, slug, rating, new_key(), 1500, now=now, **kwargs)


def review_count(user: User) -> int:
    return db.session.scalar(select(func.count(Review.id)).where(Review.user_id == user.id)) or 0


def state_of(user: User, slug: str) -> CardState | None:
    db.session.expire_all()
    return db.session.scalar(
        select(CardState).where(CardState.user_id == user.id, CardState.card_slug == slug)
    )


# ------------------------------------------------------------------------------------------------ queue


def test_new_cards_come_in_bank_order_and_retired_cards_never(user: User) -> None:
    user.new_card_order = "topic"  # the mixed order is tested in test_daily.py
    db.session.commit()
    queue = reviews.due_queue(user, now=NOW)
    assert (queue.counts.new, queue.counts.learning, queue.counts.review) == (len(LIVE_CARDS), 0, 0)
    assert queue.next is not None and queue.next.card.slug == "gd-update-direction"  # first topic first
    assert queue.next.queue == "new" and queue.next.version == 0


def test_rating_a_new_card_moves_it_from_new_to_learning(user: User) -> None:
    rate(user, "gd-update-direction")
    counts = reviews.due_queue(user, now=NOW).counts
    assert (counts.new, counts.learning) == (len(LIVE_CARDS) - 1, 1)


def test_new_cards_stop_at_the_daily_limit(user: User) -> None:
    user.new_cards_per_day = 2
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).counts.new == 2
    rate(user, "gd-update-direction", 4)  # Easy: straight to review in days, out of today's queue
    rate(user, "adam-epsilon-placement", 4)
    queue = reviews.due_queue(user, now=NOW)
    assert queue.counts.total == 0 and queue.next is None
    assert queue.next_due_at == dt.datetime(2026, 11, 26, tzinfo=dt.UTC)  # tomorrow brings new cards


def test_the_daily_limit_resets_at_the_persons_local_midnight(user: User) -> None:
    # 10:00 UTC is 23:00 in Auckland (UTC+13 in November): their day ends an hour later.
    user.new_cards_per_day = 1
    user.timezone = "Pacific/Auckland"
    db.session.commit()
    rate(user, "gd-update-direction", 4)
    assert reviews.due_queue(user, now=NOW + dt.timedelta(minutes=30)).counts.new == 0
    assert reviews.due_queue(user, now=NOW + dt.timedelta(minutes=90)).counts.new == 1
    user.timezone = "UTC"
    db.session.commit()
    assert reviews.due_queue(user, now=NOW + dt.timedelta(minutes=90)).counts.new == 0


def test_due_learning_cards_come_first_then_reviews_then_new(user: User) -> None:
    rate(user, "adam-beta-roles", 1)  # Again: learning, due in 1 minute
    graduated = rate(user, "adam-epsilon-placement", 4)  # Easy: review state, due in days
    later = graduated.state.due + dt.timedelta(minutes=5)
    queue = reviews.due_queue(user, now=later)
    assert queue.next.card.slug == "adam-beta-roles" and queue.next.queue == "learning"
    assert (queue.counts.learning, queue.counts.review) == (1, 1)
    rate(user, "adam-beta-roles", 4, now=later)
    queue = reviews.due_queue(user, now=later)
    assert queue.next.card.slug == "adam-epsilon-placement" and queue.next.queue == "review"


def test_review_cards_due_later_today_are_due_now(user: User) -> None:
    rate(user, "gd-update-direction", 4)
    row = state_of(user, "gd-update-direction")
    row.due = NOW.replace(hour=22)
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).counts.review == 1
    row.due = NOW.replace(hour=22) + dt.timedelta(days=1)
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).counts.review == 0


def test_learning_cards_due_within_the_learn_ahead_window_are_shown_when_nothing_else_is_left(
    user: User,
) -> None:
    user.new_cards_per_day = 1
    db.session.commit()
    rate(user, "gd-update-direction", 3)  # learning step 2: due in 10 minutes
    queue = reviews.due_queue(user, now=NOW)
    assert queue.counts.learning == 1 and queue.next.card.slug == "gd-update-direction"
    row = state_of(user, "gd-update-direction")
    row.due = NOW + dt.timedelta(hours=1)
    db.session.commit()
    queue = reviews.due_queue(user, now=NOW)
    assert queue.next is None and queue.next_due_at == NOW + dt.timedelta(hours=1)


def test_a_topic_queue_holds_only_that_topics_cards(user: User) -> None:
    queue = reviews.due_queue(user, "adam-family", now=NOW)
    assert queue.counts.new == 5 and queue.next.card.topic_slug == "adam-family"
    with pytest.raises(ServiceError) as failure:
        reviews.due_queue(user, "no-such-topic", now=NOW)
    assert failure.value.status == 404


# ----------------------------------------------------------------------------------------------- rating


def test_rating_stores_the_review_and_the_new_state(user: User) -> None:
    result = rate(user, "adam-epsilon-placement", "good")
    assert not result.replayed and result.version == 1
    stored = db.session.get(Review, result.review_id)
    assert (stored.rating, stored.state_before, stored.previous_state, stored.duration_ms) == (
        3,
        0,
        None,
        1500,
    )
    row = state_of(user, "adam-epsilon-placement")
    assert (row.state, row.step, row.reps) == (1, 1, 1)
    assert row.due == NOW + dt.timedelta(minutes=10)


def test_a_replayed_key_counts_once_and_returns_the_stored_result(user: User) -> None:
    key = new_key()
    first = committed(reviews.review_card, user, "adam-beta-roles", 3, key, 900, now=NOW)
    again = committed(
        reviews.review_card, user, "adam-beta-roles", 3, key, 900, now=NOW + dt.timedelta(seconds=2)
    )
    assert again.replayed and again.review_id == first.review_id
    assert again.state == first.state
    assert review_count(user) == 1
    assert state_of(user, "adam-beta-roles").reps == 1


def test_a_key_reused_for_another_card_is_refused(user: User) -> None:
    key = new_key()
    committed(reviews.review_card, user, "adam-beta-roles", 3, key, None, now=NOW)
    with pytest.raises(ServiceError) as failure:
        committed(reviews.review_card, user, "gd-update-direction", 3, key, None, now=NOW)
    assert failure.value.status == 409 and "new key" in failure.value.message


def test_a_stale_tab_gets_a_conflict_and_writes_nothing(user: User) -> None:
    rate(user, "adam-beta-roles", 3, expected_version=0)  # first tab
    before = state_of(user, "adam-beta-roles")
    snapshot = (before.version, before.due, before.reps)
    with pytest.raises(ServiceError) as failure:
        rate(user, "adam-beta-roles", 1, expected_version=0)  # second tab still showed the new card
    assert failure.value.status == 409 and "rated meanwhile" in failure.value.message
    after = state_of(user, "adam-beta-roles")
    assert (after.version, after.due, after.reps) == snapshot
    assert review_count(user) == 1


@pytest.mark.parametrize(
    ("rating", "key", "duration", "message"),
    [
        (7, "0123456789", 10, "Unknown rating"),
        (3, "short", 10, "idempotency_key"),
        (3, "bad key with spaces", 10, "idempotency_key"),
        (3, "0123456789", -5, "duration_ms"),
        (3, "0123456789", "12", "duration_ms"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_writes_nothing(
    user: User, rating: object, key: str, duration: object, message: str
) -> None:
    with pytest.raises(ServiceError) as failure:
        committed(reviews.review_card, user, "adam-beta-roles", rating, key, duration, now=NOW)
    assert failure.value.status == 422 and message in failure.value.message
    assert review_count(user) == 0 and state_of(user, "adam-beta-roles") is None


def test_unknown_and_retired_cards_are_not_found(user: User) -> None:
    for slug in ("no-such-card", "gd-retired"):
        with pytest.raises(ServiceError) as failure:
            rate(user, slug)
        assert failure.value.status == 404


def test_long_durations_are_capped_at_an_hour(user: User) -> None:
    result = committed(reviews.review_card, user, "adam-beta-roles", 3, new_key(), 10**9, now=NOW)
    assert db.session.get(Review, result.review_id).duration_ms == reviews.MAX_STORED_DURATION_MS


def _in_threads(app: Flask, *calls) -> list[object]:
    """Run each call in its own thread (own app context and session), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                results[index] = call()
            except ServiceError as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_double_submit_from_two_threads_counts_once(app: Flask, user: User) -> None:
    user_id, key = user.id, new_key()

    def submit():
        return committed(
            reviews.review_card, db.session.get(User, user_id), "adam-beta-roles", 3, key, 700, now=NOW
        )

    first, second = _in_threads(app, submit, submit)
    assert not isinstance(first, ServiceError) and not isinstance(second, ServiceError), (first, second)
    assert first.review_id == second.review_id
    assert sorted([first.replayed, second.replayed]) == [False, True]
    assert review_count(user) == 1 and state_of(user, "adam-beta-roles").reps == 1


def test_two_tabs_rating_one_card_at_once_apply_only_one_rating(app: Flask, user: User) -> None:
    user_id = user.id
    rate(user, "adam-beta-roles", 4)  # a state row exists: both tabs saw version 1

    def submit(rating: int):
        def call():
            tab_user = db.session.get(User, user_id)
            return committed(
                reviews.review_card,
                tab_user,
                "adam-beta-roles",
                rating,
                new_key(),
                700,
                now=NOW,
                expected_version=1,
            )

        return call

    outcomes = _in_threads(app, submit(1), submit(4))
    conflicts = [o for o in outcomes if isinstance(o, ServiceError)]
    assert len(conflicts) == 1 and conflicts[0].status == 409
    row = state_of(user, "adam-beta-roles")
    assert row.version == 2 and row.reps == 2
    assert review_count(user) == 2


# ------------------------------------------------------------------------------------------------- undo


def test_undo_makes_a_new_card_new_again(user: User) -> None:
    result = rate(user, "adam-beta-roles")
    undone = committed(reviews.undo_last_review, user, result.review_id)
    assert undone.card_slug == "adam-beta-roles" and undone.restored is None
    assert state_of(user, "adam-beta-roles") is None and review_count(user) == 0
    assert reviews.due_queue(user, now=NOW).counts.new == len(LIVE_CARDS)


def test_undo_restores_the_state_before_the_last_rating(user: User) -> None:
    first = rate(user, "adam-beta-roles", 3)
    rate(user, "adam-beta-roles", 1, now=NOW + dt.timedelta(minutes=11))
    undone = committed(reviews.undo_last_review, user)
    assert undone.restored == first.state
    row = state_of(user, "adam-beta-roles")
    assert (row.state, row.step, row.due, row.reps) == (1, 1, first.state.due, 1)
    assert review_count(user) == 1


def test_undo_refuses_a_rating_that_is_no_longer_the_last(user: User) -> None:
    first = rate(user, "adam-beta-roles")
    rate(user, "gd-update-direction", now=NOW + dt.timedelta(seconds=5))
    with pytest.raises(ServiceError) as failure:
        committed(reviews.undo_last_review, user, first.review_id)
    assert failure.value.status == 409
    assert review_count(user) == 2


def test_undo_with_nothing_to_undo_is_a_conflict(user: User) -> None:
    with pytest.raises(ServiceError) as failure:
        committed(reviews.undo_last_review, user)
    assert failure.value.status == 409 and "no rating to undo" in failure.value.message


# ------------------------------------------------------------------------------------------ from drills


def test_a_diagnosed_mistake_puts_a_new_card_in_front_now(user: User) -> None:
    user.new_cards_per_day = 0
    db.session.commit()
    committed(reviews.make_card_due_now, user.id, "adam-epsilon-placement", now=NOW)
    queue = reviews.due_queue(user, now=NOW)
    assert queue.next.card.slug == "adam-epsilon-placement" and queue.next.queue == "learning"
    result = rate(user, "adam-epsilon-placement", 3)
    assert result.state.stability is not None and result.state.reps == 1


def test_a_diagnosed_mistake_pulls_a_scheduled_card_forward(user: User) -> None:
    rate(user, "adam-epsilon-placement", 4)
    committed(reviews.make_card_due_now, user.id, "adam-epsilon-placement", now=NOW + dt.timedelta(hours=1))
    row = state_of(user, "adam-epsilon-placement")
    assert row.due == NOW + dt.timedelta(hours=1) and row.state == 2


def test_a_passed_drill_counts_as_a_good_review_that_undo_leaves_alone(user: User) -> None:
    result = committed(reviews.record_drill_pass, user.id, "code-adam", now=NOW)
    stored = db.session.get(Review, result.review_id)
    assert (stored.rating, stored.origin) == (3, "drill")
    with pytest.raises(ServiceError):
        committed(reviews.undo_last_review, user)
    assert review_count(user) == 1


# ---------------------------------------------------------------------------------------- other people


def test_one_persons_ratings_never_touch_anothers_schedule(user: User) -> None:
    other = make_user("grace")
    key = new_key()
    mine = committed(reviews.review_card, user, "adam-beta-roles", 3, key, None, now=NOW)
    theirs = committed(
        reviews.review_card, other, "adam-beta-roles", 1, key, None, now=NOW
    )  # same key, other person
    assert not theirs.replayed and theirs.review_id != mine.review_id
    assert state_of(user, "adam-beta-roles").step == 1 and state_of(other, "adam-beta-roles").step == 0
    with pytest.raises(ServiceError) as failure:
        committed(reviews.undo_last_review, other, mine.review_id)
    assert failure.value.status == 404
    committed(reviews.undo_last_review, other)
    assert state_of(user, "adam-beta-roles") is not None and review_count(user) == 1


def test_with_an_interview_ahead_the_card_weakest_on_that_day_comes_first(user: User) -> None:
    for slug in ("adam-beta-roles", "adam-epsilon-placement"):
        rate(user, slug, 4)
    strong, weak = state_of(user, "adam-beta-roles"), state_of(user, "adam-epsilon-placement")
    strong.stability, strong.due = 80.0, NOW - dt.timedelta(hours=2)  # due first, but well remembered
    weak.stability, weak.due = 1.5, NOW - dt.timedelta(hours=1)
    strong.last_review = weak.last_review = NOW - dt.timedelta(days=3)
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).next.card.slug == "adam-beta-roles"
    user.interview_date = (NOW + dt.timedelta(days=10)).date()
    db.session.commit()
    queue = reviews.due_queue(user, now=NOW)
    assert queue.next.card.slug == "adam-epsilon-placement" and queue.counts.review == 2
    user.interview_date = (NOW - dt.timedelta(days=1)).date()  # a past interview changes nothing
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).next.card.slug == "adam-beta-roles"


def test_asked_to_pull_ahead_the_queue_adds_cards_that_would_be_forgotten_by_the_interview(
    user: User,
) -> None:
    at_risk, safe, seen_today = "adam-beta-roles", "adam-epsilon-placement", "gd-update-direction"
    for slug in (at_risk, safe, seen_today):
        rate(user, slug, 4)  # Easy: review cards, due in days
    rows = {slug: state_of(user, slug) for slug in (at_risk, safe, seen_today)}
    rows[at_risk].stability, rows[at_risk].due = 3.0, NOW + dt.timedelta(days=2)  # recall ≈ 0.7 in 10 days
    rows[safe].stability, rows[safe].due = 400.0, NOW + dt.timedelta(days=300)  # still ≈ 0.99 then
    rows[seen_today].stability, rows[seen_today].due = 3.0, NOW + dt.timedelta(days=2)
    rows[at_risk].last_review = rows[safe].last_review = NOW - dt.timedelta(days=1)
    rows[seen_today].last_review = NOW - dt.timedelta(hours=1)
    user.interview_date = (NOW + dt.timedelta(days=10)).date()
    db.session.commit()
    assert reviews.due_queue(user, now=NOW).counts.review == 0  # nothing is due today

    user.pull_ahead_for_interview = True
    db.session.commit()
    queue = reviews.due_queue(user, now=NOW)
    assert queue.counts.review == 1
    assert queue.next.card.slug == at_risk and queue.next.queue == "review"

    # Reviewed once today, a pulled card waits for tomorrow even if its recall is still short of the target.
    rate(user, at_risk, 2)
    queue = reviews.due_queue(user, now=NOW + dt.timedelta(minutes=1))
    assert queue.counts.review == 0 and (queue.next is None or queue.next.queue != "review")
    tomorrow = NOW + dt.timedelta(days=1)
    assert reviews.due_queue(user, now=tomorrow).counts.review == 2  # both short-lived cards come back
    user.interview_date = None  # no interview: nothing is pulled ahead
    db.session.commit()
    assert reviews.due_queue(user, now=tomorrow).counts.review == 0
