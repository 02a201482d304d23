"""Pooled database connections are checked before use only when they have sat idle in the pool.

SQLAlchemy's `pool_pre_ping` checks every connection at every checkout: one more round trip per request,
which under load is a few percent of the web processes' CPU and of the database's. A connection handed back
to the pool a moment ago was working then; one that sat idle may have been closed meanwhile (a database
restart, an idle timeout, a failover). So the check runs only after DATABASE_PING_IDLE_SECONDS in the pool
(0: at every checkout, like `pool_pre_ping`). A restart is never faster than that, so every connection left
over from before one is checked; a connection that fails while in use is handled as before: SQLAlchemy sees
the disconnect and drops every pooled connection older than it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

_IDLE_SINCE = "quizapp_idle_since"  # ConnectionPoolEntry.info key: when the connection was last known good


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Check a connection at checkout when it sat in `engine`'s pool for `idle_seconds` or longer."""
    dialect = engine.dialect

    def known_good(dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool drops this and every older connection, then retries with a fresh one.
                raise InvalidatePoolError(f"idle connection found closed: {type(error).__name__}") from error
            raise

    event.listen(engine, "connect", known_good)
    event.listen(engine, "checkin", known_good)
    event.listen(engine, "checkout", check)
