"""Browser-test fixtures: the app served over HTTP from a thread, and a Playwright page in Debian's Chromium.

`live_server` runs a fresh app on a migrated SQLite file with the question bank loaded; `page` is a
Chromium page whose relative URLs go to that server. Other rooms' browser tests reuse both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.apps import LiveServer, load_question_bank, migrated_sqlite_app, serving
from support.browser import chromium_page


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    app = migrated_sqlite_app(tmp_path, RATELIMIT_ENABLED=False)
    load_question_bank(app)
    with serving(app) as live:
        yield live


@pytest.fixture
def page(live_server: LiveServer):
    """A Chromium page (headless) whose relative URLs go to `live_server`."""
    with chromium_page(live_server.url) as page:
        yield page
