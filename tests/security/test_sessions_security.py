"""Logins end on the server: a session or remember cookie captured before logout, or before a password
change in another browser, logs nobody in afterwards; old CSRF tokens die with the session they came from.

Each "browser" is its own test client of an app built apart from the `app` fixture, so that no request
shares Flask-Login's per-request cache with another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import PASSWORD
from support.apps import make_app

from quizapp.extensions import db
from quizapp.models import Login

NEW_PASSWORD = "a different battery staple"


@pytest.fixture
def site(app: Flask) -> Iterator[Flask]:
    built = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    yield built
    with built.app_context():
        db.engine.dispose()


def _logged_in(client: FlaskClient) -> bool:
    status = client.get("/api/topics").status_code
    assert status in (200, 401)
    return status == 200


def _browser(site: Flask, **cookies: str) -> FlaskClient:
    """A new browser holding only the given cookies (name=value), as an attacker replaying them would."""
    client = site.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _log_in(site: Flask, remember: bool = False) -> FlaskClient:
    client = site.test_client()
    form = {"username": "ada", "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/auth/login", data=form).status_code == 302
    return client


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _register(site: Flask) -> None:
    client = site.test_client()
    data = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/auth/register", data=data).status_code == 302


def test_cookies_captured_before_logout_log_nobody_in_after_it(site: Flask) -> None:
    _register(site)
    victim = _log_in(site, remember=True)
    session, remember = _cookie(victim, "session"), _cookie(victim, "remember_token")
    # Before logout the captured cookies work, each on its own: that is what logout must undo.
    assert _logged_in(_browser(site, session=session))
    assert _logged_in(_browser(site, remember_token=remember))
    victim.post("/auth/logout")
    assert not _logged_in(victim)
    assert not _logged_in(_browser(site, session=session))
    assert not _logged_in(_browser(site, remember_token=remember))
    assert not _logged_in(_browser(site, session=session, remember_token=remember))


def test_logout_ends_only_that_browsers_login(site: Flask) -> None:
    _register(site)
    laptop, phone = _log_in(site), _log_in(site, remember=True)
    laptop.post("/auth/logout")
    assert not _logged_in(laptop)
    assert _logged_in(phone)
    assert _logged_in(_browser(site, remember_token=_cookie(phone, "remember_token")))


def test_a_password_change_ends_every_other_login_and_keeps_this_one(site: Flask) -> None:
    _register(site)
    here = _log_in(site, remember=True)
    elsewhere = _log_in(site, remember=True)
    stolen = {name: _cookie(elsewhere, name) for name in ("session", "remember_token")}
    assert _logged_in(elsewhere) and _logged_in(_browser(site, remember_token=stolen["remember_token"]))
    change = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert here.post("/auth/password", data=change).status_code == 302
    assert _logged_in(here)
    assert _logged_in(_browser(site, remember_token=_cookie(here, "remember_token")))
    assert not _logged_in(elsewhere)
    assert not _logged_in(_browser(site, session=stolen["session"]))
    assert not _logged_in(_browser(site, remember_token=stolen["remember_token"]))
    with site.app_context():
        assert db.session.scalar(select(func.count(Login.id))) == 1


def test_an_ended_logins_remember_cookie_is_deleted_from_the_browser(site: Flask) -> None:
    _register(site)
    here, elsewhere = _log_in(site), _log_in(site, remember=True)
    change = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    here.post("/auth/password", data=change)
    replay = _browser(site, remember_token=_cookie(elsewhere, "remember_token"))
    assert not _logged_in(replay)
    assert replay.get_cookie("remember_token") is None


@pytest.mark.parametrize(
    "login_id", ["1", "1:short", "99999999999999999999999:" + "a" * 43, "1:" + "a" * 43, "x:y:z", "\x00"]
)
def test_forged_or_stale_login_ids_log_nobody_in(site: Flask, login_id: str) -> None:
    _register(site)
    client = site.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_id  # signed with the real key: only the login id itself is wrong
    assert not _logged_in(client)


def _csrf_token(client: FlaskClient, path: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_a_csrf_token_from_before_logout_is_refused_after_logging_in_again(app: Flask) -> None:
    site = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = site.test_client()
    token = _csrf_token(client, "/auth/register")
    data = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token}
    assert client.post("/auth/register", data=data).status_code == 302
    old = _csrf_token(client, "/auth/settings")
    assert client.post("/auth/logout", data={"csrf_token": old}).status_code == 302
    login = {"username": "ada", "password": PASSWORD, "csrf_token": _csrf_token(client, "/auth/login")}
    assert client.post("/auth/login", data=login).status_code == 302
    settings = {"desired_retention": "0.85", "new_cards_per_day": "10", "timezone": "UTC"}
    assert client.post("/auth/settings", data=settings | {"csrf_token": old}).status_code == 400
    fresh = _csrf_token(client, "/auth/settings")
    assert client.post("/auth/settings", data=settings | {"csrf_token": fresh}).status_code == 302
    with site.app_context():
        db.engine.dispose()
