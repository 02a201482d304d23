"""JSON API for cards themselves: browse and search them, suspend, unsuspend, bury or reset one, report a
problem with one.

GET /api/cards?q=&topic=&kind=&tag=&state=&sort=&page= → a page of cards; POST /api/cards/<slug>/<action>
(suspend | unsuspend | bury | reset) → the card as it is now; POST /api/cards/<slug>/reports
{"reason": "..."} → 201 with the report (rate-limited per person). Login and CSRF like every API POST.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_login import current_user

from quizapp.api import protect
from quizapp.extensions import limiter, unit_of_work
from quizapp.models import CardReport
from quizapp.services import card_browser
from quizapp.services.card_browser import BrowsedCard
from quizapp.services.card_reports import report_card

bp = protect(Blueprint("cards_api", __name__, url_prefix="/api"))

# Enough for a learner who finds several wrong cards in a session; too few to flood the maintainers.
REPORTS_RATE_LIMIT = "5 per minute; 50 per day"


def _per_person() -> str:
    return f"card-reports:user:{current_user.get_id()}"


@bp.get("/cards")
def list_cards() -> Response:
    results = card_browser.search_cards(current_user, card_browser.card_query(request.args))
    return jsonify(
        cards=[browsed_card_json(found) for found in results.cards],
        total=results.total,
        page=results.query.page,
        pages=results.pages,
        page_size=card_browser.PAGE_SIZE,
    )


@unit_of_work()
def act_on_card(slug: str, action: str) -> Response:
    return jsonify(card=browsed_card_json(card_browser.act_on_card(current_user, action, slug)))


# One route per action (POST /api/cards/<slug>/suspend ...): each is its own operation in openapi.yaml.
for _action in card_browser.ACTIONS:
    bp.add_url_rule(
        f"/cards/<slug>/{_action}",
        endpoint=f"{_action}_card",
        view_func=act_on_card,
        methods=["POST"],
        defaults={"action": _action},
    )


def browsed_card_json(found: BrowsedCard) -> dict[str, Any]:
    state = found.state
    return {
        "slug": found.card.slug,
        "topic": found.card.topic_slug,
        "kind": found.card.kind,
        "front": found.card.front,
        "tags": list(found.card.tags or []),
        "state": found.state_name,
        "due": state.due.isoformat() if state else None,
        "difficulty": state.difficulty if state else None,
        "reps": state.reps if state else 0,
        "lapses": state.lapses if state else 0,
        "suspended": found.suspended,
        "buried_until": found.buried_until.isoformat() if found.buried_until else None,
        "leech": found.leech,
        "url": url_for("cards.card_page", slug=found.card.slug),
    }


@bp.post("/cards/<slug>/reports")
@limiter.limit(
    REPORTS_RATE_LIMIT,
    key_func=_per_person,
    error_message="You have sent several reports in a short time; wait a minute, then send this one again.",
    exempt_when=lambda: not current_user.is_authenticated,  # answered with 401 instead
)
@unit_of_work()
def create_report(slug: str) -> tuple[Response, int, dict[str, str]]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, 'Send a JSON object like {"reason": "The back says 0.9 but it is 0.99."}.')
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
