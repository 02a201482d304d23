"""Every optimizer drill in PyTorch, with the grader's convention and mistake flags as switches.

The tests replace the two assignments below (DRILL, FLAGS) to write each held-out mutation in torch, so the
grader can be shown to catch in torch whatever it catches in NumPy. FORCE_FLOAT32 makes the code compute in
float32 on its own, the one case the grader compares at float32's tolerance.
"""

import math

import torch

DRILL = "adam"
FLAGS = {}
FORCE_FLOAT32 = False
EPS_OVERRIDE = None  # a hard-coded ε that ignores the graded value


def _sign():
    return -1.0 if FLAGS.get("wrong_sign") else 1.0


def _ema(old, new, beta, which):
    missing = FLAGS.get("ema_missing_one_minus") in ("both", which)
    return beta * old + (new if missing else (1 - beta) * new)


def _square(g):
    return g if FLAGS.get("missing_square") else g * g


def _denominator(second, eps):
    if FLAGS.get("missing_sqrt"):
        return second + eps
    if FLAGS.get("eps_inside"):
        return torch.sqrt(second + eps)
    return torch.sqrt(second) + eps


def _correction(beta, t, which):
    if FLAGS.get("no_bias_correction") in ("both", which):
        return 1.0
    return 1 - beta ** (t + FLAGS.get("bias_offset", 0))


class FlaggedOptimizer:
    """Called once per step for each parameter tensor, like the drills' NumPy starters."""

    def __init__(
        self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum=0.9, rho=0.9, ns_steps=5
    ):
        self.lr, self.wd, self.mu, self.rho, self.ns_steps = lr, weight_decay, momentum, rho, ns_steps
        self.eps = eps if EPS_OVERRIDE is None else EPS_OVERRIDE
        self.b1, self.b2 = (beta2, beta1) if FLAGS.get("betas_swapped") else (beta1, beta2)
        self.state = {}
        self.t = 0

    def buffer(self, name, like):
        if name not in self.state:
            self.state[name] = torch.zeros_like(like)
        return self.state[name]

    def step(self, x, grad):
        if FORCE_FLOAT32:
            x, grad = x.float(), grad.float()
        self.t += 1
        return getattr(self, DRILL.replace("-", "_"))(x, grad, self.t)

    def sgd(self, x, g, t):
        return x - _sign() * self.lr * g

    def momentum(self, x, g, t):
        v = self.buffer("v", x)
        self.state["v"] = self.mu * v + ((1 - self.mu) * g if FLAGS.get("momentum_form") == "ema" else g)
        return x - _sign() * self.lr * self.state["v"]

    def nesterov(self, x, g, t):
        self.state["b"] = self.mu * self.buffer("b", x) + g
        step = g + self.mu * self.state["b"] if FLAGS.get("nesterov", True) else self.state["b"]
        return x - _sign() * self.lr * step

    def adagrad(self, x, g, t):
        self.state["G"] = self.buffer("G", x) + _square(g)
        return x - _sign() * self.lr * g / _denominator(self.state["G"], self.eps)

    def rmsprop(self, x, g, t):
        s = self.buffer("s", x)
        self.state["s"] = (
            s + _square(g) if FLAGS.get("accumulator_sum") else _ema(s, _square(g), self.rho, "second")
        )
        return x - _sign() * self.lr * g / _denominator(self.state["s"], self.eps)

    def adadelta(self, x, g, t):
        self.state["s"] = _ema(self.buffer("s", x), _square(g), self.rho, "second")
        u = self.buffer("u", x)
        if FLAGS.get("missing_sqrt"):
            delta = (u + self.eps) / (self.state["s"] + self.eps) * g
        else:
            delta = torch.sqrt(u + self.eps) / torch.sqrt(self.state["s"] + self.eps) * g
        self.state["u"] = _ema(u, delta * delta, self.rho, "second")
        return x - _sign() * self.lr * delta

    def adam_direction(self, g, t):
        b1, b2 = self.b1, self.b2
        self.state["m"] = _ema(self.buffer("m", g), g, b1, "first")
        self.state["v"] = _ema(self.buffer("v", g), _square(g), b2, "second")
        m_hat = self.state["m"] / _correction(b1, t, "first")
        form = FLAGS.get("amsgrad")
        if form == "pytorch":
            self.state["v_max"] = torch.maximum(self.buffer("v_max", g), self.state["v"])
            v_hat = self.state["v_max"] / _correction(b2, t, "second")
        elif form == "max-of-corrected":
            corrected = self.state["v"] / _correction(b2, t, "second")
            self.state["v_max"] = torch.maximum(self.buffer("v_max", g), corrected)
            v_hat = self.state["v_max"]
        elif form == "paper":
            self.state["v_max"] = torch.maximum(self.buffer("v_max", g), self.state["v"])
            v_hat, m_hat = self.state["v_max"], self.state["m"]
        else:
            v_hat = self.state["v"] / _correction(b2, t, "second")
        return m_hat / _denominator(v_hat, self.eps)

    def adam(self, x, g, t):
        return x - _sign() * self.lr * self.adam_direction(g, t)

    amsgrad = adam

    def adamw(self, x, g, t):
        decay = FLAGS.get("decay", "decoupled")
        if decay == "l2":
            return x - _sign() * self.lr * self.adam_direction(g + self.wd * x, t)
        direction = self.adam_direction(g, t)
        shrink = self.wd * x if decay == "decoupled-no-lr" else self.lr * self.wd * x
        return x - shrink - _sign() * self.lr * direction

    def nadam(self, x, g, t):
        b1, b2 = self.b1, self.b2
        self.state["m"] = _ema(self.buffer("m", x), g, b1, "first")
        self.state["v"] = _ema(self.buffer("v", x), _square(g), b2, "second")
        denominator = _denominator(self.state["v"] / _correction(b2, t, "second"), self.eps)
        if FLAGS.get("nadam") == "pytorch":
            mu = b1 * (1 - 0.5 * 0.96 ** (t * 0.004))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
            product = self.state["mu_product"] = self.state.get("mu_product", 1.0) * mu
            step = (1 - mu) / (1 - product) * g + mu_next / (1 - product * mu_next) * self.state["m"]
            if FLAGS.get("nesterov") is False:
                step = self.state["m"] / (1 - product)
            return x - _sign() * self.lr * step / denominator
        c1 = _correction(b1, t, "first")
        if FLAGS.get("nesterov") is False:
            numerator = self.state["m"] / c1
        else:
            numerator = b1 * self.state["m"] / c1 + (1 - b1) * g / c1
        return x - _sign() * self.lr * numerator / denominator

    def lion(self, x, g, t):
        m = self.buffer("m", x)
        c = self.b1 * m + (1 - self.b1) * g
        direction = c if FLAGS.get("lion_sign_missing") else torch.sign(c)
        self.state["m"] = self.b2 * m + (1 - self.b2) * g
        return x - _sign() * self.lr * (direction + self.wd * x)

    def lamb(self, x, g, t):
        if FLAGS.get("decay") == "l2":
            update = self.adam_direction(g + self.wd * x, t)
        else:
            update = self.adam_direction(g, t) + self.wd * x
        weight_norm, update_norm = float(torch.linalg.norm(x)), float(torch.linalg.norm(update))
        trust = weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0
        return x - _sign() * self.lr * trust * update

    def muon(self, x, g, t):
        self.state["buf"] = self.mu * self.buffer("buf", x) + (1 - self.mu) * g
        use_nesterov = FLAGS.get("nesterov", True)
        update = (1 - self.mu) * g + self.mu * self.state["buf"] if use_nesterov else self.state["buf"]
        tall = update.shape[0] > update.shape[1]
        y = update.T if tall else update
        y = y / max(float(torch.linalg.norm(y)), self.eps)
        for _ in range(self.ns_steps):
            gram = y @ y.T
            y = 3.4445 * y + (-4.7750 * gram + 2.0315 * gram @ gram) @ y
        y = y.T if tall else y
        scale = math.sqrt(max(1.0, x.shape[0] / x.shape[1])) if FLAGS.get("muon_scale", True) else 1.0
        return x * (1 - self.lr * self.wd) - _sign() * self.lr * scale * y


def clip_grad_norm_(parameters, max_norm):
    parameters = [p for p in parameters if p.grad is not None]
    eps = 1e-6 if FLAGS.get("clip_eps") else 0.0
    if FLAGS.get("clip_per_tensor"):
        for p in parameters:
            p.grad.mul_(min(1.0, max_norm / (float(torch.linalg.norm(p.grad)) + eps)))
        return None
    total = math.sqrt(sum(float(torch.sum(p.grad * p.grad)) for p in parameters))
    coefficient = min(1.0, max_norm / (total + eps)) if total + eps > 0 else 1.0
    for p in parameters:
        p.grad.mul_(coefficient)
    return total
