from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy import text

from quizapp.extensions import db
from quizapp.pages import bp
from quizapp.prose import render_prose


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    db.session.execute(text("select 1"))
    return jsonify(status="ok")


# Navigation entries, shown only for blueprints that are registered, in this order.
NAV = [
    ("review.session", "Review"),
    ("drills.index", "Drills"),
    ("progress.dashboard", "Progress"),
    ("auth.settings", "Settings"),
]


@bp.app_context_processor
def navigation() -> dict[str, list[tuple[str, str]]]:
    from flask import current_app

    return {"nav_links": [(e, label) for e, label in NAV if e in current_app.view_functions]}


# Card and drill texts everywhere go through the same escaping light-markup renderer.
bp.app_template_filter("prose")(render_prose)
