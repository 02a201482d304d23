"""POST /bench/floor-rating: the durable work of a rating and nothing else, the rating benchmark's floor.

Registered only when the BENCH_FLOOR_ROUTE setting is on (off by default). Like POST /api/reviews it needs a
live login (401) and the CSRF token (the app-wide check).
Body: `{"card": "<slug>", "idempotency_key": "<key>"}`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from quizapp.errors import error_response
from quizapp.extensions import unit_of_work
from quizapp.services.rating_floor import FloorRatingError, record_floor_rating

bp = Blueprint("rating_floor", __name__, url_prefix="/bench")

KEY_LIMIT = 64  # reviews.idempotency_key is a VARCHAR(64)


@bp.before_request
def _require_login() -> tuple[Response | str, int] | None:
    if not current_user.is_authenticated:
        return error_response(401, "Log in first (POST /auth/login).")
    return None


@bp.errorhandler(FloorRatingError)
def _refused(exc: FloorRatingError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.message)


@bp.post("/floor-rating")
@unit_of_work()
def floor_rating() -> tuple[Response, int]:
    payload = request.get_json(silent=True)
    card = payload.get("card") if isinstance(payload, dict) else None
    key = payload.get("idempotency_key") if isinstance(payload, dict) else None
    if not (isinstance(card, str) and card and isinstance(key, str) and 0 < len(key) <= KEY_LIMIT):
        raise FloorRatingError(400, 'Send {"card": "<slug>", "idempotency_key": "<up to 64 characters>"}.')
    record_floor_rating(current_user.id, card, key)
    return jsonify(card=card), 201
