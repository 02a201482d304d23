"""JSON API for progress: GET /api/progress (overall and per topic) and GET /api/progress/<topic>.

The same numbers as the dashboard, from the same service; login and errors like the rest of /api.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from quizapp.api import protect
from quizapp.services import progress

bp = protect(Blueprint("progress_api", __name__, url_prefix="/api/progress"))


@bp.get("")
def overall() -> Response:
    return jsonify(progress.report_to_dict(progress.user_progress(current_user)))


@bp.get("/<topic>")
def topic(topic: str) -> Response:
    return jsonify(progress.report_to_dict(progress.user_progress(current_user, topic=topic)))
