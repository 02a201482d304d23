"""grade() end to end through the sandbox: every entry shape, name aliases, the seeds' own code, correct
PyTorch code for every drill (graded in float64), and each way a submission can be refused or break."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest
import torch
from support.drills import shipped_drill, shipped_drills
from support.submissions import (
    ADAM_CORRECT,
    CLIP_FUNCTION,
    NUMPY_ADAM_PARAMS_CLASS,
    NUMPY_ADAM_STEP_FUNCTION,
    NUMPY_LAMB,
    torch_solution,
)

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
VERDICT_KEYS = {
    "drill",
    "verdict",
    "convention",
    "diagnosis",
    "cases",
    "stdout",
    "stderr",
    "elapsed_ms",
    "seed",
    "framework",
    "device",
    "five_lines",
    "message",
}


def seed_listing(prefix: str, start: str, end: str | None) -> str:
    """A code listing copied from a seed file; seed 002 lost its indentation, so it is restored here."""
    text = next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    body = text[text.index(start) : text.index(end, text.index(start)) if end else None]
    if prefix == "000":  # numbered lines: "12    def __init__..." → strip the line numbers
        return "\n".join(line.lstrip("0123456789") for line in body.splitlines())
    return body


@pytest.fixture(scope="module")
def seed_002_classes() -> str:
    listing = seed_listing("002", "import numpy as np\nclass SGD:", "# --- Demo")
    lines, fixed, in_if = listing.splitlines(), [], False
    for line in lines:
        if line.startswith("class ") or line.startswith("import "):
            fixed.append(line)
            in_if = False
        elif line.startswith("def "):
            fixed.append("    " + line)
            in_if = False
        elif line.startswith("if "):
            fixed.append("        " + line)
            in_if = True
        elif in_if and (line.startswith(("self.m = np", "self.v = np", "self.G = np", "grad = grad"))):
            fixed.append("            " + line)
        else:
            in_if = False
            fixed.append("        " + line)
    return "\n".join(fixed) + "\n"


def test_seed_001_adam_loop_passes_unchanged_and_fits_in_five_lines(grade_with) -> None:
    listing = seed_listing("001", "import numpy as np\n\ndef adam", "\n# In practice")
    verdict = grade_with("adam", listing).to_dict()
    assert verdict["verdict"] == "passed", verdict["message"]
    assert verdict["five_lines"] is True
    assert set(verdict) == VERDICT_KEYS | set() and verdict["seed"] == 11


def test_seed_000_listing_passes_the_adam_and_momentum_drills_in_torch(grade_with) -> None:
    listing = seed_listing("000", "1import torch", "5Interview Questions")
    for drill in ("adam", "momentum"):
        verdict = grade_with(drill, listing, framework="torch").to_dict()
        assert verdict["verdict"] == "passed", (drill, verdict["message"], verdict["stderr"])
    assert grade_with("adam", listing, framework="torch").five_lines is True


@pytest.mark.parametrize(
    ("drill", "convention"),
    [
        ("momentum", "pytorch"),
        ("adagrad", "eps-outside-sqrt"),
        ("rmsprop", "eps-outside-sqrt"),
        ("adam", "pytorch"),
        ("adamw", "pytorch"),
    ],
)
def test_seed_002_classes_pass_their_drills(
    grade_with, seed_002_classes: str, drill: str, convention: str
) -> None:
    verdict = grade_with(drill, seed_002_classes).to_dict()
    assert verdict["verdict"] == "passed", verdict["message"]
    assert verdict["convention"] == convention


def test_seed_002_flattened_code_is_an_error_with_its_line(grade_with) -> None:
    flat = seed_listing("002", "class AdaGrad:", "RMSProp\nDfRMSProp")
    verdict = grade_with("adagrad", flat).to_dict()
    assert verdict["verdict"] == "error"
    assert "line 2" in verdict["message"]


@pytest.mark.slow
@pytest.mark.parametrize("drill", sorted(shipped_drills()))
def test_correct_torch_code_passes_every_drill_at_float64_precision(grade_with, drill: str) -> None:
    verdict = grade_with(drill, torch_solution(drill), framework="torch").to_dict()
    assert verdict["verdict"] == "passed", verdict["message"]
    assert verdict["message"] is None  # no float32 note: the code kept the parameters' float64
    assert all(case["max_rel_err"] <= 1e-9 for case in verdict["cases"])


def test_numpy_code_that_rounds_to_float32_is_compared_at_float32_tolerance_and_told(grade_with) -> None:
    whole = ADAM_CORRECT.replace(
        "    m = np.zeros_like", "    theta = theta.astype(np.float32)\n    m = np.zeros_like", 1
    )
    verdict = grade_with("adam", whole)
    assert verdict.verdict == "passed", verdict.message
    assert "float32" in verdict.message and "astype" in verdict.message
    assert grade_with("adam", ADAM_CORRECT).message is None


def test_code_that_mixes_in_float32_fails_at_float64_and_is_told_why_it_might(grade_with) -> None:
    """Float32 parameters with float64 moments: not float32 throughout, so float64's tolerance applies."""
    mixed = ADAM_CORRECT.replace(
        "g = grad_fn(theta)", "theta = theta.astype(np.float32)\n        g = grad_fn(theta)"
    )
    verdict = grade_with("adam", mixed)
    assert verdict.verdict == "failed" and verdict.diagnosis is None
    assert "float32 rounding" in verdict.message


@pytest.mark.parametrize(
    ("drill", "code"),
    [
        ("adam", NUMPY_ADAM_STEP_FUNCTION),
        ("adam", NUMPY_ADAM_PARAMS_CLASS),
        (
            "adam",
            ADAM_CORRECT.replace("lr=1e-3", "learning_rate=1e-3")
            .replace("lr *", "learning_rate *")
            .replace("steps=1000", "num_iterations=1000")
            .replace("steps + 1", "num_iterations + 1"),
        ),
        ("lamb", NUMPY_LAMB),
        ("clip-grad-norm", CLIP_FUNCTION),
    ],
    ids=[
        "step-function-returning-tuple",
        "params-class-on-numpy",
        "aliased-names",
        "per-tensor-class-multi-layer",
        "clip-function",
    ],
)
def test_entry_shapes_and_aliases_are_detected(grade_with, drill: str, code: str) -> None:
    verdict = grade_with(drill, code).to_dict()
    assert verdict["verdict"] == "passed", verdict["message"]


def test_loop_returning_every_iterate_uses_the_last(grade_with) -> None:
    code = ADAM_CORRECT.replace("    for t in", "    history = [theta]\n    for t in").replace(
        "    return theta", "        history.append(theta)\n    return history"
    )
    code = code.replace("        history.append(theta)\n    return history", "    return history").replace(
        "theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)",
        "theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)\n        history.append(theta)",
    )
    assert grade_with("adam", code).verdict == "passed"


def test_verdict_json_is_strict_and_has_plot_data(grade_with) -> None:
    verdict = grade_with("adam", ADAM_CORRECT.replace("(1 - b1) * g", "g")).to_dict()
    text = json.dumps(verdict, allow_nan=False)
    assert json.loads(text)["diagnosis"]["id"] == "ema-missing-one-minus-beta"
    beale = verdict["cases"][0]["trajectory"]
    assert len(beale["loss"]["reference"]) == verdict["cases"][0]["steps"] + 1
    assert len(beale["path"]["submission"]) == len(beale["path"]["reference"])
    grid = beale["contour"]
    assert len(grid["z"]) == len(grid["y"]) and len(grid["z"][0]) == len(grid["x"])
    two_d = {case["problem"]: "path" in case["trajectory"] for case in verdict["cases"]}
    assert two_d["beale"] and two_d["noisy-logistic"]


def test_seed_is_recorded_and_changes_the_instances(grade_with) -> None:
    first = grade_with("sgd", torch_solution("sgd"), framework="torch", seed=1).to_dict()
    second = grade_with("sgd", torch_solution("sgd"), framework="torch", seed=2).to_dict()
    assert (first["seed"], second["seed"]) == (1, 2)
    assert first["cases"][0]["trajectory"]["path"] != second["cases"][0]["trajectory"]["path"]


def test_random_seed_is_drawn_when_none_is_given(sandbox, drills) -> None:
    from quizapp.grader import grade

    seeds = {grade(drills["sgd"], "def f(:", sandbox=sandbox).seed for _ in range(3)}
    assert len(seeds) > 1


@pytest.mark.parametrize(
    ("code", "outcome", "fragment"),
    [
        (
            "import numpy as np\n\ndef adam(grad_fn, theta, lr=1e-3, steps=10):\n    return theta[5]\n",
            "error",
            "IndexError",
        ),
        ("x = 1\n", "rejected", "No entry point found"),
        (
            ADAM_CORRECT.replace("return theta", "return np.concatenate([theta, theta])"),
            "error",
            "shape (4,)",
        ),
        (ADAM_CORRECT.replace("return theta", "return theta * np.nan"), "error", "NaN"),
        ("import torch\nopt = torch.optim.Adam\n" + ADAM_CORRECT, "rejected", "line 2: torch.optim.Adam"),
        ("from torch.optim import AdamW as A\n" + ADAM_CORRECT, "rejected", "line 1: torch.optim.AdamW"),
        ("import subprocess\n" + ADAM_CORRECT, "rejected", "importing 'subprocess'"),
        ("import os\nos.system('true')\n" + ADAM_CORRECT, "rejected", "os.system"),
        ("def adam(:\n", "error", "SyntaxError"),
        ("#" * 20_001, "rejected", "limit"),
        (ADAM_CORRECT + "\nimport sys\nsys.exit(0)\n", "error", "exit(0)"),
        (
            ADAM_CORRECT.replace("range(1, steps + 1)", "range(1, steps)"),
            "failed",
            "30 points came back where 31",
        ),
    ],
    ids=[
        "exception",
        "missing-entry",
        "wrong-shape",
        "nan",
        "forbidden-attribute",
        "forbidden-from-import",
        "forbidden-module",
        "forbidden-call",
        "syntax",
        "too-long",
        "sys-exit",
        "one-step-short",
    ],
)
def test_broken_or_forbidden_submissions_get_a_clear_verdict(grade_with, code, outcome, fragment) -> None:
    verdict = grade_with("adam", code).to_dict()
    assert verdict["verdict"] == outcome, verdict
    assert fragment in verdict["message"]
    json.dumps(verdict, allow_nan=False)


def test_exception_message_names_the_submission_line(grade_with) -> None:
    code = ADAM_CORRECT.replace(
        "        v_hat = v / (1 - b2**t)", "        v_hat = v / (1 - b2**t)\n        raise ValueError('boom')"
    )
    verdict = grade_with("adam", code).to_dict()
    assert verdict["verdict"] == "error"
    assert verdict["message"].startswith("ValueError: boom (line 13) while running beale")


def test_library_optimizer_reached_at_run_time_is_refused(grade_with) -> None:
    code = textwrap.dedent("""
        import torch

        class Adam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.inner = getattr(torch.optim, "Ad" + "am")(params, lr=lr, betas=betas, eps=eps)

            def step(self):
                self.inner.step()
    """)
    verdict = grade_with("adam", code, framework="torch").to_dict()
    assert verdict["verdict"] == "rejected"
    assert "torch.optim.Adam is the library's own implementation" in verdict["message"]


def test_subclassing_torch_optimizer_is_allowed(grade_with) -> None:
    assert grade_with("adam", torch_solution("adam"), framework="torch").verdict == "passed"


def test_unknown_framework_and_problem(grade_with) -> None:
    verdict = grade_with("adam", ADAM_CORRECT, framework="jax").to_dict()
    assert verdict["verdict"] == "rejected" and "numpy or torch" in verdict["message"]
    with pytest.raises(ValueError, match=r"'adam' is graded on .*; not on nowhere"):
        grade_with("adam", ADAM_CORRECT, problems=["nowhere"])


def test_failure_before_passing_never_earns_five_lines(grade_with) -> None:
    assert grade_with("adam", ADAM_CORRECT.replace("(1 - b1) * g", "g")).five_lines is False
    assert grade_with("sgd", torch_solution("sgd"), framework="torch").five_lines is None


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_torch_submission_runs_on_cuda_and_passes() -> None:
    from quizapp.grader import grade

    for drill in ("adam", "muon", "clip-grad-norm"):
        verdict = grade(shipped_drill(drill), torch_solution(drill), framework="torch", device="cuda", seed=3)
        assert verdict.device == "cuda"
        assert verdict.verdict == "passed", verdict.message
        assert all(not math.isnan(case.max_rel_err) for case in verdict.cases)
