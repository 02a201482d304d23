"""Flask-Login's side of server-side logins: load the user of a live login, begin and end logins.

A cookie names a login (`User.get_id()` is `"<user id>:<token>"`), not just a user, so a captured session
or remember cookie stops working once its login ends. Logging out, or arriving with an ended login, empties
the session, and with it the CSRF token kept there: forms rendered before that are refused afterwards.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import login_user, logout_user
from flask_login.utils import decode_cookie

from quizapp.models import User
from quizapp.services import accounts


def load_user(login_id: str) -> User | None:
    """The user loader: None for an ended login, whose keys (and CSRF token) then leave the session."""
    user = accounts.user_for_login(login_id)
    if user is None:
        for key in ("_user_id", "_fresh", "_id", "csrf_token"):
            session.pop(key, None)
        if _remember_cookie_login() == login_id:
            session["_remember"] = "clear"  # Flask-Login deletes the dead remember cookie
    return user


def begin_login(user: User, remember: bool = False) -> None:
    """Log `user` in with a new server-side login."""
    login_user(accounts.start_login(user), remember=remember)


def end_login(user: User) -> None:
    """Log out: end the login on the server, then empty the session and drop the remember cookie."""
    accounts.end_login(user)
    session.clear()
    logout_user()


def _remember_cookie_login() -> str | None:
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return decode_cookie(cookie) if cookie else None
