"""The shipped question bank's drills, for tests and benchmarks that call the grader outside the app (the
app reads its drills from QUESTIONS_DIR; the grader takes a drill's spec, never a slug)."""

from __future__ import annotations

from pathlib import Path

from quizapp.bank import DrillSpec, load_drills

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "questions"


def shipped_drills() -> dict[str, DrillSpec]:
    """Every drill of questions/, keyed by slug in position order."""
    return load_drills(QUESTIONS_DIR)


def shipped_drill(slug: str) -> DrillSpec:
    """One drill of questions/ by slug."""
    return shipped_drills()[slug]
