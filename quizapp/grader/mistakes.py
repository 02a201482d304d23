"""Known mistakes and accepted conventions, both expressed as flags on the reference optimizers.

A convention is a correct spelling the drill accepts; a mistake variant is a convention with one flag
flipped. Each mistake carries the explanation shown to the learner and the card that teaches it, plus its
own wording for the drills where the same slip means something different (Lion's betas, LAMB's decay).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Wording:
    """What a learner reads about a mistake: a short title and a one-paragraph explanation."""

    title: str
    explanation: str


@dataclass(frozen=True)
class Mistake:
    """A named, explained error that a variant reference reproduces.

    `by_drill` replaces the general wording on the drills where it would name quantities the drill does
    not have or effects it does not show; every other drill gets `title` and `explanation`.
    """

    id: str
    title: str
    explanation: str
    card: str
    by_drill: Mapping[str, Wording] = field(default_factory=dict)

    def wording_for(self, drill: str) -> Wording:
        return self.by_drill.get(drill, Wording(self.title, self.explanation))


MISTAKES: dict[str, Mistake] = {
    m.id: m
    for m in (
        Mistake(
            "no-bias-correction",
            "Moments used without bias correction",
            "Both moment estimates start at zero, so for the first steps they are much smaller than the "
            "quantities they estimate. Dividing m by 1 − β₁ᵗ and v by 1 − β₂ᵗ removes that start-up bias; "
            "without it the first updates have the wrong size, and the trajectory leaves the reference's "
            "from the very first step.",
            "adam-bias-correction-why",
            {
                "lamb": Wording(
                    "Moments used without bias correction",
                    "LAMB corrects its moments like Adam, m/(1 − β₁ᵗ) and v/(1 − β₂ᵗ), before forming "
                    "r = m̂/(√v̂ + ε) + λθ. The trust ratio fixes the length of every step at η‖θ‖, so "
                    "leaving the corrections out does not change how far a step goes; it changes where it "
                    "points: in the early steps the Adam part of r is off by a factor, which tips its "
                    "balance against the weight-decay term λθ.",
                ),
            },
        ),
        Mistake(
            "bias-correction-off-by-one",
            "Bias correction uses the wrong step number",
            "The correction factors must use t = 1 for the first update. Counting from 0 divides by "
            "1 − β⁰ = 0 on the first step; using t + 1 (for example, incrementing the counter after the "
            "update instead of before it) under-corrects every early step. Increment t once per step, "
            "before computing m̂ and v̂.",
            "adam-bias-correction-first-step",
        ),
        Mistake(
            "eps-inside-sqrt",
            "ε placed inside the square root",
            "This drill divides by √v̂ + ε. Writing √(v̂ + ε) instead barely matters while √v̂ is far above "
            "√ε, but it does when gradients are tiny: with gradients near 10⁻⁶, √(v̂ + ε) is about √ε, "
            "hundreds of times larger than √v̂, and the adaptive step shrinks by that factor, which is what "
            "the tiny-gradient problem shows.",
            "adam-epsilon-placement",
            {
                "lamb": Wording(
                    "ε placed inside the square root",
                    "This drill divides by √v̂ + ε. With √(v̂ + ε) the ε under the root takes over once "
                    "gradients are small: on the tiny-gradient problem (gradients near 10⁻⁶) the root is "
                    "about √ε = 10⁻³, so the Adam part of r = m̂/(√v̂ + ε) + λθ falls to about a "
                    "thousandth of its intended size and r is mostly the weight-decay term. The trust "
                    "ratio still gives the step its length η‖θ‖, but the step now points along the decay, "
                    "towards zero, instead of along the normalised gradient.",
                ),
            },
        ),
        Mistake(
            "betas-swapped",
            "β₁ and β₂ swapped",
            "β₁ (about 0.9) gives the gradient average m a short memory; β₂ (about 0.999) gives the "
            "squared-gradient average v a long one. Swapped, the direction follows a slow average of old "
            "gradients while the denominator follows the last few squared gradients, so the step lags "
            "behind the gradient and its size jumps with every noisy one. The bias corrections swap "
            "along with their averages and stay consistent; the two memories are what is wrong.",
            "adam-beta-roles",
            {
                "lion": Wording(
                    "β₁ and β₂ swapped",
                    "Lion uses β₁ only for the step it takes now: c = β₁m + (1 − β₁)g mixes the stored "
                    "momentum with the fresh gradient before the sign is taken. β₂ (0.99 by default, "
                    "closer to 1) updates the stored momentum m for later steps, so that memory is the "
                    "longer one. Swapped, the current sign is decided almost entirely by old momentum, "
                    "while the stored momentum keeps only about the last 1/(1 − β₁) = 10 gradients "
                    "(β₁ = 0.9).",
                ),
            },
        ),
        Mistake(
            "missing-square",
            "Second moment built from g instead of g²",
            "The denominator must estimate the gradient's magnitude, so the second moment averages the "
            "element-wise square g². Averaging g itself gives a quantity that can be negative or near zero "
            "(its square root is then NaN or tiny) and the adaptive scaling falls apart.",
            "adam-second-moment-squared-gradient",
            {
                "adagrad": Wording(
                    "Accumulator built from g instead of g²",
                    "AdaGrad's accumulator adds up the element-wise squares g², so that √G measures how "
                    "large each coordinate's gradients have been. Adding g itself lets positive and "
                    "negative gradients cancel: G can turn negative (its square root is NaN) or stay near "
                    "zero, and the per-coordinate step sizes lose their meaning.",
                ),
            },
        ),
        Mistake(
            "missing-sqrt",
            "Dividing by the second moment without its square root",
            "The accumulated squared gradients have the units of g², so the step must divide by their "
            "square root to be independent of the gradient's scale. Dividing by them directly makes the "
            "step scale like 1/g: huge for small gradients, tiny for large ones.",
            "adaptive-denominator-sqrt",
            {
                "adadelta": Wording(
                    "Ratio of the two averages taken without its square roots",
                    "AdaDelta's step Δ = √(u + ε)/√(s + ε)·g takes both roots on purpose: √s is the RMS "
                    "of the gradients and √u the RMS of past updates, so the ratio turns gradient units "
                    "into the units of θ. Without the roots the ratio is squared, and because it starts "
                    "far below 1 (u₀ = 0), squaring makes the steps orders of magnitude too small: the "
                    "parameters hardly move.",
                ),
            },
        ),
        Mistake(
            "wrong-sign",
            "Step taken up the gradient",
            "The gradient points towards higher loss, so the update must move the parameters against it. "
            "This code adds its step instead of subtracting it, so it climbs: the loss rises from the "
            "first step on.",
            "gd-update-direction",
        ),
        Mistake(
            "ema-missing-one-minus-beta",
            "Moving average missing its (1 − β) weight",
            "An exponential moving average mixes old and new as β·old + (1 − β)·new. Dropping the (1 − β) "
            "turns it into a decaying sum that settles near new/(1 − β), so the estimate is 10× (β = 0.9) "
            "or 1000× (β = 0.999) too large and the steps have the wrong size.",
            "ema-one-minus-beta-weighting",
            {
                "rmsprop": Wording(
                    "Moving average missing its (1 − ρ) weight",
                    "RMSProp's average is s ← ρs + (1 − ρ)g². Without the (1 − ρ), s becomes a decaying "
                    "sum that settles near g²/(1 − ρ), ten times too large for ρ = 0.9, so √s is about "
                    "√10 ≈ 3.2 times too large and every step is that much too small.",
                ),
                "adadelta": Wording(
                    "Moving averages missing their (1 − ρ) weight",
                    "Both of AdaDelta's averages, s ← ρs + (1 − ρ)g² and u ← ρu + (1 − ρ)Δ², need the "
                    "(1 − ρ). Without it s is inflated from the first step, so the very first step is "
                    "√(1 − ρ) times its intended size (about a third for ρ = 0.9), and the two inflated "
                    "sums keep the later steps off their intended size too.",
                ),
            },
        ),
        Mistake(
            "l2-instead-of-decoupled",
            "Weight decay added to the gradient (L2) instead of decoupled",
            "Adding λθ to the gradient sends the decay through the adaptive denominator, so weights with "
            "large gradient history are barely decayed. AdamW applies the decay directly to the weights, "
            "θ ← θ − ηλθ, outside the m̂/(√v̂ + ε) step.",
            "adamw-vs-l2",
            {
                "lamb": Wording(
                    "Weight decay added to the gradient (L2) instead of to r",
                    "LAMB adds the decay after the Adam direction is formed, r = m̂/(√v̂ + ε) + λθ, and "
                    "the trust ratio then rescales all of r. Adding λθ to the gradient instead sends it "
                    "through m, v and the division by √v̂: it is averaged and normalised per coordinate "
                    "like a gradient, so coordinates with a large gradient history are barely decayed.",
                ),
            },
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
            "Nesterov momentum adds one more momentum term to the step (g + μb instead of b); after a "
            "change of variables this is the same as measuring the gradient at the look-ahead point "
            "θ + μv. Without it the code is ordinary heavy-ball momentum and overshoots more.",
            "nesterov-lookahead",
            {
                "nadam": Wording(
                    "Adam's momentum instead of NAdam's look-ahead",
                    "NAdam's numerator is β₁m̂ plus the fresh-gradient term (1 − β₁)g/(1 − β₁ᵗ): the "
                    "momentum is applied once more, as if looking one step ahead. Stepping with the "
                    "corrected m̂ alone is plain Adam, which reacts a step later when the gradient turns.",
                ),
                "muon": Wording(
                    "Momentum buffer orthogonalised instead of the Nesterov blend",
                    "Muon orthogonalises the Nesterov blend U = (1 − μ)G + μB, which gives the fresh "
                    "gradient an extra share of the update. Orthogonalising the buffer B itself is Muon "
                    "without Nesterov (torch.optim.Muon with nesterov=False), not the rule this drill asks "
                    "for.",
                ),
            },
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
