"""A quick "Run": grade the editor's code on one of a drill's problems and hand back the verdict without
storing anything — no submission row, no progress, no review-queue update, not one of the three failures.

It runs in the request's own thread (the grading queue carries stored row ids only), so it is bounded: at
most RUNS_IN_FLIGHT runs per process at once, each within the sandbox's wall-clock limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app

from quizapp.models import User
from quizapp.services.errors import ServiceError
from quizapp.services.submissions import (
    _checked_code,
    _checked_framework,
    drill_with_spec,
)

RUNS_IN_FLIGHT = 2  # default for app.config["RUNS_IN_FLIGHT"]
_SLOTS_EXTENSION = "quizapp_run_slots"
_SLOTS_LOCK = threading.Lock()


@dataclass(frozen=True)
class DrillRun:
    drill: str
    problem: str
    verdict: dict[str, Any]


def run_drill(user: User, drill_slug: str, code: object, framework: object, problem: object) -> DrillRun:
    """Grade `code` on one problem (default: the drill's first) and return the verdict; nothing is stored."""
    from quizapp.grader import grade
    from quizapp.grader.sandbox import SandboxUnavailable

    _, spec = drill_with_spec(drill_slug)
    code_text = _checked_code(code)
    framework_name = _checked_framework(framework, spec)
    problem_name = problem or spec.grading.problems[0]
    if problem_name not in spec.grading.problems:
        offered = ", ".join(spec.grading.problems)
        raise ServiceError(400, f"This drill is graded on {offered}; there is no problem {problem_name!r}.")
    slots = _run_slots()
    if not slots.acquire(blocking=False):
        raise ServiceError(
            503, "The server is busy with other quick runs; try again in a few seconds, or submit."
        )
    try:
        verdict = grade(
            spec,
            code_text,
            framework=framework_name,
            device=current_app.config["GRADER_DEVICE"],
            problems=[str(problem_name)],
        )
    except SandboxUnavailable as exc:
        raise ServiceError(503, f"The grading sandbox is not available on this server: {exc}") from exc
    finally:
        slots.release()
    return DrillRun(drill_slug, str(problem_name), verdict.to_dict())


def _run_slots() -> threading.BoundedSemaphore:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _SLOTS_LOCK:
        slots = app.extensions.get(_SLOTS_EXTENSION)
        if slots is None:
            slots = threading.BoundedSemaphore(int(app.config.get("RUNS_IN_FLIGHT", RUNS_IN_FLIGHT)))
            app.extensions[_SLOTS_EXTENSION] = slots
    return slots
