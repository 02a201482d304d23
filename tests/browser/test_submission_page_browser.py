"""A result page opened while the submission waits for the grader follows it (static/lib/poll.js): once
the verdict is stored, the finished panel replaces "being graded…" and the verdict plots are drawn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from support.apps import LiveServer
from support.browser import register_and_log_in
from support.submissions import SGD_CORRECT

from quizapp import jobs
from quizapp.extensions import db
from quizapp.jobs.grading import grade_submission
from quizapp.models import Submission, User

pytestmark = [pytest.mark.browser]

VERDICT_TIMEOUT_MS = 60_000


@pytest.fixture
def app(live_server: LiveServer) -> Iterator[Flask]:
    yield live_server.app
    jobs.shutdown(live_server.app)


def queued_submission(app: Flask, username: str) -> int:
    """A submission stored as queued but handed to no worker: it waits until the test grades it."""
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        submission = Submission(user_id=user.id, drill_slug="sgd", code=SGD_CORRECT, framework="numpy")
        submission.status = "queued"
        db.session.add(submission)
        db.session.commit()
        submission_id = submission.id
        db.session.remove()
    return submission_id


def test_the_result_page_follows_a_queued_submission_to_its_verdict(page: Page, app: Flask) -> None:
    register_and_log_in(page, "ada")
    submission_id = queued_submission(app, "ada")
    page.goto(f"/submissions/{submission_id}")
    panel = page.locator("#drill-result .drl-result")
    expect(panel).to_have_attribute("data-status", "queued")
    expect(panel).to_contain_text("is being graded")

    with app.app_context():
        assert grade_submission(submission_id) == "done"
        db.session.remove()

    expect(panel).to_have_attribute("data-status", "done", timeout=VERDICT_TIMEOUT_MS)
    expect(panel.locator("[data-verdict]")).to_have_text("passed")
    expect(page.locator("#drill-result .drl-plots canvas").first).to_be_visible()
