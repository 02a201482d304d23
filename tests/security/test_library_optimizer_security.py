"""The library's optimizers and clipping cannot stand in for a submission, whatever route reaches them.

The bootstrap replaces the code of every function in torch.optim's optimizer modules and torch's clipping
module, and overrides the fused and foreach kernels in the dispatcher, before graded code is imported.
Each use is reported on a pipe only the bootstrap holds and the trusted side rejects the run, even when
the submission catches the error and carries on with its own correct update.
"""

from __future__ import annotations

import pytest
from support.drills import shipped_drill
from support.submissions import TORCH_CLIP, TORCH_OPTIMIZER, torch_solution

from quizapp.grader import grade
from quizapp.grader import sandbox as sandbox_module

pytestmark = pytest.mark.skipif(
    not sandbox_module.bubblewrap_available(), reason="bubblewrap is not installed"
)

SGD_FUNCTIONAL = """\
                from torch.optim.sgd import sgd
                sgd([p], [g], [None], weight_decay=0.0, momentum=0.0, lr=lr, dampening=0.0,
                    nesterov=False, maximize=False)"""
SGD_FOREACH = "                torch._foreach_add_([p], [g], alpha=-lr)"
SGD_FOREACH_THROUGH_OPS = "                torch.ops.aten._foreach_add_.List([p], [g], alpha=-lr)"
SGD_FUSED = """\
                torch._fused_sgd_([p], [g], [], weight_decay=0.0, momentum=0.0, lr=lr, dampening=0.0,
                                  nesterov=False, maximize=False, is_first_step=False)"""
SGD_CAUGHT_THEN_OWN = """\
                from torch.optim.sgd import sgd
                try:
                    sgd([p], [g], [None], weight_decay=0.0, momentum=0.0, lr=lr, dampening=0.0,
                        nesterov=False, maximize=False)
                except BaseException:
                    p.add_(g, alpha=-lr)"""
ADAM_FUNCTIONAL = """\
                from torch.optim.adam import adam
                state.setdefault("step", torch.tensor(0.0))
                adam([p], [g], [a], [b], [], [state["step"]], foreach=False, capturable=False,
                     differentiable=False, fused=None, grad_scale=None, found_inf=None, has_complex=False,
                     amsgrad=False, beta1=b1, beta2=b2, lr=lr, weight_decay=0.0, eps=eps, maximize=False)"""
ADAM_FROM_SUBCLASSES = """\
                if "lib" not in state:
                    found = next(
                        c for c in torch.optim.Optimizer.__subclasses__()
                        if c.__name__ == "Adam" and c.__module__.startswith("torch")
                    )
                    state["lib"] = found([p], lr=lr, betas=(b1, b2), eps=eps)
                state["lib"].step()"""
ADAM_FROM_GC = """\
                import gc, types
                found = next(f for f in gc.get_objects() if isinstance(f, types.FunctionType)
                             and f.__name__ == "_single_tensor_" + "adam")
                state.setdefault("step", torch.tensor(0.0))
                found([p], [g], [a], [b], [], [state["step"]], grad_scale=None, found_inf=None,
                      amsgrad=False, has_complex=False, beta1=b1, beta2=b2, lr=lr, weight_decay=0.0,
                      eps=eps, maximize=False, capturable=False, differentiable=False)"""
CLIP_PRIVATE_HELPERS = """
import torch
from torch.nn.utils import clip_grad


def clip_grad_norm_(parameters, max_norm):
    parameters = [p for p in parameters if p.grad is not None]
    total = clip_grad._get_total_norm([p.grad for p in parameters])
    clip_grad._clip_grads_with_norm_(parameters, max_norm, total)
    return total
"""


def graded_torch(drill: str, code: str):
    return grade(shipped_drill(drill), code, framework="torch", seed=4, device="cpu")


@pytest.mark.parametrize(
    ("drill", "body", "reported"),
    [
        ("sgd", SGD_FUNCTIONAL, "torch.optim.sgd.sgd"),
        ("sgd", SGD_FOREACH, "_foreach_add_"),
        ("sgd", SGD_FOREACH_THROUGH_OPS, "_foreach_add_"),
        ("sgd", SGD_FUSED, "_fused_sgd_"),
        ("sgd", SGD_CAUGHT_THEN_OWN, "torch.optim.sgd.sgd"),
        ("adam", ADAM_FUNCTIONAL, "torch.optim.adam.adam"),
        # in the adam drill the harness's own refusal unbinds torch.optim.Adam and the class may be gone
        # from __subclasses__ by then; a drill that does not name Adam keeps it reachable
        ("rmsprop", ADAM_FROM_SUBCLASSES, "torch.optim.adam.Adam"),
        ("adam", ADAM_FROM_GC, "torch.optim.adam._single_tensor_adam"),
    ],
    ids=["sgd-functional", "foreach", "foreach-via-ops", "fused", "caught", "adam-functional",
         "subclasses", "gc"],
)  # fmt: skip
def test_library_optimizer_routes_are_rejected(drill: str, body: str, reported: str) -> None:
    name = drill.title().replace("-", "")
    verdict = graded_torch(drill, TORCH_OPTIMIZER.format(name=name, body=body))
    assert verdict.verdict == "rejected", (verdict.message, verdict.stderr[-2000:])
    assert reported in verdict.message
    assert "library's own optimizer" in verdict.message
    if drill == "adam":
        assert verdict.five_lines is False


def test_clipping_through_private_helpers_is_rejected() -> None:
    verdict = graded_torch("clip-grad-norm", CLIP_PRIVATE_HELPERS)
    assert verdict.verdict == "rejected", (verdict.message, verdict.stderr[-2000:])
    assert "torch.nn.utils.clip_grad._get_total_norm" in verdict.message


@pytest.mark.parametrize("drill", ["sgd", "adam", "clip-grad-norm"])
def test_own_code_subclassing_the_optimizer_base_still_passes(drill: str) -> None:
    code = TORCH_CLIP if drill == "clip-grad-norm" else torch_solution(drill)
    verdict = graded_torch(drill, code)
    assert verdict.verdict == "passed", (verdict.message, verdict.stderr[-2000:])


def test_closing_the_report_pipe_does_not_let_the_library_run() -> None:
    """Without its report, the refused call still raises: no trajectory comes from library code."""
    close_report = (
        "import os\n"
        "_arguments = open('/proc/self/cmdline', 'rb').read().split(b'\\0')\n"
        "os.close(int(_arguments[-4]))\n"
    )
    verdict = graded_torch("sgd", close_report + TORCH_OPTIMIZER.format(name="Sgd", body=SGD_FUNCTIONAL))
    assert verdict.verdict == "error", (verdict.message, verdict.stderr[-2000:])
    assert "PermissionError" in verdict.message and "torch.optim.sgd.sgd" in verdict.message
