"""Accounts in the browser: register, log in, log out, and the settings page.

Also decides what an anonymous request to a protected page or API endpoint gets (a redirect or JSON 401).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from quizapp.auth import views  # noqa: E402,F401
