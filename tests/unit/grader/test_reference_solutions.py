"""Every drill ships a readable reference solution (NumPy) that the grader passes through the sandbox, in one
of the conventions the drill accepts; both drill loaders read the `solution:` block and refuse a bad one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quizapp.bank.parse import read_bank
from quizapp.grader.drills import DEFAULT_DRILLS_DIR, DrillFileError, load_drill_file, load_drills

SLUGS = sorted(load_drills())


def test_every_drill_has_a_numpy_reference_solution(drills) -> None:
    missing = [slug for slug, spec in drills.items() if not spec.solution.get("numpy", "").strip()]
    assert missing == []


@pytest.mark.parametrize("slug", SLUGS)
def test_the_reference_solution_passes_its_drill(grade_with, drills, slug: str) -> None:
    verdict = grade_with(slug, drills[slug].solution["numpy"], framework="numpy")

    assert verdict.verdict == "passed", (verdict.message, verdict.diagnosis, verdict.stderr)
    assert verdict.convention in drills[slug].conventions
    assert len(verdict.cases) == len(drills[slug].grading.problems)


def test_the_reference_solution_never_calls_the_library_optimizer(drills) -> None:
    for spec in drills.values():
        for name in spec.grading.forbidden:
            assert name not in spec.solution["numpy"], (spec.slug, name)


def test_the_grader_loader_refuses_a_solution_for_an_unknown_framework(tmp_path: Path) -> None:
    drill = tmp_path / "sgd.yaml"
    text = (DEFAULT_DRILLS_DIR / "sgd.yaml").read_text()
    drill.write_text(text.replace("solution:\n  numpy:", "solution:\n  jax:"))

    with pytest.raises(DrillFileError, match="solution must map"):
        load_drill_file(drill)


def test_the_bank_check_reports_a_solution_that_is_not_python_with_its_line(tmp_path: Path) -> None:
    questions = tmp_path / "questions"
    shutil.copytree(DEFAULT_DRILLS_DIR.parent, questions)
    drill = questions / "drills" / "sgd.yaml"
    text = drill.read_text()
    broken = text.replace("        return x - self.lr * grad", "        return x - (self.lr * grad")
    assert broken != text
    drill.write_text(broken)

    _, errors = read_bank(questions)

    found = [e for e in errors if e.file.endswith("sgd.yaml") and "solution is not valid Python" in e.message]
    assert len(found) == 1
    assert found[0].line == text[: text.index("return x - self.lr * grad")].count("\n") + 1
    assert read_bank(DEFAULT_DRILLS_DIR.parent)[1] == []  # the shipped bank reads cleanly
