"""The grading fingerprint a submission carries from the web app to the worker: it changes with anything that
decides a verdict (the drill's grading plan, hyper-parameters, conventions, frameworks, the grader's source)
and with nothing a person only reads (prompt, hints, title, reference solution)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from support.drills import shipped_drill

from quizapp.grader import fingerprint
from quizapp.grader.fingerprint import LENGTH, grading_fingerprint

SPEC = shipped_drill("adam")
PLAN = SPEC.grading


def test_a_fingerprint_is_short_hex_and_stable() -> None:
    value = grading_fingerprint(SPEC)
    assert len(value) == LENGTH and int(value, 16) >= 0
    assert grading_fingerprint(shipped_drill("adam")) == value
    assert grading_fingerprint(shipped_drill("sgd")) != value


GRADED_CHANGES = {
    "steps": {"grading": dataclasses.replace(PLAN, steps=PLAN.steps + 1)},
    "problems": {"grading": dataclasses.replace(PLAN, problems=PLAN.problems[:1])},
    "values": {"grading": dataclasses.replace(PLAN, values={**PLAN.values, "lr": 0.5})},
    "forbidden": {"grading": dataclasses.replace(PLAN, forbidden=(*PLAN.forbidden, "torch.optim.SGD"))},
    "max_lines": {"grading": dataclasses.replace(PLAN, max_lines=PLAN.max_lines - 1)},
    "hyperparameters": {"hyperparameters": {**SPEC.hyperparameters, "eps": 1e-3}},
    "conventions": {"conventions": {**SPEC.conventions, "paper": "the paper's form"}},
    "frameworks": {"frameworks": SPEC.frameworks[:1]},
}


@pytest.mark.parametrize("change", GRADED_CHANGES.values(), ids=GRADED_CHANGES)
def test_what_decides_a_verdict_changes_the_fingerprint(change: dict) -> None:
    changed = dataclasses.replace(SPEC, **change)
    assert changed != SPEC
    assert grading_fingerprint(changed) != grading_fingerprint(SPEC)


READ_ONLY_CHANGES = {
    "prompt": {"prompt": SPEC.prompt + " Reworded."},
    "hints": {"hints": ()},
    "title": {"title": "Adam, again"},
    "solution": {"solution": {}},
    "position": {"position": SPEC.position + 10},
}


@pytest.mark.parametrize("change", READ_ONLY_CHANGES.values(), ids=READ_ONLY_CHANGES)
def test_what_a_person_only_reads_leaves_it_alone(change: dict) -> None:
    assert grading_fingerprint(dataclasses.replace(SPEC, **change)) == grading_fingerprint(SPEC)


def test_another_release_of_the_grader_changes_every_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker on another release (any file of the grader package different) has other fingerprints."""
    release = tmp_path / "grader"
    shutil.copytree(fingerprint.GRADER_FOLDER, release, ignore=shutil.ignore_patterns("__pycache__"))
    original = grading_fingerprint(SPEC)
    monkeypatch.setattr(fingerprint, "GRADER_FOLDER", release)
    fingerprint.grader_source_digest.cache_clear()
    try:
        assert grading_fingerprint(SPEC) == original  # the same files, copied
        fingerprint.grader_source_digest.cache_clear()
        references = release / "references.py"
        references.write_text(references.read_text(encoding="utf-8") + "\n# patched\n", encoding="utf-8")
        assert grading_fingerprint(SPEC) != original
    finally:
        fingerprint.grader_source_digest.cache_clear()
