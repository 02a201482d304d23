"""Malformed input gets a clear 4xx, never a 500, on SQLite and PostgreSQL (where NUL bytes and numbers
wider than the columns used to fail the query): NUL in URL slugs, query strings, form fields, JSON bodies
and import files; ids beyond the id columns; datetimes that overflow on conversion to UTC; JSON nested
100,000 deep; typed answers of fifteen `10**300` factors. Nothing is written by a refused request."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import login, make_user
from support.progress_history import make_bank, seed_history
from support.review_cards import make_bank as make_review_bank
from support.review_cards import new_key

from quizapp.extensions import db
from quizapp.models import Review, Submission, User
from quizapp.services import history

DEEP_JSON = "[" * 100_000 + "]" * 100_000
HUGE_PRODUCT = "*".join(["10**300"] * 15)


@pytest.fixture
def ada(app: Flask, client: FlaskClient) -> User:
    make_review_bank()
    user = make_user("ada")
    login(client, user)
    return user


@pytest.fixture
def drills_bank(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["questions", "load"])
    assert result.exit_code == 0, result.output


def error_of(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.is_json, response.get_data(as_text=True)[:300]
    return response.json["error"]["message"]


def rows(model: type) -> int:
    db.session.rollback()  # read what is committed now
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# ------------------------------------------------------------------------------------------------ NUL


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/cards/ema-%00window/check"),
        ("post", "/api/drills/ad%00am/submissions"),
        ("get", "/api/progress/adam%00-family"),
        ("get", "/drills/ad%00am"),
        ("get", "/drills/adam%00/submissions"),
        ("get", "/review/%00"),
        ("get", "/progress/adam-family%00"),
    ],
)
def test_a_slug_with_a_nul_byte_names_nothing(client: FlaskClient, ada: User, method: str, path: str) -> None:
    response = getattr(client, method)(path, json={"answer": "1", "code": "x = 1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/review/next?topic=%00",
        "/api/review/next?card=ema-window%00",
        "/api/topics?x=%00",
        "/review?card=%00",
        "/progress/focus?cards=ema-window,%00",
        "/auth/login?next=%00",
    ],
)
def test_a_query_string_with_a_nul_byte_is_refused(client: FlaskClient, ada: User, path: str) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "NUL" in error_of(response)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/auth/login", {"username": "ada\x00", "password": "whatever-it-is"}),
        (
            "/auth/register",
            {"username": "b\x00b", "password": "pw-long-enough-1", "confirm": "pw-long-enough-1"},
        ),
        ("/progress/focus", {"card": "ema-window\x00", "rating": "3", "idempotency_key": "k" * 12}),
    ],
)
def test_a_form_field_with_a_nul_byte_is_refused(
    client: FlaskClient, ada: User, path: str, form: dict
) -> None:
    response = client.post(path, data=form, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "NUL" in error_of(response)
    assert rows(Review) == 0 and rows(User) == 1


# What is not text in a JSON string: NUL (PostgreSQL text cannot hold it) and a lone surrogate (`"\\ud800"` is
# valid JSON, but no database driver, nor the sandbox's files, can encode it).
NOT_TEXT = {"NUL": "\x00", "lone surrogate": "\ud800"}


@pytest.mark.parametrize("problem", list(NOT_TEXT))
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/reviews", {"card": "ema-window{}", "rating": 3, "idempotency_key": new_key()}),
        ("/api/reviews", {"card": "ema-window", "rating": 3, "idempotency_key": new_key(), "answer": "1{}"}),
        ("/api/reviews", {"card": "ema-window", "rating": "go{}od", "idempotency_key": new_key()}),
        ("/api/cards/ema-window/check", {"answer": "10{}"}),
        ("/api/drills/adam/submissions", {"code": "def step(theta):\n    return theta  # {}\n"}),
        ("/api/drills/adam/submissions", {"code": "x = 1", "fram{}ework": "numpy"}),
    ],
)
def test_a_json_string_that_is_not_text_is_refused(
    client: FlaskClient, ada: User, drills_bank: None, path: str, body: dict, problem: str
) -> None:
    def spoil(text: str) -> str:
        return text.replace("{}", NOT_TEXT[problem])

    response = client.post(
        path,
        json={spoil(key): spoil(value) if isinstance(value, str) else value for key, value in body.items()},
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert problem in error_of(response)
    assert rows(Review) == 0 and rows(Submission) == 0


def test_a_json_string_with_a_surrogate_pair_is_text(
    client: FlaskClient, ada: User, drills_bank: None
) -> None:
    """An escaped pair (an emoji written as two \\u escapes) decodes to one character and is accepted."""
    body = json.dumps({"code": "x = 1  # \U0001f600"})  # ensure_ascii: the emoji as \\ud83d\\ude00
    assert "\\ud83d\\ude00" in body
    response = client.post("/api/drills/adam/submissions", data=body, content_type="application/json")
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    assert db.session.get(Submission, response.get_json()["id"]).code == "x = 1  # \U0001f600"


# ------------------------------------------------------------------------------------------------ ids


@pytest.mark.parametrize(
    "path",
    [
        "/api/submissions/2147483648",  # one beyond PostgreSQL's INTEGER
        "/api/submissions/9223372036854775808",
        "/api/submissions/" + "9" * 5000,  # more digits than Python converts
        "/submissions/2147483648",
        "/submissions/18446744073709551616/result",
        "/submissions/" + "9" * 5000 + "/compare",
    ],
)
def test_an_id_beyond_the_id_columns_is_not_found(client: FlaskClient, ada: User, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("review_id", [0, -1, 2**31, 2**63, 10**30, True, "17"])
def test_undo_with_an_impossible_review_id_is_refused(
    client: FlaskClient, ada: User, review_id: object
) -> None:
    response = client.post("/api/reviews/undo", json={"review_id": review_id})
    assert response.status_code == 400
    assert "review_id" in error_of(response)


def test_a_number_of_thousands_of_digits_is_refused_before_parsing_it(client: FlaskClient, ada: User) -> None:
    body = '{"review_id": ' + "9" * 5000 + "}"
    response = client.post("/api/reviews/undo", data=body, content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in error_of(response)


# ------------------------------------------------------------------------------------------- JSON shape


@pytest.mark.parametrize(
    "path",
    ["/api/reviews", "/api/reviews/undo", "/api/cards/ema-window/check", "/api/drills/adam/submissions"],
)
def test_json_nested_100k_deep_is_refused(client: FlaskClient, ada: User, path: str) -> None:
    response = client.post(path, data=DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in error_of(response)


@pytest.mark.parametrize("body", ['{"answer": NaN}', '{"answer": "1", "answer": Infinity}'])
def test_json_with_non_numbers_is_refused(client: FlaskClient, ada: User, body: str) -> None:
    response = client.post("/api/cards/ema-window/check", data=body, content_type="application/json")
    assert response.status_code == 400 and "not a JSON number" in error_of(response)


def test_every_problem_of_a_body_is_listed_in_one_answer(client: FlaskClient, ada: User) -> None:
    body = {"card": "Not A Slug", "rating": True, "duration_ms": -5, "idempotency_key": "x", "extra": 1}
    message = error_of(client.post("/api/reviews", json=body))
    for field in ("card", "rating", "duration_ms", "idempotency_key", "extra"):
        assert field in message
    assert "/api/openapi.json" in message
    assert rows(Review) == 0


def test_an_oversized_body_stays_413(client: FlaskClient, ada: User) -> None:
    body = json.dumps({"answer": "1" * (2 * 1024 * 1024)})
    response = client.post("/api/cards/ema-window/check", data=body, content_type="application/json")
    assert response.status_code == 413


# ----------------------------------------------------------------------------------------------- import


def _import(client: FlaskClient, document: str | bytes) -> tuple[int, str]:
    raw = document.encode() if isinstance(document, str) else document
    response = client.post(
        "/progress/import",
        data={"history": (io.BytesIO(raw), "history.json")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def export(app: Flask) -> dict:
    make_bank()
    owner = make_user("owner")
    seed_history(owner)
    return history.export_history(owner)


@pytest.mark.parametrize("moment", ["9999-12-31T23:30:00-05:00", "0001-01-01T00:30:00+05:00"])
def test_an_import_with_a_time_beyond_utc_years_is_refused(
    client: FlaskClient, export: dict, moment: str
) -> None:
    login(client, make_user("grace"))
    export["reviews"][0]["reviewed_at"] = moment
    status, page = _import(client, json.dumps(export))
    assert status == 400 and "expected a time from 2000 to 2200" in page
    assert (
        db.session.scalar(select(func.count()).select_from(Review).where(Review.idempotency_key == "x")) == 0
    )


def test_an_import_with_nul_bytes_or_deep_nesting_is_refused(client: FlaskClient, export: dict) -> None:
    grace = make_user("grace")
    login(client, grace)
    reviews_before = rows(Review)
    export["reviews"][0]["answer_given"] = "1\x00"
    status, page = _import(client, json.dumps(export))
    assert status == 400 and "NUL" in page
    status, page = _import(client, '{"format": "quizapp-history", "reviews": ' + DEEP_JSON + "}")
    assert status == 400 and "nested more than 32 levels" in page
    assert rows(Review) == reviews_before


def test_an_import_with_numbers_wider_than_the_columns_is_refused(client: FlaskClient, export: dict) -> None:
    login(client, make_user("grace"))
    export["reviews"][0]["duration_ms"] = 10**30
    status, page = _import(client, json.dumps(export))
    assert status == 400 and "reviews[0].duration_ms" in page


# ------------------------------------------------------------------------------------------ typed answers


@pytest.mark.parametrize("card", ["ema-window", "ema-window-formula"])
def test_a_typed_answer_of_fifteen_huge_factors_gets_a_clear_answer(
    client: FlaskClient, ada: User, card: str
) -> None:
    checked = client.post(f"/api/cards/{card}/check", json={"answer": HUGE_PRODUCT})
    assert checked.status_code < 500
    if checked.status_code == 200:
        assert checked.json["correct"] is False and checked.json["message"]
    else:
        assert error_of(checked)
    rated = client.post(
        "/api/reviews", json={"card": card, "rating": 1, "idempotency_key": new_key(), "answer": HUGE_PRODUCT}
    )
    assert rated.status_code < 500
