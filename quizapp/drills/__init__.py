"""Drill pages: the list by topic, the editor with live grading, results with plots, and history.

Views stay thin: they call `quizapp.services.submissions` and render templates under templates/drills/.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("drills", __name__)

from quizapp.drills import views  # noqa: E402,F401
