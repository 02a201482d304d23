"""Browser-test fixtures: the app served over HTTP from a thread, and a Playwright page in Debian's Chromium.

`live_server` runs a fresh app on a migrated SQLite file with a question bank loaded; `page` is a
Chromium page whose relative URLs go to that server. Other rooms' browser tests reuse both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from quizapp import create_app
from quizapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 15_000


@dataclass
class LiveServer:
    app: Flask
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def migrated_app(directory: Path, **overrides: object) -> Flask:
    """A fresh app on its own SQLite file, schema from the migrations, a question bank loaded."""
    from flask_migrate import upgrade

    config: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'quizapp.sqlite3'}",
        "SECRET_KEY": "browser-test-secret",
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
    with app.app_context():
        load_test_bank(app)
    return app


def load_test_bank(app: Flask) -> None:
    """The real question bank when its loader is installed (`quizapp questions load`, or
    quizapp.services.bank_sync.load_bank), else the review tests' small bank (tests/review_support.py)."""
    if "questions" in app.cli.commands:
        result = app.test_cli_runner().invoke(args=["questions", "load"])
        assert result.exit_code == 0, result.output
        return
    try:
        from quizapp.services.bank_sync import load_bank
    except ImportError:
        from review_support import make_bank

        make_bank()
        return
    load_bank(Path(app.config["QUESTIONS_DIR"]))
    db.session.commit()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    app = migrated_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", server=server, thread=thread)
    yield live
    live.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(live_server: LiveServer):
    """A Chromium page (headless) whose relative URLs go to `live_server`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        yield context.new_page()
        context.close()
        browser.close()
