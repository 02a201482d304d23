"""Trusted reference optimizers in float64 NumPy, one per drill, parameterised by convention flags.

The same code with a flag flipped is a mistake variant (see mistakes.py); a run produces the trajectory
the grader compares with: every point where the gradient is queried, then the final parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from quizapp.grader.problems import ProblemInstance, numpy_functions

Flags = Mapping[str, Any]
State = dict[str, Any]
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


@dataclass(frozen=True)
class Rule:
    """One optimizer's per-tensor update `new_x = update(x, g, state, t, hp, flags)` (t counts from 1)."""

    update: Callable[[np.ndarray, np.ndarray, State, int, Mapping[str, Any], Flags], np.ndarray]
    query: Callable[[np.ndarray, State, Mapping[str, Any], Flags], np.ndarray] | None = None


def _sign(flags: Flags) -> float:
    # wrong-sign flips the direction of the whole step: gradient ascent instead of descent
    return -1.0 if flags.get("wrong_sign") else 1.0


def _buffer(state: State, name: str, like: np.ndarray) -> np.ndarray:
    if name not in state:
        state[name] = np.zeros_like(like)
    return state[name]


def _ema(old: np.ndarray, new: np.ndarray, beta: float, flags: Flags, which: str) -> np.ndarray:
    missing = flags.get("ema_missing_one_minus") in ("both", which)
    return beta * old + (new if missing else (1 - beta) * new)


def _sgd(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    return x - _sign(flags) * hp["lr"] * g


def _momentum(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    mu = hp["momentum"]
    v = _buffer(state, "v", x)
    state["v"] = mu * v + ((1 - mu) * g if flags.get("momentum_form") == "ema" else g)
    return x - _sign(flags) * hp["lr"] * state["v"]


def _nesterov(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    mu, lr = hp["momentum"], hp["lr"]
    if flags.get("lookahead"):
        # velocity carries the learning rate; `g` was measured at the look-ahead point x + mu * v
        state["v"] = mu * _buffer(state, "v", x) - lr * g
        return x + _sign(flags) * state["v"]
    state["b"] = mu * _buffer(state, "b", x) + g
    step = g + mu * state["b"] if flags.get("nesterov", True) else state["b"]
    return x - _sign(flags) * lr * step


def _nesterov_query(x: np.ndarray, state: State, hp: Mapping[str, Any], flags: Flags) -> np.ndarray:
    if flags.get("lookahead") and flags.get("nesterov", True):
        return x + hp["momentum"] * _buffer(state, "v", x)
    return x


def _square(g: np.ndarray, flags: Flags) -> np.ndarray:
    return g if flags.get("missing_square") else g * g


def _denominator(second: np.ndarray, eps: float, flags: Flags) -> np.ndarray:
    if flags.get("missing_sqrt"):
        return second + eps
    if flags.get("eps_inside"):
        return np.sqrt(second + eps)
    return np.sqrt(second) + eps


def _adagrad(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    state["G"] = _buffer(state, "G", x) + _square(g, flags)
    return x - _sign(flags) * hp["lr"] * g / _denominator(state["G"], hp["eps"], flags)


def _rmsprop(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    s = _buffer(state, "s", x)
    if flags.get("accumulator_sum"):
        state["s"] = s + _square(g, flags)
    else:
        state["s"] = _ema(s, _square(g, flags), hp["rho"], flags, "second")
    return x - _sign(flags) * hp["lr"] * g / _denominator(state["s"], hp["eps"], flags)


def _adadelta(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    rho, eps = hp["rho"], hp["eps"]
    state["s"] = _ema(_buffer(state, "s", x), _square(g, flags), rho, flags, "second")
    u = _buffer(state, "u", x)
    if flags.get("missing_sqrt"):
        delta = (u + eps) / (state["s"] + eps) * g
    else:
        delta = np.sqrt(u + eps) / np.sqrt(state["s"] + eps) * g
    state["u"] = _ema(u, delta * delta, rho, flags, "second")
    return x - _sign(flags) * hp["lr"] * delta


def _betas(hp: Mapping[str, Any], flags: Flags) -> tuple[float, float]:
    b1, b2 = hp["beta1"], hp["beta2"]
    return (b2, b1) if flags.get("betas_swapped") else (b1, b2)


def _correction(beta: float, t: int, flags: Flags, which: str) -> float:
    if flags.get("no_bias_correction") in ("both", which):
        return 1.0
    return 1 - beta ** (t + flags.get("bias_offset", 0))


def adam_direction(g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags) -> np.ndarray:
    """Adam's normalised direction m̂/(√v̂ + ε), with AMSGrad's running maximum when flags ask for it."""
    b1, b2 = _betas(hp, flags)
    state["m"] = _ema(_buffer(state, "m", g), g, b1, flags, "first")
    state["v"] = _ema(_buffer(state, "v", g), _square(g, flags), b2, flags, "second")
    m_hat = state["m"] / _correction(b1, t, flags, "first")
    form = flags.get("amsgrad")
    if form == "pytorch":
        state["v_max"] = np.maximum(_buffer(state, "v_max", g), state["v"])
        v_hat = state["v_max"] / _correction(b2, t, flags, "second")
    elif form == "max-of-corrected":
        state["v_max"] = np.maximum(
            _buffer(state, "v_max", g), state["v"] / _correction(b2, t, flags, "second")
        )
        v_hat = state["v_max"]
    elif form == "paper":
        state["v_max"] = np.maximum(_buffer(state, "v_max", g), state["v"])
        v_hat, m_hat = state["v_max"], state["m"]
    else:
        v_hat = state["v"] / _correction(b2, t, flags, "second")
    return m_hat / _denominator(v_hat, hp["eps"], flags)


def _adam(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    return x - _sign(flags) * hp["lr"] * adam_direction(g, state, t, hp, flags)


def _adamw(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    lr, wd = hp["lr"], hp["weight_decay"]
    decay = flags.get("decay", "decoupled")
    if decay == "l2":
        return x - _sign(flags) * lr * adam_direction(g + wd * x, state, t, hp, flags)
    direction = adam_direction(g, state, t, hp, flags)
    shrink = wd * x if decay == "decoupled-no-lr" else lr * wd * x
    return x - shrink - _sign(flags) * lr * direction


def _nadam(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    if flags.get("nadam") == "pytorch":
        return _nadam_pytorch(x, g, state, t, hp, flags)
    b1, b2 = _betas(hp, flags)
    state["m"] = _ema(_buffer(state, "m", x), g, b1, flags, "first")
    state["v"] = _ema(_buffer(state, "v", x), _square(g, flags), b2, flags, "second")
    c1 = _correction(b1, t, flags, "first")
    denominator = _denominator(state["v"] / _correction(b2, t, flags, "second"), hp["eps"], flags)
    numerator = (
        state["m"] / c1 if flags.get("nesterov") is False else b1 * state["m"] / c1 + (1 - b1) * g / c1
    )
    return x - _sign(flags) * hp["lr"] * numerator / denominator


def _nadam_pytorch(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    b1, b2 = _betas(hp, flags)
    psi = hp.get("momentum_decay", 0.004)
    mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    state["mu_product"] = state.get("mu_product", 1.0) * mu
    state["m"] = _ema(_buffer(state, "m", x), g, b1, flags, "first")
    state["v"] = _ema(_buffer(state, "v", x), _square(g, flags), b2, flags, "second")
    denominator = _denominator(state["v"] / _correction(b2, t, flags, "second"), hp["eps"], flags)
    product = state["mu_product"]
    step = (1 - mu) / (1 - product) * g + mu_next / (1 - product * mu_next) * state["m"]
    if flags.get("nesterov") is False:
        step = state["m"] / (1 - product)
    return x - _sign(flags) * hp["lr"] * step / denominator


def _lion(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    b1, b2 = _betas(hp, flags)
    m = _buffer(state, "m", x)
    c = b1 * m + (1 - b1) * g
    direction = c if flags.get("lion_sign_missing") else np.sign(c)
    state["m"] = b2 * m + (1 - b2) * g
    return x - _sign(flags) * hp["lr"] * (direction + hp["weight_decay"] * x)


def _lamb(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    wd = hp["weight_decay"]
    if flags.get("decay") == "l2":
        update = adam_direction(g + wd * x, state, t, hp, flags)
    else:
        update = adam_direction(g, state, t, hp, flags) + wd * x
    weight_norm, update_norm = float(np.linalg.norm(x)), float(np.linalg.norm(update))
    trust = weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0
    if flags.get("no_trust_ratio"):
        trust = 1.0
    return x - _sign(flags) * hp["lr"] * trust * update


def newton_schulz(update: np.ndarray, steps: int, eps: float) -> np.ndarray:
    """Muon's quintic Newton–Schulz iteration towards the nearest (semi-)orthogonal matrix."""
    a, b, c = NS_COEFFICIENTS
    tall = update.shape[0] > update.shape[1]
    x = update.T if tall else update
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def _muon(
    x: np.ndarray, g: np.ndarray, state: State, t: int, hp: Mapping[str, Any], flags: Flags
) -> np.ndarray:
    mu, lr = hp["momentum"], hp["lr"]
    state["buf"] = mu * _buffer(state, "buf", x) + (1 - mu) * g
    nesterov = hp.get("nesterov", True) and flags.get("nesterov", True)
    update = (1 - mu) * g + mu * state["buf"] if nesterov else state["buf"]
    orthogonal = newton_schulz(update, int(hp.get("ns_steps", 5)), hp.get("eps", 1e-7))
    rows, cols = x.shape[0], x.shape[1]
    scale = math.sqrt(max(1.0, rows / cols)) if flags.get("muon_scale", True) else 1.0
    return x * (1 - lr * hp["weight_decay"]) - _sign(flags) * lr * scale * orthogonal


RULES: dict[str, Rule] = {
    "sgd": Rule(_sgd),
    "momentum": Rule(_momentum),
    "nesterov": Rule(_nesterov, _nesterov_query),
    "adagrad": Rule(_adagrad),
    "rmsprop": Rule(_rmsprop),
    "adadelta": Rule(_adadelta),
    "adam": Rule(_adam),
    "amsgrad": Rule(_adam),
    "adamw": Rule(_adamw),
    "nadam": Rule(_nadam),
    "lion": Rule(_lion),
    "lamb": Rule(_lamb),
    "muon": Rule(_muon),
}


def flatten(tensors: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(t, dtype=np.float64).ravel() for t in tensors])


def optimizer_trajectory(
    drill: str, flags: Flags, instance: ProblemInstance, hp: Mapping[str, Any], steps: int
) -> np.ndarray:
    """Query points of `steps` updates followed by the final parameters, shape (steps + 1, size)."""
    rule = RULES[drill]
    grad = numpy_functions(instance.name)["grad"]
    params = [x.copy() for x in instance.x0]
    states: list[State] = [{} for _ in params]
    points = []
    with np.errstate(all="ignore"):  # mistake variants overflow or take roots of negatives, like the bugs do
        for t in range(1, steps + 1):
            query = (
                [rule.query(x, s, hp, flags) for x, s in zip(params, states, strict=True)]
                if rule.query
                else params
            )
            points.append(flatten(query))
            grads = grad(query, instance.data_for_call(t - 1))
            params = [
                rule.update(x, g, s, t, hp, flags) for x, g, s in zip(params, grads, states, strict=True)
            ]
        points.append(flatten(params))
    return np.array(points)


def warmup_cosine_lr(step: int, hp: Mapping[str, Any], flags: Flags) -> float:
    """Linear warmup to max_lr, half-cosine to min_lr at total_steps, min_lr after."""
    warmup, total = hp["warmup_steps"], hp["total_steps"]
    top, bottom = hp["max_lr"], hp["min_lr"]
    if step < warmup:
        return top * (step + flags.get("warmup_offset", 0)) / warmup
    if step >= total:
        return bottom
    progress = (step - warmup) / (total - warmup)
    return bottom + 0.5 * (top - bottom) * (1 + math.cos(math.pi * progress))


def schedule_trajectory(flags: Flags, instance: ProblemInstance, hp: Mapping[str, Any]) -> np.ndarray:
    settings = dict(hp) | instance.settings
    return np.array([[warmup_cosine_lr(t, settings, flags)] for t in range(settings["evaluate"])])


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float, flags: Flags) -> list[np.ndarray]:
    """Scale all tensors by one factor min(1, c / ‖g‖); per tensor when the mistake flag asks for it."""
    eps = 1e-6 if flags.get("clip_eps") else 0.0
    if flags.get("clip_per_tensor"):
        return [g * min(1.0, max_norm / (float(np.linalg.norm(g)) + eps)) for g in grads]
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    coefficient = min(1.0, max_norm / (total + eps)) if total + eps > 0 else 1.0
    return [g * coefficient for g in grads]


def clip_trajectory(flags: Flags, instance: ProblemInstance, hp: Mapping[str, Any]) -> np.ndarray:
    rows = []
    for step_grads in instance.settings["gradients"]:
        grads = [np.asarray(g, dtype=np.float64) for g in step_grads]
        rows.append(flatten(clip_by_global_norm(grads, hp["max_norm"], flags)))
    return np.array(rows)


def reference_trajectory(
    drill: str, flags: Flags, instance: ProblemInstance, hp: Mapping[str, Any], steps: int
) -> np.ndarray:
    """The trusted trajectory for one case of `drill` under the given convention/mistake flags."""
    if instance.kind == "schedule":
        return schedule_trajectory(flags, instance, hp)
    if instance.kind == "clip":
        return clip_trajectory(flags, instance, hp)
    return optimizer_trajectory(drill, flags, instance, hp, steps)
