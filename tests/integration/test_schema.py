"""The migrations are the schema: they must build exactly what the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from quizapp.extensions import db


def _outside_the_models(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """False for the card search index (migration 0005), which the models cannot describe portably: the
    SQLite FTS5 table with its shadow tables, and PostgreSQL's generated tsvector column and its GIN index."""
    if type_ == "table" and name is not None and name.startswith("cards_fts"):
        return False
    return not (type_ in ("column", "index") and name in ("search_vector", "ix_cards_search_vector"))


def test_migrations_match_the_models(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _outside_the_models})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models.py and migrations/ disagree; run scripts/regen-migration: {diff}"


def test_health_check_reaches_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_api_path_answers_json_not_html(client: FlaskClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404
