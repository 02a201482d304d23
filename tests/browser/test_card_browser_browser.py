"""A learner in the card browser searches, ticks two cards and suspends them, and sees their new state;
on the review page `-` buries the card shown, which leaves the session until tomorrow, and `#` (or its
button) resets a studied card to new after a confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Response, expect
from support.apps import LiveServer
from support.browser import register_and_log_in

pytestmark = [pytest.mark.browser]


def test_searching_and_suspending_two_cards(page: Page, live_server: LiveServer) -> None:
    register_and_log_in(page)
    page.goto("/cards")
    page.get_by_label("Search").fill("momentum")
    page.get_by_role("button", name="Search").click()
    rows = page.locator(".card-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    chosen = [rows.nth(index).get_attribute("data-card") for index in (0, 1)]
    for slug in chosen:
        page.get_by_label(f"Choose {slug}", exact=True).check()
    page.get_by_role("button", name="Suspend", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Suspended: 2 cards")
    expect(page.get_by_label("Search")).to_have_value("momentum")  # back on the same search
    for slug in chosen:
        expect(page.locator(f'tr[data-card="{slug}"] [data-testid=card-state]')).to_contain_text("suspended")

    page.get_by_label("State").select_option("suspended")
    page.get_by_label("Search").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".card-table tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=card-count]")).to_contain_text("2 cards")


def test_burying_the_shown_card_from_the_review_page(page: Page, live_server: LiveServer) -> None:
    register_and_log_in(page)
    page.goto("/review")
    card = page.locator(".rv-card")
    expect(card).to_be_visible()
    buried = card.get_attribute("data-card")
    assert buried
    page.keyboard.press("-")
    expect(page.locator(".rv-status")).to_contain_text(f"Buried {buried} until tomorrow")
    expect(card).not_to_have_attribute("data-card", buried)
    page.reload()
    expect(card).to_be_visible()
    expect(card).not_to_have_attribute("data-card", buried)
    page.goto(f"/cards/{buried}")
    expect(page.locator("[data-testid=card-flags]")).to_contain_text("Buried until")


def test_resetting_a_studied_card_from_the_review_page(page: Page, live_server: LiveServer) -> None:
    register_and_log_in(page)
    page.goto("/review")
    card = page.locator(".rv-card")
    expect(card).to_be_visible()
    slug = card.get_attribute("data-card")
    assert slug
    page.goto(f"/review?card={slug}")
    expect(card).to_have_attribute("data-card", slug)
    if page.locator(".rv-typed input").is_visible():
        page.locator(".rv-typed input").press("Escape")
    page.keyboard.press("Space")

    # Leave the page only once the rating is stored: navigating away would cancel its request.
    def is_rating(response: Response) -> bool:
        return response.url.endswith("/api/reviews") and response.request.method == "POST"

    with page.expect_response(is_rating) as rated:
        page.keyboard.press("3")
    assert rated.value.status == 201
    page.goto(f"/cards/{slug}")
    expect(page.locator("[data-testid=memory-state]").first).not_to_contain_text("not reviewed")

    page.goto(f"/review?card={slug}")
    expect(card).to_have_attribute("data-card", slug)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset to new").click()
    expect(page.locator(".rv-status")).to_contain_text(f"Reset {slug} to new")
    page.goto(f"/cards/{slug}")
    expect(page.locator("[data-testid=memory-state]").first).to_contain_text("not reviewed")
