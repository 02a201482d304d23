"""The flashcard review page: one card at a time, keyboard-first, talking to the JSON API in api/review.py.

The view renders the page shell; static/review.js fetches cards and posts ratings.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)

from quizapp.review import views  # noqa: E402,F401
