from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from quizapp.auth.forms import OnboardingForm, show_errors
from quizapp.extensions import unit_of_work
from quizapp.pages import bp
from quizapp.services import accounts, daily


@bp.get("/")
def index() -> str:
    """The Today page once signed in; the welcome page before."""
    if not current_user.is_authenticated:
        return render_template("index.html", today=None)
    return render_template("index.html", today=daily.today_overview(current_user))


@bp.route("/welcome", methods=["GET", "POST"])
@login_required
def onboarding() -> str | BaseResponse:
    """Right after registering: interview date, minutes a day, time zone and known topics (skippable)."""
    form = OnboardingForm(obj=current_user)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                daily.finish_onboarding(current_user, form.to_choices())
        except accounts.AccountError as error:
            show_errors(form, error)
        else:
            flash("Your plan is ready. Change it any time in Settings.", "success")
            return redirect(url_for("pages.index"))
    return render_template("pages/onboarding.html", form=form, timezone_names=accounts.timezone_names())


@bp.post("/plan/pace")
@login_required
def adopt_plan_pace() -> BaseResponse:
    with unit_of_work():
        limit = daily.adopt_plan_pace(current_user)
    flash(f"Your daily new-card limit is now {limit}, the plan's pace.", "success")
    return redirect(url_for("pages.index"))


# The navigation bar's entries (endpoint, label), in this order: the template global `nav_links`.
NAV = (
    ("pages.index", "Today"),
    ("review.session", "Review"),
    ("drills.index", "Drills"),
    ("cards.browse", "Cards"),
    ("interview.start_page", "Mock interview"),
    ("progress.dashboard", "Progress"),
    ("auth.settings", "Settings"),
)
