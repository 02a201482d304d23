"""Entry shapes the other grader tests run only in NumPy, here in PyTorch: a loop function and a
`step(x, grad)` class, with hyper-parameter aliases not covered elsewhere (eta, mu, wd, betas, num_steps)."""

from __future__ import annotations

import pytest

TORCH_ADAM_LOOP = """
import torch


def adam(grad_fn, theta, eta=1e-3, betas=(0.9, 0.999), epsilon=1e-8, num_steps=1000):
    m = torch.zeros_like(theta)
    v = torch.zeros_like(theta)
    for t in range(1, num_steps + 1):
        g = grad_fn(theta)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        theta = theta - eta * m_hat / (torch.sqrt(v_hat) + epsilon)
    return theta
"""

TORCH_MOMENTUM_CLASS = """
import torch


class Momentum:
    def __init__(self, eta=0.01, mu=0.9):
        self.eta, self.mu = eta, mu
        self.v = None

    def step(self, x, grad):
        if self.v is None:
            self.v = torch.zeros_like(x)
        self.v = self.mu * self.v + grad
        return x - self.eta * self.v
"""

TORCH_ADAMW_CLASS = """
import torch


class AdamW:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.01):
        self.lr, self.beta1, self.beta2, self.eps, self.wd = lr, beta1, beta2, eps, wd
        self.m = self.v = None
        self.t = 0

    def step(self, x, grad):
        if self.m is None:
            self.m, self.v = torch.zeros_like(x), torch.zeros_like(x)
        self.t += 1
        x = x - self.lr * self.wd * x
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return x - self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)
"""


@pytest.mark.parametrize(
    ("drill", "code"),
    [("adam", TORCH_ADAM_LOOP), ("momentum", TORCH_MOMENTUM_CLASS), ("adamw", TORCH_ADAMW_CLASS)],
    ids=["loop-function", "step-x-grad-class", "step-x-grad-class-with-wd"],
)
def test_torch_loop_and_step_class_pass_with_aliased_hyper_parameters(
    grade_with, drill: str, code: str
) -> None:
    verdict = grade_with(drill, code, framework="torch").to_dict()
    assert verdict["verdict"] == "passed", verdict["message"]
    assert all(case["max_rel_err"] < 1e-4 for case in verdict["cases"])


def test_torch_step_class_that_ignores_an_aliased_hyper_parameter_fails(grade_with) -> None:
    ignores_mu = TORCH_MOMENTUM_CLASS.replace("self.mu * self.v", "0.9 * self.v")
    verdict = grade_with("momentum", ignores_mu, framework="torch").to_dict()
    assert verdict["verdict"] == "failed"
