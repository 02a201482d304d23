"""What a person reads when a request fails: the page scripts' one fetch helper (static/lib/http.js) shows
the server's own JSON error message, a plain sentence when the server cannot be reached or answers without
JSON, and a rating that failed can be retried with the same key and counts once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, Response, Route, expect
from sqlalchemy import func, select
from support.apps import LiveServer
from support.browser import register_and_log_in

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Review

pytestmark = [pytest.mark.browser]

CARD = "adam-update-rule"
REVIEWS_API = "**/api/reviews"


@pytest.fixture
def app(live_server: LiveServer) -> Iterator[Flask]:
    yield live_server.app
    jobs.shutdown(live_server.app)


def open_revealed_card(page: Page) -> None:
    register_and_log_in(page)
    page.goto(f"/review?card={CARD}")
    expect(page.locator(".rv-card")).to_have_attribute("data-card", CARD)
    if page.locator(".rv-typed").is_visible():
        page.keyboard.press("Escape")
    page.keyboard.press("Space")
    expect(page.locator(".rv-back")).to_be_visible()


def posted_to(response: Response, path: str) -> bool:
    return response.url.endswith(path) and response.request.method == "POST"


def review_count(app: Flask) -> int:
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Review)) or 0
        db.session.remove()
    return total


def rate_good_and_see_it_counted(page: Page, app: Flask) -> None:
    page.keyboard.press("3")
    expect(page.locator(".rv-status")).to_contain_text("Rated good")
    expect(page.locator(".rv-error")).to_be_hidden()
    assert review_count(app) == 1


def test_the_servers_json_error_message_is_shown(page: Page, app: Flask) -> None:
    open_revealed_card(page)
    token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale-token'")
    with page.expect_response(lambda r: posted_to(r, "/api/reviews")) as answer:
        page.keyboard.press("3")
    response = answer.value
    sent = response.request.headers
    assert (sent["x-csrftoken"], sent["content-type"]) == ("stale-token", "application/json")
    assert response.status == 400
    message = response.json()["error"]["message"]
    assert "security token" in message
    expect(page.locator(".rv-error")).to_have_text(message)
    expect(page.locator(".rv-card")).to_have_attribute("data-card", CARD)  # still shown, to be rated again
    assert review_count(app) == 0

    page.evaluate("(token) => { document.querySelector('meta[name=csrf-token]').content = token; }", token)
    rate_good_and_see_it_counted(page, app)


def test_no_connection_and_an_answer_without_json_read_as_sentences(page: Page, app: Flask) -> None:
    # One route, in place before the page loads (so interception is on long before a key is pressed): each
    # try of the rating is recorded, then failed as `network` says, or let through once it says "up".
    network = {"state": "down"}
    keys: list[str] = []

    def flaky_network(route: Route) -> None:
        keys.append(route.request.post_data_json["idempotency_key"])
        if network["state"] == "down":
            route.abort("internetdisconnected")
        elif network["state"] == "bad gateway":
            route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")
        else:
            route.continue_()

    page.route(REVIEWS_API, flaky_network)
    open_revealed_card(page)

    page.keyboard.press("3")
    expect(page.locator(".rv-error")).to_have_text(
        "Could not reach the server. Check your connection, then press the key again."
    )
    assert len(keys) == 1

    network["state"] = "bad gateway"
    page.keyboard.press("3")
    expect(page.locator(".rv-error")).to_have_text("The server refused the request (HTTP 502).")
    assert len(keys) == 2

    network["state"] = "up"
    rate_good_and_see_it_counted(page, app)
    assert len(keys) == 3 and len(set(keys)) == 1  # every try of one showing carries one key


def test_the_drill_page_shows_the_servers_refusal(page: Page, app: Flask) -> None:
    register_and_log_in(page)
    page.goto("/drills/adam")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    with page.expect_response(lambda r: posted_to(r, "/submissions")) as answer:
        page.locator("#drill-submit").click()
    assert answer.value.status == 400
    status = page.locator("#drill-status")
    expect(status).to_have_text(answer.value.json()["error"]["message"])
    expect(status).to_have_class("drl-live drl-live-error")
    expect(page.locator("#drill-submit")).to_be_enabled()
