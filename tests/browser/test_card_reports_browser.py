"""A learner spots a wrong card: on the review page `!` opens the report box, they type why and press
Enter, then follow the link to the card's page, which shows the card typeset and their report as received."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.apps import LiveServer
from support.browser import register_and_log_in

from quizapp.extensions import db
from quizapp.models import CardReport

pytestmark = [pytest.mark.browser]

CARD = "adam-update-rule"
REASON = "The update should say that t starts at 1 before the first correction."


def test_reporting_a_card_from_the_review_page(page: Page, live_server: LiveServer) -> None:
    register_and_log_in(page)
    page.goto(f"/review?card={CARD}")
    card = page.locator(".rv-card")
    expect(card).to_have_attribute("data-card", CARD)
    expect(page.locator(".rv-report")).to_be_hidden()

    page.keyboard.press("!")
    reason_box = page.locator(".rv-report-reason")
    expect(reason_box).to_be_focused()
    expect(reason_box).to_have_value("")  # the key itself is not typed into the box
    page.keyboard.press("Escape")
    expect(page.locator(".rv-report")).to_be_hidden()

    page.keyboard.press("!")
    page.keyboard.type(REASON)
    page.keyboard.press("Enter")
    expect(page.locator(".rv-status")).to_contain_text("received")
    expect(page.locator(".rv-report")).to_be_hidden()
    expect(page.locator(".rv-error")).to_be_hidden()
    expect(card).to_have_attribute("data-card", CARD)  # still the same card, ready to be rated

    with live_server.app.app_context():
        [report] = db.session.scalars(select(CardReport)).all()
        assert (report.card_slug, report.reason, report.status) == (CARD, REASON, "open")
        db.session.remove()

    page.locator(".rv-report-link").click()
    expect(page).to_have_url(f"{live_server.url}/cards/{CARD}")
    expect(page.locator(".card-front .katex").first).to_be_visible()  # the card's math is typeset
    report_item = page.locator(".card-report")
    expect(report_item).to_have_count(1)
    expect(report_item).to_contain_text("Received")
    expect(report_item).to_contain_text(REASON)
    expect(page.locator("[data-testid=memory-state]")).to_contain_text("New")


def test_an_empty_report_is_not_sent(page: Page, live_server: LiveServer) -> None:
    register_and_log_in(page)
    page.goto(f"/review?card={CARD}")
    expect(page.locator(".rv-card")).to_have_attribute("data-card", CARD)
    page.locator(".rv-report-open").click()
    page.keyboard.press("Enter")
    expect(page.locator(".rv-error")).to_contain_text("Say what is wrong with the card first")
    with live_server.app.app_context():
        assert db.session.scalars(select(CardReport)).all() == []
        db.session.remove()
