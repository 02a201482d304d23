"""What the app-wide parts of a request cost the database: the login check reads the person once, the log
line never reads them again, and a pooled connection is checked (one round trip) only after sitting idle.

The apps here are built apart from the `app` fixture's (same database), so that each request gets its own
app context and database session, as under gunicorn."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from support.accounts import sign_up
from support.postgres import PG_ADMIN_URL
from support.review_cards import make_bank, new_key
from support.sql import statements_sent

from quizapp import create_app
from quizapp.extensions import db


@contextmanager
def statements_of(app: Flask) -> Iterator[list[str]]:
    """The SQL statements `app` sends while the block runs (whitespace collapsed)."""
    with app.app_context():
        engine = db.engine
    with statements_sent(engine) as sent:
        yield sent


@contextmanager
def pings_of(app: Flask) -> Iterator[list[float]]:
    """The connection checks (pings) `app`'s engine makes while the block runs."""
    with app.app_context():
        dialect = db.engine.dialect
    done: list[float] = []
    real = dialect.do_ping

    def ping(dbapi_connection: Any) -> bool:
        done.append(time.monotonic())
        return bool(real(dbapi_connection))

    dialect.do_ping = ping  # type: ignore[method-assign]
    try:
        yield done
    finally:
        del dialect.do_ping  # the class's own again


def _request_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " event=request " in line]


def test_a_rating_reads_the_person_once_and_still_logs_who_rated(
    variant: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    served = variant()
    with served.app_context():
        make_bank()
    client = served.test_client()
    sign_up(client, "ada")
    with statements_of(served) as sent:
        response = client.post(
            "/api/reviews", json={"card": "adam-beta-roles", "rating": 3, "idempotency_key": new_key()}
        )
    assert response.status_code == 201, response.data[:300]
    # The rating commits, which expires the loaded person: the log line must not load them again.
    reads_of_users = [statement for statement in sent if re.match(r"SELECT users\.id\b", statement)]
    assert len(reads_of_users) == 1, sent
    with served.app_context():
        user_id = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'ada'"))
    last_line = _request_lines(capsys.readouterr().err)[-1]
    assert " endpoint=review_api.create_review " in last_line
    assert f" user_id={user_id}" in last_line


def test_a_connection_reused_within_the_idle_window_is_not_checked(variant: Callable[..., Flask]) -> None:
    served = variant(DATABASE_PING_IDLE_SECONDS=60)
    client = served.test_client()
    with pings_of(served) as pings:
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    assert pings == []  # a new connection is known good; given back moments ago, it still is


def test_with_no_idle_window_every_checkout_is_checked(variant: Callable[..., Flask]) -> None:
    served = variant(DATABASE_PING_IDLE_SECONDS=0)
    client = served.test_client()
    assert client.get("/readyz").status_code == 200  # the pool's first connection: new, so not checked
    with pings_of(served) as pings:
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    assert len(pings) == 3


def _kill_pooled_connection(served: Flask) -> None:
    """End, on the server's side, the one connection `served`'s pool holds (as a database restart would)."""
    with served.app_context():
        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()  # back to the pool
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_idle_connection_the_server_closed_is_replaced_before_use(variant: Callable[..., Flask]) -> None:
    served = variant(DATABASE_PING_IDLE_SECONDS=0.2)
    client = served.test_client()
    assert client.get("/readyz").status_code == 200
    _kill_pooled_connection(served)
    time.sleep(0.3)  # idle past the window: checked at checkout, found closed, replaced
    with pings_of(served) as pings:
        response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert len(pings) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_connection_closed_within_the_idle_window_fails_one_request_then_the_pool_recovers(
    variant: Callable[..., Flask],
) -> None:
    """The price of not checking every checkout: a connection that dies moments after its last use (an
    operator ending backends by hand) fails the one request that next uses it. A database restart takes
    longer than the window, so its connections are all checked first (the test above)."""
    served = variant(DATABASE_PING_IDLE_SECONDS=60)
    client = served.test_client()
    assert client.get("/readyz").status_code == 200
    _kill_pooled_connection(served)
    failed = client.get("/readyz")
    assert failed.status_code == 503
    assert failed.get_json()["checks"]["database"].startswith("failed: ")
    assert client.get("/readyz").status_code == 200  # SQLAlchemy dropped the dead pool: fresh connections


def test_a_bad_idle_window_stops_the_start_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("-1", "soon", "nan", "inf"):
        monkeypatch.setenv("DATABASE_PING_IDLE_SECONDS", bad)
        with pytest.raises(ValueError, match="DATABASE_PING_IDLE_SECONDS must be a number of seconds"):
            create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
