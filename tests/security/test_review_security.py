"""Review API security: POSTs need the CSRF token (the page sends it as X-CSRFToken), one person can never
see or change another's ratings, and card text is never injected as HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import login, make_user
from support.review_cards import make_bank, new_key

from quizapp.extensions import db
from quizapp.models import Card, Review


def _token_from_page(client: FlaskClient) -> str:
    html = client.get("/review").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page carries the CSRF token in a meta tag"
    return match.group(1)


def _rating(card: str = "adam-beta-roles") -> dict[str, object]:
    return {"card": card, "rating": 3, "idempotency_key": new_key(), "duration_ms": 1000}


def _reviews() -> int:
    return db.session.scalar(select(func.count(Review.id))) or 0


@pytest.mark.parametrize("path", ["/api/reviews", "/api/reviews/undo", "/api/cards/ema-window/check"])
def test_api_posts_without_the_csrf_token_are_refused(app: Flask, client: FlaskClient, path: str) -> None:
    make_bank()
    login(client, make_user())
    app.config["WTF_CSRF_ENABLED"] = True  # CSRFProtect reads the setting on each request
    response = client.post(path, json=_rating() | {"answer": "10"})
    assert response.status_code == 400
    assert "security token" in response.json["error"]["message"]
    assert _reviews() == 0


def test_api_posts_with_the_pages_csrf_header_are_accepted(app: Flask, client: FlaskClient) -> None:
    make_bank()
    login(client, make_user())
    app.config["WTF_CSRF_ENABLED"] = True
    token = _token_from_page(client)
    response = client.post("/api/reviews", json=_rating(), headers={"X-CSRFToken": token})
    assert response.status_code == 201
    wrong = client.post("/api/reviews", json=_rating(), headers={"X-CSRFToken": token[:-4] + "abcd"})
    assert wrong.status_code == 400
    assert _reviews() == 1


def test_another_persons_rating_cannot_be_undone_or_replayed(app: Flask, client: FlaskClient) -> None:
    make_bank()
    ada, grace = make_user("ada"), make_user("grace")
    login(client, ada)
    body = _rating()
    ada_review = client.post("/api/reviews", json=body).json
    login(client, grace)
    undo = client.post("/api/reviews/undo", json={"review_id": ada_review["id"]})
    assert undo.status_code == 404
    replay = client.post("/api/reviews", json=body)  # same key as Ada's: a new review of Grace's own
    assert replay.status_code == 201 and replay.json["id"] != ada_review["id"]
    assert client.get("/api/review/next").json["counts"]["learning"] == 1  # only Grace's card
    login(client, ada)
    assert client.post("/api/reviews/undo", json={"review_id": ada_review["id"]}).status_code == 200
    assert _reviews() == 1  # Grace's review is untouched


def test_card_text_reaches_the_page_escaped(app: Flask, client: FlaskClient) -> None:
    make_bank()
    login(client, make_user())
    card = db.session.get(Card, "gd-update-direction")
    card.front = "<img src=x onerror=alert(1)> $x$"
    db.session.commit()
    shown = client.get("/api/review/next").json["card"]
    assert shown["front"].startswith("<img")  # JSON carries the raw text for API clients
    assert shown["front_html"] == "<p>&lt;img src=x onerror=alert(1)&gt; $x$</p>"  # what the page inserts
    script = (Path(app.static_folder or "") / "review.js").read_text()
    # The page puts HTML only from the server's escaping renderer into the document, nothing else.
    assert script.count("innerHTML") == 1
    inserted = re.findall(r"setProse\(els\.\w+, ([^)]+)\)", script)
    assert inserted == ["card.front_html", "session.card.back_html"]
