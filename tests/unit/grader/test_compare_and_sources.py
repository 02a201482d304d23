"""Comparison maths, generated gradient sources and static source checks (no sandbox needed)."""

from __future__ import annotations

import ast

import numpy as np
import pytest
import torch
from support.submissions import ADAM_CORRECT

from quizapp.grader.compare import compare_trajectories, computed_dtype, matches, tolerance_for
from quizapp.grader.problems import LANDSCAPES, gradient_source, make_instance, numpy_functions
from quizapp.grader.source_checks import check_source, update_line_count


def test_first_divergence_reports_the_step_and_both_values() -> None:
    expected = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    got = expected.copy()
    got[2, 1] = 2.5
    result = compare_trajectories(got, expected, tolerance=1e-6, kind="landscape")
    assert not result.passed
    assert result.first_divergence == {"step": 2, "expected": [2.0, 2.0], "got": [2.0, 2.5]}
    assert result.max_rel_err == pytest.approx(0.5 / 3.0)


def test_float32_rounding_passes_but_a_small_real_difference_does_not() -> None:
    expected = np.cumsum(np.full((31, 2), 0.01), axis=0)
    rounded = expected.astype(np.float32).astype(np.float64)
    assert compare_trajectories(
        rounded, expected, tolerance=tolerance_for("float32"), kind="landscape"
    ).passed
    assert not compare_trajectories(
        rounded, expected, tolerance=tolerance_for("float64"), kind="landscape"
    ).passed
    assert not compare_trajectories(
        expected * 1.01, expected, tolerance=tolerance_for("float32"), kind="landscape"
    ).passed


def test_precision_is_read_from_the_numbers_that_came_back() -> None:
    start = np.float32([[0.5, -1.25]]).astype(np.float64)
    moved = start + np.cumsum(np.full((6, 2), 0.013), axis=0)
    in_float32 = moved.astype(np.float32).astype(np.float64)
    assert computed_dtype([moved]) == "float64"
    assert computed_dtype([in_float32, None]) == "float32"
    assert computed_dtype([in_float32, moved]) == "float64"  # one case at full precision is enough
    assert computed_dtype([np.repeat(start, 5, axis=0)]) == "float64"  # never moved: nothing to read
    assert computed_dtype([np.vstack([in_float32, [[np.nan, np.inf]]])]) == "float32"
    assert computed_dtype([None]) == "float64"
    # NaN from the first step on is no evidence of float32 (it used to read as "every number is float32")
    assert computed_dtype([np.vstack([start, np.full((5, 2), np.nan)])]) == "float64"
    assert computed_dtype([np.full((6, 2), np.nan)]) == "float64"
    # one coordinate gone NaN (a square root of a negative) while the other moves on in float32: still read
    half = in_float32.copy()
    half[1:, 0] = np.nan
    assert computed_dtype([half]) == "float32"


def test_errors_are_relative_to_the_motion_so_tiny_steps_still_count() -> None:
    start = np.array([[1.0, 1.0]])
    expected = start + np.cumsum(np.full((10, 2), 1e-4), axis=0)
    got = start + np.cumsum(np.full((10, 2), 1.1e-4), axis=0)
    assert not compare_trajectories(got, expected, tolerance=1e-3, kind="landscape").passed


def test_matching_nan_patterns_match_and_nan_against_numbers_does_not() -> None:
    expected = np.array([[1.0], [np.nan], [np.nan]])
    assert matches(expected.copy(), expected, tolerance=1e-9, kind="landscape")
    assert not matches(np.array([[1.0], [2.0], [3.0]]), expected, tolerance=1e-9, kind="landscape")


def test_short_trajectory_fails_at_the_first_missing_point() -> None:
    expected = np.arange(8.0).reshape(4, 2)
    result = compare_trajectories(expected[:2], expected, tolerance=1e-9, kind="landscape")
    assert (
        not result.passed and result.first_divergence["step"] == 2 and result.first_divergence["got"] is None
    )


@pytest.mark.parametrize("name", sorted(LANDSCAPES))
def test_generated_gradient_matches_finite_differences_and_torch(name: str) -> None:
    instance = make_instance(name, 5, 4)
    functions = numpy_functions(name)
    data = instance.data_for_call(0)
    grads = functions["grad"](instance.x0, data)
    for tensor in range(len(instance.x0)):
        for index in range(instance.x0[tensor].size):
            plus = [x.copy() for x in instance.x0]
            minus = [x.copy() for x in instance.x0]
            plus[tensor].flat[index] += 1e-6
            minus[tensor].flat[index] -= 1e-6
            slope = (functions["loss"](plus, data) - functions["loss"](minus, data)) / 2e-6
            assert grads[tensor].flat[index] == pytest.approx(
                slope, rel=1e-5, abs=1e-9 * max(1.0, abs(slope))
            )
    namespace: dict = {}
    source = gradient_source(name, "torch")
    assert "sympy" not in source
    exec(compile(source, name, "exec"), namespace)
    tensors = [torch.tensor(x) for x in instance.x0]
    torch_grads = namespace["grad"](tensors, {k: torch.tensor(v) for k, v in data.items()})
    for ours, theirs in zip(grads, torch_grads, strict=True):
        np.testing.assert_allclose(theirs.numpy(), ours, rtol=1e-12, atol=1e-300)


def test_instances_depend_on_the_seed_only() -> None:
    first, again, other = (make_instance("rosenbrock", s, 5) for s in (4, 4, 5))
    assert np.array_equal(first.x0[0], again.x0[0]) and first.constants == again.constants
    assert not np.array_equal(first.x0[0], other.x0[0])
    noisy = make_instance("noisy-least-squares", 4, 5)
    assert noisy.batches[0] != noisy.batches[1]


def test_tiny_gradient_problem_has_gradients_where_eps_matters() -> None:
    instance = make_instance("tiny-gradient", 9, 5)
    grads = numpy_functions("tiny-gradient")["grad"](instance.x0, instance.data_for_call(0))
    assert 1e-8 < np.max(np.abs(grads[0])) < 1e-5


def test_seed_style_adam_counts_five_update_lines_and_padding_does_not() -> None:
    assert update_line_count(ast.parse(ADAM_CORRECT)) == 5
    padded = ADAM_CORRECT.replace("        m_hat =", "        scale = 1.0\n        m_hat =")
    assert update_line_count(ast.parse(padded)) == 6


def test_forbidden_names_are_found_through_import_aliases() -> None:
    _, problem = check_source(
        "import torch.optim as o\nx = o.Adam\n", forbidden=("torch.optim.Adam",), max_lines=50
    )
    assert problem is not None and problem.outcome == "rejected" and problem.line == 2
    _, fine = check_source(
        "import torch\nclass A(torch.optim.Optimizer):\n    pass\n",
        forbidden=("torch.optim.Adam",),
        max_lines=50,
    )
    assert fine is None
    _, too_long = check_source("x = 1\n" * 60, forbidden=(), max_lines=50)
    assert too_long is not None and "60 lines" in too_long.message


@pytest.mark.parametrize("name", ["beale", "noisy-logistic", "saddle"])
def test_contour_grid_equals_the_loss_at_each_point(name: str) -> None:
    from quizapp.grader.plots import case_plots

    instance = make_instance(name, 2, 5)
    path = np.array([instance.x0[0], instance.x0[0] + 0.5, instance.x0[0] - 0.3])
    grid = case_plots(instance, path, path)["contour"]
    loss = numpy_functions(name)["loss"]
    point = [np.array([grid["x"][4], grid["y"][9]])]
    assert grid["z"][9][4] == pytest.approx(float(loss(point, instance.full_data())), rel=1e-12)


def test_harness_imports_only_the_stdlib_numpy_and_torch() -> None:
    import sys
    from pathlib import Path

    import quizapp.grader.harness as harness

    tree = ast.parse(Path(harness.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - set(sys.stdlib_module_names) == {"numpy", "torch"}


def test_loading_the_catalogue_does_not_pull_in_the_maths_stack() -> None:
    import subprocess
    import sys

    from support.drills import QUESTIONS_DIR

    probe = (
        "import sys, quizapp.grader, quizapp.grader.cli, quizapp.bank as b; "
        f"b.load_drills({str(QUESTIONS_DIR)!r}); "
        "print(sorted({'sympy', 'numpy', 'torch'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
