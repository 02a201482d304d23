"""Mock interview page views: the start page, the running interview, its report, finishing it."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from quizapp.extensions import unit_of_work
from quizapp.interview import bp
from quizapp.services import interviews
from quizapp.services.interviews import InterviewReport
from quizapp.services.submissions import drill_specs
from quizapp.srs import mock_interview


@bp.get("/interview")
@login_required
@unit_of_work()  # reading finishes interviews whose time ran out
def start_page() -> str:
    return render_template(
        "interview/start.html",
        running=interviews.running_interview(current_user),
        minutes=current_user.interview_minutes or mock_interview.MINUTES_DEFAULT,
        cards=mock_interview.card_count(current_user.interview_minutes or mock_interview.MINUTES_DEFAULT),
        history=interviews.interview_history(current_user)[::-1],
    )


@bp.post("/interview")
@login_required
@unit_of_work()
def start() -> BaseResponse:
    running = interviews.running_interview(current_user)
    if running is not None:
        flash("You have a mock interview running; here it is.", "info")
        return redirect(url_for("interview.show", interview_id=running.id))
    interview = interviews.start_interview(current_user)
    return redirect(url_for("interview.show", interview_id=interview.id))


@bp.get("/interview/<int:interview_id>")
@login_required
@unit_of_work()  # reading finishes an interview whose time ran out
def show(interview_id: int) -> str:
    found = interviews.interview_or_report(current_user, interview_id)
    if isinstance(found, InterviewReport):
        return render_template("interview/report.html", report=found)
    spec = drill_specs().get(found.drill_slug) if found.drill_slug else None
    return render_template(
        "interview/session.html",
        interview=found,
        seconds_left=interviews.seconds_left(found),
        drill_spec=spec,
    )


@bp.post("/interview/<int:interview_id>/finish")
@login_required
@unit_of_work()
def finish(interview_id: int) -> BaseResponse:
    interviews.finish_interview(current_user, interview_id)
    return redirect(url_for("interview.show", interview_id=interview_id))
