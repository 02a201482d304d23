"""Any screen, any person: every page at 375 px and at desktop width, in light and dark mode, checked by
axe-core (no serious or critical violation) and, on the small screen, for sideways scrolling and touch
targets under 44 px.

One server, one browser and one logged-in person serve the whole module. To cover a new page, add one
`Screen(...)` line to SCREENS in tests/support/screens.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from support.apps import LiveServer, serving
from support.browser import (
    DESKTOP,
    PAGE_TIMEOUT_MS,
    SMALL_SCREEN,
    assert_accessible,
    assert_fits_small_screen,
    assert_follows_scheme,
    chromium,
)
from support.screens import SCREENS, USERNAME, Screen, log_in, screen_url, seeded_app

pytestmark = [pytest.mark.browser]

VIEWPORTS = {"375px": SMALL_SCREEN, "desktop": DESKTOP}
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def screen_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app with the bank and one person with some reviews and two graded drill attempts."""
    return seeded_app(tmp_path_factory.mktemp("any-screen"))


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
    log_in(context.new_page())
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
        response = page.goto(screen_url(screen_server.app, screen))
        assert response is not None and response.status == 200, f"{screen.name}: HTTP {response.status}"
        if screen.logged_in:
            expect(page.locator(".whoami")).to_have_text(USERNAME)
        if screen.ready is not None:
            screen.ready(page)
        page.wait_for_load_state("networkidle")
        label = f"{screen.name} at {viewport}, {scheme}"
        assert_accessible(page, label)
        assert_follows_scheme(page, label, scheme)
        if viewport == "375px":
            assert_fits_small_screen(page, label)
    finally:
        context.close()
