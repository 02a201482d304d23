"""Step-by-step comparison of a submission's trajectory with a reference trajectory.

Errors are measured relative to how far the reference moves (so tiny-gradient problems still count),
with a tolerance per dtype: float32 rounding passes, a real mistake does not. Every submission is run in
float64; only one whose numbers are all float32 values (it cast to float32 itself) gets float32's tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TOLERANCES = {"float64": 1e-9, "float32": 1e-3}
SHOWN_VALUES = 8


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one case: per-step relative errors reduced to what the verdict shows."""

    steps: int
    max_rel_err: float
    first_divergence: dict[str, Any] | None
    passed: bool
    message: str = ""


def tolerance_for(dtype: str) -> float:
    return TOLERANCES.get(dtype, TOLERANCES["float32"])


def computed_dtype(trajectories: Sequence[np.ndarray | None]) -> str:
    """ "float32" when the submission's numbers are all float32 values although it was handed float64 ones.

    Starting points are float32-representable, so a float64 computation leaves that set after its first
    step; a submission that stays inside it through every step of every case has rounded to float32 itself.
    A trajectory that never moves, or moves only through NaN or infinities, says nothing about precision and
    counts as float64.
    """
    present = [t for t in trajectories if t is not None and t.size]
    if not any(_moves_through_finite_points(t) for t in present):
        return "float64"
    for trajectory in present:
        finite = trajectory[np.isfinite(trajectory)]
        with np.errstate(over="ignore"):
            if not np.array_equal(finite.astype(np.float32).astype(np.float64), finite):
                return "float64"
    return "float32"


def _moves_through_finite_points(trajectory: np.ndarray) -> bool:
    """True when some coordinate takes a finite value other than its finite start (a coordinate that went
    NaN while others moved on still leaves those others to read)."""
    start = trajectory[:1]
    return bool(np.any(np.isfinite(trajectory) & np.isfinite(start) & (trajectory != start)))


def motion_scale(expected: np.ndarray, kind: str) -> float:
    """The yardstick errors are divided by: how far the reference travels (or its size, for schedules)."""
    finite = expected[np.all(np.isfinite(expected), axis=1)] if expected.size else expected
    if finite.size == 0:
        return 1.0
    if kind == "landscape":
        scale = float(np.max(np.abs(finite - finite[0])))
    else:
        scale = float(np.max(np.abs(finite)))
    return scale if scale > 0 else 1.0


def step_errors(got: np.ndarray, expected: np.ndarray, scale: float) -> np.ndarray:
    """Per-row relative error; rows where non-finite values disagree count as infinitely wrong."""
    rows = min(len(got), len(expected))
    if rows == 0 or got.shape[1:] != expected.shape[1:]:
        return np.full(rows, np.inf)
    got, expected = got[:rows], expected[:rows]
    with np.errstate(all="ignore"):
        difference = np.abs(got - expected)
        same = (got == expected) | (np.isnan(got) & np.isnan(expected))
        difference = np.where(same, 0.0, difference)
        difference = np.where(np.isnan(difference), np.inf, difference)
    return np.max(difference, axis=1) / scale


def compare_trajectories(
    got: np.ndarray | None, expected: np.ndarray, *, tolerance: float, kind: str
) -> Comparison:
    """Compare row by row; the first row whose relative error exceeds `tolerance` is the divergence."""
    steps = len(expected) - 1 if kind == "landscape" else len(expected)
    if got is None or got.ndim != 2 or got.shape[1] != expected.shape[1]:
        return Comparison(steps, math.inf, None, False, "no trajectory came back for this case")
    errors = step_errors(got, expected, motion_scale(expected, kind))
    bad = np.flatnonzero(~(errors <= tolerance))
    message = ""
    if len(got) != len(expected):
        message = f"{len(got)} points came back where {len(expected)} were expected"
    if len(bad):
        index = int(bad[0])
        divergence = {"step": index, "expected": _shown(expected[index]), "got": _shown(got[index])}
    elif len(got) != len(expected):
        index = min(len(got), len(expected))
        divergence = {
            "step": index,
            "expected": _shown(expected[index]) if index < len(expected) else None,
            "got": _shown(got[index]) if index < len(got) else None,
        }
    else:
        divergence = None
    worst = float(np.max(errors)) if len(errors) else math.inf
    return Comparison(steps, worst, divergence, divergence is None, message)


def _shown(row: np.ndarray) -> list[float | None] | float | None:
    values = [float(v) if math.isfinite(v) else None for v in row[:SHOWN_VALUES]]
    return values[0] if len(row) == 1 else values


def matches(got: np.ndarray | None, expected: np.ndarray, *, tolerance: float, kind: str) -> bool:
    """Whether `got` reproduces `expected` over every step (used to recognise conventions and mistakes)."""
    if got is None or got.shape != expected.shape:
        return False
    return bool(np.all(step_errors(got, expected, motion_scale(expected, kind)) <= tolerance))
