"""POST /bench/floor-rating: the durable work of a rating and nothing else, the rating benchmark's floor.

Registered only when the BENCH_FLOOR_ROUTE setting is on (off by default). Like POST /api/reviews it needs a
live login (401) and the CSRF token (the app-wide check).
Body: `{"card": "<slug>", "idempotency_key": "<key>"}`.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request
from flask_login import current_user

from quizapp.api import require_login
from quizapp.extensions import unit_of_work
from quizapp.services.rating_floor import record_floor_rating

bp = Blueprint("rating_floor", __name__, url_prefix="/bench")
bp.before_request(require_login)  # the API's login check; the request's shape is checked below

KEY_LIMIT = 64  # reviews.idempotency_key is a VARCHAR(64)


@bp.post("/floor-rating")
@unit_of_work()
def floor_rating() -> tuple[Response, int]:
    payload = request.get_json(silent=True)
    card = payload.get("card") if isinstance(payload, dict) else None
    key = payload.get("idempotency_key") if isinstance(payload, dict) else None
    if not (isinstance(card, str) and card and isinstance(key, str) and 0 < len(key) <= KEY_LIMIT):
        abort(400, 'Send {"card": "<slug>", "idempotency_key": "<up to 64 characters>"}.')
    record_floor_rating(current_user.id, card, key)
    return jsonify(card=card), 201
