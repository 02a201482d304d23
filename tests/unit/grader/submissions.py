"""Submissions used by the grader tests: the seeds' own code, correct solutions and realistic bugs."""

from __future__ import annotations

ADAM_LOOP = """
import numpy as np

def adam(grad_fn, theta, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, steps=1000):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta
"""

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
    "no-bias-correction": ("adam", ADAM_LOOP.replace("m / (1 - b1**t)", "m").replace("v / (1 - b2**t)", "v")),
    "bias-correction-off-by-one": (
        "adam",
        ADAM_LOOP.replace("b1**t", "b1**(t + 1)").replace("b2**t", "b2**(t + 1)"),
    ),
    "eps-inside-sqrt": ("adam", ADAM_LOOP.replace("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")),
    "betas-swapped": (
        "adam",
        ADAM_LOOP.replace("b1 * m + (1 - b1)", "b2 * m + (1 - b2)")
        .replace("b2 * v + (1 - b2)", "b1 * v + (1 - b1)")
        .replace("b1**t", "B2**t")
        .replace("b2**t", "b1**t")
        .replace("B2**t", "b2**t"),
    ),
    "missing-square": ("adam", ADAM_LOOP.replace("(1 - b2) * g * g", "(1 - b2) * g")),
    "missing-sqrt": ("adam", ADAM_LOOP.replace("(np.sqrt(v_hat) + eps)", "(v_hat + eps)")),
    "wrong-sign": ("adam", ADAM_LOOP.replace("theta = theta - lr", "theta = theta + lr")),
    "ema-missing-one-minus-beta": ("adam", ADAM_LOOP.replace("(1 - b1) * g", "g")),
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
