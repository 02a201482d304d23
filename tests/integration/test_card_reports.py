"""Reporting a problem with a card on both databases: POST /api/cards/<slug>/reports (201, 400, 404, 401,
429 per person, CSRF), the card's page showing the reporter their report, and `quizapp cards reports`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.apps import make_app
from support.review_cards import bank_with_logged_in_user, make_bank

from quizapp.bank.model import content_version
from quizapp.extensions import db
from quizapp.models import Card, CardReport, User
from quizapp.services.card_reports import MAX_REASON_CHARS

REASON = "The back says 0.9, but PyTorch's RMSprop defaults to alpha=0.99."


@pytest.fixture
def user(app: Flask, client: FlaskClient) -> User:
    return bank_with_logged_in_user(client)


def post_report(
    client: FlaskClient, slug: str = "adam-beta-roles", reason: object = REASON, **kwargs: object
):
    body = kwargs.pop("json", {"reason": reason})
    return client.post(f"/api/cards/{slug}/reports", json=body, **kwargs)


def reports() -> list[CardReport]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(CardReport).order_by(CardReport.id)))


def error_of(response) -> str:
    assert response.is_json, response.data[:200]
    assert response.json["error"]["status"] == response.status_code
    return response.json["error"]["message"]


def test_a_report_is_stored_with_the_cards_content_version(client: FlaskClient, user: User) -> None:
    response = post_report(client, reason=f"  {REASON}\n")
    assert response.status_code == 201
    body = response.get_json()
    card = db.session.get(Card, "adam-beta-roles")
    version = content_version(card.kind, card.front, card.back, card.answer)
    assert body["card"] == "adam-beta-roles" and body["status"] == "open"
    assert body["reason"] == REASON  # trimmed
    assert body["card_version"] == version
    assert response.headers["Location"] == body["card_url"] == "/cards/adam-beta-roles"
    [stored] = reports()
    assert (stored.user_id, stored.card_slug, stored.reason, stored.card_version) == (
        user.id,
        "adam-beta-roles",
        REASON,
        version,
    )


def test_the_stored_version_follows_the_bank_sync_when_it_set_one(client: FlaskClient, user: User) -> None:
    card = db.session.get(Card, "ema-window")
    card.content_version = "0123456789abcdef"
    db.session.commit()
    assert post_report(client, slug="ema-window").get_json()["card_version"] == "0123456789abcdef"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"reason": ""}, "Say what is wrong"),
        ({"reason": " \n\t "}, "Say what is wrong"),
        # Shapes the OpenAPI document rules out are answered by the request validator.
        ({"reason": 42}, "reason must be string, not an integer"),
        ({"reason": None}, "reason must be string, not null"),
        ({}, "Missing field(s): reason"),
        (["reason"], "send a JSON object"),
        ({"reason": "x" * (MAX_REASON_CHARS + 1)}, f"keep it to {MAX_REASON_CHARS} at most"),
    ],
)
def test_a_missing_empty_or_overlong_reason_is_400_and_stores_nothing(
    client: FlaskClient, user: User, body: object, words: str
) -> None:
    response = post_report(client, json=body)
    assert response.status_code == 400
    assert words in error_of(response)
    assert reports() == []


def test_the_longest_reason_is_accepted_after_trimming(client: FlaskClient, user: User) -> None:
    reason = "y" * MAX_REASON_CHARS
    assert post_report(client, reason=f"  {reason}  ").status_code == 201
    assert reports()[0].reason == reason


def test_a_body_that_is_not_json_is_400(client: FlaskClient, user: User) -> None:
    response = client.post(
        "/api/cards/adam-beta-roles/reports", data="reason=wrong", content_type="text/plain"
    )
    assert response.status_code == 400
    assert "JSON object" in error_of(response)


@pytest.mark.parametrize("slug", ["no-such-card", "gd-retired"])
def test_an_unknown_or_retired_card_is_404(client: FlaskClient, user: User, slug: str) -> None:
    response = post_report(client, slug=slug)
    assert response.status_code == 404
    assert "There is no card" in error_of(response)
    assert reports() == []


def test_reporting_needs_a_login(app: Flask, client: FlaskClient) -> None:
    make_bank()
    response = post_report(client)
    assert response.status_code == 401
    assert "Log in" in error_of(response)
    assert client.get("/cards/adam-beta-roles").status_code == 302  # the page sends people to log in


@pytest.fixture
def protected_client(database_urls: dict[str, str], backend: str, app: Flask) -> Iterator[FlaskClient]:
    """A client of an app with rate limiting and CSRF on (the `app` fixture has both off)."""
    protected = make_app(database_urls[backend], RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True)
    with protected.app_context():
        make_bank()
        yield protected.test_client()
        db.session.remove()
        db.engine.dispose()


def _csrf_header(client: FlaskClient, path: str = "/review") -> dict[str, str]:
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
    return {"X-CSRFToken": token.group(1)}


def _signed_up(client: FlaskClient, username: str) -> None:
    token = re.search(
        r'name="csrf-token" content="([^"]+)"', client.get("/auth/register").get_data(as_text=True)
    )
    form = {"username": username, "password": "pw-long-enough-1", "confirm": "pw-long-enough-1"}
    assert client.post("/auth/register", data={**form, "csrf_token": token.group(1)}).status_code == 302


def test_a_report_without_the_csrf_token_is_refused(protected_client: FlaskClient) -> None:
    _signed_up(protected_client, "cyd")
    forged = post_report(protected_client)
    assert forged.status_code == 400
    assert "security token" in error_of(forged)
    assert reports() == []
    assert post_report(protected_client, headers=_csrf_header(protected_client)).status_code == 201


def test_reports_are_rate_limited_per_person(protected_client: FlaskClient) -> None:
    _signed_up(protected_client, "cyd")
    headers = _csrf_header(protected_client)
    statuses = [post_report(protected_client, headers=headers).status_code for _ in range(6)]
    assert statuses == [201] * 5 + [429]
    limited = post_report(protected_client, headers=headers)
    assert limited.status_code == 429
    assert "wait a minute" in error_of(limited)
    assert len(reports()) == 5

    # Someone else is not limited by cyd's reports (own app context: a fresh `g`, no cached login or token).
    with protected_client.application.app_context():
        other = protected_client.application.test_client()
        _signed_up(other, "dee")
        assert post_report(other, headers=_csrf_header(other)).status_code == 201


def test_the_card_page_shows_the_card_memory_state_and_the_reporters_own_reports(
    app: Flask, client: FlaskClient, user: User
) -> None:
    page = client.get("/cards/adam-epsilon-placement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert r"What does Adam divide $\hat m_t$ by?" in html  # math left for KaTeX
    assert "Source: 001_seed.txt — Adam" in html
    assert "New: you have not reviewed this card yet." in html
    assert "You have not reported a problem with this card." in html

    post_report(client, slug="adam-epsilon-placement", reason="<script>alert(1)</script> is wrong")
    html = client.get("/cards/adam-epsilon-placement").get_data(as_text=True)
    assert "Received" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is wrong" in html and "<script>alert(1)" not in html

    other = app.test_client()
    login(other, make_user("eve"))
    assert "is wrong" not in other.get("/cards/adam-epsilon-placement").get_data(as_text=True)


def test_the_card_page_shows_the_memory_state_after_a_review(client: FlaskClient, user: User) -> None:
    review = {"card": "adam-beta-roles", "rating": 3, "idempotency_key": "review-key-1"}
    assert client.post("/api/reviews", json=review).status_code == 201
    html = client.get("/cards/adam-beta-roles").get_data(as_text=True)
    assert re.search(r'data-testid="memory-state">(learning|review)<', html)
    assert "Reviews</dt><dd>1 (0 lapses)" in html


def test_an_unknown_card_page_is_404(client: FlaskClient, user: User) -> None:
    response = client.get("/cards/no-such-card")
    assert response.status_code == 404
    assert "There is no card" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_lists_reports_with_the_card_text_and_resolves_one(
    app: Flask, client: FlaskClient, user: User
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["cards", "reports"]).output.strip() == "No reports."
    first = post_report(client).get_json()["id"]
    second = post_report(client, slug="ema-window", reason="Tolerance too loose.").get_json()["id"]

    listed = runner.invoke(args=["cards", "reports"])
    assert listed.exit_code == 0, listed.output
    assert f"#{first} [open] adam-beta-roles by ada" in listed.output
    assert f"reason: {REASON}" in listed.output
    assert r"front:  What do $\beta_1$ and $\beta_2$ set?" in listed.output
    assert "back:   The two EMA decays." in listed.output
    assert "2 reports." in listed.output

    past_the_column = runner.invoke(args=["cards", "reports", "--resolve", str(2**80)])
    assert past_the_column.exit_code == 2 and "is not in the range" in past_the_column.output
    resolved = runner.invoke(args=["cards", "reports", "--resolve", str(first)])
    assert resolved.exit_code == 0 and f"Report #{first} on adam-beta-roles resolved." in resolved.output
    again = runner.invoke(args=["cards", "reports", "--resolve", str(first)])
    assert again.exit_code == 0 and "was already resolved" in again.output

    open_only = runner.invoke(args=["cards", "reports", "--open"])
    assert f"#{second} [open] ema-window" in open_only.output and f"#{first} " not in open_only.output
    assert "1 open reports." in open_only.output
    assert f"#{first} [resolved]" in runner.invoke(args=["cards", "reports"]).output
    assert reports()[0].resolved_at is not None
    assert "Resolved" in client.get("/cards/adam-beta-roles").get_data(as_text=True)


def test_cli_resolving_an_unknown_report_is_a_clear_error_with_exit_2(app: Flask, user: User) -> None:
    result = app.test_cli_runner().invoke(args=["cards", "reports", "--resolve", "999"])
    assert result.exit_code == 2
    assert "There is no report #999." in result.output


def test_cli_marks_a_report_whose_card_changed_since(app: Flask, client: FlaskClient, user: User) -> None:
    post_report(client)
    card = db.session.get(Card, "adam-beta-roles")
    card.back = "beta1 sets the first moment's decay, beta2 the second's."
    db.session.commit()
    assert "(the card has changed since)" in app.test_cli_runner().invoke(args=["cards", "reports"]).output
    assert "the card has changed since" in client.get("/cards/adam-beta-roles").get_data(as_text=True)
