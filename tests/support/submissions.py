"""Sample submissions, one collection for every test and benchmark: correct solutions and realistic slips.

The three Adams that `quizapp grade` runs from the command line (docs, benchmarks) are files in
sample_submissions/; the rest are strings because the tests edit them into variants.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_SUBMISSIONS = Path(__file__).resolve().parent / "sample_submissions"


def sample_submission(name: str) -> str:
    """The text of sample_submissions/<name>."""
    return (SAMPLE_SUBMISSIONS / name).read_text()


# Seed 001's Adam, loop-function shape: passes the `adam` drill.
ADAM_CORRECT = sample_submission("adam_numpy.py")
# The classic mistake: no bias correction. Diagnosed as `no-bias-correction`.
ADAM_NO_BIAS_CORRECTION = sample_submission("adam_numpy_no_bias_correction.py")
# The same Adam in the PyTorch shape of the drill's starter: updates the params in place.
ADAM_TORCH_CORRECT = sample_submission("adam_torch.py")

# Correct loop-function solutions of the other drills (the drill pages' and workers' tests).
SGD_CORRECT = """\
def sgd(grad_fn, theta, lr=0.1, steps=100):
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
    return theta
"""

SGD_WRONG_SIGN = """\
def sgd(grad_fn, theta, lr=0.1, steps=100):
    for _ in range(steps):
        theta = theta + lr * grad_fn(theta)
    return theta
"""

RMSPROP_CORRECT = """\
import numpy as np

def rmsprop(grad_fn, theta, lr=1e-2, alpha=0.99, eps=1e-8, steps=100):
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = grad_fn(theta)
        v = alpha * v + (1 - alpha) * g * g
        theta = theta - lr * g / (np.sqrt(v) + eps)
    return theta
"""

MOMENTUM_CORRECT = """\
import numpy as np

def momentum(grad_fn, theta, lr=1e-2, momentum=0.9, steps=100):
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = grad_fn(theta)
        v = momentum * v + g
        theta = theta - lr * v
    return theta
"""

# Class-shaped solutions and code the grader tests turn into known mistakes.
ADAMW_CLASS = """
import numpy as np

class AdamW:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.weight_decay = weight_decay
        self.m = self.v = None
        self.t = 0

    def step(self, x, grad):
        self.t += 1
        if self.m is None:
            self.m, self.v = np.zeros_like(x), np.zeros_like(x)
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad ** 2
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return x - self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.weight_decay * x)
"""

RMSPROP_CLASS = """
import numpy as np

class RMSProp:
    def __init__(self, lr=0.001, beta=0.9, eps=1e-8):
        self.lr = lr
        self.beta = beta
        self.eps = eps
        self.v = None

    def step(self, x, grad):
        if self.v is None:
            self.v = np.zeros_like(x)
        self.v = self.beta * self.v + (1 - self.beta) * grad ** 2
        return x - self.lr * grad / (np.sqrt(self.v) + self.eps)
"""

MOMENTUM_CLASS = """
import numpy as np

class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def step(self, x, grad):
        if self.v is None:
            self.v = np.zeros_like(x)
        self.v = self.momentum * self.v + grad
        return x - self.lr * self.v
"""

NESTEROV_CLASS = """
import numpy as np

class Nesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.buf = lr, momentum, None

    def step(self, x, grad):
        if self.buf is None:
            self.buf = np.zeros_like(x)
        self.buf = self.momentum * self.buf + grad
        return x - self.lr * (grad + self.momentum * self.buf)
"""

NESTEROV_LOOKAHEAD = """
import numpy as np

def nesterov(grad_fn, theta, lr=0.01, momentum=0.9, steps=100):
    v = np.zeros_like(theta)
    for _ in range(steps):
        v = momentum * v - lr * grad_fn(theta + momentum * v)
        theta = theta + v
    return theta
"""

LION_CLASS = """
import numpy as np

class Lion:
    def __init__(self, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
        self.lr, self.beta1, self.beta2, self.weight_decay = lr, beta1, beta2, weight_decay
        self.m = None

    def step(self, x, grad):
        if self.m is None:
            self.m = np.zeros_like(x)
        c = self.beta1 * self.m + (1 - self.beta1) * grad
        new = x - self.lr * (np.sign(c) + self.weight_decay * x)
        self.m = self.beta2 * self.m + (1 - self.beta2) * grad
        return new
"""

CLIP_FUNCTION = """
import numpy as np

def clip_grad_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in grads))
    scale = min(1.0, max_norm / total)
    return [g * scale for g in grads]
"""

CLIP_PER_TENSOR = """
import numpy as np

def clip_grad_norm(grads, max_norm):
    out = []
    for g in grads:
        norm = np.linalg.norm(g)
        out.append(g * min(1.0, max_norm / norm))
    return out
"""

# mistake id → (drill, buggy code). Each is a small edit of a correct solution, like a real slip.
BUGS: dict[str, tuple[str, str]] = {
    "no-bias-correction": (
        "adam",
        ADAM_CORRECT.replace("m / (1 - b1**t)", "m").replace("v / (1 - b2**t)", "v"),
    ),
    "bias-correction-off-by-one": (
        "adam",
        ADAM_CORRECT.replace("b1**t", "b1**(t + 1)").replace("b2**t", "b2**(t + 1)"),
    ),
    "eps-inside-sqrt": ("adam", ADAM_CORRECT.replace("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
    "betas-swapped": (
        "adam",
        ADAM_CORRECT.replace("b1 * m + (1 - b1)", "b2 * m + (1 - b2)")
        .replace("b2 * v + (1 - b2)", "b1 * v + (1 - b1)")
        .replace("b1**t", "B2**t")
        .replace("b2**t", "b1**t")
        .replace("B2**t", "b2**t"),
    ),
    "missing-square": ("adam", ADAM_CORRECT.replace("(1 - b2) * g * g", "(1 - b2) * g")),
    "missing-sqrt": ("adam", ADAM_CORRECT.replace("(np.sqrt(v_hat) + eps)", "(v_hat + eps)")),
    "wrong-sign": ("adam", ADAM_CORRECT.replace("theta = theta - lr", "theta = theta + lr")),
    "ema-missing-one-minus-beta": ("adam", ADAM_CORRECT.replace("(1 - b1) * g", "g")),
    "l2-instead-of-decoupled": (
        "adamw",
        ADAMW_CLASS.replace(
            "self.t += 1", "self.t += 1\n        grad = grad + self.weight_decay * x"
        ).replace(" + self.weight_decay * x)", ")"),
    ),
    "decay-not-scaled-by-lr": (
        "adamw",
        ADAMW_CLASS.replace(
            "return x - self.lr * (m_hat / (np.sqrt(v_hat) + self.eps) + self.weight_decay * x)",
            "return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps) - self.weight_decay * x",
        ),
    ),
    "accumulator-not-ema": (
        "rmsprop",
        RMSPROP_CLASS.replace(
            "self.v = self.beta * self.v + (1 - self.beta) * grad ** 2", "self.v += grad ** 2"
        ),
    ),
    "nesterov-as-momentum": (
        "nesterov",
        NESTEROV_CLASS.replace("(grad + self.momentum * self.buf)", "self.buf"),
    ),
    "lion-sign-missing": ("lion", LION_CLASS.replace("np.sign(c)", "c")),
    "clip-per-tensor": ("clip-grad-norm", CLIP_PER_TENSOR),
}


# Correct solutions for every drill: PyTorch (the parameters' dtype, in place on .grad), NumPy where seeds
# have none.
TORCH_OPTIMIZER = """
import math
import torch


class {name}(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum=0.9,
                 rho=0.9):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum=momentum, rho=rho)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            mu, rho = group["momentum"], group["rho"]
            for p in group["params"]:
                g = p.grad
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["a"] = torch.zeros_like(p)
                    state["b"] = torch.zeros_like(p)
                    state["c"] = torch.zeros_like(p)
                state["t"] += 1
                t, a, b, c = state["t"], state["a"], state["b"], state["c"]
{body}
"""

TORCH_BODIES = {
    "sgd": "                p.add_(g, alpha=-lr)",
    "momentum": "                a.mul_(mu).add_(g)\n                p.add_(a, alpha=-lr)",
    "nesterov": "                a.mul_(mu).add_(g)\n                p.add_(g + mu * a, alpha=-lr)",
    "adagrad": "                a.add_(g * g)\n                p.addcdiv_(g, a.sqrt() + eps, value=-lr)",
    "rmsprop": (
        "                a.mul_(rho).add_((1 - rho) * g * g)\n"
        "                p.addcdiv_(g, a.sqrt() + eps, value=-lr)"
    ),
    "adadelta": (
        "                a.mul_(rho).add_((1 - rho) * g * g)\n"
        "                delta = (b + eps).sqrt() / (a + eps).sqrt() * g\n"
        "                b.mul_(rho).add_((1 - rho) * delta * delta)\n"
        "                p.add_(delta, alpha=-lr)"
    ),
    "adam": (
        "                a.mul_(b1).add_((1 - b1) * g)\n                b.mul_(b2).add_((1 - b2) * g * g)\n"
        "                p.addcdiv_(a / (1 - b1**t), (b / (1 - b2**t)).sqrt() + eps, value=-lr)"
    ),
    "amsgrad": (
        "                a.mul_(b1).add_((1 - b1) * g)\n                b.mul_(b2).add_((1 - b2) * g * g)\n"
        "                torch.maximum(c, b, out=c)\n"
        "                p.addcdiv_(a / (1 - b1**t), (c / (1 - b2**t)).sqrt() + eps, value=-lr)"
    ),
    "adamw": (
        "                p.mul_(1 - lr * wd)\n"
        "                a.mul_(b1).add_((1 - b1) * g)\n                b.mul_(b2).add_((1 - b2) * g * g)\n"
        "                p.addcdiv_(a / (1 - b1**t), (b / (1 - b2**t)).sqrt() + eps, value=-lr)"
    ),
    "nadam": (
        "                a.mul_(b1).add_((1 - b1) * g)\n                b.mul_(b2).add_((1 - b2) * g * g)\n"
        "                num = b1 * a / (1 - b1**t) + (1 - b1) * g / (1 - b1**t)\n"
        "                p.addcdiv_(num, (b / (1 - b2**t)).sqrt() + eps, value=-lr)"
    ),
    "lion": (
        "                update = (b1 * a + (1 - b1) * g).sign()\n"
        "                p.add_(update + wd * p, alpha=-lr)\n                a.mul_(b2).add_((1 - b2) * g)"
    ),
    "lamb": (
        "                a.mul_(b1).add_((1 - b1) * g)\n                b.mul_(b2).add_((1 - b2) * g * g)\n"
        "                r = (a / (1 - b1**t)) / ((b / (1 - b2**t)).sqrt() + eps) + wd * p\n"
        "                wn, rn = p.norm(), r.norm()\n"
        "                trust = (wn / rn) if wn > 0 and rn > 0 else 1.0\n"
        "                p.add_(trust * r, alpha=-lr)"
    ),
    "muon": (
        "                a.lerp_(g, 1 - mu)\n                u = g.lerp(a, mu)\n"
        "                x = u.T if u.shape[0] > u.shape[1] else u\n"
        "                x = x / x.norm().clamp(min=eps)\n"
        "                for _ in range(5):\n"
        "                    gram = x @ x.T\n"
        "                    x = 3.4445 * x + (-4.7750 * gram + 2.0315 * gram @ gram) @ x\n"
        "                x = x.T if u.shape[0] > u.shape[1] else x\n"
        "                p.mul_(1 - lr * wd)\n"
        "                p.add_(x, alpha=-lr * math.sqrt(max(1, p.shape[0] / p.shape[1])))"
    ),
}

TORCH_SCHEDULE = """
import math


def lr_at(step, max_lr, min_lr, warmup_steps, total_steps):
    if step < warmup_steps:
        return max_lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * progress))
"""

TORCH_CLIP = """
import torch


def clip_grad_norm_(parameters, max_norm):
    parameters = [p for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in parameters:
        p.grad.mul_(scale)
    return total
"""


def torch_solution(drill: str) -> str:
    if drill == "warmup-cosine":
        return TORCH_SCHEDULE
    if drill == "clip-grad-norm":
        return TORCH_CLIP
    name = "".join(part.title() for part in drill.split("-"))
    return TORCH_OPTIMIZER.format(name=name, body=TORCH_BODIES[drill])


NUMPY_LAMB = """
import numpy as np


class LAMB:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.01):
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, beta1, beta2, eps, weight_decay
        self.m = self.v = None
        self.t = 0

    def step(self, x, grad):
        self.t += 1
        if self.m is None:
            self.m, self.v = np.zeros_like(x), np.zeros_like(x)
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad ** 2
        r = (self.m / (1 - self.beta1 ** self.t)) / (np.sqrt(self.v / (1 - self.beta2 ** self.t)) + self.eps)
        r = r + self.weight_decay * x
        trust = np.linalg.norm(x) / np.linalg.norm(r)
        return x - self.lr * trust * r
"""

NUMPY_ADAM_STEP_FUNCTION = """
import numpy as np


def adam_step(theta, grad, m, v, t, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v
"""

NUMPY_ADAM_PARAMS_CLASS = """
import numpy as np


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            m[:] = self.b1 * m + (1 - self.b1) * p.grad
            v[:] = self.b2 * v + (1 - self.b2) * p.grad ** 2
            p -= self.lr * (m / (1 - self.b1 ** self.t)) / (np.sqrt(v / (1 - self.b2 ** self.t)) + self.eps)
"""


# The held-out mistake variants of quizapp/grader/mistakes.py, written in PyTorch: one flag-driven file.
TORCH_FLAGGED_VARIANTS = sample_submission("torch_flagged_variants.py")


def torch_variant(drill: str, flags: dict, *, force_float32: bool = False, eps: float | None = None) -> str:
    """The PyTorch submission that follows `drill`'s reference with `flags` (a convention or a mistake)."""
    return (
        TORCH_FLAGGED_VARIANTS.replace('DRILL = "adam"', f"DRILL = {drill!r}")
        .replace("FLAGS = {}", f"FLAGS = {flags!r}")
        .replace("FORCE_FLOAT32 = False", f"FORCE_FLOAT32 = {force_float32!r}")
        .replace("EPS_OVERRIDE = None", f"EPS_OVERRIDE = {eps!r}")
    )


# Copies of the torch.optim classes the drill prompts say they match, each with the library's update rule
# written out (the sandbox refuses the library's own classes): (file, edit of its defaults, convention).
TORCH_OPTIM_COPIES: dict[str, tuple[str, tuple[str, str] | None, str]] = {
    "sgd": ("sgd.py", None, "plain"),
    "momentum": ("sgd.py", None, "pytorch"),
    "nesterov": ("sgd.py", ("nesterov=False", "nesterov=True"), "pytorch"),
    "adagrad": ("adagrad.py", None, "eps-outside-sqrt"),
    "rmsprop": ("rmsprop.py", None, "eps-outside-sqrt"),
    "adadelta": ("adadelta.py", None, "pytorch"),
    "adam": ("adam.py", None, "pytorch"),
    "amsgrad": ("adam.py", ("amsgrad=False", "amsgrad=True"), "pytorch"),
    "adamw": ("adam.py", ("decoupled_weight_decay=False", "decoupled_weight_decay=True"), "pytorch"),
    "nadam": ("nadam.py", None, "pytorch"),
    "muon": ("muon.py", None, "pytorch"),
    "clip-grad-norm": ("clip_grad_norm.py", None, "pytorch"),
}


def torch_optim_copy(drill: str) -> str:
    name, edit, _ = TORCH_OPTIM_COPIES[drill]
    code = sample_submission(f"torch_optim/{name}")
    return code.replace(*edit) if edit else code
