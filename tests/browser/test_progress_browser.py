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
from support.browser import assert_follows_scheme, chromium_page, register_and_log_in
from support.progress_history import make_bank

from quizapp.extensions import db
from quizapp.models import Card
from quizapp.services import accounts, review

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


def heat_counts(page) -> list[str]:
    """The counts printed in the heatmap's squares (empty squares print none)."""
    return [text for text in page.locator(".heatmap td.heat-cell").all_text_contents() if text]


# Pixels of the chart's canvas in the bar colour (app.css's --chart-fill for the page's colour scheme).
BAR_PIXELS = """(figure) => {
  const probe = document.createElement("span");
  probe.style.color = "var(--chart-fill)";
  document.body.append(probe);
  const [r, g, b] = getComputedStyle(probe).color.match(/\\d+/g).map(Number);
  probe.remove();
  const canvas = figure.querySelector("canvas");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) < 4 && Math.abs(data[i + 1] - g) < 4 && Math.abs(data[i + 2] - b) < 4) count++;
  }
  return count;
}"""


def bar_pixels(figure) -> int:
    return figure.evaluate(BAR_PIXELS)


def test_reviews_show_up_on_the_dashboard(progress_page, progress_app: Flask) -> None:
    from playwright.sync_api import expect

    page = progress_page
    register_and_log_in(page)
    page.goto("/progress")
    assert stat(page, "seen") == "0"
    assert stat(page, "reviews-today") == "0"
    expect(page.locator(".chart-plot[data-drawn]")).to_have_count(3)  # forecast, recall, drill attempts
    assert heat_counts(page) == []
    forecast = page.locator("figure[data-chart]").first
    assert bar_pixels(forecast) == 0  # nothing falls due yet: no bar drawn

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
    assert heat_counts(page) == ["3"]
    assert page.locator('.heatmap td[title$=": 3 reviews"]').count() == 1
    expect(page.locator(".chart-plot[data-drawn]")).to_have_count(3)
    assert bar_pixels(forecast) > 0  # the reviewed cards now fall due: their bars are drawn
    assert page.get_by_role("button", name="Review these now").count() >= 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Download your history (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert [review["card_slug"] for review in exported["reviews"]] == slugs
    assert {review["origin"] for review in exported["reviews"]} == {"focus"}


def test_charts_are_drawn_again_in_the_colours_of_a_new_scheme(progress_page, progress_app: Flask) -> None:
    from playwright.sync_api import expect

    page = progress_page
    register_and_log_in(page)
    with progress_app.app_context():
        user = accounts.find_user("ada")
        for number, slug in enumerate(first_cards(progress_app, 2)):
            review.review_card(user, slug, 3, f"scheme-{number}", 3000)
        db.session.commit()
        db.session.remove()
    page.emulate_media(color_scheme="light")
    page.goto("/progress")
    expect(page.locator(".chart-plot[data-drawn]")).to_have_count(3)
    assert bar_pixels(page.locator("figure[data-chart]").first) > 0
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        # Bars in this scheme's --chart-fill: the charts were drawn again when the scheme changed.
        page.wait_for_function(f"() => ({BAR_PIXELS})(document.querySelector('figure[data-chart]')) > 0")
        assert_follows_scheme(page, f"progress after switching to {scheme}", scheme)
