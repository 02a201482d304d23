"""Card actions on a card the learner never flagged, clicked twice at once (two tabs, a double click) on both
databases: every request succeeds on the one flag row, none answers 500 on the unique key."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.accounts import make_user
from support.races import race
from support.review_cards import make_bank
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import Card, CardFlag, User
from quizapp.services import card_browser

AT_ONCE = 4
ROUNDS = 3


@pytest.mark.parametrize("action", ["suspend", "bury", "unsuspend", "reset"])
def test_the_same_action_at_once_on_an_unflagged_card_makes_one_row(app: Flask, action: str) -> None:
    make_bank()
    user_id = make_user().id
    slugs = db.session.scalars(select(Card.slug).where(Card.retired.is_(False)).order_by(Card.slug)).all()
    for slug in slugs[:ROUNDS]:  # a card without a flag row each round

        def act(slug: str = slug) -> object:
            return committed(card_browser.act_on_card, db.session.get(User, user_id), action, slug)

        outcomes = race(app, *[act] * AT_ONCE)
        assert not [o for o in outcomes if isinstance(o, Exception)], (slug, outcomes)
        db.session.expire_all()
        rows = db.session.scalars(
            select(CardFlag).where(CardFlag.user_id == user_id, CardFlag.card_slug == slug)
        ).all()
        assert len(rows) == 1, slug
        assert rows[0].suspended is (action == "suspend")
        assert (rows[0].buried_until is not None) is (action == "bury")
    total = db.session.scalar(select(func.count()).select_from(CardFlag).where(CardFlag.user_id == user_id))
    assert total == ROUNDS
