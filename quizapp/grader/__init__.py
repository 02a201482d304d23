"""Pure grading library: test problems, reference optimizers, the sandbox, comparison and diagnosis.

No Flask and no database here; `grade(spec, code)` runs a submission for a drill read from the question bank
(`quizapp.bank.load_drills`) in the sandbox and returns a `Verdict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizapp.grader.grading import grade
    from quizapp.grader.verdict import Verdict

__all__ = ["Verdict", "grade"]


def __getattr__(name: str) -> Any:
    # grade() pulls in SymPy and NumPy; loading them lazily keeps `import quizapp.grader` cheap.
    if name == "grade":
        from quizapp.grader.grading import grade

        return grade
    if name == "Verdict":
        from quizapp.grader.verdict import Verdict

        return Verdict
    raise AttributeError(f"module 'quizapp.grader' has no attribute {name!r}")
