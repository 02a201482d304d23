"""A person at the keyboard: opens an empty dashboard, reviews a few cards in a focused session (Space, then
a rating key), and sees the counts, the calendar and the due forecast change; then downloads their history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from drill_support import LiveServer
from flask import Flask
from flask_migrate import upgrade
from progress_support import make_bank
from sqlalchemy import select

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Card

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def progress_app(tmp_path: Path) -> Iterator[Flask]:
    """The app as `scripts/run` serves it (SQLite, CSRF on) with a small bank of its own."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'quizapp.sqlite3'}", "SECRET_KEY": "s"}
    )
    with app.app_context():
        upgrade()
        make_bank()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def progress_server(progress_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(progress_app)
    yield server
    server.stop()


@pytest.fixture
def progress_page(progress_server: LiveServer):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(base_url=progress_server.url, accept_downloads=True)
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def sign_up(page, username: str = "ada", password: str = "correct horse battery") -> None:
    page.goto("/auth/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.locator("input[name=password]").count():  # registration that does not log in by itself
        page.goto("/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")


def stat(page, name: str) -> str:
    return page.locator(f'[data-testid=summary] [data-stat="{name}"]').inner_text().strip()


def first_cards(app: Flask, count: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(Card.slug).where(Card.kind == "basic").order_by(Card.slug).limit(count))
        )


def test_reviews_show_up_on_the_dashboard(progress_page, progress_app: Flask) -> None:
    from playwright.sync_api import expect

    page = progress_page
    sign_up(page)
    page.goto("/progress")
    assert stat(page, "seen") == "0"
    assert stat(page, "reviews-today") == "0"
    assert page.locator("svg.chart").count() >= 3
    assert page.locator(".heat-count").count() == 0
    forecast = page.locator("figure.progress-chart").first
    assert forecast.locator(".chart-value").count() == 0

    slugs = first_cards(progress_app, 3)
    page.goto(f"/progress/focus?cards={','.join(slugs)}")
    for number, rating_key in enumerate(("3", "4", "1"), 1):
        expect(page.get_by_text(f"Card {number} of 3")).to_be_visible()  # the next card's page is shown
        page.wait_for_load_state("load")  # and its keyboard script has run
        page.keyboard.press("Space")
        expect(page.locator(".progress-rate")).to_be_visible()
        page.keyboard.press(rating_key)
    expect(page.get_by_role("status")).to_contain_text("you reviewed 3 cards")

    page.goto("/progress")
    assert stat(page, "seen") == "3"
    assert stat(page, "reviews-today") == "3"
    assert stat(page, "retrievability") != "—"
    assert page.locator(".heat-count").all_text_contents() == ["3"]
    assert page.locator("svg title", has_text=": 3 reviews").count() == 1
    assert forecast.locator(".chart-value").count() >= 1  # the reviewed cards now fall due
    assert page.get_by_role("button", name="Review these now").count() >= 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Download your history (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert [review["card_slug"] for review in exported["reviews"]] == slugs
    assert {review["origin"] for review in exported["reviews"]} == {"focus"}
