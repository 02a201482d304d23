"""A person at the keyboard: registers, opens the review page, reveals and rates several cards with keys
only, sees the counts change after a reload, sees formulas typeset by KaTeX, and undoes a rating with U."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.browser import register_and_log_in

from quizapp.answers import equivalence
from quizapp.answers.checking import CHECKER_BUSY
from quizapp.extensions import db
from quizapp.models import Card, Review

pytestmark = [pytest.mark.browser]


def count(page: Page, name: str) -> int:
    return int(page.locator(f"[data-testid=counts] [data-count={name}]").inner_text())


def wait_for_counts(page: Page) -> None:
    expect(page.locator("[data-testid=counts] [data-count=new]")).not_to_have_text("–")


def shown_card(page: Page) -> str:
    card = page.locator(".rv-card")
    expect(card).to_be_visible()
    return card.get_attribute("data-card") or ""


def reveal(page: Page, key: str = "Space") -> None:
    if page.locator(".rv-typed").is_visible():  # a typed-answer card: leave the answer box, reveal anyway
        page.keyboard.press("Escape")
    page.keyboard.press(key)
    expect(page.locator(".rv-back")).to_be_visible()


def test_reviewing_with_the_keyboard_only(page: Page) -> None:
    register_and_log_in(page)
    page.goto("/review")
    wait_for_counts(page)
    new_before = count(page, "new")
    assert new_before >= 3

    saw_math = False
    reviewed = []
    for _ in range(3):
        slug = shown_card(page)
        reveal(page)
        expect(page.locator(".rv-good .rv-interval")).not_to_be_empty()
        saw_math = saw_math or page.locator(".rv-card .katex").count() > 0
        page.keyboard.press("3")
        expect(page.locator(".rv-card")).not_to_have_attribute("data-card", slug)
        reviewed.append(slug)
    assert saw_math, "KaTeX typeset at least one of the cards"
    assert len(set(reviewed)) == 3

    page.reload()
    wait_for_counts(page)
    assert count(page, "new") == new_before - 3
    assert count(page, "learning") == 3

    shown = shown_card(page)
    reveal(page, "Enter")
    page.keyboard.press("1")
    expect(page.locator(".rv-status")).to_contain_text("Rated again")
    if page.locator(".rv-answer-input").evaluate("el => el === document.activeElement"):
        page.keyboard.press("Escape")  # the next card takes a typed answer: leave its box first
    page.keyboard.press("u")
    expect(page.locator(".rv-error")).to_be_hidden()
    expect(page.locator(".rv-status")).to_contain_text("Undid the again rating")
    assert shown_card(page) == shown  # the undone card is shown again
    page.reload()
    wait_for_counts(page)
    assert (count(page, "new"), count(page, "learning")) == (new_before - 3, 3)
    expect(page.locator(".rv-error")).to_be_hidden()


def test_the_rating_buttons_show_anki_style_intervals(page: Page) -> None:
    register_and_log_in(page)
    page.goto("/review")
    shown_card(page)
    reveal(page)
    labels = [page.locator(f".rv-{name} .rv-interval").inner_text() for name in ("again", "hard", "good")]
    assert labels == ["1m", "6m", "10m"]
    assert page.locator(".rv-easy .rv-interval").inner_text().endswith("d")


def test_a_check_the_checker_cannot_decide_leaves_the_question_open(
    page: Page, live_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Busy is not wrong: the page says so, reveals nothing, suggests nothing, and Enter tries again."""
    with live_server.app.app_context():
        card = db.session.scalar(select(Card).where(Card.kind == "symbolic", Card.retired.is_(False)))
        slug, expected = card.slug, card.answer["expr"]
    register_and_log_in(page)
    page.goto(f"/review?card={slug}")
    expect(page.locator(".rv-answer-input")).to_be_focused()
    page.keyboard.type(expected)
    monkeypatch.setattr(equivalence, "SLOTS_DIR", tmp_path)  # the server runs in this process
    with equivalence.checking_slot():  # the host's one slot, held by a long check elsewhere
        page.keyboard.press("Enter")
        expect(page.locator(".rv-error")).to_have_text(CHECKER_BUSY)
    expect(page.locator(".rv-back")).to_be_hidden()
    expect(page.locator(".rv-answer-input")).to_have_value(expected)
    page.locator(".rv-answer-input").press("Enter")
    expect(page.locator(".rv-check.rv-correct")).to_be_visible()
    expect(page.locator(".rv-error")).to_be_hidden()
    expect(page.locator(".rv-good")).to_have_class(re.compile("rv-suggested"))


def test_a_typed_answer_is_checked_and_suggests_the_rating(page: Page, live_server) -> None:
    with live_server.app.app_context():
        card = db.session.scalar(select(Card).where(Card.kind == "numeric", Card.retired.is_(False)))
        slug, value = card.slug, float(card.answer["value"])
    register_and_log_in(page)
    page.goto(f"/review?card={slug}")
    expect(page.locator(".rv-card")).to_have_attribute("data-card", slug)
    expect(page.locator(".rv-answer-input")).to_be_focused()
    page.keyboard.type(str(value * 3 + 1))  # a wrong answer
    page.keyboard.press("Enter")
    expect(page.locator(".rv-check.rv-wrong")).to_contain_text("Expected")
    expect(page.locator(".rv-check .katex")).to_have_count(1)
    expect(page.locator(".rv-again")).to_have_class(re.compile("rv-suggested"))
    page.keyboard.press("3")  # the person overrides the suggestion: they only slipped
    expect(page.locator(".rv-status")).to_contain_text("Rated good")
    with live_server.app.app_context():
        review = db.session.scalar(select(Review).where(Review.card_slug == slug))
        assert (review.rating, review.answer_correct) == (3, False)
