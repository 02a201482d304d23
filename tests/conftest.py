"""Shared fixtures: an app per database backend, its client and CLI runner, and an `auth` helper.

The schema is built once per test session by running the Alembic migrations (so migrations are exercised
by every run); each test then starts from empty tables. PostgreSQL tests use a throwaway database created
on the server at 127.0.0.1:5432 and dropped at the end of the run. The helpers behind these fixtures live
in tests/support/, importable from any test as `support.<module>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from support.accounts import AuthActions
from support.apps import empty_tables, make_app, migrate
from support.postgres import create_database, drop_database

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import User


@pytest.fixture(scope="session", autouse=True)
def answer_checking_slots_of_its_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test process checks typed answers in slots of its own. The slots are host-wide by design
    (quizapp/answers/equivalence.py): shared, the other xdist worker's long bank check, or anything else on
    the machine, would hold the one slot of a 2-core host and this process's checks would come back "busy"."""
    from quizapp.answers import equivalence

    patch = pytest.MonkeyPatch()
    patch.setattr(equivalence, "SLOTS_DIR", tmp_path_factory.mktemp("answer-checking-slots"))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for the whole run: {'sqlite': url, 'postgres': url}."""
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    pg_name, pg_url = create_database("quizapp_test")
    urls = {"sqlite": sqlite_url, "postgres": pg_url}
    try:
        for url in urls.values():
            migrate(url)
        yield urls
    finally:
        drop_database(pg_name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(database_urls: dict[str, str], backend: str) -> Iterator[Flask]:
    app = make_app(database_urls[backend])
    with app.app_context():
        empty_tables()
        yield app
        jobs.shutdown(app)  # a grading pool a drills request started must not outlive its test database
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def variant(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Apps like `app` (same database) with other settings; their connections closed at the end."""
    made: list[Flask] = []

    def build(**overrides: object) -> Flask:
        made.append(make_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides))
        return made[-1]

    yield build
    for other in made:
        jobs.shutdown(other)
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def bank(app: Flask) -> Iterator[None]:
    """The shipped question bank loaded as `quizapp questions load` loads it; the grading pool a test
    started is shut down at the end (a module may define its own `bank`, e.g. without the CLI)."""
    result = app.test_cli_runner().invoke(args=["questions", "load"])
    assert result.exit_code == 0, result.output
    yield
    jobs.shutdown(app)


@pytest.fixture
def ada(client: FlaskClient, auth, bank: None) -> User:
    """A person called ada, registered and logged in on `client`, with the bank loaded."""
    auth.register("ada")
    auth.login("ada")
    return db.session.scalars(db.select(User).where(User.username == "ada")).one()
