"""Card page views: one card with its answer, source, the learner's memory state and their reports."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user, login_required

from quizapp.cards import bp
from quizapp.errors import error_response
from quizapp.services import card_reports
from quizapp.services.card_reports import CardReportError


@bp.errorhandler(CardReportError)
def _card_error(exc: CardReportError) -> tuple[Response | str, int]:
    return error_response(exc.status, exc.message)


@bp.get("/<slug>")
@login_required
def card_page(slug: str) -> str:
    return render_template("cards/card.html", page=card_reports.card_page(current_user, slug))
