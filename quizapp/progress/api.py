"""JSON API for progress: GET /api/progress (overall and per topic) and GET /api/progress/<topic>.

The same numbers as the dashboard, from the same service; errors are JSON like the rest of /api.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_login import current_user

from quizapp.api.validation import validate_request
from quizapp.errors import error_response
from quizapp.services import progress

bp = Blueprint("progress_api", __name__, url_prefix="/api/progress")


@bp.before_request
def _require_login() -> tuple[Response | str, int] | None:
    if not current_user.is_authenticated:
        return error_response(401, "Log in to read your progress.")
    return None


bp.before_request(validate_request)  # after the login check: the OpenAPI document's request shapes


@bp.get("")
def overall() -> Response:
    return jsonify(progress.report_to_dict(progress.user_progress(current_user)))


@bp.get("/<topic>")
def topic(topic: str) -> Response | tuple[Response | str, int]:
    try:
        report = progress.user_progress(current_user, topic=topic)
    except progress.UnknownTopic as exc:
        return error_response(404, str(exc))
    return jsonify(progress.report_to_dict(report))
