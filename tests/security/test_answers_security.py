"""Typed-answer checks cannot hold the server: costly expressions are refused before SymPy parses them,
each person has a per-minute budget of checks (429 after it), and a check that finds the checker busy is
answered "busy, try again" instead of waiting in line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.apps import make_app
from support.review_cards import make_bank, new_key

from quizapp.answers import check_answer, equivalence, symbolic
from quizapp.answers.checking import CHECKER_BUSY
from quizapp.extensions import db
from quizapp.models import Card, Review

ISSUE_EXPRESSION = "1/(1-beta1**t) + (beta1^3+3*beta1^2*t+3*beta1*t^2+t^3)^300 - (beta1+t)^900"
ADAM_BIAS = {"expr": "1/(1 - beta1**t)", "symbols": ["beta1", "t"]}
COSTLY = [
    (ISSUE_EXPRESSION, "Exponents are limited to 32"),
    ("*".join(["10**300"] * 15), "too large"),
    ("(beta1 + t)^20 * (beta1 - t)^20 * (1 + t)^30", "degree is too high"),
    ("2^2^2^2^2", "too large"),
    ("beta1^(4^3)", "Exponents are limited to 32"),
    ("1" * 150, "too large"),
    ("t*" * 24 + "t", "Too many factors"),
    ("t+" * 40 + "t", "Too many terms"),
]


@pytest.fixture
def no_sympy_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """SymPy parses only the card's own answer: whatever else is refused was refused before SymPy."""
    parse_expr = symbolic.parse_expr

    def parse_only_the_cards_answer(source: str, *args: object, **kwargs: object) -> object:
        assert source == ADAM_BIAS["expr"], f"SymPy was asked to parse {source[:40]!r}"
        return parse_expr(source, *args, **kwargs)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the checker process was asked to compare a costly expression")

    monkeypatch.setattr(symbolic, "parse_expr", parse_only_the_cards_answer)
    monkeypatch.setattr(equivalence, "equivalent", never)


@pytest.mark.parametrize(("typed", "reason"), COSTLY, ids=[c[1] for c in COSTLY])
def test_costly_expressions_are_refused_before_sympy_parses_them(
    no_sympy_parsing: None, typed: str, reason: str
) -> None:
    result = check_answer("symbolic", ADAM_BIAS, typed)
    assert not result.correct and result.normalized == ""
    assert reason in result.message


def test_every_expression_in_the_bank_passes_the_screen() -> None:
    questions = Path(__file__).resolve().parents[2] / "questions"
    answers = [
        card["answer"]
        for path in sorted(questions.glob("*.yaml"))
        for card in (yaml.safe_load(path.read_text()) or {}).get("cards", [])
        if card.get("kind") == "symbolic"
    ]
    assert answers
    for answer in answers:
        symbolic.parse_expression(answer["expr"], answer["symbols"])


def test_the_issues_expression_is_refused_through_the_api(app: Flask, client: FlaskClient) -> None:
    make_bank()
    db.session.get(Card, "ema-window-formula").answer = ADAM_BIAS
    db.session.commit()
    login(client, make_user())
    response = client.post("/api/cards/ema-window-formula/check", json={"answer": ISSUE_EXPRESSION})
    assert response.status_code == 200
    assert response.json["correct"] is False
    assert "Exponents are limited to 32" in response.json["message"]


@pytest.fixture
def limited_app(app: Flask) -> Iterator[Flask]:
    built = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_ENABLED=True, ANSWER_CHECKS_PER_MINUTE=3
    )
    yield built
    with built.app_context():
        db.engine.dispose()


def _client_of(site: Flask, username: str) -> FlaskClient:
    client = site.test_client()
    with site.app_context():
        login(client, make_user(username))
    return client


def test_answer_checks_are_rate_limited_per_person(app: Flask, limited_app: Flask) -> None:
    make_bank()
    ada, grace = _client_of(limited_app, "ada"), _client_of(limited_app, "grace")
    check = "/api/cards/ema-window/check"
    for _ in range(2):
        assert ada.post(check, json={"answer": "10"}).status_code == 200
    # A rating sent with a typed answer is checked again, so it spends the same budget...
    rated = {"card": "ema-window", "rating": 3, "idempotency_key": new_key(), "answer": "10"}
    assert ada.post("/api/reviews", json=rated).status_code == 201
    refused = ada.post(check, json={"answer": "10"})
    assert refused.status_code == 429
    assert "3 typed answers checked per minute" in refused.json["error"]["message"]
    # ...a rating without one does not, and nobody else's budget is touched.
    plain = {"card": "gd-update-direction", "rating": 3, "idempotency_key": new_key()}
    assert ada.post("/api/reviews", json=plain).status_code == 201
    assert (
        ada.post("/api/reviews", json=plain | {"idempotency_key": new_key(), "answer": "x"}).status_code
        == 429
    )
    assert grace.post(check, json={"answer": "10"}).status_code == 200


def test_a_check_that_finds_every_slot_taken_is_answered_busy_at_once(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_bank()
    login(client, make_user())
    monkeypatch.setattr(equivalence, "SLOTS_DIR", tmp_path)
    monkeypatch.setattr(equivalence, "CHECKS_AT_ONCE", 2)
    plain = {"card": "ema-window-formula", "rating": 3, "duration_ms": 900}
    with equivalence.checking_slot(), equivalence.checking_slot():  # two long checks elsewhere on the host
        busy = client.post("/api/cards/ema-window-formula/check", json={"answer": "1/(1-beta)"})
        rated = client.post(
            "/api/reviews", json=plain | {"idempotency_key": new_key(), "answer": "1/(1-beta)"}
        )
    assert busy.status_code == 200
    assert busy.json["correct"] is False and busy.json["message"] == CHECKER_BUSY
    # Not judged: no suggestion of Again, and the rating records no verdict on the answer.
    assert (busy.json["judged"], busy.json["suggested_rating"]) == (False, None)
    assert rated.status_code == 201
    review = db.session.get(Review, rated.json["id"])
    assert (review.answer_given, review.answer_correct) == ("1/(1-beta)", None)
    after = client.post("/api/cards/ema-window-formula/check", json={"answer": "1/(1-beta)"})
    assert (after.json["correct"], after.json["judged"], after.json["suggested_rating"]) == (
        True,
        True,
        "good",
    )


def test_a_slot_is_freed_when_its_check_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(equivalence, "SLOTS_DIR", tmp_path)
    with pytest.raises(RuntimeError), equivalence.checking_slot(slots=1):
        raise RuntimeError("the check blew up")
    with equivalence.checking_slot(slots=1, wait_s=0) as slot:
        assert slot == 0
    with equivalence.checking_slot(slots=1), pytest.raises(equivalence.CheckerBusy):  # noqa: SIM117
        with equivalence.checking_slot(slots=1, wait_s=0):
            pass
