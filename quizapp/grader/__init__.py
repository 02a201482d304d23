"""Pure grading library: drills, test problems, reference optimizers, comparison and diagnosis.

No Flask and no database here; `grade()` runs a submission in the sandbox and returns a `Verdict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizapp.grader.drills import DrillSpec, UnknownDrill, load_drills

if TYPE_CHECKING:
    from quizapp.grader.grading import grade
    from quizapp.grader.verdict import Verdict

__all__ = ["DrillSpec", "UnknownDrill", "Verdict", "grade", "load_drills"]


def __getattr__(name: str) -> Any:
    # grade() pulls in SymPy and NumPy; loading them lazily keeps `load_drills` cheap for the web pages.
    if name == "grade":
        from quizapp.grader.grading import grade

        return grade
    if name == "Verdict":
        from quizapp.grader.verdict import Verdict

        return Verdict
    raise AttributeError(f"module 'quizapp.grader' has no attribute {name!r}")
