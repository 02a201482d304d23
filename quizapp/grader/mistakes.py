"""Known mistakes and accepted conventions, both expressed as flags on the reference optimizers.

A convention is a correct spelling the drill accepts; a mistake variant is a convention with one flag
flipped. Each mistake carries the explanation shown to the learner and the card that teaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mistake:
    """A named, explained error that a variant reference reproduces."""

    id: str
    title: str
    explanation: str
    card: str


MISTAKES: dict[str, Mistake] = {
    m.id: m
    for m in (
        Mistake(
            "no-bias-correction",
            "Moments used without bias correction",
            "Both moment estimates start at zero, so for the first steps they are much smaller than the "
            "quantities they estimate. Dividing m by 1 − β₁ᵗ and v by 1 − β₂ᵗ removes that start-up bias; "
            "without it the first updates have the wrong size, and the trajectory drifts away from Adam's "
            "from the very first step.",
            "adam-bias-correction-why",
        ),
        Mistake(
            "bias-correction-off-by-one",
            "Bias correction uses the wrong step number",
            "The correction factors must use t = 1 for the first update. Counting from 0 divides by "
            "1 − β⁰ = 0 on the first step, and incrementing the counter twice (or using t + 1) "
            "under-corrects "
            "every early step. Increment t once per step, before computing m̂ and v̂.",
            "adam-bias-correction-first-step",
        ),
        Mistake(
            "eps-inside-sqrt",
            "ε placed inside the square root",
            "This drill divides by √v̂ + ε. Writing √(v̂ + ε) instead changes nothing for large gradients "
            "but a lot for tiny ones: with gradients near 10⁻⁶ the ε under the root dominates and the step "
            "shrinks by orders of magnitude, which is exactly what the tiny-gradient problem shows.",
            "adam-epsilon-placement",
        ),
        Mistake(
            "betas-swapped",
            "β₁ and β₂ swapped",
            "β₁ (about 0.9) averages the gradient itself over a short window; β₂ (about 0.999) averages "
            "the squared gradient over a long one. Using them the other way round makes the direction "
            "sluggish and the scale jumpy, and the bias corrections no longer match their moments.",
            "adam-beta-roles",
        ),
        Mistake(
            "missing-square",
            "Second moment built from g instead of g²",
            "The denominator must estimate the gradient's magnitude, so the second moment averages the "
            "element-wise square g². Averaging g itself gives a quantity that can be negative or near zero "
            "(its square root is then NaN or tiny) and the adaptive scaling falls apart.",
            "adam-second-moment-squared-gradient",
        ),
        Mistake(
            "missing-sqrt",
            "Dividing by the second moment without its square root",
            "The second moment has the units of g², so the step must divide by its square root to be "
            "dimensionless. Dividing by v itself makes the step scale like 1/g: huge for small gradients, "
            "tiny for large ones.",
            "adaptive-denominator-sqrt",
        ),
        Mistake(
            "wrong-sign",
            "Step taken up the gradient",
            "The gradient points towards higher loss, so every update must subtract its step from the "
            "parameters. Adding it performs gradient ascent: the loss grows from the first step on.",
            "gd-update-direction",
        ),
        Mistake(
            "ema-missing-one-minus-beta",
            "Moving average missing its (1 − β) weight",
            "An exponential moving average mixes old and new as β·old + (1 − β)·new. Dropping the (1 − β) "
            "turns it into a decaying sum that settles near new/(1 − β), so the estimate is 10× (β = 0.9) "
            "or 1000× (β = 0.999) too large and the steps have the wrong size.",
            "ema-one-minus-beta-weighting",
        ),
        Mistake(
            "l2-instead-of-decoupled",
            "Weight decay added to the gradient (L2) instead of decoupled",
            "Adding λθ to the gradient sends the decay through the adaptive denominator, so weights with "
            "large gradient history are barely decayed. AdamW applies the decay directly to the weights, "
            "θ ← θ − ηλθ, outside the m̂/(√v̂ + ε) step.",
            "adamw-vs-l2",
        ),
        Mistake(
            "decay-not-scaled-by-lr",
            "Weight decay not multiplied by the learning rate",
            "In AdamW the decoupled decay is ηλθ, scaled by the same learning rate (and schedule) as the "
            "adaptive step. Subtracting λθ alone decays far too fast whenever η is small and ignores warmup "
            "and decay of the learning rate.",
            "adamw-decay-scaled-by-lr",
        ),
        Mistake(
            "accumulator-not-ema",
            "Squared gradients summed instead of averaged",
            "RMSProp's point is to forget: s ← ρs + (1 − ρ)g². Summing the squares (s ← s + g²) is AdaGrad, "
            "whose denominator only grows, so the effective learning rate decays towards zero.",
            "rmsprop-vs-adagrad-accumulator",
        ),
        Mistake(
            "nesterov-as-momentum",
            "Plain momentum instead of Nesterov's look-ahead",
            "Nesterov momentum adds one more momentum term to the step (g + μb instead of b), which is the "
            "same as measuring the gradient at the look-ahead point θ + μv. Without it the code is ordinary "
            "heavy-ball momentum and overshoots more.",
            "nesterov-lookahead",
        ),
        Mistake(
            "lion-sign-missing",
            "Lion step without the sign",
            "Lion moves every coordinate by exactly η in the direction sign(β₁m + (1 − β₁)g). Using the "
            "interpolated momentum itself gives a step proportional to the gradient's size, which is "
            "plain momentum with a tiny learning rate, not Lion.",
            "lion-sign-update",
        ),
        Mistake(
            "clip-per-tensor",
            "Each tensor clipped by its own norm",
            "Global-norm clipping computes one norm over all gradient tensors together and scales them all "
            "by the same factor, keeping the update's direction. Clipping each tensor separately changes the "
            "direction and leaves the total norm above the threshold.",
            "clip-global-norm-vs-per-tensor",
        ),
    )
}

# Accepted conventions: drill → convention id (as listed in the drill's YAML) → reference flags.
CONVENTION_FLAGS: dict[str, dict[str, dict[str, Any]]] = {
    "sgd": {"plain": {}},
    "momentum": {"pytorch": {}, "ema": {"momentum_form": "ema"}},
    "nesterov": {"pytorch": {}, "lookahead": {"lookahead": True}},
    "adagrad": {"eps-outside-sqrt": {}, "eps-inside-sqrt": {"eps_inside": True}},
    "rmsprop": {"eps-outside-sqrt": {}, "eps-inside-sqrt": {"eps_inside": True}},
    "adadelta": {"pytorch": {}},
    "adam": {"pytorch": {}},
    "amsgrad": {
        "pytorch": {"amsgrad": "pytorch"},
        "max-of-corrected": {"amsgrad": "max-of-corrected"},
        "paper": {"amsgrad": "paper"},
    },
    "adamw": {"pytorch": {}},
    "nadam": {"simple": {}, "pytorch": {"nadam": "pytorch"}},
    "lion": {"paper": {}},
    "lamb": {"paper": {}},
    "muon": {"pytorch": {}, "unscaled": {"muon_scale": False}},
    "warmup-cosine": {"from-zero": {}, "from-one": {"warmup_offset": 1}},
    "clip-grad-norm": {"exact": {}, "pytorch": {"clip_eps": True}},
}

_SIGN = [("wrong-sign", {"wrong_sign": True})]
_EMA = [
    ("ema-missing-one-minus-beta", {"ema_missing_one_minus": which}) for which in ("both", "first", "second")
]
_ADAPTIVE = [("missing-sqrt", {"missing_sqrt": True}), ("missing-square", {"missing_square": True})]
_ADAM = [
    *[("no-bias-correction", {"no_bias_correction": which}) for which in ("both", "first", "second")],
    ("bias-correction-off-by-one", {"bias_offset": 1}),
    ("bias-correction-off-by-one", {"bias_offset": -1}),
    ("eps-inside-sqrt", {"eps_inside": True}),
    ("betas-swapped", {"betas_swapped": True}),
    *_ADAPTIVE,
    *_EMA,
    *_SIGN,
]

# Mistake variants: drill → (mistake id, flags applied on top of each accepted convention).
MISTAKE_VARIANTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "sgd": _SIGN,
    "momentum": _SIGN,
    "nesterov": [("nesterov-as-momentum", {"nesterov": False}), *_SIGN],
    "adagrad": [*_ADAPTIVE, *_SIGN],
    "rmsprop": [("accumulator-not-ema", {"accumulator_sum": True}), *_EMA[:1], *_ADAPTIVE, *_SIGN],
    "adadelta": [*_EMA[:1], ("missing-sqrt", {"missing_sqrt": True}), *_SIGN],
    "adam": _ADAM,
    "amsgrad": _ADAM,
    "adamw": [
        ("l2-instead-of-decoupled", {"decay": "l2"}),
        ("decay-not-scaled-by-lr", {"decay": "decoupled-no-lr"}),
        *_ADAM,
    ],
    "nadam": [("nesterov-as-momentum", {"nesterov": False}), *_ADAM],
    "lion": [
        ("lion-sign-missing", {"lion_sign_missing": True}),
        ("betas-swapped", {"betas_swapped": True}),
        *_SIGN,
    ],
    "lamb": [
        ("l2-instead-of-decoupled", {"decay": "l2"}),
        *_ADAM[:3],
        ("eps-inside-sqrt", {"eps_inside": True}),
        *_SIGN,
    ],
    "muon": [("nesterov-as-momentum", {"nesterov": False}), *_SIGN],
    "warmup-cosine": [],
    "clip-grad-norm": [("clip-per-tensor", {"clip_per_tensor": True})],
}
