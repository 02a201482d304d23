"""The unit of work on both databases: it commits what its block wrote or, when the block raises, none of
it; it is opened once; and a savepoint inside it undoes only its own writes — also on SQLite, whose driver
would otherwise let the savepoint's release commit the whole transaction."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import IntegrityError

from quizapp.extensions import db, savepoint, unit_of_work
from quizapp.models import Topic


def add_topic(slug: str) -> None:
    db.session.add(Topic(slug=slug, title=slug.title(), position=0))
    db.session.flush()


def stored_topics() -> list[str]:
    """The topics another connection sees: only what was committed."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as connection:
            return sorted(connection.scalars(select(Topic.slug)))
    finally:
        engine.dispose()


def test_a_unit_of_work_commits_what_its_block_wrote(app: Flask) -> None:
    with unit_of_work():
        add_topic("adam")
        add_topic("sgd")
    assert stored_topics() == ["adam", "sgd"]


def test_a_unit_of_work_that_raises_writes_nothing(app: Flask) -> None:
    with pytest.raises(ValueError, match="refused"), unit_of_work():
        add_topic("adam")
        raise ValueError("refused")
    assert stored_topics() == []
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 0


def test_a_unit_of_work_is_opened_once(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="open already"), unit_of_work():
        add_topic("adam")
        with unit_of_work():
            add_topic("sgd")
    assert stored_topics() == []
    with unit_of_work():  # and it can be opened again afterwards
        add_topic("sgd")
    assert stored_topics() == ["sgd"]


def test_a_unit_of_work_works_as_a_decorator(app: Flask) -> None:
    @unit_of_work()
    def store(slug: str) -> None:
        add_topic(slug)

    store("adam")
    with pytest.raises(IntegrityError):
        store("adam")  # the same primary key: refused, rolled back
    assert stored_topics() == ["adam"]


def test_a_savepoint_after_reads_only_does_not_commit_the_unit_of_work(app: Flask) -> None:
    # SQLite's driver begins a transaction only before a write: without the BEGIN that savepoint() issues,
    # this savepoint would begin it, and releasing the savepoint would commit it.
    with pytest.raises(ValueError, match="later"), unit_of_work():
        db.session.scalar(select(func.count()).select_from(Topic))
        with savepoint():
            add_topic("adam")
        raise ValueError("later refusal")
    assert stored_topics() == []


def test_a_failed_savepoint_undoes_only_its_own_writes(app: Flask) -> None:
    with unit_of_work():
        add_topic("adam")
    with unit_of_work():
        add_topic("sgd")
        with pytest.raises(IntegrityError), savepoint():
            add_topic("rmsprop")
            add_topic("adam")  # already stored: the savepoint rolls back rmsprop too
        assert db.session.scalar(select(func.count()).select_from(Topic)) == 2  # the transaction goes on
        add_topic("momentum")
    assert stored_topics() == ["adam", "momentum", "sgd"]
