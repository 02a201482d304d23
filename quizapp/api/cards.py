"""JSON API for cards themselves: report a problem with a card.

POST /api/cards/<slug>/reports {"reason": "..."} → 201 with the report; login and CSRF like every API POST,
rate-limited per person.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user

from quizapp.api.validation import validate_request
from quizapp.errors import error_response
from quizapp.extensions import limiter
from quizapp.models import CardReport
from quizapp.services.card_reports import CardReportError, report_card

bp = Blueprint("cards_api", __name__, url_prefix="/api")

# Enough for a learner who finds several wrong cards in a session; too few to flood the maintainers.
REPORTS_RATE_LIMIT = "5 per minute; 50 per day"


def _per_person() -> str:
    return f"card-reports:user:{current_user.get_id()}"


@bp.before_request
def _require_login() -> tuple[Response | str, int] | None:
    if not current_user.is_authenticated:
        return error_response(401, "Log in to report a problem with a card (POST /auth/login).")
    return None


bp.before_request(validate_request)  # after the login check: the OpenAPI document's request shapes


@bp.errorhandler(CardReportError)
def _report_error(exc: CardReportError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.message)


@bp.post("/cards/<slug>/reports")
@limiter.limit(
    REPORTS_RATE_LIMIT,
    key_func=_per_person,
    error_message="You have sent several reports in a short time; wait a minute, then send this one again.",
    exempt_when=lambda: not current_user.is_authenticated,  # answered with 401 instead
)
def create_report(slug: str) -> tuple[Response, int, dict[str, str]]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise CardReportError(400, 'Send a JSON object like {"reason": "The back says 0.9 but it is 0.99."}.')
    report = report_card(current_user, slug, payload.get("reason"))
    body = report_json(report)
    return jsonify(body), 201, {"Location": body["card_url"]}


def report_json(report: CardReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "card": report.card_slug,
        "reason": report.reason,
        "status": report.status,
        "card_version": report.card_version,
        "created_at": report.created_at.isoformat(),
        "card_url": url_for("cards.card_page", slug=report.card_slug),
    }
