"""Every drill ships a readable reference solution (NumPy) that the grader passes through the sandbox, in one
of the conventions the drill accepts; the drill reader refuses a bad `solution:` block, with its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.drills import QUESTIONS_DIR, shipped_drills

from quizapp.bank import DrillFileError, load_drills, read_bank

SLUGS = sorted(shipped_drills())


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


def test_the_drill_reader_refuses_a_solution_for_an_unknown_framework(tmp_path: Path) -> None:
    (tmp_path / "drills").mkdir()
    text = (QUESTIONS_DIR / "drills" / "sgd.yaml").read_text()
    (tmp_path / "drills" / "sgd.yaml").write_text(text.replace("solution:\n  numpy:", "solution:\n  jax:"))

    with pytest.raises(DrillFileError, match="unknown key 'jax' in solution") as caught:
        load_drills(tmp_path)
    assert "`solution` must map numpy and/or torch to code" in str(caught.value)


def test_the_bank_check_reports_a_solution_that_is_not_python_with_its_line(tmp_path: Path) -> None:
    questions = tmp_path / "questions"
    shutil.copytree(QUESTIONS_DIR, questions)
    drill = questions / "drills" / "sgd.yaml"
    text = drill.read_text()
    broken = text.replace("        return x - self.lr * grad", "        return x - (self.lr * grad")
    assert broken != text
    drill.write_text(broken)

    _, errors = read_bank(questions)

    found = [e for e in errors if e.file.endswith("sgd.yaml") and "solution is not valid Python" in e.message]
    assert len(found) == 1
    assert found[0].line == text[: text.index("return x - self.lr * grad")].count("\n") + 1
    assert read_bank(QUESTIONS_DIR)[1] == []  # the shipped bank reads cleanly
