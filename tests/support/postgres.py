"""Throwaway PostgreSQL databases on the server at 127.0.0.1:5432, for test runs and benchmarks.

`QUIZAPP_TEST_PG` names the administrative connection (default: user postgres on database postgres).
"""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("QUIZAPP_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def create_database(prefix: str) -> tuple[str, str]:
    """A new empty database called `<prefix>_<random hex>`; returns its name and SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _run_as_admin(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    """Drop the database, closing the connections still open on it."""
    _run_as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_as_admin(statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()
