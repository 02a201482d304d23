"""Which accepted convention a submission follows, and which known mistake explains a failing one.

Both questions are answered the same way: run reference variants on the same instances and see which
one reproduces the submission's whole trajectory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizapp.grader.compare import Comparison, compare_trajectories, matches
from quizapp.grader.mistakes import CONVENTION_FLAGS, MISTAKE_VARIANTS, MISTAKES
from quizapp.grader.problems import ProblemInstance
from quizapp.grader.references import reference_trajectory
from quizapp.grader.verdict import Diagnosis

# A variant "reproduces" a submission when it matches within this multiple of the dtype tolerance, but never
# looser than DIAGNOSIS_CAP: at 5e-3 a hard-coded ε = 1e-3 on AdamW's tiny-gradient bowl already looks like
# ε inside the root, since both leave the weight decay to do most of the moving.
DIAGNOSIS_SLACK = 5.0
DIAGNOSIS_CAP = 1e-3


@dataclass(frozen=True)
class ConventionMatch:
    """The convention closest to the submission, its reference trajectories and per-case comparisons."""

    convention: str
    references: list[np.ndarray]
    comparisons: list[Comparison]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)


def run_variant(
    drill: str,
    flags: Mapping[str, Any],
    instances: Sequence[ProblemInstance],
    hp: Mapping[str, Any],
    steps: int,
) -> list[np.ndarray]:
    return [reference_trajectory(drill, flags, instance, hp, steps) for instance in instances]


def closest_convention(
    drill: str,
    accepted: Sequence[str],
    got: Sequence[np.ndarray | None],
    instances: Sequence[ProblemInstance],
    hp: Mapping[str, Any],
    steps: int,
    tolerance: float,
) -> ConventionMatch:
    """The first accepted convention that passes every case, else the one that gets furthest."""
    best: tuple[tuple[int, int], ConventionMatch] | None = None
    for convention in accepted:
        flags = CONVENTION_FLAGS[drill][convention]
        references = run_variant(drill, flags, instances, hp, steps)
        comparisons = [
            compare_trajectories(g, r, tolerance=tolerance, kind=i.kind)
            for g, r, i in zip(got, references, instances, strict=True)
        ]
        found = ConventionMatch(convention, references, comparisons)
        if found.passed:
            return found
        progress = (sum(c.passed for c in comparisons), _earliest_divergence(comparisons))
        if best is None or progress > best[0]:
            best = (progress, found)
    assert best is not None, f"drill {drill!r} declares no conventions"
    return best[1]


def _earliest_divergence(comparisons: Sequence[Comparison]) -> int:
    steps = [c.first_divergence["step"] for c in comparisons if c.first_divergence]
    return min(steps) if steps else 1 << 30


def diagnosis_for(drill: str, mistake_id: str) -> Diagnosis:
    """The diagnosis a learner sees for `mistake_id` on `drill`, in that drill's own wording."""
    mistake = MISTAKES[mistake_id]
    wording = mistake.wording_for(drill)
    return Diagnosis(mistake.id, wording.title, wording.explanation, mistake.card)


def diagnose(
    drill: str,
    accepted: Sequence[str],
    got: Sequence[np.ndarray | None],
    instances: Sequence[ProblemInstance],
    hp: Mapping[str, Any],
    steps: int,
    tolerance: float,
) -> Diagnosis | None:
    """The known mistake whose variant reproduces every case of the submission, or None."""
    if any(g is None for g in got):
        return None
    close_enough = min(tolerance * DIAGNOSIS_SLACK, DIAGNOSIS_CAP)
    for mistake_id, mistake_flags in MISTAKE_VARIANTS.get(drill, []):
        for convention in accepted:
            flags = {**CONVENTION_FLAGS[drill][convention], **mistake_flags}
            references = run_variant(drill, flags, instances, hp, steps)
            if all(
                matches(g, r, tolerance=close_enough, kind=i.kind)
                for g, r, i in zip(got, references, instances, strict=True)
            ):
                return diagnosis_for(drill, mistake_id)
    return None
