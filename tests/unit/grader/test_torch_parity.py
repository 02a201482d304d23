"""PyTorch submissions are graded as strictly as NumPy ones: in float64, so every held-out mistake variant
written in torch fails and gets NumPy's diagnosis, while copies of the torch.optim classes the prompts
name pass. Code that rounds to float32 by itself is compared at float32's tolerance, and told so."""

from __future__ import annotations

import pytest
from support.drills import shipped_drills
from support.submissions import TORCH_OPTIM_COPIES, sample_submission, torch_optim_copy, torch_variant

from quizapp.grader.compare import tolerance_for
from quizapp.grader.diagnosis import closest_convention, diagnose, run_variant
from quizapp.grader.mistakes import CONVENTION_FLAGS, MISTAKE_VARIANTS
from quizapp.grader.problems import make_instance

SEED = 11
DRILLS = shipped_drills()
VARIANTS = [
    (drill, mistake_id, flags)
    for drill, variants in MISTAKE_VARIANTS.items()
    for mistake_id, flags in variants
]


def _first_convention(drill: str) -> dict:
    return CONVENTION_FLAGS[drill][next(iter(DRILLS[drill].conventions))]


def numpy_outcome(drill: str, flags: dict, seed: int = SEED) -> tuple[str | None, str | None]:
    """(accepted convention, diagnosis) the grader gives NumPy code that reproduces `flags` exactly."""
    spec = DRILLS[drill]
    plan = spec.grading
    instances = [make_instance(name, seed, plan.steps) for name in plan.problems]
    got = run_variant(drill, flags, instances, plan.values, plan.steps)
    accepted, tolerance = list(spec.conventions), tolerance_for("float64")
    match = closest_convention(drill, accepted, got, instances, plan.values, plan.steps, tolerance)
    if match.passed:
        return match.convention, None
    found = diagnose(drill, accepted, got, instances, plan.values, plan.steps, tolerance)
    return None, found.id if found else None


@pytest.mark.slow
@pytest.mark.parametrize(
    ("drill", "mistake_id", "flags"),
    VARIANTS,
    ids=[f"{d}-{m}-{'-'.join(f'{k}={v}' for k, v in f.items())}" for d, m, f in VARIANTS],
)
def test_every_mistake_variant_written_in_torch_fails_with_numpys_diagnosis(
    grade_with, drill: str, mistake_id: str, flags: dict
) -> None:
    combined = {**_first_convention(drill), **flags}
    verdict = grade_with(drill, torch_variant(drill, combined), framework="torch").to_dict()
    convention, diagnosis = numpy_outcome(drill, combined)
    if convention is not None:
        # e.g. AMSGrad's PyTorch form without bias correction is the paper's form, an accepted convention
        assert (verdict["verdict"], verdict["convention"]) == ("passed", convention)
        return
    assert verdict["verdict"] in ("failed", "error"), verdict["message"]
    assert diagnosis is not None, "NumPy code with this mistake is diagnosed"
    assert (verdict["diagnosis"] or {}).get("id") == diagnosis


ADAMW_VARIANTS = [(mistake_id, flags) for mistake_id, flags in MISTAKE_VARIANTS["adamw"]]


@pytest.mark.parametrize(
    ("mistake_id", "flags"), ADAMW_VARIANTS, ids=[f"{m}-{next(iter(f.values()))}" for m, f in ADAMW_VARIANTS]
)
def test_adamw_mistakes_rounded_to_float32_are_still_caught_and_named(grade_with, mistake_id, flags) -> None:
    """At float32's looser tolerance the diagnosis still names the same mistake as for float64 code."""
    verdict = grade_with("adamw", torch_variant("adamw", flags, force_float32=True), framework="torch")
    assert verdict.verdict in ("failed", "error"), verdict.message
    assert verdict.diagnosis is not None and verdict.diagnosis.id == numpy_outcome("adamw", flags)[1]


@pytest.mark.parametrize("drill", sorted(d for d, variants in MISTAKE_VARIANTS.items() if variants))
def test_the_flagged_torch_code_itself_passes_with_each_first_convention(grade_with, drill: str) -> None:
    """The control for the test above: without a mistake flag the same torch code passes in float64."""
    verdict = grade_with(drill, torch_variant(drill, _first_convention(drill)), framework="torch")
    assert verdict.verdict == "passed", verdict.message
    assert "float32" not in (verdict.message or "")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("slip", "flags", "eps"),
    [("eps inside the root", {"eps_inside": True}, None), ("no eps", {}, 0.0), ("eps = 1e-3", {}, 1e-3)],
)
@pytest.mark.parametrize("force_float32", [False, True], ids=["float64", "float32"])
def test_adamw_eps_slips_fail_in_torch(grade_with, seed, slip, flags, eps, force_float32) -> None:
    code = torch_variant("adamw", flags, force_float32=force_float32, eps=eps)
    verdict = grade_with("adamw", code, framework="torch", seed=seed)
    assert verdict.verdict == "failed", f"{slip}: {verdict.message}"
    named = verdict.diagnosis.id if verdict.diagnosis else None
    assert named == ("eps-inside-sqrt" if flags else None)  # a hard-coded ε is not mistaken for another slip
    tiny = next(case for case in verdict.cases if case.problem == "tiny-gradient")
    assert not tiny.passed


def test_code_that_rounds_to_float32_itself_is_compared_at_float32_tolerance_and_told(grade_with) -> None:
    verdict = grade_with("adamw", torch_variant("adamw", {}, force_float32=True), framework="torch")
    assert verdict.verdict == "passed", verdict.message
    assert "float32" in verdict.message and "1e-09" in verdict.message
    worst = max(case.max_rel_err for case in verdict.cases)
    assert tolerance_for("float64") < worst <= tolerance_for("float32")


@pytest.mark.parametrize("drill", sorted(TORCH_OPTIM_COPIES))
def test_copy_of_the_torch_optim_class_a_prompt_names_passes_in_float64(grade_with, drill: str) -> None:
    verdict = grade_with(drill, torch_optim_copy(drill), framework="torch")
    assert verdict.verdict == "passed", verdict.message
    assert verdict.convention == TORCH_OPTIM_COPIES[drill][2]
    assert verdict.message is None
    assert all(case.max_rel_err <= tolerance_for("float64") for case in verdict.cases)


def test_muon_copy_with_torchs_bfloat16_cast_fails(grade_with) -> None:
    """The prompt asks for Newton–Schulz in the parameter's dtype; torch's bfloat16 shortcut is off by about
    1e-2, far outside float64's tolerance, and the prompt says so."""
    code = sample_submission("torch_optim/muon.py")
    code = code.replace("ortho_grad = grad.clone()", "ortho_grad = grad.bfloat16()")
    verdict = grade_with("muon", code, framework="torch")
    assert verdict.verdict == "failed"
    assert all(1e-4 < case.max_rel_err < 1e-1 for case in verdict.cases)
    assert "bfloat16" in DRILLS["muon"].prompt
