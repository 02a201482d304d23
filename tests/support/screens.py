"""Every page of the app as a person sees it, for the any-screen browser tests and scripts/screenshots.

`SCREENS` names each page and how to reach it; `seeded_app` builds an app whose one person ("ada") has
reviews and two graded drill attempts, so that every page has something to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from quizapp.extensions import db
from quizapp.jobs.grading import grade_submission
from quizapp.models import Card, Submission, Topic
from quizapp.services import accounts, interviews, review
from support.accounts import PASSWORD
from support.apps import load_question_bank, migrated_sqlite_app
from support.submissions import SGD_CORRECT, SGD_WRONG_SIGN

USERNAME = "ada"


def _reveal(page: Page) -> None:
    page.locator("button.rv-reveal").click()
    expect(page.locator(".rv-back")).to_be_visible()


def _show_card(page: Page) -> None:
    expect(page.locator(".rv-card")).to_be_visible()


def _show_editor(page: Page) -> None:
    expect(page.locator(".cm-content")).to_be_visible()


def _show_result_plots(page: Page) -> None:
    expect(page.locator(".drl-plots canvas").first).to_be_visible()


@dataclass(frozen=True)
class Screen:
    """A page to check: its name, its path (formatted with the seeded names), whether it needs the person
    logged in, and what to do on it before checking (wait for scripts, reveal an answer)."""

    name: str
    path: str
    logged_in: bool = True
    ready: Callable[[Page], None] | None = None


SCREENS = [
    Screen("index", "/", logged_in=False),
    Screen("register", "/auth/register", logged_in=False),
    Screen("login", "/auth/login", logged_in=False),
    Screen("today", "/"),
    Screen("onboarding", "/welcome"),
    Screen("review-front", "/review?card={basic_card}", ready=_show_card),
    Screen("review-back", "/review?card={basic_card}", ready=_reveal),
    Screen("review-typed", "/review?card={typed_card}", ready=_show_card),
    Screen("drills", "/drills"),
    Screen("drill", "/drills/sgd", ready=_show_editor),
    Screen("drill-result", "/submissions/{failed_submission}", ready=_show_result_plots),
    Screen("drill-history", "/drills/sgd/submissions"),
    Screen("compare", "/submissions/{passed_submission}/compare"),
    Screen("progress", "/progress"),
    Screen("topic-progress", "/progress/{topic}"),
    Screen("settings", "/auth/settings"),
    Screen("card", "/cards/{basic_card}"),
    Screen("card-browser", "/cards?q=gradient"),
    Screen("drill-solution", "/drills/sgd/solution"),
    Screen("mock-interview", "/interview/{running_interview}"),
    Screen("mock-interview-report", "/interview/{finished_interview}"),
]


def seeded_app(directory: Path) -> Flask:
    """The app on a fresh database in `directory` with the bank and one seeded person; the names the
    SCREENS' paths use are in app.config["SEEDED"]."""
    app = migrated_sqlite_app(directory, RATELIMIT_ENABLED=False, GRADING_POOL_AUTOSTART=False)
    load_question_bank(app)
    with app.app_context():
        app.config["SEEDED"] = _seed_person()
    return app


def screen_url(app: Flask, screen: Screen) -> str:
    return screen.path.format(**app.config["SEEDED"])


def log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".whoami")).to_have_text(USERNAME)


def _seed_person() -> dict[str, Any]:
    user = accounts.register_user(USERNAME, PASSWORD)
    basic = db.session.scalars(select(Card).where(Card.kind == "basic", Card.retired.is_(False))).all()
    typed = db.session.scalar(select(Card).where(Card.kind == "numeric", Card.retired.is_(False)))
    for number, card in enumerate(basic[1:6]):
        review.review_card(user, card.slug, 3 if number % 2 else 1, f"seed-review-{number}", 4000)
    submissions = []
    for code in (SGD_WRONG_SIGN, SGD_CORRECT):
        submission = Submission(
            user_id=user.id, drill_slug="sgd", code=code, framework="numpy", status="queued"
        )
        db.session.add(submission)
        db.session.commit()
        assert grade_submission(submission.id) == "done"
        submissions.append(submission.id)
    topic = db.session.scalar(select(Topic.slug).order_by(Topic.position))
    past = interviews.start_interview(user, seed=1)
    first = past.questions[0]
    interviews.answer_question(user, past.id, 1, **({"answer": "1"} if first.typed else {"rating": 3}))
    past_id = interviews.finish_interview(user, past.id).id
    running_id = interviews.start_interview(user, seed=2).id
    seeded = {
        "basic_card": basic[0].slug,
        "typed_card": typed.slug,
        "failed_submission": submissions[0],
        "passed_submission": submissions[1],
        "topic": topic,
        "running_interview": running_id,
        "finished_interview": past_id,
    }
    db.session.commit()  # the services leave the commit to their caller
    db.session.remove()
    return seeded
