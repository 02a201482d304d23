"""Apps built for tests: the `app` fixture's settings, schemas from the migrations, and a live HTTP server.

One place for these so that tests/conftest.py, tests/browser/conftest.py, test modules and benchmarks build
their apps alike (`from conftest import ...` is ambiguous once both conftest files are loaded).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from quizapp import create_app, jobs
from quizapp.extensions import db

# CSRF and rate limiting are off for most tests; security tests switch them back on through overrides.
TEST_SETTINGS: dict[str, object] = {
    "TESTING": True,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SECRET_KEY": "test-secret",
    "GRADING_POOL_AUTOSTART": False,  # grading threads only where a test submits (or asks for them)
}


def make_app(url: str, **overrides: object) -> Flask:
    """An app like the `app` fixture's, on the database at `url`, with `overrides` applied."""
    return create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, **overrides})


def migrate(url: str) -> None:
    """Build the schema of the database at `url` by running the Alembic migrations."""
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def empty_tables() -> None:
    """Delete every row (inside an app context), children before parents."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def migrated_sqlite_app(directory: Path, **overrides: object) -> Flask:
    """A fresh app on its own migrated SQLite file in `directory`, as `scripts/run` builds it (CSRF on)."""
    from flask_migrate import upgrade

    config: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'quizapp.sqlite3'}",
        "SECRET_KEY": "live-server-secret",
    }
    app = create_app({**config, **overrides})
    with app.app_context():
        upgrade()
    return app


def load_question_bank(app: Flask) -> None:
    """Load the real question bank from questions/, as `quizapp questions load` does."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["questions", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()


class LiveServer:
    """The app served over real HTTP from a background thread (browser tests and benchmarks)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """Serve `app` over HTTP for the `with` block, then stop and close its database connections."""
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()
        jobs.shutdown(app)  # a grading pool started by a request must not outlive its server
        with app.app_context():
            db.engine.dispose()
