"""The verdict: one dataclass that is the single source of truth for the grader's JSON.

`Verdict.to_dict()` is exactly what `quizapp grade --json` prints and what the web app stores;
`format_value()` is how both the terminal and the pages print its numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal["passed", "failed", "error", "timeout", "rejected"]


def format_value(value: Any, limit: int | None = None) -> str:
    """A verdict's number to 6 significant digits, enough to see where two trajectories part; lists keep
    their nesting, cut after `limit` items (None: all) so a long vector stays readable; None is a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:.6g}"
    if isinstance(value, list):
        shown = value if limit is None else value[:limit]
        more = ", …" if len(shown) < len(value) else ""
        return "[" + ", ".join(format_value(item, limit) for item in shown) + more + "]"
    return str(value)


@dataclass(frozen=True)
class Diagnosis:
    """A recognised mistake: id, short title, one-paragraph explanation and the card that teaches it."""

    id: str
    title: str
    explanation: str
    card: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "explanation": self.explanation, "card": self.card}


@dataclass
class CaseResult:
    """One test problem: how many steps, the worst relative error, where it first went wrong."""

    problem: str
    steps: int
    max_rel_err: float | None
    first_divergence: dict[str, Any] | None
    passed: bool
    trajectory: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.max_rel_err
        return {
            "problem": self.problem,
            "steps": self.steps,
            "max_rel_err": error if error is not None and math.isfinite(error) else None,
            "first_divergence": self.first_divergence,
            "passed": self.passed,
            "trajectory": self.trajectory,
        }


@dataclass
class Verdict:
    """The grader's answer for one submission."""

    drill: str
    verdict: Outcome
    framework: str
    device: str
    seed: int | None
    convention: str | None = None
    diagnosis: Diagnosis | None = None
    cases: list[CaseResult] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    elapsed_ms: int = 0
    five_lines: bool | None = None
    message: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "verdict": self.verdict,
            "convention": self.convention,
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "cases": [case.to_dict() for case in self.cases],
            "stdout": self.stdout,
            "stderr": self.stderr,
            "elapsed_ms": self.elapsed_ms,
            "seed": self.seed,
            "framework": self.framework,
            "device": self.device,
            "five_lines": self.five_lines,
            "message": self.message,
        }
