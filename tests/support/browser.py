"""Debian's Chromium driven by Playwright: one way to launch it and open a page for every browser test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from support.accounts import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 15_000


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit."""
    # Imported here so that collecting the other tests never loads Playwright.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def chromium_page(base_url: str, timeout_ms: int = PAGE_TIMEOUT_MS, **context_options: Any) -> Iterator[Page]:
    """A page in a fresh Chromium whose relative URLs go to `base_url`."""
    with chromium() as browser:
        context = browser.new_context(base_url=base_url, **context_options)
        context.set_default_timeout(timeout_ms)
        yield context.new_page()
        context.close()


def register_and_log_in(page: Page, username: str = "ada", password: str = PASSWORD) -> None:
    """Fill in the registration form, and the login form too if registering does not log in by itself."""
    page.goto("/auth/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.locator("input[name=password]").count():
        page.goto("/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
