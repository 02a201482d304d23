"""Flask extensions, created unbound here and bound to an app in `create_app`; and the unit of work that
commits the database session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work: commit what the block wrote when it ends, or roll all of it back (and re-raise)
    when it raises. Whoever starts the work — a view, an API view, a CLI command, a job — opens it once;
    services only write to the session and flush. Also usable as a decorator: `@unit_of_work()`.

    Not nested: an inner one would commit the outer one's work halfway, so opening a second is an error."""
    session = db.session()
    if session.info.get(_UNIT_OF_WORK):
        raise RuntimeError("A unit of work is open already: only whoever starts the work opens one.")
    session.info[_UNIT_OF_WORK] = True
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_UNIT_OF_WORK, None)


_UNIT_OF_WORK = "quizapp.unit_of_work"


@contextmanager
def savepoint() -> Iterator[None]:
    """A part of the caller's unit of work that may fail alone (SAVEPOINT): when the block raises, what it
    wrote is undone and the rest of the unit of work stays, e.g. to read what a concurrent request stored.

    SQLite's Python driver begins a transaction only before a write, and releasing a savepoint that began
    the transaction would commit it: so the transaction is begun first, taking SQLite's write lock."""
    _begin_writing_on_sqlite()
    with db.session.begin_nested():
        yield


def lock_user(user_id: int) -> None:
    """Make the caller's unit of work the only one changing this person's data until it ends (two tabs, a
    double click, two imports at once), so a check it reads next ("nothing running yet", "a fresh account")
    still holds when it writes. PostgreSQL locks the person's row (SELECT … FOR UPDATE); SQLite, which has no
    row locks, takes its database write lock now (BEGIN IMMEDIATE), and the other request waits for it."""
    if _begin_writing_on_sqlite():
        return
    from quizapp.models import User

    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _begin_writing_on_sqlite() -> bool:
    """On SQLite, begin the transaction with the database write lock unless one is open (the Python driver
    opens one only before a write, which then holds that lock already). False on other databases."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return True
