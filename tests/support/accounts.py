"""Accounts in tests: the auth pages driven through a test client, or users made and logged in directly."""

from __future__ import annotations

from flask import g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from quizapp.extensions import db, unit_of_work
from quizapp.models import User
from quizapp.services import accounts

PASSWORD = "correct horse battery"


class AuthActions:
    """The `auth` fixture: register, log in and log out through the real auth pages."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def register(self, username: str = "ada", password: str = PASSWORD) -> TestResponse:
        return self._client.post(
            "/auth/register",
            data={"username": username, "password": password, "confirm": password},
        )

    def login(self, username: str = "ada", password: str = PASSWORD) -> TestResponse:
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> TestResponse:
        return self._client.post("/auth/logout")


def sign_up(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    """Register (which also logs in) through the real auth pages."""
    response = AuthActions(client).register(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def make_user(username: str = "ada", **settings: object) -> User:
    """A user stored directly, without the auth pages (the password hash is a placeholder)."""
    user = User(username=username, password_hash="not-a-real-hash", **settings)
    db.session.add(user)
    db.session.commit()
    return user


def login(client: FlaskClient, user: User) -> None:
    """Log in through a new server-side login and Flask-Login's session keys, without the auth pages."""
    # The `app` fixture keeps one app context (and so one `g`) for the whole test: drop Flask-Login's cache.
    g.pop("_login_user", None)
    login_id = login_id_for(user)
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True


def login_id_for(user: User) -> str:
    """What a logged-in session holds as `_user_id` for a new login of `user` (a live server-side login)."""
    with unit_of_work():
        return accounts.start_login(user).get_id()
