"""Progress pages: the per-topic dashboard with charts, focused sessions on weak cards, export and import,
and "optimize my scheduler". JSON twins of the numbers live in `progress/api.py` under /api/progress."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("progress", __name__)

from quizapp.progress import views  # noqa: E402,F401
