"""Any screen, any person: every page at 375 px and at desktop width, in light and dark mode, checked by
axe-core (no serious or critical violation) and, on the small screen, for sideways scrolling and touch
targets under 44 px.

One server, one browser and one logged-in person serve the whole module. To cover a new page, add one
`Screen(...)` line to SCREENS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from support.accounts import PASSWORD
from support.apps import LiveServer, load_question_bank, migrated_sqlite_app, serving
from support.browser import (
    DESKTOP,
    PAGE_TIMEOUT_MS,
    SMALL_SCREEN,
    assert_accessible,
    assert_fits_small_screen,
    chromium,
)
from support.submissions import SGD_CORRECT, SGD_WRONG_SIGN

from quizapp.extensions import db
from quizapp.jobs.grading import grade_submission
from quizapp.models import Card, Submission, Topic
from quizapp.services import accounts, review

pytestmark = [pytest.mark.browser]

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
]
VIEWPORTS = {"375px": SMALL_SCREEN, "desktop": DESKTOP}
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def screen_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app on a fresh database with the bank, one person with some reviews and two graded attempts."""
    app = migrated_sqlite_app(
        tmp_path_factory.mktemp("any-screen"), RATELIMIT_ENABLED=False, GRADING_POOL_AUTOSTART=False
    )
    load_question_bank(app)
    with app.app_context():
        app.config["SEEDED"] = _seed_person()
    return app


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
    seeded = {
        "basic_card": basic[0].slug,
        "typed_card": typed.slug,
        "failed_submission": submissions[0],
        "passed_submission": submissions[1],
        "topic": topic,
    }
    db.session.remove()
    return seeded


@pytest.fixture(scope="module")
def screen_server(screen_app: Flask) -> Iterator[LiveServer]:
    with serving(screen_app) as live:
        yield live


@pytest.fixture(scope="module")
def screen_browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def logged_in_state(screen_browser: Browser, screen_server: LiveServer, tmp_path_factory) -> Path:
    """The cookies of a logged-in session, for every context of the module to start from."""
    context = screen_browser.new_context(base_url=screen_server.url)
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".whoami")).to_have_text(USERNAME)
    state = tmp_path_factory.mktemp("any-screen-state") / "state.json"
    context.storage_state(path=state)
    context.close()
    return state


@pytest.mark.parametrize(
    ("screen", "viewport", "scheme"),
    [
        pytest.param(screen, viewport, scheme, id=f"{screen.name}-{viewport}-{scheme}")
        for screen, viewport, scheme in itertools.product(SCREENS, VIEWPORTS, SCHEMES)
    ],
)
def test_page_works_on_any_screen_for_anyone(
    screen: Screen,
    viewport: str,
    scheme: str,
    screen_browser: Browser,
    screen_server: LiveServer,
    logged_in_state: Path,
) -> None:
    context = screen_browser.new_context(
        base_url=screen_server.url,
        viewport=VIEWPORTS[viewport],
        color_scheme=scheme,
        storage_state=logged_in_state if screen.logged_in else None,
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page = context.new_page()
        response = page.goto(screen.path.format(**screen_server.app.config["SEEDED"]))
        assert response is not None and response.status == 200, f"{screen.name}: HTTP {response.status}"
        if screen.logged_in:
            expect(page.locator(".whoami")).to_have_text(USERNAME)
        if screen.ready is not None:
            screen.ready(page)
        page.wait_for_load_state("networkidle")
        label = f"{screen.name} at {viewport}, {scheme}"
        assert_accessible(page, label)
        if viewport == "375px":
            assert_fits_small_screen(page, label)
    finally:
        context.close()
