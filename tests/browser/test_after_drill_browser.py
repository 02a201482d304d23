"""After a drill, in the browser: Run grades the editor's code on one problem and draws its plot without
adding an attempt; after a pass the reference solution opens beside one's own code; after three failures a
confirmed "Show the solution" opens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import SolutionRequest, Submission, User, utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VERDICT_TIMEOUT_MS = 120_000
DRAFT_KEY = "quizapp:drill:adam:draft:numpy"


@pytest.fixture
def drills_app(live_server) -> Iterator[Flask]:
    yield live_server.app
    jobs.shutdown(live_server.app)


def sign_up(page, username: str) -> None:
    page.goto("/auth/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse battery")
    page.fill("input[name=confirm]", "correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_selector(f".whoami:text('{username}')")


def open_drill_with_draft(page, code: str) -> None:
    """The editor starts from the saved draft, as after a reload (typing is tested in test_drills_browser)."""
    page.goto("/drills/adam")
    page.evaluate("([key, code]) => localStorage.setItem(key, code)", [DRAFT_KEY, code])
    page.reload()
    page.wait_for_selector(".cm-content")


def submissions_of(app: Flask, username: str) -> int:
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == username)).one()
        return db.session.scalar(
            db.select(db.func.count()).select_from(Submission).where(Submission.user_id == user.id)
        )


def test_run_shows_the_plot_without_an_attempt_then_a_pass_opens_the_solution(
    page, drills_app: Flask
) -> None:
    sign_up(page, "ada")
    open_drill_with_draft(page, ADAM_NO_BIAS_CORRECTION)
    expect(page.locator("#drill-solution-open")).to_be_hidden()

    page.select_option("#drill-run-problem", "beale")
    page.click("#drill-run")
    run = page.wait_for_selector('#drill-result .drl-run [data-verdict="failed"]', timeout=VERDICT_TIMEOUT_MS)
    assert run.is_visible()
    page.wait_for_selector("#drill-result .drl-plots canvas")
    expect(page.locator("#drill-result .drl-cases tbody tr")).to_have_count(1)
    expect(page.locator("#drill-result .drl-cases tbody")).to_contain_text("beale")
    expect(page.locator("#drill-status")).to_contain_text("not recorded")

    # The keyboard runs too (Ctrl+Shift+Enter in the editor), on the chosen problem.
    page.select_option("#drill-run-problem", "ravine")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+Shift+Enter")
    expect(page.locator("#drill-result .drl-cases tbody")).to_contain_text(
        "ravine", timeout=VERDICT_TIMEOUT_MS
    )

    assert submissions_of(drills_app, "ada") == 0
    page.goto("/drills/adam")
    expect(page.locator(".drl-crumbs")).to_contain_text("first attempt")

    open_drill_with_draft(page, ADAM_CORRECT)
    page.click("#drill-submit")
    page.wait_for_selector('#drill-result [data-verdict="passed"]', timeout=VERDICT_TIMEOUT_MS)
    link = page.locator("#drill-solution-link")
    expect(link).to_be_visible()
    link.click()

    expect(page.locator("h1")).to_contain_text("reference solution")
    expect(page.locator(".drl-conventions")).to_contain_text("pytorch")
    table = page.locator("table.drl-sbs")
    expect(table).to_be_visible()
    first_line = ADAM_CORRECT.splitlines()[0]
    expect(table.locator("td.drl-yours").first).to_contain_text(first_line)
    # Changed rows carry a mark and words for screen readers, not only a colour.
    changed = table.locator('tr[data-kind="changed"]').first
    expect(changed.locator(".drl-mark")).to_contain_text("≠")
    expect(changed.locator(".drl-mark")).to_contain_text("changed")


def test_three_failures_and_a_confirmed_ask_open_the_solution(page, drills_app: Flask) -> None:
    sign_up(page, "bea")
    with drills_app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == "bea")).one()
        for _ in range(3):
            db.session.add(
                Submission(
                    user_id=user.id,
                    drill_slug="adam",
                    code=ADAM_NO_BIAS_CORRECTION,
                    status="done",
                    outcome="failed",
                    verdict={"verdict": "failed", "cases": []},
                    finished_at=utcnow(),
                )
            )
        db.session.commit()
        user_id = user.id

    response = page.request.get("/api/drills/adam/solution")
    assert response.status == 403
    page.goto("/drills/adam")
    ask = page.locator("#drill-solution-ask")
    expect(ask).to_be_visible()

    page.once("dialog", lambda dialog: dialog.dismiss())
    ask.focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("/drills/adam")  # dismissed: no request, no navigation
    with drills_app.app_context():
        assert db.session.get(SolutionRequest, (user_id, "adam")) is None

    page.once("dialog", lambda dialog: dialog.accept())
    ask.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/drills/adam/solution")
    expect(page.locator("table.drl-sbs")).to_be_visible()
    with drills_app.app_context():
        assert db.session.get(SolutionRequest, (user_id, "adam")) is not None
