"""A person at the keyboard: opens the Adam drill, types Adam without bias correction, submits, reads the
diagnosis and the plots, fixes the code, passes, and finds the linked card due in the review page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Card

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VERDICT_TIMEOUT_MS = 120_000


@pytest.fixture
def drills_app(live_server) -> Iterator[Flask]:
    """The browser conftest's live app; its in-process grading pool is stopped after the test."""
    yield live_server.app
    jobs.shutdown(live_server.app)


def sign_up(page, username: str = "ada", password: str = "correct horse battery") -> None:
    page.goto("/auth/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    page.keyboard.press("Enter")
    page.wait_for_selector(f".whoami:text('{username}')")


def type_code(page, code: str) -> None:
    """Type code into the editor key by key. The editor indents by itself after a colon, so each line's
    indentation is brought to the wanted width with Backspace (one indent unit) or spaces."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for number, line in enumerate(code.splitlines()):
        if number:
            page.keyboard.press("Escape")  # close the completion list so Enter starts a new line
            page.keyboard.press("Enter")
        wanted = len(line) - len(line.lstrip(" "))
        current = _indent_of_current_line(page)
        while current > wanted:
            page.keyboard.press("Backspace")
            current = _indent_of_current_line(page)
        page.keyboard.type(" " * (wanted - current) + line.lstrip(" "))
    page.keyboard.press("Escape")


def _indent_of_current_line(page) -> int:
    return page.eval_on_selector(".cm-activeLine", "el => el.textContent.length")


def editor_text(page) -> str:
    return page.eval_on_selector_all(".cm-line", "lines => lines.map(l => l.textContent).join('\\n')")


def test_adam_drill_from_mistake_to_pass_in_the_browser(page, drills_app: Flask) -> None:
    sign_up(page)
    page.goto("/drills/adam")
    page.wait_for_selector(".cm-content")

    type_code(page, ADAM_NO_BIAS_CORRECTION)
    assert editor_text(page).strip() == ADAM_NO_BIAS_CORRECTION.strip()
    page.keyboard.press("Control+Enter")

    failed = page.wait_for_selector('#drill-result [data-verdict="failed"]', timeout=VERDICT_TIMEOUT_MS)
    assert failed.is_visible()
    assert page.locator('#drill-result [data-diagnosis="no-bias-correction"]').is_visible()
    page.wait_for_selector("#drill-result .drl-plots canvas")
    assert page.locator("#drill-result .drl-plots canvas").count() >= 1
    assert "failed" in page.locator("#drill-status").inner_text()

    # The draft survives a reload (localStorage), and the last result is shown again.
    page.reload()
    page.wait_for_selector('#drill-result [data-verdict="failed"]')
    assert editor_text(page).strip() == ADAM_NO_BIAS_CORRECTION.strip()

    type_code(page, ADAM_CORRECT)
    page.click("#drill-submit")
    page.wait_for_selector('#drill-result [data-verdict="passed"]', timeout=VERDICT_TIMEOUT_MS)
    assert page.locator("#drill-result .drl-badge-five").is_visible()

    with drills_app.app_context():
        front = db.session.get(Card, "adam-bias-correction-why").front
    page.goto("/drills")
    assert "passed" in page.locator('tr[data-drill="adam"]').inner_text()
    page.locator("nav a", has_text="Review").click()
    # The diagnosed card is due now, so the review page (filled by review.js) shows it first.
    expect(page.locator(".rv-front")).to_contain_text(front.split("$")[0].strip()[:40])
