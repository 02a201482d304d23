"""A person takes a mock interview at the keyboard: starts it, sees the countdown, answers a typed card
(checked by the server, no verdict shown) and a self-rated one (notes, Ctrl+Enter, key 3), finishes, and
reads the report with every card's back and the score per topic."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.browser import register_and_log_in

from quizapp.extensions import db
from quizapp.models import Card, Review

pytestmark = [pytest.mark.browser]


def right_answer(live_server, slug: str) -> str:
    with live_server.app.app_context():
        card = db.session.get(Card, slug)
        spec = card.answer or {}
        return str(spec["value"]) if card.kind == "numeric" else str(spec["expr"])


def current_question(page: Page):
    """The question on screen, located by its number (so it stays the same element once answered)."""
    shown = page.locator(".mi-question:visible")
    expect(shown).to_have_count(1)
    return page.locator(f".mi-question[data-number='{shown.get_attribute('data-number')}']")


def test_a_mock_interview_at_the_keyboard(page: Page, live_server) -> None:
    register_and_log_in(page)
    page.goto("/interview")
    page.focus("#interview-start")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#interview-countdown")).to_have_text(re.compile(r"^(30:00|29:\d\d)$"))
    expect(page.locator(".mi-question .katex").first).to_be_attached()

    answered = {"typed": None, "rated": None}
    for _ in range(page.locator(".mi-question").count()):
        if all(answered.values()):
            break
        question = current_question(page)
        slug = question.get_attribute("data-card")
        kind = "typed" if question.get_attribute("data-typed") == "true" else "rated"
        if answered[kind]:
            page.keyboard.press("Escape")
            question.locator(".mi-skip").focus()
            page.keyboard.press("n")
            expect(question).to_be_hidden()
            continue
        if kind == "typed":
            expect(question.locator(".mi-answer")).to_be_focused()
            page.keyboard.type(right_answer(live_server, slug))
            page.keyboard.press("Enter")
        else:
            expect(question.locator(".mi-notes")).to_be_focused()
            page.keyboard.type("My notes on this card")
            page.keyboard.press("Control+Enter")
            page.keyboard.press("3")
        expect(question).to_be_hidden()  # the next question is shown; no verdict, no back
        answered[kind] = slug
    assert all(answered.values()), answered
    expect(page.locator("#interview-answered")).to_have_text("2")
    expect(page.locator(".mi-back")).to_have_count(0)

    with live_server.app.app_context():
        ratings = dict(db.session.execute(select(Review.card_slug, Review.rating)).all())
    assert ratings == {answered["typed"]: 3, answered["rated"]: 3}

    with page.expect_navigation():
        page.click("#interview-finish")
    expect(page.locator("h1")).to_contain_text("report")
    expect(page.locator("[data-testid=interview-score]")).to_have_text(re.compile(r"^\d+%$"))
    expect(page.locator("[data-testid=topic-scores] tbody tr").first).to_be_visible()
    typed_row = page.locator(f".mi-answer-row[data-card='{answered['typed']}']")
    expect(typed_row).to_contain_text("right")
    expect(typed_row.locator(".mi-back")).to_be_visible()
    rated_row = page.locator(f".mi-answer-row[data-card='{answered['rated']}']")
    expect(rated_row).to_contain_text("My notes on this card")
    expect(rated_row).to_contain_text("you rated it Good")
    expect(page.locator(".mi-study-next a").first).to_have_attribute(
        "href", re.compile(r"^/progress/focus\?topic=")
    )
