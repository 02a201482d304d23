"""The grading fingerprint a submission carries from the web app to the worker: it changes with anything that
decides a verdict (the drill's grading plan, hyper-parameters, conventions, frameworks, the grader's source)
and with nothing a person only reads (prompt, hints, title, reference solution)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.drills import shipped_drill

from quizapp.grader import fingerprint
from quizapp.grader.fingerprint import LENGTH, grading_fingerprint

SPEC = shipped_drill("adam")
PLAN = SPEC.grading
ORIGINAL = grading_fingerprint(SPEC)
REPO = Path(__file__).resolve().parents[3]


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


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the grader package that the digest reads instead of the installed one."""
    folder = tmp_path / "grader"
    shutil.copytree(fingerprint.GRADER_FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "GRADER_FOLDER", folder)
    fingerprint.grader_source_digest.cache_clear()
    yield folder
    fingerprint.grader_source_digest.cache_clear()


def test_the_same_grader_files_elsewhere_give_the_same_fingerprint(release: Path) -> None:
    assert grading_fingerprint(SPEC) == ORIGINAL


@pytest.mark.parametrize("changed", ["references.py", "generated_sources.json"])
def test_another_release_of_the_grader_changes_every_fingerprint(release: Path, changed: str) -> None:
    """A worker on another release (a module or the generated gradient sources different) disagrees."""
    path = release / changed
    path.write_bytes(path.read_bytes() + b"\n")
    assert grading_fingerprint(SPEC) != ORIGINAL


def test_an_editors_lock_and_backup_files_are_not_part_of_the_grader(release: Path) -> None:
    """Emacs's `.#grading.py` is a dangling link while a file is edited on the server: reading it would fail
    every submission."""
    (release / ".#grading.py").symlink_to("root@host.1234:1700000000")
    (release / ".grading.py.swp.py").write_bytes(b"not the grader")
    assert grading_fingerprint(SPEC) == ORIGINAL


def test_a_set_in_a_drill_gives_one_fingerprint_in_every_process() -> None:
    """YAML's `!!set` reaches a spec as a Python set, whose order differs between processes (hash seeds)."""
    script = (
        "import dataclasses, sys; sys.path.insert(0, 'tests')\n"
        "from support.drills import shipped_drill\n"
        "from quizapp.grader.fingerprint import grading_fingerprint\n"
        "spec = shipped_drill('adam')\n"
        "shown = {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'}\n"
        "values = {**spec.hyperparameters, 'shown': shown}\n"
        "print(grading_fingerprint(dataclasses.replace(spec, hyperparameters=values)))"
    )
    printed = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3", "4")
    }
    assert len(printed) == 1 and len(printed.pop()) == LENGTH
