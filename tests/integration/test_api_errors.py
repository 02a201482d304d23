"""Every failure under /api/ answers JSON `{"error": {"status", "message"}}`, on both databases: an
unexpected exception (500, rolled back, no traceback), a wrong method (405), a malformed body (400) and
an oversized one (413); pages keep their HTML error page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizapp.extensions import db
from quizapp.models import Topic

SECRET_DETAIL = "internal detail that must not leak"


def _half_write_then_fail() -> str:
    """A view that writes a row and then hits a bug, as a broken service would."""
    db.session.add(Topic(slug="half-written", title="Half written", position=99))
    db.session.flush()
    raise RuntimeError(SECRET_DETAIL)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The test app with two test-only routes that raise: one under /api/, one page."""
    app.add_url_rule(
        "/api/test-only/boom", "test_only_api_boom", _half_write_then_fail, methods=["GET", "POST"]
    )
    app.add_url_rule("/test-only/boom", "test_only_page_boom", _half_write_then_fail)
    return app


def error_of(response) -> str:
    assert response.is_json, response.get_data(as_text=True)[:300]
    assert response.json["error"]["status"] == response.status_code
    return response.json["error"]["message"]


def assert_no_traceback(response) -> None:
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and SECRET_DETAIL not in text and "RuntimeError" not in text


def topics_named(slug: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Topic).where(Topic.slug == slug))


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_exception_in_an_api_view_is_a_json_500_and_writes_nothing(
    failing_app: Flask, client: FlaskClient, method: str
) -> None:
    response = getattr(client, method)("/api/test-only/boom", json={})
    assert response.status_code == 500
    assert error_of(response)
    assert_no_traceback(response)
    assert topics_named("half-written") == 0


def test_an_exception_on_a_page_is_an_html_500_without_a_traceback(
    failing_app: Flask, client: FlaskClient
) -> None:
    response = client.get("/test-only/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert_no_traceback(response)
    assert topics_named("half-written") == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/reviews"),
        ("get", "/api/reviews/undo"),
        ("post", "/api/topics"),
        ("delete", "/api/review/next"),
        ("get", "/api/drills/adam/submissions"),
        ("put", "/api/submissions/1"),
        ("post", "/api/progress"),
    ],
)
def test_a_wrong_method_on_the_api_is_a_json_405(client: FlaskClient, auth, method: str, path: str) -> None:
    auth.register()
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert error_of(response)
    assert response.headers.get("Allow")


@pytest.mark.parametrize("path", ["/api/reviews", "/api/drills/adam/submissions"])
def test_a_malformed_json_body_is_a_json_400(client: FlaskClient, auth, path: str) -> None:
    auth.register()
    response = client.post(
        path, data='{"card": "gd-update-direction", "rating": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)
    assert_no_traceback(response)


def test_an_oversized_api_body_is_a_json_413(client: FlaskClient, auth) -> None:
    auth.register()
    huge = '{"card": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = client.post("/api/reviews", data=huge, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)
