"""The first minutes of a new account in Chromium: registering leads to onboarding with the browser's time
zone already chosen; the answers make a plan the Today page states; skipping works; Settings edit it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.apps import LiveServer, load_question_bank, migrated_sqlite_app, serving
from support.browser import chromium_page, register_and_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = migrated_sqlite_app(tmp_path, RATELIMIT_ENABLED=False)  # CSRF on, as in production
    load_question_bank(app)
    with serving(app) as live:
        yield live


@pytest.fixture
def page(server: LiveServer):
    with chromium_page(server.url, timezone_id="America/Sao_Paulo") as page:
        yield page


def plan_sentence(page) -> str:
    return " ".join(page.locator("#plan-sentence").inner_text().split())


def test_onboarding_makes_the_plan_the_today_page_states(page) -> None:
    register_and_log_in(page, "ada")
    assert page.url.endswith("/welcome")
    assert page.input_value("#timezone") == "America/Sao_Paulo"  # detected by the browser, preselected
    interview = dt.date.today() + dt.timedelta(days=60)
    page.fill("#interview_date", interview.isoformat())
    page.fill("#minutes_per_day", "45")
    page.get_by_label("Gradient descent basics").check()
    with page.expect_navigation():
        page.click("text=Make my plan")
    assert page.url.endswith("/")
    assert "Your plan is ready" in page.locator(".flash").inner_text()
    sentence = plan_sentence(page)
    assert sentence.startswith("At this pace (") and sentence.endswith("before your interview.")
    assert page.locator("#new-count").inner_text() != "0"

    # Settings hold the answers and change the plan; the S key opens them from Today.
    with page.expect_navigation():
        page.keyboard.press("s")
    assert "/auth/settings" in page.url
    assert page.input_value("#minutes_per_day") == "45"
    assert page.input_value("#interview_date") == interview.isoformat()
    assert page.get_by_label("Gradient descent basics").is_checked()
    page.fill("#minutes_per_day", "0")
    with page.expect_navigation():
        page.click("text=Save settings")
    assert page.locator(".flash").inner_text() == "Settings saved."
    page.goto("/")
    assert "With 0 minutes a day there is no room for new cards" in plan_sentence(page)
    assert page.locator("#plan-warning").is_visible()

    # R opens the review session.
    with page.expect_navigation():
        page.keyboard.press("r")
    assert page.url.endswith("/review")


def test_onboarding_can_be_skipped(page) -> None:
    register_and_log_in(page, "grace")
    with page.expect_navigation():
        page.click("#skip-onboarding")
    sentence = plan_sentence(page)
    assert sentence.startswith("At this pace (") and "interview" not in sentence
    page.goto("/welcome")  # and taken up later
    assert page.input_value("#timezone") == "America/Sao_Paulo"
