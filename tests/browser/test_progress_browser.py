"""A person at the keyboard: opens an empty dashboard, reviews a few cards in a focused session (Space, then
a rating key), and sees the counts, the calendar and the due forecast change; then downloads their history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from support.apps import LiveServer, migrated_sqlite_app, serving
from support.browser import chromium_page, register_and_log_in
from support.progress_history import make_bank

from quizapp.extensions import db
from quizapp.models import Card

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def progress_app(tmp_path: Path) -> Iterator[Flask]:
    """The app as `scripts/run` serves it (SQLite, CSRF on) with a small bank of its own."""
    app = migrated_sqlite_app(tmp_path)
    with app.app_context():
        make_bank()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def progress_server(progress_app: Flask) -> Iterator[LiveServer]:
    with serving(progress_app) as server:
        yield server


@pytest.fixture
def progress_page(progress_server: LiveServer):
    with chromium_page(progress_server.url, accept_downloads=True) as page:
        yield page


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
    register_and_log_in(page)
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
