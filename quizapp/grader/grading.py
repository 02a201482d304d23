"""`grade()`: check a submission statically, run it in the sandbox on seeded problems, compare every case
with the trusted reference, recognise the convention or the mistake, and return a `Verdict`.

The drill comes in as a `DrillSpec` that the caller read from its own question bank (`quizapp.bank`).
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from quizapp.extras import missing_extra
from quizapp.grader.compare import computed_dtype, tolerance_for
from quizapp.grader.diagnosis import ConventionMatch, closest_convention, diagnose
from quizapp.grader.plots import case_plots
from quizapp.grader.problems import LANDSCAPES, ProblemInstance, gradient_source, make_instance
from quizapp.grader.results import UnreadableResult, case_bounds, read_result
from quizapp.grader.sandbox_bootstrap import refusal_message
from quizapp.grader.source_checks import check_source, update_line_count
from quizapp.grader.verdict import CaseResult, Verdict

if TYPE_CHECKING:
    from quizapp.bank.model import DrillSpec
    from quizapp.grader.sandbox import Sandbox, SandboxResult

HARNESS_PATH = Path(__file__).with_name("harness.py")
# Both frameworks run in float64, so a mistake as small as a misplaced ε cannot hide in float32 rounding.
DTYPES = {"numpy": "float64", "torch": "float64"}
FLOAT32_NOTE = (
    "Every number your code produced is a float32 value although it was given float64 parameters, so it "
    "was compared at float32's tolerance ({tolerance:g} relative) instead of float64's ({strict:g}); keep "
    "the parameters' dtype (buffers from zeros_like, no .float() or .astype(float32)) to be graded at "
    "full precision."
)
FLOAT32_MIXED_NOTE = (
    "Every case stays within {worst:.1e} of the reference, about the size of float32 rounding: if your code "
    "computes in float32 anywhere (a buffer or a cast), keep the parameters' float64 throughout; otherwise "
    "look for a small difference in the update itself."
)
FIVE_LINES_DRILLS = frozenset({"adam"})
FIVE_LINES_LIMIT = 5

# Canonical hyper-parameter name → the names a submission may use for it, in order of preference.
ALIASES: dict[str, list[str]] = {
    "lr": ["lr", "learning_rate", "eta", "step_size", "alpha", "lr_"],
    "momentum": ["momentum", "mu", "beta", "gamma", "rho", "beta1", "b1"],
    "beta1": ["beta1", "b1", "beta_1", "beta1_"],
    "beta2": ["beta2", "b2", "beta_2", "beta2_"],
    "eps": ["eps", "epsilon", "eps_", "epsilon_"],
    "rho": ["rho", "alpha", "beta", "decay", "decay_rate", "gamma", "beta2", "b2"],
    "weight_decay": ["weight_decay", "wd", "lambda_", "lam", "lmbda", "weight_decay_rate", "decay", "l2"],
    "ns_steps": ["ns_steps", "newton_schulz_steps", "ns_iters", "num_ns_steps", "backend_steps"],
    "nesterov": ["nesterov", "use_nesterov"],
    "steps": [
        "steps",
        "num_steps",
        "num_iterations",
        "n_steps",
        "iterations",
        "iters",
        "n_iter",
        "max_iter",
        "num_iters",
        "n_iters",
        "epochs",
        "T",
        "n",
    ],
    "max_lr": ["max_lr", "lr_max", "peak_lr", "base_lr", "target_lr", "eta_max", "lr", "max_learning_rate"],
    "min_lr": ["min_lr", "lr_min", "eta_min", "final_lr", "end_lr", "min_learning_rate"],
    "warmup_steps": ["warmup_steps", "warmup", "n_warmup", "warmup_iters", "num_warmup_steps", "W"],
    "total_steps": [
        "total_steps",
        "total",
        "max_steps",
        "num_steps",
        "T",
        "T_max",
        "total_iters",
        "num_training_steps",
        "steps",
    ],
    "max_norm": [
        "max_norm",
        "max_grad_norm",
        "clip",
        "clip_norm",
        "threshold",
        "max_norm_value",
        "c",
        "norm",
    ],
}
ENTRY_HINTS: dict[str, list[str]] = {
    "sgd": ["sgd", "gd", "gradientdescent", "sgdstep"],
    "momentum": ["momentum", "sgdmomentum", "sgdmomentumstep", "heavyball", "sgd"],
    "nesterov": ["nesterov", "nag", "sgdnesterov", "sgd"],
    "warmup-cosine": ["lrat", "warmupcosine", "getlr", "lrschedule", "schedule", "cosine"],
    "clip-grad-norm": ["clipgradnorm", "clipgradnorm_", "clipgradients", "clipbyglobalnorm", "clip"],
}
MISSING_ENTRY = {
    "optimizer": "No entry point found. Define one of: a class with step(self, x, grad) returning the new "
    "parameters; a class constructed with params whose step() updates them in place; a loop function like "
    "adam(grad_fn, theta, lr, ..., steps); or a step function like sgd_momentum_step(p, grad, v, lr, beta).",
    "schedule": "No entry point found. Define lr_at(step, max_lr, min_lr, warmup_steps, total_steps).",
    "clip": "No entry point found. Define clip_grad_norm(grads, max_norm) (NumPy) or "
    "clip_grad_norm_(parameters, max_norm) (PyTorch).",
}


def grade(
    spec: DrillSpec,
    code: str,
    *,
    framework: str = "numpy",
    seed: int | None = None,
    device: str = "auto",
    sandbox: Sandbox | None = None,
    problems: Sequence[str] | None = None,
) -> Verdict:
    """Grade `code` for the drill `spec`; never raises for anything the submitted code does.

    `problems` narrows the run to some of the drill's problems (a quick "Run" on one); default all.
    Raises ValueError for a problem the drill does not grade on, and SandboxUnavailable when no sandbox
    can be started.
    """
    from quizapp.grader.sandbox import Sandbox

    problem_names = _problems_to_run(spec, problems)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    resolved = _device_for(framework, device, sandbox)
    verdict = Verdict(drill=spec.slug, verdict="error", framework=framework, device=resolved, seed=seed)
    if framework not in spec.frameworks:
        return _refuse(
            verdict,
            "rejected",
            f"framework {framework!r} is not offered for this drill; use {' or '.join(spec.frameworks)}",
        )
    missing = missing_extra("torch") if framework == "torch" else None
    if missing is not None:
        return _refuse(verdict, "rejected", missing)
    tree, problem = check_source(code, forbidden=spec.grading.forbidden, max_lines=spec.grading.max_lines)
    if problem is not None:
        return _refuse(verdict, problem.outcome, problem.message)
    instances = [make_instance(name, seed, spec.grading.steps) for name in problem_names]
    job = build_job(spec, instances, framework, resolved)
    runner = sandbox if sandbox is not None else Sandbox(device=resolved)
    result = runner.run(_files(job, code), entry="harness.py", framework=framework)
    verdict.stdout, verdict.stderr, verdict.elapsed_ms = result.stdout, result.stderr, result.elapsed_ms
    _judge(verdict, spec, instances, result)
    if verdict.passed and spec.slug in FIVE_LINES_DRILLS and tree is not None:
        count = update_line_count(tree)
        verdict.five_lines = count is not None and count <= FIVE_LINES_LIMIT
    elif spec.slug in FIVE_LINES_DRILLS:
        verdict.five_lines = False
    return verdict


def _problems_to_run(spec: DrillSpec, problems: Sequence[str] | None) -> tuple[str, ...]:
    if problems is None:
        return spec.grading.problems
    unknown = [name for name in problems if name not in spec.grading.problems]
    if unknown or not problems:
        offered = ", ".join(spec.grading.problems)
        raise ValueError(
            f"drill {spec.slug!r} is graded on {offered}; not on {', '.join(unknown) or 'nothing'}"
        )
    return tuple(problems)


def _device_for(framework: str, device: str, sandbox: Sandbox | None) -> str:
    """NumPy runs on the CPU; torch follows `device`, and "auto" follows a given sandbox's device."""
    from quizapp.grader.sandbox import resolve_device

    if framework != "torch":
        return "cpu"
    if device == "auto" and sandbox is not None:
        return sandbox.device
    return resolve_device(device)


def _refuse(verdict: Verdict, outcome: str, message: str) -> Verdict:
    verdict.verdict = outcome  # type: ignore[assignment]
    verdict.message = message
    if verdict.drill in FIVE_LINES_DRILLS:
        verdict.five_lines = False
    return verdict


def kind_of(spec: DrillSpec) -> str:
    first = spec.grading.problems[0]
    if first.startswith("schedule-"):
        return "schedule"
    return "clip" if first == "gradient-bursts" else "optimizer"


def build_job(
    spec: DrillSpec, instances: list[ProblemInstance], framework: str, device: str
) -> dict[str, Any]:
    """Everything the sandboxed harness needs, as JSON: cases, generated gradient source, names."""
    kind = kind_of(spec)
    names = {*spec.grading.values, "steps", "max_norm", "warmup_steps", "total_steps"}
    return {
        "drill": spec.slug,
        "kind": kind,
        "framework": framework,
        "dtype": DTYPES[framework],
        "device": device,
        "steps": spec.grading.steps,
        "hyperparameters": _ordered_values(spec.grading.values),
        "aliases": {name: ALIASES.get(name, [name]) for name in names},
        "entry_hints": ENTRY_HINTS.get(spec.slug, [spec.slug.replace("-", "")]),
        "missing_entry_message": MISSING_ENTRY[kind],
        "forbidden": list(spec.grading.forbidden),
        "sources": {i.name: gradient_source(i.name, framework) for i in instances if i.name in LANDSCAPES},
        "cases": [i.to_job() for i in instances],
    }


def _ordered_values(values: dict[str, Any]) -> dict[str, Any]:
    # lr claims its aliases first, so that in RMSprop(lr, alpha) `alpha` is left for the decay rate.
    order = ["lr", "max_lr", "min_lr", "beta1", "beta2", "momentum", "rho", "eps", "weight_decay"]
    return {k: values[k] for k in order if k in values} | {k: v for k, v in values.items() if k not in order}


def _files(job: dict[str, Any], code: str) -> dict[str, bytes]:
    return {
        "harness.py": _harness_bytes(),
        "job.json": json.dumps(job).encode(),
        "submission.py": code.encode(),
    }


@lru_cache(maxsize=1)
def _harness_bytes() -> bytes:
    return HARNESS_PATH.read_bytes()


# --------------------------------------------------------------------------------------- judging
def _judge(
    verdict: Verdict, spec: DrillSpec, instances: list[ProblemInstance], result: SandboxResult
) -> None:
    if result.library_calls:  # reported by the sandbox itself, whatever the submission did afterwards
        called = result.library_calls.split()[0]
        _refuse(verdict, "rejected", f"{refusal_message(called)}.")
        return
    if result.status == "timeout":
        _refuse(verdict, "timeout", result.message or "the submission ran past the time limit")
        return
    if result.status in ("memory", "killed"):
        _refuse(verdict, "error", result.message or f"the submission was stopped ({result.status})")
        return
    try:
        payload = read_result(result.result, case_bounds(instances, spec.grading.steps))
    except UnreadableResult as error:
        _refuse(verdict, "error", f"The submission's result file was refused: {error}.")
        return
    if payload is None:
        reason = result.message or "it ended before writing any results"
        _refuse(
            verdict, "error", f"The submission produced no results: {reason}. {_last_line(result.stderr)}"
        )
        return
    arrays, meta = payload.arrays, payload.meta
    got = [arrays.get(f"case_{i}") for i in range(len(instances))]
    dtype = computed_dtype(got)
    _compare_cases(verdict, spec, instances, got, dtype)
    _note_precision(verdict, dtype)
    error = meta.get("error")
    if error:
        _apply_error(verdict, error)
    elif verdict.verdict == "failed" and meta.get("unused"):
        unused = ", ".join(
            f"{n}={spec.grading.values.get(n)}" for n in meta["unused"] if n in spec.grading.values
        )
        if unused:
            verdict.message = _join(
                verdict.message,
                f"Your code does not take these hyper-parameters, which the "
                f"grader set to non-default values: {unused}.",
            )


def _compare_cases(
    verdict: Verdict,
    spec: DrillSpec,
    instances: list[ProblemInstance],
    got: list[np.ndarray | None],
    dtype: str,
) -> None:
    tolerance = tolerance_for(dtype)
    accepted = list(spec.conventions)
    hp, steps = spec.grading.values, spec.grading.steps
    match = closest_convention(spec.slug, accepted, got, instances, hp, steps, tolerance)
    verdict.cases = _case_results(match, instances, got)
    if match.passed:
        verdict.verdict, verdict.convention = "passed", match.convention
        return
    verdict.verdict = "failed"
    pairs = zip(instances, match.comparisons, strict=True)
    notes = [f"{i.name}: {c.message}." for i, c in pairs if c.message]
    if notes:
        verdict.message = " ".join(notes)
    verdict.diagnosis = diagnose(spec.slug, accepted, got, instances, hp, steps, tolerance)
    if verdict.diagnosis is None:
        _flag_non_finite(verdict, instances, got)


def _note_precision(verdict: Verdict, dtype: str) -> None:
    """Say when code was judged at float32's tolerance, or failed by no more than float32 rounding."""
    loose, strict = tolerance_for("float32"), tolerance_for("float64")
    if dtype == "float32":
        verdict.message = _join(verdict.message, FLOAT32_NOTE.format(tolerance=loose, strict=strict))
        return
    errors = [case.max_rel_err for case in verdict.cases]
    if verdict.verdict == "failed" and verdict.diagnosis is None and errors:
        worst = max(e if e is not None else math.inf for e in errors)
        if worst <= loose:
            verdict.message = _join(verdict.message, FLOAT32_MIXED_NOTE.format(worst=worst))


def _case_results(
    match: ConventionMatch, instances: list[ProblemInstance], got: list[np.ndarray | None]
) -> list[CaseResult]:
    results = []
    for instance, comparison, reference, trajectory in zip(
        instances, match.comparisons, match.references, got, strict=True
    ):
        results.append(
            CaseResult(
                problem=instance.name,
                steps=comparison.steps,
                max_rel_err=comparison.max_rel_err,
                first_divergence=comparison.first_divergence,
                passed=comparison.passed,
                trajectory=case_plots(instance, trajectory, reference),
            )
        )
    return results


def _flag_non_finite(
    verdict: Verdict, instances: list[ProblemInstance], got: list[np.ndarray | None]
) -> None:
    """NaN or inf that no known mistake explains is an error, reported with the step where it appeared."""
    for instance, trajectory in zip(instances, got, strict=True):
        if trajectory is None:
            continue
        bad = np.flatnonzero(~np.all(np.isfinite(trajectory), axis=1))
        if len(bad):
            verdict.verdict = "error"
            verdict.message = (
                f"The parameters became NaN or infinite at step {int(bad[0])} of {instance.name}; "
                "look for a division by zero, a square root of a negative number or an overflow."
            )
            return


def _apply_error(verdict: Verdict, error: dict[str, Any]) -> None:
    kind = error.get("kind")
    line = error.get("line")
    where = f" (line {line})" if line else ""
    case = f" while running {error['case']}" if error.get("case") else ""
    if kind in ("no-entry", "forbidden"):
        verdict.verdict, verdict.message = "rejected", f"{error.get('message')}{where}"
        return
    verdict.verdict = "error"
    prefix = "" if error.get("type") == "SubmissionError" else f"{error.get('type')}: "
    verdict.message = f"{prefix}{error.get('message')}{where}{case}"
    verdict.diagnosis = None
    verdict.convention = None


def _join(first: str | None, second: str) -> str:
    return f"{first} {second}" if first else second


def _last_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
