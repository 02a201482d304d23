"""A person signs up with the keyboard: the browser's time zone is picked up, the settings page saves,
and logging out and back in works, all with CSRF and rate limiting switched on as in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.accounts import PASSWORD
from support.apps import LiveServer, migrated_sqlite_app, serving
from support.browser import chromium_page

pytestmark = pytest.mark.browser


@pytest.fixture
def accounts_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(migrated_sqlite_app(tmp_path)) as server:
        yield server


@pytest.fixture
def browser_page(accounts_server: LiveServer):
    with chromium_page(accounts_server.url, timeout_ms=10_000, timezone_id="Asia/Tokyo") as page:
        yield page


def _wait_for_focus(page, element_id: str) -> None:
    """Autofocus is applied at the browser's next rendering step, which may come just after `load`."""
    page.wait_for_function(f"document.activeElement && document.activeElement.id === {element_id!r}")


def _submit(page, action) -> None:
    """Do `action` (a key press or click that submits a form) and wait until the next page has loaded."""
    with page.expect_navigation():
        action()


def test_sign_up_adjust_settings_log_out_and_in(browser_page) -> None:
    page = browser_page
    page.goto("/auth/register")
    _wait_for_focus(page, "username")
    page.keyboard.type("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    _submit(page, lambda: page.keyboard.press("Enter"))
    assert "Welcome, ada! Your account is ready." in page.locator(".flash").inner_text()

    page.goto("/auth/settings")
    assert page.input_value("#timezone") == "Asia/Tokyo"
    _wait_for_focus(page, "desired_retention")
    page.fill("#desired_retention", "0.5")
    _submit(page, lambda: page.click("text=Save settings"))
    assert page.locator("#desired_retention-error").inner_text() == "Choose a value from 0.70 to 0.97."
    page.fill("#desired_retention", "0.85")
    _submit(page, lambda: page.click("text=Save settings"))
    assert page.locator(".flash").inner_text() == "Settings saved."
    assert page.input_value("#desired_retention") == "0.85"

    _submit(page, lambda: page.click("text=Log out"))
    assert page.locator(".flash").inner_text() == "You are logged out."
    page.goto("/auth/settings")
    assert page.url.endswith("/auth/login?next=%2Fauth%2Fsettings")
    _wait_for_focus(page, "username")
    page.keyboard.type("ADA")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    _submit(page, lambda: page.keyboard.press("Enter"))
    assert page.url.endswith("/auth/settings")
    assert page.input_value("#desired_retention") == "0.85"
