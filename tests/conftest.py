"""Shared fixtures: an app per database backend, its client and CLI runner, and an `auth` helper.

The schema is built once per test session by running the Alembic migrations (so migrations are exercised
by every run); each test then starts from empty tables. PostgreSQL tests use a throwaway database created
on the server at 127.0.0.1:5432 and dropped at the end of the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from quizapp import create_app
from quizapp.extensions import db

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("QUIZAPP_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_database(name: str, action: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if action == "create":
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for the whole run: {'sqlite': url, 'postgres': url}."""
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    pg_name = f"quizapp_test_{uuid.uuid4().hex[:10]}"
    pg_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + pg_name
    _pg_database(pg_name, "create")
    urls = {"sqlite": sqlite_url, "postgres": pg_url}
    try:
        for url in urls.values():
            _migrate(url, tmp_path_factory.mktemp("instance"))
        yield urls
    finally:
        _pg_database(pg_name, "drop")


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def make_app(url: str, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret",
    }
    config.update(overrides)
    return create_app(config)


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(database_urls: dict[str, str], backend: str) -> Iterator[Flask]:
    app = make_app(database_urls[backend])
    with app.app_context():
        _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def register(self, username: str = "ada", password: str = "correct horse battery"):
        return self._client.post(
            "/auth/register",
            data={"username": username, "password": password, "confirm": password},
        )

    def login(self, username: str = "ada", password: str = "correct horse battery"):
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
