"""Card pages: the browser (search, filter, sort, act on several cards at once) and one card with its
answer, source, the learner's memory state, review history and reports."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from quizapp.cards import bp
from quizapp.extensions import unit_of_work
from quizapp.progress.charts import Bar, column_chart
from quizapp.services import card_browser, card_reports
from quizapp.srs import Rating

DONE = {"suspend": "Suspended", "unsuspend": "Unsuspended", "bury": "Buried until tomorrow", "reset": "Reset"}


@bp.get("")
@login_required
def browse() -> str:
    results = card_browser.search_cards(current_user, card_browser.card_query(request.args))
    return render_template("cards/browse.html", results=results, args=request.args, options=card_browser)


@bp.post("")
@login_required
def act() -> BaseResponse:
    """The browser's form: one action on every ticked card, then back to the same search."""
    action = request.form.get("action", "")
    slugs = request.form.getlist("card")
    with unit_of_work():
        acted = card_browser.act_on_cards(current_user, action, slugs)
    flash(f"{DONE[action]}: {len(acted)} card{'' if len(acted) == 1 else 's'}.")
    return redirect(url_for("cards.browse", **_search_args()))


def _search_args() -> dict[str, str]:
    keys = ("q", "topic", "kind", "tag", "state", "sort", "page")
    return {key: request.form[key] for key in keys if request.form.get(key)}


@bp.get("/<slug>")
@login_required
def card_page(slug: str) -> str:
    history = card_browser.review_history(current_user, slug)
    bars = [
        Bar(review.reviewed_at.strftime("%m-%d"), review.rating, Rating(review.rating).name)
        for review in history
    ]
    return render_template(
        "cards/card.html",
        page=card_reports.card_page(current_user, slug),
        browsed=card_browser.browsed_card(current_user, slug),
        history=history,
        chart=column_chart("Your ratings of this card (1 Again … 4 Easy)", bars) if bars else None,
        rating_names={int(rating): rating.name for rating in Rating},
    )
