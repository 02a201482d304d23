"""Two undos of one rating racing on two connections: exactly one takes it back, the other is told 409.

Real concurrency on both databases: two threads, each with its own app context, session and connection,
released together by a barrier; repeated, since a race that is lost once in a while is still a bug.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select
from support.accounts import make_user
from support.races import race
from support.review_cards import make_bank, new_key
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import CardState, Review, User
from quizapp.services import review as reviews
from quizapp.services.errors import ServiceError
from quizapp.services.review import UndoResult

ROUNDS = 12


def _undo_as(user_id: int, review_id: int | None) -> Callable[[], UndoResult]:
    return lambda: committed(reviews.undo_last_review, db.session.get(User, user_id), review_id)


def _counts(user_id: int) -> tuple[int, int]:
    db.session.expire_all()
    review_rows = db.session.scalar(select(func.count(Review.id)).where(Review.user_id == user_id))
    state_rows = db.session.scalar(select(func.count()).where(CardState.user_id == user_id))
    return review_rows or 0, state_rows or 0


def test_two_concurrent_undos_of_one_rating_take_it_back_once(app: Flask) -> None:
    make_bank()
    user = make_user()
    user_id = user.id
    # Two cards rated: an undo that went through twice would also take back the first card's rating.
    committed(reviews.review_card, user, "gd-update-direction", 3, new_key(), 900)
    for round_number in range(ROUNDS):
        rated = committed(reviews.review_card, user, "adam-beta-roles", 3, new_key(), 900)
        undo = _undo_as(user_id, rated.review_id)  # as the page sends it: the id of the rating to undo
        outcomes = race(app, undo, undo)
        undone = [o for o in outcomes if isinstance(o, UndoResult)]
        refused = [o for o in outcomes if isinstance(o, ServiceError)]
        assert len(undone) == 1 and len(refused) == 1, (round_number, outcomes)
        # 409 when both read the rating before either deleted it; 404 when the loser only looked later.
        assert refused[0].status in (404, 409), refused[0].message
        assert _counts(user_id) == (1, 1), round_number  # only the other card's rating and state remain
