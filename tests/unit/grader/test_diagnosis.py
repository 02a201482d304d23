"""Every known mistake is recognised from a realistic buggy submission run through the full grade() path;
unknown mistakes get no id but still the first divergence; accepted conventions are named."""

from __future__ import annotations

import re

import pytest
from support.submissions import (
    ADAM_CORRECT,
    BUGS,
    LION_CLASS,
    MOMENTUM_CLASS,
    NESTEROV_LOOKAHEAD,
    RMSPROP_CLASS,
)

from quizapp.grader.diagnosis import diagnosis_for
from quizapp.grader.mistakes import MISTAKE_VARIANTS, MISTAKES

REQUIRED_IDS = {
    "no-bias-correction",
    "bias-correction-off-by-one",
    "eps-inside-sqrt",
    "betas-swapped",
    "missing-square",
    "missing-sqrt",
    "wrong-sign",
    "ema-missing-one-minus-beta",
    "l2-instead-of-decoupled",
    "decay-not-scaled-by-lr",
    "accumulator-not-ema",
    "nesterov-as-momentum",
    "lion-sign-missing",
    "clip-per-tensor",
}
CONTRACT_CARDS = {
    "no-bias-correction": "adam-bias-correction-why",
    "bias-correction-off-by-one": "adam-bias-correction-first-step",
    "eps-inside-sqrt": "adam-epsilon-placement",
    "betas-swapped": "adam-beta-roles",
    "missing-square": "adam-second-moment-squared-gradient",
    "missing-sqrt": "adaptive-denominator-sqrt",
    "wrong-sign": "gd-update-direction",
    "ema-missing-one-minus-beta": "ema-one-minus-beta-weighting",
    "l2-instead-of-decoupled": "adamw-vs-l2",
    "decay-not-scaled-by-lr": "adamw-decay-scaled-by-lr",
    "accumulator-not-ema": "rmsprop-vs-adagrad-accumulator",
    "nesterov-as-momentum": "nesterov-lookahead",
    "lion-sign-missing": "lion-sign-update",
    "clip-per-tensor": "clip-global-norm-vs-per-tensor",
}


def test_catalogue_links_each_mistake_to_its_contract_card() -> None:
    assert set(MISTAKES) >= REQUIRED_IDS
    for mistake_id, card in CONTRACT_CARDS.items():
        assert MISTAKES[mistake_id].card == card
        assert len(MISTAKES[mistake_id].explanation.split()) >= 25  # a paragraph, not a label


def test_every_variant_names_a_catalogued_mistake() -> None:
    for variants in MISTAKE_VARIANTS.values():
        for mistake_id, _ in variants:
            assert mistake_id in MISTAKES


@pytest.mark.parametrize("mistake_id", sorted(BUGS))
def test_mistake_is_recognised_from_a_buggy_submission(grade_with, mistake_id: str) -> None:
    drill, code = BUGS[mistake_id]
    verdict = grade_with(drill, code).to_dict()
    assert verdict["verdict"] == "failed", verdict["message"]
    assert verdict["diagnosis"]["id"] == mistake_id
    assert verdict["diagnosis"]["card"] == CONTRACT_CARDS[mistake_id]
    assert any(case["first_divergence"] for case in verdict["cases"])


def test_bug_list_covers_every_required_mistake() -> None:
    assert set(BUGS) == REQUIRED_IDS


def test_counting_steps_from_zero_is_an_off_by_one_even_though_it_produces_nan(grade_with) -> None:
    code = ADAM_CORRECT.replace("range(1, steps + 1)", "range(steps)")
    verdict = grade_with("adam", code).to_dict()
    assert verdict["verdict"] == "failed"
    assert verdict["diagnosis"]["id"] == "bias-correction-off-by-one"


def test_unknown_mistake_has_no_id_but_shows_the_first_divergence(grade_with) -> None:
    code = ADAM_CORRECT.replace("theta = theta - lr * m_hat", "theta = theta - 0.5 * lr * m_hat")
    verdict = grade_with("adam", code).to_dict()
    assert verdict["verdict"] == "failed"
    assert verdict["diagnosis"] is None
    divergence = verdict["cases"][0]["first_divergence"]
    assert divergence["step"] == 1
    assert divergence["expected"] != divergence["got"]


def test_ignored_hyper_parameter_fails_and_says_which(grade_with) -> None:
    code = RMSPROP_CLASS.replace(
        "def __init__(self, lr=0.001, beta=0.9, eps=1e-8):", "def __init__(self, lr=0.001):"
    )
    code = code.replace("self.beta = beta", "self.beta = 0.9").replace("self.eps = eps", "self.eps = 1e-8")
    verdict = grade_with("rmsprop", code).to_dict()
    assert verdict["verdict"] == "failed"
    assert "rho=0.93" in verdict["message"]


@pytest.mark.parametrize(
    ("drill", "code", "convention"),
    [
        ("momentum", MOMENTUM_CLASS, "pytorch"),
        (
            "momentum",
            MOMENTUM_CLASS.replace(
                "self.momentum * self.v + grad", "self.momentum * self.v + (1 - self.momentum) * grad"
            ),
            "ema",
        ),
        (
            "momentum",
            MOMENTUM_CLASS.replace(
                "self.momentum * self.v + grad", "self.momentum * self.v - self.lr * grad"
            ).replace("return x - self.lr * self.v", "return x + self.v"),
            "pytorch",
        ),
        ("rmsprop", RMSPROP_CLASS, "eps-outside-sqrt"),
        (
            "rmsprop",
            RMSPROP_CLASS.replace("(np.sqrt(self.v) + self.eps)", "np.sqrt(self.v + self.eps)"),
            "eps-inside-sqrt",
        ),
        ("nesterov", NESTEROV_LOOKAHEAD, "lookahead"),
    ],
)
def test_accepted_conventions_pass_and_are_named(grade_with, drill: str, code: str, convention: str) -> None:
    verdict = grade_with(drill, code).to_dict()
    assert verdict["verdict"] == "passed", verdict
    assert verdict["convention"] == convention


# What each drill has, for checking that a diagnosis shown on it names nothing else. Symbols follow the
# drill's hyper-parameters; the rest are facts about the update rules (references.py).
SECOND_MOMENT_DRILLS = {"adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamw", "nadam", "lamb"}
BIAS_CORRECTED_DRILLS = {"adam", "amsgrad", "adamw", "nadam", "lamb"}


def _has_hyperparameter(name: str):
    return lambda drill, spec: name in spec.hyperparameters


# (pattern, who may say it): a diagnosis whose text matches `pattern` may only be shown on such drills.
MENTIONS = [
    (r"β₁|β₂", lambda drill, spec: "beta1" in spec.hyperparameters),
    (r"ρ", _has_hyperparameter("rho")),
    (r"μ", _has_hyperparameter("momentum")),
    (r"λ", _has_hyperparameter("weight_decay")),
    (r"ε", _has_hyperparameter("eps")),
    (r"0\.999", lambda drill, spec: spec.hyperparameters.get("beta2") == 0.999),
    (r"[mv]̂", lambda drill, spec: drill in BIAS_CORRECTED_DRILLS),
    (r"(?i)bias.correct|1 − β[₁₂]ᵗ", lambda drill, spec: drill in BIAS_CORRECTED_DRILLS),
    (r"(?i)squared.gradient|g²|second moment", lambda drill, spec: drill in SECOND_MOMENT_DRILLS),
    (r"(?i)tiny.gradient", lambda drill, spec: "tiny-gradient" in spec.grading.problems),
    # LAMB's trust ratio fixes every step's length at η‖θ‖: no claim about the step's size may appear there.
    (
        r"(?i)step (?:\w+ )?shrinks|wrong size|too (?:small|large)|smaller step|larger step",
        lambda d, s: d != "lamb",
    ),
]


def diagnosable_pairs() -> list[tuple[str, str]]:
    """Every (drill, mistake) the grader can report: the drill's own variants, nothing else."""
    return sorted({(drill, m) for drill, variants in MISTAKE_VARIANTS.items() for m, _ in variants})


@pytest.mark.parametrize(("drill", "mistake_id"), diagnosable_pairs())
def test_diagnosis_names_only_what_the_drill_has(drills, drill: str, mistake_id: str) -> None:
    shown = diagnosis_for(drill, mistake_id)
    spec = drills[drill]
    text = f"{shown.title} {shown.explanation}"
    wrong = [
        pattern for pattern, allowed in MENTIONS if re.search(pattern, text) and not allowed(drill, spec)
    ]
    assert not wrong, f"{mistake_id} on {drill} mentions {wrong}: {text}"
    assert shown.card == MISTAKES[mistake_id].card
    assert len(shown.explanation.split()) >= 25


def test_the_check_above_catches_the_general_wording_where_it_would_be_wrong(drills) -> None:
    """The general betas-swapped text on Lion, and eps-inside-sqrt's on LAMB, are what the drill wording
    replaces; the mention rules must flag them, or the test above could not fail."""
    for drill, mistake_id in (("lion", "betas-swapped"), ("lamb", "eps-inside-sqrt")):
        general = MISTAKES[mistake_id]
        text = f"{general.title} {general.explanation}"
        spec = drills[drill]
        assert any(re.search(p, text) and not allowed(drill, spec) for p, allowed in MENTIONS)


def test_every_drill_wording_belongs_to_a_drill_that_can_show_it() -> None:
    pairs = set(diagnosable_pairs())
    for mistake in MISTAKES.values():
        for drill in mistake.by_drill:
            assert (drill, mistake.id) in pairs, f"{mistake.id} has wording for {drill}, which never shows it"


def test_grader_shows_the_drills_own_wording(grade_with) -> None:
    code = LION_CLASS.replace("= lr, beta1, beta2, weight_decay", "= lr, beta2, beta1, weight_decay")
    verdict = grade_with("lion", code)
    assert verdict.diagnosis is not None and verdict.diagnosis.id == "betas-swapped"
    assert verdict.diagnosis.explanation == MISTAKES["betas-swapped"].by_drill["lion"].explanation
