"""The rating benchmark's floor route: absent unless BENCH_FLOOR_ROUTE is on; when on, it does a rating's
durable work (live login, CSRF, locked state update, one review row) and refuses bad input cleanly."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import login, make_user
from support.apps import make_app
from support.review_cards import make_bank, new_key

from quizapp.extensions import db
from quizapp.models import CardState, Review

CARD = "adam-beta-roles"


@pytest.fixture
def floor_client(app: Flask) -> Iterator[FlaskClient]:
    """A client of an app with the floor route on, on the `app` fixture's (emptied) database."""
    floor_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], BENCH_FLOOR_ROUTE=True)
    yield floor_app.test_client()
    with floor_app.app_context():
        db.engine.dispose()


def _reviews() -> int:
    return db.session.scalar(select(func.count(Review.id))) or 0


def _state() -> CardState:
    db.session.expire_all()
    state = db.session.scalar(select(CardState).where(CardState.card_slug == CARD))
    assert state is not None
    return state


def _token(client: FlaskClient) -> str:
    match = re.search(
        r'<meta name="csrf-token" content="([^"]+)"', client.get("/review").get_data(as_text=True)
    )
    assert match
    return match.group(1)


def test_the_floor_route_is_absent_by_default(app: Flask, client: FlaskClient) -> None:
    make_bank()
    login(client, make_user())
    assert not any(rule.rule.startswith("/bench") for rule in app.url_map.iter_rules())
    response = client.post("/bench/floor-rating", json={"card": CARD, "idempotency_key": new_key()})
    assert response.status_code == 404
    assert _reviews() == 0


def test_the_floor_locks_updates_and_inserts_once_per_key(floor_client: FlaskClient) -> None:
    make_bank()
    login(floor_client, make_user())
    floor_client.application.config["WTF_CSRF_ENABLED"] = True
    token = _token(floor_client)
    first = {"card": CARD, "rating": 3, "idempotency_key": new_key()}
    assert floor_client.post("/api/reviews", json=first, headers={"X-CSRFToken": token}).status_code == 201
    before = _state()
    version, reps, due = before.version, before.reps, before.due

    body = {"card": CARD, "idempotency_key": new_key()}
    assert floor_client.post("/bench/floor-rating", json=body).status_code == 400  # no CSRF token
    assert _reviews() == 1
    assert (
        floor_client.post("/bench/floor-rating", json=body, headers={"X-CSRFToken": token}).status_code == 201
    )
    after = _state()
    assert (after.version, after.reps) == (version + 1, reps + 1)
    assert after.due != due  # the indexed column a rating moves is written too
    assert _reviews() == 2
    newest = db.session.scalar(select(Review).order_by(Review.id.desc()).limit(1))
    assert newest.previous_state["reps"] == reps  # the state before, kept as a rating keeps it for undo
    again = floor_client.post("/bench/floor-rating", json=body, headers={"X-CSRFToken": token})
    assert again.status_code == 409
    assert (_state().version, _reviews()) == (version + 1, 2)  # the repeat left no trace


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"card": CARD},
        {"card": 7, "idempotency_key": "k"},
        {"card": CARD, "idempotency_key": ""},
        {"card": CARD, "idempotency_key": "k" * 65},
        {"card": "no-such-card", "idempotency_key": "k"},
        {"card": "gd-update-direction", "idempotency_key": "k"},  # a card never rated: no state row
    ],
)
def test_bad_floor_requests_are_refused_without_writing(floor_client: FlaskClient, body: object) -> None:
    make_bank()
    login(floor_client, make_user())
    response = floor_client.post("/bench/floor-rating", json=body, headers={"Accept": "application/json"})
    assert response.status_code in (400, 404)
    assert "error" in response.json
    assert _reviews() == 0


def test_the_floor_needs_a_login(floor_client: FlaskClient) -> None:
    make_bank()
    response = floor_client.post("/bench/floor-rating", json={"card": CARD, "idempotency_key": "k"})
    assert response.status_code == 401
    assert _reviews() == 0
