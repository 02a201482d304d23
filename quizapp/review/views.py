"""Review page views: the session page for all topics or one topic."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from quizapp.review import bp
from quizapp.services import review as reviews


@bp.get("/review", defaults={"topic": None})
@bp.get("/review/<topic>")
@login_required
def session(topic: str | None) -> str:
    """The session page; `?card=<slug>` shows that card first (links from drill diagnoses)."""
    if topic is not None:
        reviews.require_topic(topic)
    focus_card = request.args.get("card") or None
    if focus_card is not None:
        reviews.live_card(focus_card)
    return render_template(
        "review/session.html",
        topic=topic,
        topics=reviews.topic_counts(current_user),
        focus_card=focus_card,
    )
