"""JSON API for reference solutions: read one once the drill is passed (or failed three times and asked
for), and make that ask.

GET /api/drills/<slug>/solution → 200 {code, conventions, diff, ...} or 403 while closed;
POST /api/drills/<slug>/solution/unlock → 200 once three failures allow it, 403 before.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, url_for
from flask_login import current_user

from quizapp.api import protect
from quizapp.extensions import unit_of_work
from quizapp.services.solutions import (
    DiffLine,
    ReferenceSolution,
    SolutionAccess,
    ask_for_solution,
    reference_solution,
)

bp = protect(Blueprint("solutions_api", __name__, url_prefix="/api"))


@bp.get("/drills/<slug>/solution")
def show_solution(slug: str) -> Response:
    return jsonify(solution_json(reference_solution(current_user, slug)))


@bp.post("/drills/<slug>/solution/unlock")
@unit_of_work()
def unlock_solution(slug: str) -> Response:
    return jsonify(access_json(ask_for_solution(current_user, slug)))


def access_json(access: SolutionAccess) -> dict[str, Any]:
    return {
        "drill": access.drill,
        "unlocked": access.unlocked,
        "passed": access.passed,
        "failures": access.failures,
        "asked": access.asked,
        "url": url_for("drills.solution", slug=access.drill),
        "api_url": url_for("solutions_api.show_solution", slug=access.drill),
    }


def solution_json(solution: ReferenceSolution) -> dict[str, Any]:
    """The reference code, the conventions the grader accepts, and the diff from your latest code to it."""

    def side(line: DiffLine | None) -> dict[str, Any] | None:
        return {"number": line.number, "text": line.text} if line is not None else None

    latest = solution.latest
    return {
        "drill": solution.drill,
        "framework": solution.framework,
        "code": solution.code,
        "conventions": [{"name": name, "rule": rule} for name, rule in solution.conventions.items()],
        "unlocked_by": "passing" if solution.access.passed else "asking",
        "your_submission": None
        if latest is None
        else {"id": latest.id, "url": url_for("drills.submission", submission_id=latest.id)},
        "diff": [
            {"kind": row.kind, "yours": side(row.yours), "reference": side(row.reference)}
            for row in solution.diff
        ],
    }
