"""Undoing the rating that made a card a leech undoes the leech mark and the suspension it caused, and only
those: flags the card had before that rating stay, and a later manual unsuspend is never taken back (undo
clears flags, it never sets one). Both databases, through the JSON API and the services."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.races import race
from support.review_cards import bank_with_logged_in_user, new_key
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import CardFlag, Review, User
from quizapp.services import card_browser, review
from quizapp.services.errors import ServiceError
from quizapp.srs import Rating

SLUG = "ema-window"


@pytest.fixture
def user(app: Flask, client: FlaskClient) -> User:
    person = bank_with_logged_in_user(client)
    person.leech_threshold = 2  # leech on the 2nd lapse, then again on every lapse after (half of 2)
    db.session.commit()
    return person


def lapse(user: User, now: dt.datetime) -> tuple[review.ReviewResult, dt.datetime]:
    """Rate the card Easy, then Again a month later (a lapse); returns the Again's result."""
    committed(review.review_card, user, SLUG, 4, new_key(), None, now=now)
    now += dt.timedelta(days=30)
    again = committed(review.review_card, user, SLUG, 1, new_key(), None, now=now)
    return again, now + dt.timedelta(days=1)


def flags(user: User) -> tuple[bool, bool]:
    """(suspended, leech) of the card; no row is neither."""
    db.session.expire_all()
    row = db.session.scalar(select(CardFlag).where(CardFlag.user_id == user.id, CardFlag.card_slug == SLUG))
    return (row.suspended, row.leech) if row else (False, False)


def test_undoing_the_rating_that_made_a_leech_unsuspends_and_unmarks_it(
    client: FlaskClient, user: User
) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    first, now = lapse(user, now)
    assert not first.leech and flags(user) == (False, False)
    second, now = lapse(user, now)
    assert second.leech and flags(user) == (True, True)
    assert SLUG in card_browser.leech_slugs(user)

    undone = client.post("/api/reviews/undo", json={"review_id": second.review_id})
    assert undone.status_code == 200 and undone.json["card"] == SLUG and undone.json["rating"] == "again"
    assert flags(user) == (False, False)
    assert card_browser.leeches(user) == []
    assert client.get("/api/cards?state=suspended").get_json()["cards"] == []
    # The other lapse's rating is the last one now; undoing it (no leech then) leaves the flags alone.
    assert committed(review.undo_last_review, user).rating == Rating.Easy
    assert flags(user) == (False, False)


def test_a_leech_suspended_again_by_a_new_lapse_goes_back_to_the_flags_it_had(user: User) -> None:
    """An unsuspended leech that lapses again is suspended again (Anki); undo lifts only that suspension."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    for _ in range(2):
        _, now = lapse(user, now)
    committed(card_browser.act_on_cards, user, "unsuspend", [SLUG])
    assert flags(user) == (False, True)
    third, now = lapse(user, now)
    assert third.leech and flags(user) == (True, True)
    committed(review.undo_last_review, user, third.review_id)
    assert flags(user) == (False, True)


def test_a_card_suspended_before_the_rating_stays_suspended(user: User) -> None:
    """A leeches session studies suspended leeches: its lapse re-marks the card, and undo keeps both flags."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
    for _ in range(2):
        _, now = lapse(user, now)
    assert flags(user) == (True, True)
    third, now = lapse(user, now)
    assert third.leech
    committed(review.undo_last_review, user, third.review_id)
    assert flags(user) == (True, True)


def test_a_manually_suspended_card_that_becomes_a_leech_stays_suspended_after_undo(user: User) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    _, now = lapse(user, now)
    committed(card_browser.act_on_cards, user, "suspend", [SLUG])
    second, now = lapse(user, now)
    assert second.leech and flags(user) == (True, True)
    committed(review.undo_last_review, user, second.review_id)
    assert flags(user) == (True, False)


def test_undo_after_a_manual_unsuspend_does_not_suspend_again(user: User) -> None:
    """The rule: undo only clears the flags that rating set; a flag the person already cleared stays clear."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    _, now = lapse(user, now)
    second, now = lapse(user, now)
    committed(card_browser.act_on_cards, user, "unsuspend", [SLUG])
    committed(card_browser.act_on_cards, user, "reset", [SLUG])  # no longer a leech either
    assert flags(user) == (False, False)
    committed(review.undo_last_review, user, second.review_id)
    assert flags(user) == (False, False)


def test_a_second_undo_of_the_leech_rating_changes_nothing(user: User) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    _, now = lapse(user, now)
    second, now = lapse(user, now)
    committed(review.undo_last_review, user, second.review_id)
    committed(card_browser.act_on_cards, user, "suspend", [SLUG])  # the person's own choice, after the undo
    with pytest.raises(ServiceError) as refused:
        committed(review.undo_last_review, user, second.review_id)
    assert refused.value.status == 404
    assert flags(user) == (True, False)
    assert db.session.get(Review, second.review_id) is None


def test_a_leech_moved_to_another_account_by_export_and_import_can_still_be_undone(user: User) -> None:
    """The card flags and each rating's `flags_before` travel in the history export: after an import, undoing
    the rating that made the card a leech lifts the suspension in the new account too."""
    from support.accounts import make_user

    from quizapp.services import history

    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    _, now = lapse(user, now)
    second, now = lapse(user, now)
    assert second.leech
    exported = history.export_history(user)
    assert [(row["card_slug"], row["suspended"], row["leech"]) for row in exported["card_flags"]] == [
        (SLUG, True, True)
    ]
    grace = make_user("grace")
    committed(history.import_history, grace, exported)
    assert flags(grace) == (True, True)
    moved = db.session.scalar(
        select(Review.id)
        .where(Review.user_id == grace.id, Review.rating == 1)
        .order_by(Review.reviewed_at.desc())
    )
    committed(review.undo_last_review, grace, moved)
    assert flags(grace) == (False, False)
    assert flags(user) == (True, True)  # the exporting account is untouched


@pytest.mark.parametrize("stored", [["suspended"], "leech", 7, {"suspended": "no", "leech": 0}])
def test_a_malformed_flags_before_clears_nothing(user: User, stored: object) -> None:
    """Written by hand into the database (the app never stores these): undo still works and clears only
    flags recorded as plainly False."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    _, now = lapse(user, now)
    second, now = lapse(user, now)
    db.session.get(Review, second.review_id).flags_before = stored
    db.session.commit()
    committed(review.undo_last_review, user, second.review_id)
    assert flags(user) == (True, True)


def test_an_undo_racing_a_manual_unsuspend_leaves_the_card_unsuspended(app: Flask, user: User) -> None:
    """Whichever goes first, the card ends unsuspended and still a leech (it was one before the rating);
    the undo's flag write is one UPDATE that only clears, so it cannot lose the person's change."""
    user_id, now = user.id, dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    for _ in range(2):
        _, now = lapse(user, now)
    committed(card_browser.act_on_cards, user, "unsuspend", [SLUG])
    for round_number in range(4):
        again, now = lapse(user, now)
        assert again.leech and flags(user) == (True, True), round_number

        def undo(review_id: int = again.review_id) -> object:
            return committed(review.undo_last_review, db.session.get(User, user_id), review_id)

        def unsuspend() -> object:
            return committed(card_browser.act_on_cards, db.session.get(User, user_id), "unsuspend", [SLUG])

        outcomes = race(app, undo, unsuspend)
        assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
        assert flags(user) == (False, True), round_number
        assert db.session.get(Review, again.review_id) is None
