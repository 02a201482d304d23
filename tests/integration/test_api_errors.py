"""Every failure under /api/ answers JSON `{"error": {"status", "message"}}`, on both databases: an
unexpected exception (500, rolled back, no traceback), a service's refusal (ServiceError: its status and
message, rolled back), an anonymous request (401, before anything else), a wrong method (405), a malformed
body (400) and an oversized one (413); pages keep their HTML error page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import login, make_user

from quizapp.errors import NOT_LOGGED_IN
from quizapp.extensions import db
from quizapp.models import Topic
from quizapp.services.errors import ServiceError

SECRET_DETAIL = "internal detail that must not leak"
REFUSAL = "That cannot be done twice; reload the page."


def _half_write() -> None:
    db.session.add(Topic(slug="half-written", title="Half written", position=99))
    db.session.flush()


def _half_write_then_fail() -> str:
    """A view that writes a row and then hits a bug, as a broken service would."""
    _half_write()
    raise RuntimeError(SECRET_DETAIL)


def _half_write_then_refuse() -> str:
    """A view whose service writes a row and then refuses the request."""
    _half_write()
    raise ServiceError(409, REFUSAL)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The test app with test-only routes that raise, under /api/ and as pages: a bug and a refusal."""
    app.add_url_rule(
        "/api/test-only/boom", "test_only_api_boom", _half_write_then_fail, methods=["GET", "POST"]
    )
    app.add_url_rule("/test-only/boom", "test_only_page_boom", _half_write_then_fail)
    app.add_url_rule("/api/test-only/refused", "test_only_api_refused", _half_write_then_refuse)
    app.add_url_rule("/test-only/refused", "test_only_page_refused", _half_write_then_refuse)
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


def test_a_service_error_under_the_api_is_its_json_status_and_writes_nothing(
    failing_app: Flask, client: FlaskClient
) -> None:
    response = client.get("/api/test-only/refused")
    assert response.status_code == 409
    assert response.json == {"error": {"status": 409, "message": REFUSAL}}
    assert topics_named("half-written") == 0


def test_a_service_error_on_a_page_is_the_error_page_with_its_message(
    failing_app: Flask, client: FlaskClient
) -> None:
    response = client.get("/test-only/refused")
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>409</h1>" in page and "That cannot be done twice; reload the page." in page
    assert topics_named("half-written") == 0
    asked_for_json = client.get("/test-only/refused", headers={"Accept": "application/json"})
    assert asked_for_json.json == {"error": {"status": 409, "message": REFUSAL}}


def test_a_service_error_status_is_an_http_error_status() -> None:
    for status in (200, 302, 399, 600):
        with pytest.raises(ValueError, match="400-599"):
            ServiceError(status, "no")
    assert ServiceError(404, "There is no card named 'x'.").message == "There is no card named 'x'."


# One request per area that the area's service refuses: each answers through the one app-wide handler.
REFUSED_API = [
    ("get", "/api/review/next?topic=no-such-topic", 404, "There is no topic named 'no-such-topic'"),
    ("get", "/api/review/next?card=no-such-card", 404, "There is no card named 'no-such-card'"),
    ("post", "/api/cards/no-such-card/suspend", 404, "There is no card named 'no-such-card'"),
    ("post", "/api/reviews/undo", 409, "There is no rating to undo."),
    ("get", "/api/submissions/987654", 404, "There is no submission #987654 of yours."),
    ("get", "/api/mock-interviews/987654", 404, "There is no mock interview #987654 of yours."),
    ("get", "/api/drills/no-such-drill/solution", 404, "There is no drill named 'no-such-drill'"),
    ("get", "/api/progress/no-such-topic", 404, "There is no topic called 'no-such-topic'"),
]


@pytest.mark.parametrize(("method", "path", "status", "message"), REFUSED_API)
def test_each_api_area_answers_its_services_refusals_as_json(
    client: FlaskClient, method: str, path: str, status: int, message: str
) -> None:
    login(client, make_user())
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert error_of(response).startswith(message)


REFUSED_PAGES = [
    ("/review/no-such-topic", "There is no topic named &#39;no-such-topic&#39;"),
    ("/cards/no-such-card", "There is no card &#39;no-such-card&#39;."),
    ("/interview/987654", "There is no mock interview #987654 of yours."),
    ("/submissions/987654", "There is no submission #987654 of yours."),
    ("/drills/no-such-drill", "There is no drill named &#39;no-such-drill&#39;"),
    ("/progress/no-such-topic", "There is no topic called &#39;no-such-topic&#39;"),
    ("/progress/focus?cards=no-such-card", "These cards do not exist (any more): no-such-card."),
]


@pytest.mark.parametrize(("path", "message"), REFUSED_PAGES)
def test_each_page_shows_its_services_refusals_on_the_error_page(
    client: FlaskClient, path: str, message: str
) -> None:
    login(client, make_user())
    response = client.get(path)
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"<h1>{response.status_code}</h1>" in page and response.status_code in (400, 404)
    assert message in page


def _api_requests(app: Flask) -> list[tuple[str, str]]:
    """(method, path) for every route under /api/ but the public document, with sample path values."""
    requests = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api_spec.document":
            continue
        path = re.sub(r"<int:[^>]+>", "1", re.sub(r"<(?:string:)?[^<>:]+>", "adam", rule.rule))
        requests += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return requests


def test_every_api_route_answers_an_anonymous_request_401_before_reading_it(
    app: Flask, client: FlaskClient
) -> None:
    requests = _api_requests(app)
    assert len(requests) >= 20  # every area's routes, not an empty loop
    for method, path in requests:
        # A malformed body too: the login check comes first and tells nothing about the request shapes.
        response = client.open(path, method=method, data="{not json", content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json == {"error": {"status": 401, "message": NOT_LOGGED_IN}}, (method, path)
