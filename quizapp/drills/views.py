"""Drill page views: parse the request, call `services.submissions`, render; plus the `drl_value` filter
(registered by the app factory).

Submitting happens through the JSON API (quizapp/api/submissions.py), which the editor page calls.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import abort, current_app, render_template, url_for
from flask_login import current_user, login_required

from quizapp import jobs
from quizapp.drills import bp
from quizapp.services import solutions as solutions_service
from quizapp.services import submissions as service

# A long vector in a result (a divergence point) shows this many items, then an ellipsis.


@bp.record_once
def _setup(state: Any) -> None:
    jobs.init_app(state.app)


@bp.before_request
def _start_grading_pool() -> None:
    # The in-process pool starts with the first drills request and picks up rows a restart left queued.
    jobs.ensure_started(current_app._get_current_object())  # type: ignore[attr-defined]


@bp.get("/drills")
@login_required
def index() -> str:
    return render_template("drills/index.html", topics=service.drill_overview(current_user))


@bp.get("/drills/<slug>")
@login_required
def drill(slug: str) -> str:
    drill_row, spec = service.drill_with_spec(slug)
    history = service.drill_history(current_user, slug)
    return render_template(
        "drills/drill.html",
        drill=drill_row,
        spec=spec,
        latest=history[0] if history else None,
        attempts=len(history),
        solution=solutions_service.solution_access(current_user, slug),
        importmap=editor_importmap(),
    )


@bp.get("/drills/<slug>/solution")
@login_required
def solution(slug: str) -> str:
    """The reference solution beside the person's latest code; 403 with the reason while it is closed."""
    return render_template(
        "drills/solution.html", solution=solutions_service.reference_solution(current_user, slug)
    )


@bp.get("/drills/<slug>/submissions")
@login_required
def history(slug: str) -> str:
    drill_row, spec = service.drill_with_spec(slug)
    return render_template(
        "drills/history.html",
        drill=drill_row,
        spec=spec,
        submissions=service.drill_history(current_user, slug),
    )


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int) -> str:
    found = service.owned_submission(current_user, submission_id)
    return render_template(
        "drills/submission.html",
        submission=found,
        drill_title=_drill_title(found.drill_slug),
        previous=service.previous_submission(found),
    )


@bp.get("/submissions/<int:submission_id>/result")
@login_required
def submission_result(submission_id: int) -> str:
    """The result panel alone, for the editor page to insert once grading finishes."""
    return render_template(
        "drills/_result.html", submission=service.owned_submission(current_user, submission_id)
    )


@bp.get("/submissions/<int:submission_id>/compare")
@login_required
def compare(submission_id: int) -> str:
    found = service.owned_submission(current_user, submission_id)
    previous = service.previous_submission(found)
    if previous is None:
        abort(404, "This is your first attempt at this drill, so there is nothing to compare it with.")
    return render_template(
        "drills/compare.html",
        submission=found,
        previous=previous,
        drill_title=_drill_title(found.drill_slug),
        diff=service.code_diff(previous, found),
    )


def _drill_title(slug: str) -> str:
    spec = service.drill_specs().get(slug)
    return spec.title if spec else slug


def editor_importmap() -> dict[str, Any]:
    """The vendored CodeMirror import map with every target resolved under /static/vendor/cm/."""
    base = url_for("static", filename="vendor/cm/")
    raw = _read_importmap(str(Path(current_app.static_folder or "") / "vendor" / "cm" / "importmap.json"))
    imports = {
        name: target if target.startswith(("/", "http:", "https:")) else base + target.removeprefix("./")
        for name, target in raw.get("imports", {}).items()
    }
    return {"imports": imports}


@lru_cache(maxsize=2)
def _read_importmap(path: str) -> dict[str, Any]:
    file = Path(path)
    return json.loads(file.read_text()) if file.exists() else {}
