"""Pages about single cards: `/cards/<slug>` shows a card, the learner's memory state and their reports.

The room will grow into a card browser; `quizapp cards ...` (cli.py) holds the maintainers' commands.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cards", __name__, url_prefix="/cards")

from quizapp.cards import views  # noqa: E402,F401
