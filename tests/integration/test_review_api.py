"""The review JSON API on both databases: topics with due counts, the next card with Anki-style button
intervals, rating (201, 200 on replay), undo, and JSON errors a person can act on."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.review_cards import LIVE_CARDS, bank_with_logged_in_user, new_key

from quizapp.extensions import db
from quizapp.models import Card, Review, User


@pytest.fixture
def user(app: Flask, client: FlaskClient) -> User:
    return bank_with_logged_in_user(client)


def post_review(client: FlaskClient, card: str, rating: object = 3, key: str | None = None, **extra: object):
    body = {"card": card, "rating": rating, "idempotency_key": key or new_key(), "duration_ms": 2100, **extra}
    return client.post("/api/reviews", json=body)


def error_of(response) -> str:
    assert response.is_json, response.data[:200]
    assert response.json["error"]["status"] == response.status_code
    return response.json["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/topics"),
        ("get", "/api/review/next"),
        ("post", "/api/reviews"),
        ("post", "/api/reviews/undo"),
    ],
)
def test_the_api_answers_401_json_when_logged_out(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert "Log in" in error_of(response)


def test_topics_list_their_due_counts(user: User, client: FlaskClient) -> None:
    post_review(client, "adam-beta-roles")
    topics = client.get("/api/topics").json["topics"]
    assert [t["slug"] for t in topics] == ["gd-basics", "adam-family"]
    adam = topics[1]
    assert adam["due"] == {"new": 4, "learning": 1, "review": 0, "total": 5}
    assert adam["url"] == "/review/adam-family"


def test_next_card_comes_with_counts_and_the_buttons_intervals(user: User, client: FlaskClient) -> None:
    data = client.get("/api/review/next").json
    assert data["counts"] == {"new": len(LIVE_CARDS), "learning": 0, "review": 0, "total": len(LIVE_CARDS)}
    card = data["card"]
    assert card["slug"] == "gd-update-direction" and card["queue"] == "new" and card["version"] == 0
    labels = {name: preview["label"] for name, preview in card["previews"].items()}
    assert labels["again"] == "1m" and labels["hard"] == "6m" and labels["good"] == "10m"
    assert labels["easy"].endswith("d")
    assert card["source"] == {"seed": "001_seed.txt", "section": "Adam"}


def test_next_card_of_one_topic_and_of_a_named_card(user: User, client: FlaskClient) -> None:
    assert client.get("/api/review/next?topic=adam-family").json["card"]["topic"] == "adam-family"
    named = client.get("/api/review/next?card=code-adam").json["card"]
    assert named["slug"] == "code-adam" and named["drill_url"] == "/drills/adam"
    assert "/api/topics" in error_of(client.get("/api/review/next?topic=nope"))
    assert client.get("/api/review/next?topic=nope").status_code == 404
    assert client.get("/api/review/next?card=nope").status_code == 404


def test_rating_answers_201_then_200_for_the_same_key(user: User, client: FlaskClient) -> None:
    key = new_key()
    first = post_review(client, "gd-update-direction", "good", key)
    assert first.status_code == 201
    body = first.json
    assert body["rating"] == "good" and body["replayed"] is False and body["interval"] == "10m"
    assert body["state"]["state"] == "learning" and body["version"] == 1
    again = post_review(client, "gd-update-direction", "good", key)
    assert again.status_code == 200 and again.json["replayed"] is True and again.json["id"] == body["id"]
    counts = client.get("/api/review/next").json["counts"]
    assert (counts["new"], counts["learning"]) == (len(LIVE_CARDS) - 1, 1)


def test_a_stale_version_answers_409(user: User, client: FlaskClient) -> None:
    assert post_review(client, "adam-beta-roles", 3, version=0).status_code == 201
    stale = post_review(client, "adam-beta-roles", 1, version=0)
    assert stale.status_code == 409 and "another tab" in error_of(stale)


@pytest.mark.parametrize(
    ("body", "status", "hint"),
    [
        ({"rating": 3, "idempotency_key": "0123456789"}, 400, "Missing field(s): card"),
        ({"card": "adam-beta-roles", "rating": "superb", "idempotency_key": "0123456789"}, 422, "1–4"),
        ({"card": "adam-beta-roles", "rating": "²", "idempotency_key": "0123456789"}, 422, "1–4"),
        ({"card": "adam-beta-roles", "rating": 7, "idempotency_key": "0123456789"}, 400, "rating"),
        ({"card": "adam-beta-roles", "rating": 3, "idempotency_key": "x"}, 400, "idempotency_key"),
        (
            {"card": "adam-beta-roles", "rating": 3, "idempotency_key": "0123456789", "version": "1"},
            400,
            "version",
        ),
        ({"card": "no-such-card", "rating": 3, "idempotency_key": "0123456789"}, 404, "no card named"),
    ],
)
def test_bad_ratings_get_json_errors_with_a_hint(
    user: User, client: FlaskClient, body: dict, status: int, hint: str
) -> None:
    response = client.post("/api/reviews", json=body)
    assert response.status_code == status
    assert hint in error_of(response)


def test_a_body_that_is_not_json_gets_400_with_an_example(user: User, client: FlaskClient) -> None:
    response = client.post("/api/reviews", data="rating=3", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "idempotency_key" in error_of(response)


def test_undo_takes_back_the_last_rating_once(user: User, client: FlaskClient) -> None:
    review_id = post_review(client, "gd-update-direction", "again").json["id"]
    undone = client.post("/api/reviews/undo", json={"review_id": review_id})
    assert undone.status_code == 200
    assert undone.json == {"card": "gd-update-direction", "rating": "again", "state": None}
    repeat = client.post("/api/reviews/undo", json={"review_id": review_id})
    assert repeat.status_code == 404 and "undone already" in error_of(repeat)
    assert client.get("/api/review/next").json["counts"]["new"] == len(LIVE_CARDS)
    assert client.post("/api/reviews/undo").status_code == 409


def test_a_basic_card_takes_no_typed_answer(user: User, client: FlaskClient) -> None:
    response = client.post("/api/cards/adam-beta-roles/check", json={"answer": "0.9"})
    assert response.status_code == 422 and "rate yourself" in error_of(response)
    assert client.post("/api/cards/adam-beta-roles/check", json={}).status_code == 400


def test_unknown_api_paths_answer_json_404(user: User, client: FlaskClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and error_of(response)


def test_the_review_page_renders_for_all_topics_and_one(user: User, client: FlaskClient) -> None:
    page = client.get("/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="review-session"' in html and "review.js" in html and "Gradient descent basics" in html
    assert client.get("/review/adam-family").status_code == 200
    assert client.get("/review/no-such-topic").status_code == 404


def test_the_review_page_sends_logged_out_people_to_log_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/review")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("card", "typed", "correct", "suggested"),
    [
        ("ema-window", "10", True, "good"),
        ("ema-window", "1e1", True, "good"),
        ("ema-window", "9", False, "again"),
        ("ema-window-formula", "1/(1 - beta)", True, "good"),
        ("ema-window-formula", "-1/(beta - 1)", True, "good"),
        ("ema-window-formula", "1/(1+beta)", False, "again"),
    ],
)
def test_typed_answers_are_checked_and_suggest_a_rating(
    user: User, client: FlaskClient, card: str, typed: str, correct: bool, suggested: str
) -> None:
    response = client.post(f"/api/cards/{card}/check", json={"answer": typed})
    assert response.status_code == 200
    body = response.json
    assert (body["correct"], body["suggested_rating"]) == (correct, suggested)
    assert body["expected_latex"] and body["message"]


def test_hostile_typed_input_is_a_wrong_answer_with_a_reason(user: User, client: FlaskClient) -> None:
    response = client.post("/api/cards/ema-window-formula/check", json={"answer": "__import__('os')"})
    assert response.status_code == 200 and response.json["correct"] is False
    assert response.json["message"]


def test_typed_cards_say_so_and_the_rating_records_the_checked_answer(
    user: User, client: FlaskClient
) -> None:
    card = client.get("/api/review/next?card=ema-window").json["card"]
    assert card["typed"] is True and card["kind"] == "numeric"
    response = post_review(client, "ema-window", 3, answer="9")  # the person overrides the suggestion
    assert response.status_code == 201
    stored = db.session.get(Review, response.json["id"])
    assert (stored.answer_given, stored.answer_correct, stored.rating) == ("9", False, 3)


def test_the_next_card_carries_its_texts_as_escaped_html_with_light_markup(
    user: User, client: FlaskClient
) -> None:
    card = db.session.get(Card, "adam-beta-roles")
    card.front = "Why **two** betas? <script>x()</script>"
    card.back = "The *first* is $\\beta_1 < 1$.\n\nSecond paragraph with `beta2`."
    db.session.commit()
    shown = client.get("/api/review/next?card=adam-beta-roles").json["card"]
    assert shown["slug"] == "adam-beta-roles"
    assert shown["front"] == card.front  # the source text is still there for API clients
    assert shown["front_html"] == "<p>Why <strong>two</strong> betas? &lt;script&gt;x()&lt;/script&gt;</p>"
    assert shown["back_html"] == (
        "<p>The <em>first</em> is $\\beta_1 &lt; 1$.</p>\n<p>Second paragraph with <code>beta2</code>.</p>"
    )


def test_undo_with_a_malformed_body_is_refused_and_undoes_nothing(user: User, client: FlaskClient) -> None:
    assert post_review(client, "adam-beta-roles").status_code == 201
    response = client.post("/api/reviews/undo", data='{"review_id": 17', content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in error_of(response)
    assert db.session.query(Review).count() == 1
