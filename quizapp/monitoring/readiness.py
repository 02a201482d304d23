"""Readiness: whether this process can serve real work now (the database answers, and the queue when one
is configured). Each check names what failed by its exception type, never with connection details."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import text

from quizapp.extensions import db

# A readiness probe must answer fast even when Redis hangs; the queue's own connection waits longer.
QUEUE_PING_TIMEOUT_SECONDS = 1.0
_PING_CLIENT = "quizapp_readiness_redis"


def readiness(app: Flask) -> dict[str, str]:
    """{'database': 'ok' | 'failed: <ErrorType>', 'queue': ...} (queue only with QUEUE_URL)."""
    checks = {"database": _check(_ping_database)}
    if app.config.get("QUEUE_URL"):
        checks["queue"] = _check(lambda: _ping_queue(app))
    return checks


def _check(ping: Callable[[], None]) -> str:
    try:
        ping()
    except Exception as error:
        return f"failed: {type(error).__name__}"
    return "ok"


def _ping_database() -> None:
    try:
        db.session.execute(text("select 1"))
    finally:
        db.session.rollback()


def _ping_queue(app: Flask) -> None:
    client = app.extensions.get(_PING_CLIENT)
    if client is None:
        from redis import Redis

        client = app.extensions[_PING_CLIENT] = Redis.from_url(
            app.config["QUEUE_URL"],
            socket_connect_timeout=QUEUE_PING_TIMEOUT_SECONDS,
            socket_timeout=QUEUE_PING_TIMEOUT_SECONDS,
        )
    client.ping()
