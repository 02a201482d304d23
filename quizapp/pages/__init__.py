"""Site-wide pages: the home page and health check."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)

from quizapp.pages import views  # noqa: E402,F401
