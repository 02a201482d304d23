"""Mock interview pages: start a timed interview, take it (static/interview.js talks to api/interviews.py),
and read its report. The rules live in services/interviews.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("interview", __name__)

from quizapp.interview import views  # noqa: E402,F401
