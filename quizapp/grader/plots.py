"""Plot data for a verdict's cases: loss per step for both trajectories, and for 2-D problems the two
paths over a contour grid of the loss. Computed on the trusted side from the arrays that came back.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from quizapp.grader.problems import ProblemInstance, gradient_source, numpy_functions

MAX_POINTS = 200
GRID = 36


def case_plots(instance: ProblemInstance, got: np.ndarray | None, reference: np.ndarray) -> dict[str, Any]:
    """`{"loss": {...}, "path": {...}, "contour": {...}}` (path and contour only for 2-D problems)."""
    if instance.kind == "schedule":
        return {"quantity": "learning rate", "loss": _series(got, reference, lambda row: float(row[0]))}
    if instance.kind == "clip":
        return {"quantity": "clipped gradient norm", "loss": _series(got, reference, _norm)}
    loss = numpy_functions(instance.name)["loss"]
    data = instance.full_data()

    def loss_at(row: np.ndarray) -> float:
        return float(loss(_unflatten(row, instance.shapes), data))

    plots: dict[str, Any] = {"quantity": "loss", "loss": _series(got, reference, loss_at)}
    if instance.two_dimensional:
        plots["path"] = {"submission": _points(got), "reference": _points(reference)}
        plots["contour"] = _contour(instance, reference, got)
    return plots


def _norm(row: np.ndarray) -> float:
    return float(np.linalg.norm(row))


def _unflatten(row: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(row[start : start + size].reshape(shape))
        start += size
    return out


def _thin(rows: np.ndarray) -> np.ndarray:
    if len(rows) <= MAX_POINTS:
        return rows
    index = np.unique(np.linspace(0, len(rows) - 1, MAX_POINTS).round().astype(int))
    return rows[index]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _series(got: np.ndarray | None, reference: np.ndarray, measure: Any) -> dict[str, list[float | None]]:
    with np.errstate(all="ignore"):
        return {
            "submission": [] if got is None else [_safe(measure, row) for row in _thin(got)],
            "reference": [_safe(measure, row) for row in _thin(reference)],
        }


def _safe(measure: Any, row: np.ndarray) -> float | None:
    if not np.all(np.isfinite(row)):
        return None
    try:
        return _finite(measure(row))
    except (ValueError, OverflowError, FloatingPointError):
        return None


def _points(rows: np.ndarray | None) -> list[list[float | None]]:
    if rows is None:
        return []
    return [[_finite(float(x)), _finite(float(y))] for x, y in _thin(rows)[:, :2]]


def _contour(instance: ProblemInstance, reference: np.ndarray, got: np.ndarray | None) -> dict[str, Any]:
    """A loss grid over the box holding the reference path (and the submission's, within reason)."""
    rows = reference[np.all(np.isfinite(reference), axis=1)]
    low, high = rows.min(axis=0), rows.max(axis=0)
    span = np.maximum(high - low, 0.5)
    if got is not None:
        mine = got[np.all(np.isfinite(got), axis=1)]
        if len(mine):
            low = np.maximum(np.minimum(low, mine.min(axis=0)), low - 2 * span)
            high = np.minimum(np.maximum(high, mine.max(axis=0)), high + 2 * span)
    pad = 0.15 * np.maximum(high - low, 0.5)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID)
    grid_x, grid_y = np.meshgrid(xs, ys)
    # One vectorised call: every grid point is a trailing-axis "batch" the generated loss averages over.
    theta = [np.stack([grid_x[..., None], grid_y[..., None]])]
    with np.errstate(all="ignore"):
        z = np.asarray(_grid_loss(instance.name)(theta, instance.full_data()), dtype=np.float64)
    return {"x": xs.tolist(), "y": ys.tolist(), "z": [[_finite(float(v)) for v in row] for row in z]}


@lru_cache(maxsize=32)
def _grid_loss(name: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(gradient_source(name, "numpy"), f"<grid {name}>", "exec"), namespace)  # our own code
    namespace["_mean"] = lambda value: np.mean(value, axis=-1)
    return namespace["loss"]
