"""Account security: forged forms are refused, user-controlled text is escaped, cookies are locked down,
passwords are stored only as salted hashes, and password guessing is rate-limited."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.apps import make_app
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.auth.views import TOO_MANY_LOGINS
from quizapp.extensions import db
from quizapp.models import User

PASSWORD = "correct horse battery"
IMG_PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def other_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build an app like the `app` fixture's (same database, emptied tables) with some settings changed."""
    made: list[Flask] = []

    def build(**overrides: object) -> Flask:
        made.append(make_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides))
        return made[-1]

    yield build
    for built in made:
        with built.app_context():
            db.engine.dispose()


def _users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(select(User).order_by(User.id)))


def _csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_forms_without_the_csrf_token_are_refused(other_app: Callable[..., Flask]) -> None:
    protected = other_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    form = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD}

    forged = client.post("/auth/register", data=form)
    assert forged.status_code == 400
    assert "The form&#39;s security token is missing" in forged.get_data(as_text=True)
    assert _users() == []
    assert client.post("/auth/login", data=form).status_code == 400

    form["csrf_token"] = _csrf_token(client, "/auth/register")
    assert client.post("/auth/register", data=form).status_code == 302
    assert [u.username for u in _users()] == ["ada"]

    # Logged in now: a forged logout or settings change does nothing either.
    assert client.post("/auth/logout").status_code == 400
    settings = {"desired_retention": "0.8", "new_cards_per_day": "5", "timezone": "UTC"}
    assert client.post("/auth/settings", data=settings).status_code == 400
    assert client.get("/auth/settings").status_code == 200
    assert _users()[0].new_cards_per_day == 20


def test_a_username_with_markup_is_refused_and_echoed_escaped(client: FlaskClient) -> None:
    name = "<script>alert(1)</script>"
    response = client.post(
        "/auth/register", data={"username": name, "password": PASSWORD, "confirm": PASSWORD}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use 3 to 40 characters." in page or "Use only letters, digits" in page
    assert name not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _users() == []


def test_a_username_with_markup_already_stored_is_shown_escaped(client: FlaskClient, auth) -> None:
    # Accounts made before the username rule, or by an import, must still be harmless on every page.
    db.session.add(User(username=IMG_PAYLOAD, password_hash=generate_password_hash(PASSWORD)))
    db.session.commit()
    response = auth.login(IMG_PAYLOAD)
    assert response.status_code == 302
    for path in (response.location, "/auth/settings"):
        page = client.get(path).get_data(as_text=True)
        assert IMG_PAYLOAD not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_session_and_remember_cookies_are_httponly_and_samesite(client: FlaskClient, auth) -> None:
    auth.register("ada")
    auth.logout()
    response = client.post("/auth/login", data={"username": "ada", "password": PASSWORD, "remember": "y"})
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= cookies.keys()
    for header in (cookies["session"], cookies["remember_token"]):
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header


def test_passwords_are_stored_only_as_salted_hashes(client: FlaskClient, auth) -> None:
    auth.register("ada")
    auth.logout()
    auth.register("bob")
    ada, bob = _users()
    for user in (ada, bob):
        assert PASSWORD not in user.password_hash
        assert user.password_hash.split(":", 1)[0] in {"scrypt", "pbkdf2"}
        assert check_password_hash(user.password_hash, PASSWORD)
    assert ada.password_hash != bob.password_hash


def test_password_guessing_is_rate_limited(other_app: Callable[..., Flask]) -> None:
    limited = other_app(RATELIMIT_ENABLED=True)
    client = limited.test_client()
    guess = {"username": "ada", "password": "guess guess"}
    for _ in range(10):
        assert client.post("/auth/login", data=guess).status_code == 200
    refused = client.post("/auth/login", data=guess)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert TOO_MANY_LOGINS in page
    assert "Traceback" not in page
    assert client.get("/auth/login").status_code == 200  # only the POSTs are counted
