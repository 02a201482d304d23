"""Runs one submission inside the sandbox (stdlib + numpy, + torch for torch jobs; never quizapp).

Reads job.json and submission.py beside this file, finds the entry point, runs every case and writes the
trajectories (float64 arrays) and any error (UTF-8 JSON as uint8) to ../out/result.npz.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import traceback
from typing import Any

import numpy as np

SUBMISSION_FILE = "submission.py"
_SAVEZ, _ARRAY, _FLOAT64 = np.savez, np.array, np.float64  # held before the submission can patch numpy
_TORCH: Any = None

GRAD_FN_NAMES = (
    "grad_fn",
    "grad",
    "gradient",
    "grad_f",
    "f_grad",
    "df",
    "fn",
    "f",
    "grad_func",
    "gradient_fn",
    "loss_grad",
    "grad_fun",
    "dfdx",
    "g_fn",
    "objective_grad",
    "gradient_function",
)
PARAM_NAMES = (
    "theta",
    "x",
    "p",
    "param",
    "params",
    "w",
    "weights",
    "parameters",
    "x0",
    "theta0",
    "w0",
    "weight",
    "point",
    "tensor",
    "init",
    "initial",
    "variables",
)
GRAD_NAMES = (
    "grad",
    "g",
    "gradient",
    "grads",
    "dp",
    "d_p",
    "dx",
    "dtheta",
    "dw",
    "gradients",
    "g_t",
    "grad_t",
)
STEP_NAMES = (
    "t",
    "step",
    "iteration",
    "k",
    "timestep",
    "step_count",
    "it",
    "n",
    "i",
    "step_num",
    "epoch",
    "current_step",
)
STATE_DICT_NAMES = ("state", "opt_state", "optimizer_state", "cache", "memory", "buffers")


class SubmissionError(Exception):
    """Something the submission did that stops grading; `kind` tells the trusted side how to classify it."""

    def __init__(self, message: str, kind: str = "error", line: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.line = kind, line


class ForbiddenOptimizer(RuntimeError):
    """Raised when the drill's own library optimizer is used."""


# ----------------------------------------------------------------------------------------------- arrays
class Backend:
    """Creates, copies and reads parameter arrays for one framework, dtype and device."""

    def __init__(self, framework: str, dtype: str, device: str) -> None:
        self.torch = framework == "torch"
        if self.torch:
            self.dtype = getattr(_TORCH, dtype)
            self.device = _TORCH.device(device)
        else:
            self.dtype = np.dtype(dtype)

    def array(self, values: Any) -> Any:
        if self.torch:
            return _TORCH.tensor(values, dtype=self.dtype, device=self.device)
        return _ARRAY(values, dtype=self.dtype)

    def zeros_like(self, like: Any) -> Any:
        return _TORCH.zeros_like(like) if self.torch else np.zeros_like(like)

    def copy(self, value: Any) -> Any:
        return value.detach().clone() if self.torch else _ARRAY(value, copy=True)

    def to_float64(self, value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
        """A float64 NumPy copy of something the submission produced, or a clear error about its shape."""
        if _TORCH is not None and isinstance(value, _TORCH.Tensor):
            value = value.detach().to("cpu", _TORCH.float64).numpy()
        try:
            array = _ARRAY(value, dtype=_FLOAT64, copy=True)
        except (TypeError, ValueError) as exc:
            raise SubmissionError(
                f"{what} is not an array of numbers ({type(value).__name__}): {exc}"
            ) from exc
        if array.shape != shape:
            raise SubmissionError(f"{what} has shape {array.shape}, expected {shape}")
        return array

    def is_array(self, value: Any) -> bool:
        if self.torch:
            return isinstance(value, _TORCH.Tensor)
        return isinstance(value, np.ndarray)


class Problem:
    """One case: start point, gradient source and the minibatch schedule, rebuilt from job.json."""

    def __init__(self, case: dict[str, Any], sources: dict[str, str], backend: Backend) -> None:
        self.case, self.backend = case, backend
        self.shapes = [tuple(shape) for shape in case["shapes"]]
        self.calls = 0
        if case["kind"] == "landscape":
            namespace: dict[str, Any] = {}
            exec(compile(sources[case["problem"]], f"<problem {case['problem']}>", "exec"), namespace)
            self._grad = namespace["grad"]
            self._constants = {k: backend.array(v) for k, v in case["constants"].items()}
            self._columns = {k: backend.array(v) for k, v in case["columns"].items()}

    def start(self) -> list[Any]:
        return [self.backend.array(x) for x in self.case["x0"]]

    def gradient(self, params: list[Any]) -> list[Any]:
        """The gradient at `params` on this call's minibatch (each call draws the next batch)."""
        data = dict(self._constants)
        if self._columns:
            batches = self.case["batches"]
            index = batches[self.calls % len(batches)]
            if self.backend.torch:
                index = _TORCH.tensor(index, device=self.backend.device)
            data.update({k: column[index] for k, column in self._columns.items()})
        self.calls += 1
        return self._grad(params, data)


# ------------------------------------------------------------------------------------- hyper-parameters
def claim_arguments(
    signature: inspect.Signature, values: dict[str, Any], aliases: dict[str, list[str]], skip: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """Keyword arguments for `signature` from canonical `values`, matched through `aliases`.

    Returns the keywords and the canonical names the signature does not take (ignored hyper-parameters).
    """
    names = [
        p.name
        for p in list(signature.parameters.values())[skip:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    kwargs: dict[str, Any] = {}
    unused: list[str] = []
    if "betas" in names and "beta1" in values and "beta2" in values:
        kwargs["betas"] = (values["beta1"], values["beta2"])
    for canonical, value in values.items():
        if canonical in ("beta1", "beta2") and "betas" in kwargs:
            continue
        match = next((n for n in aliases.get(canonical, [canonical]) if n in names and n not in kwargs), None)
        if match is None:
            unused.append(canonical)
        else:
            kwargs[match] = value
    return kwargs, unused


# ------------------------------------------------------------------------------------------ entry shapes
def _own(obj: Any) -> bool:
    code = getattr(obj, "__code__", None)
    return code is not None and code.co_filename == SUBMISSION_FILE


def _params(func: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []


def classify(obj: Any, job: dict[str, Any]) -> str | None:
    """Which entry shape `obj` has: loop, step-class, params-class, step-function, schedule, clip or None."""
    kind = job["kind"]
    if inspect.isclass(obj):
        step = getattr(obj, "step", None)
        if kind != "optimizer" or step is None or not _own(inspect.unwrap(step)):
            return None
        required = [
            p for p in _params(step)[1:] if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD
        ]
        return "step-class" if len(required) >= 2 else "params-class"
    if not inspect.isfunction(obj) or not _own(obj):
        return None
    names = [p.name for p in _params(obj)]
    if not names:
        return None
    if kind == "schedule":
        return "schedule"
    if kind == "clip":
        return "clip"
    if any(n in job["aliases"]["steps"] for n in names) and names[0] in GRAD_FN_NAMES:
        return "loop"
    if any(n in PARAM_NAMES for n in names) and any(n in GRAD_NAMES for n in names):
        return "step-function"
    return None


def _score(name: str, shape: str, obj: Any, hints: list[str]) -> tuple[int, int, int]:
    plain = name.lower().replace("_", "")
    named = 3 if plain in hints else 2 if any(plain.startswith(h) or h in plain for h in hints) else 0
    preference = {"params-class": 3, "step-class": 3, "loop": 2, "schedule": 2, "clip": 2, "step-function": 1}
    return named, preference[shape], len(_params(obj))


def find_entry(namespace: dict[str, Any], job: dict[str, Any]) -> tuple[str, str, Any]:
    """The best entry point the submission defines, preferring names that match the drill."""
    found = []
    for name, obj in namespace.items():
        if name.startswith("_"):
            continue
        shape = classify(obj, job)
        if shape is not None:
            found.append((_score(name, shape, obj, job["entry_hints"]), name, shape, obj))
    if not found:
        raise SubmissionError(job["missing_entry_message"], kind="no-entry")
    found.sort(key=lambda item: item[0], reverse=True)
    _, name, shape, obj = found[0]
    return name, shape, obj


# --------------------------------------------------------------------------------------------- running
class Recorder:
    """Collects one case's trajectory: flattened float64 rows."""

    def __init__(self, backend: Backend, shapes: list[tuple[int, ...]]) -> None:
        self.backend, self.shapes, self.rows = backend, shapes, []

    def record(self, params: list[Any], what: str) -> None:
        parts = [self.backend.to_float64(p, s, what) for p, s in zip(params, self.shapes, strict=True)]
        self.rows.append(np.concatenate([p.ravel() for p in parts]))

    def record_flat(self, values: list[float]) -> None:
        self.rows.append(_ARRAY(values, dtype=_FLOAT64))


def run_loop(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Shape 1: `fn(grad_fn, theta, ..., steps)`; the trajectory is every point grad_fn sees + the result."""
    backend, single = problem.backend, len(problem.shapes) == 1
    hp = dict(job["hyperparameters"]) | {"steps": job["steps"]}
    kwargs, unused = claim_arguments(inspect.signature(entry), hp, job["aliases"], skip=2)

    def grad_fn(theta: Any, *_: Any, **__: Any) -> Any:
        params = [theta] if single else list(theta)
        recorder.record(params, "the point passed to grad_fn")
        grads = problem.gradient([backend.array(r) if not backend.is_array(r) else r for r in params])
        return grads[0] if single else grads

    start = problem.start()
    result = entry(grad_fn, start[0] if single else start, **kwargs)
    recorder.record(_final_params(result, problem, single), "the returned parameters")
    return unused


def _final_params(result: Any, problem: Problem, single: bool) -> list[Any]:
    """The final parameters from a loop's return value: the parameters, all iterates, or a tuple."""
    if result is None:
        raise SubmissionError("the function returned None; return the final parameters")
    if isinstance(result, tuple) and result and not single:
        return list(result)
    if isinstance(result, tuple) and result:
        result = result[0]
    if single and isinstance(result, list) and result and np.shape(result) != problem.shapes[0]:
        result = result[-1]  # every iterate was returned; the last one is the answer
    return [result] if single else list(result)


def run_step_class(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Shape 2: `opt.step(x, grad)` returns the new parameters; one optimizer object per tensor."""
    kwargs, unused = claim_arguments(inspect.signature(entry), job["hyperparameters"], job["aliases"])
    params = problem.start()
    optimizers = [entry(**kwargs) for _ in params]
    step_names = [p.name for p in _params(entry.step)[3:]]
    for t in range(1, job["steps"] + 1):
        recorder.record(params, "the parameters")
        grads = problem.gradient(params)
        extra = {n: t for n in step_names if n in STEP_NAMES}
        new = []
        for opt, x, g in zip(optimizers, params, grads, strict=True):
            returned = opt.step(x, g, **extra)
            new.append(x if returned is None else returned)
        params = new
    recorder.record(params, "the value step() returned")
    return unused


def run_params_class(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Shape 3: constructed with `params` (tensors with .grad); `step()` updates them in place."""
    kwargs, unused = claim_arguments(inspect.signature(entry), job["hyperparameters"], job["aliases"], skip=1)
    params = [_leaf(x, problem.backend) for x in problem.start()]
    optimizer = entry(params, **kwargs)
    for _ in range(job["steps"]):
        recorder.record(params, "the parameters")
        values = [p.detach().clone() if problem.backend.torch else _ARRAY(p) for p in params]
        for p, g in zip(params, problem.gradient(values), strict=True):
            p.grad = g
        optimizer.step()
    recorder.record(params, "the parameters after step()")
    return unused


class NumpyParameter(np.ndarray):
    """A NumPy array with a `.grad` attribute, so PyTorch-style optimizer classes work on NumPy too."""

    grad: Any = None


def _leaf(value: Any, backend: Backend) -> Any:
    if backend.torch:
        return value.requires_grad_(True)
    return _ARRAY(value).view(NumpyParameter)


def run_step_function(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Shape 4: `step(p, grad, *state, lr=...)`, updating in place or returning the new values."""
    signature = inspect.signature(entry)
    names = [p.name for p in signature.parameters.values()]
    p_name = next(n for n in names if n in PARAM_NAMES)
    g_name = next(n for n in names if n in GRAD_NAMES and n != p_name)
    kwargs, unused = claim_arguments(signature, job["hyperparameters"], job["aliases"])
    taken = {p_name, g_name, *kwargs}
    t_name = next((n for n in names if n in STEP_NAMES and n not in taken), None)
    state_names = [
        p.name
        for p in signature.parameters.values()
        if p.name not in taken and p.name != t_name and p.kind == p.POSITIONAL_OR_KEYWORD
    ]
    params = problem.start()
    states = [
        {n: ({} if n in STATE_DICT_NAMES else problem.backend.zeros_like(x)) for n in state_names}
        for x in params
    ]
    for t in range(1, job["steps"] + 1):
        recorder.record(params, "the parameters")
        grads = problem.gradient(params)
        for i, (x, g) in enumerate(zip(params, grads, strict=True)):
            params[i] = _call_step_function(
                entry, x, g, states[i], (p_name, g_name, t_name, t), kwargs, problem
            )
    recorder.record(params, "the parameters")
    return unused


def _call_step_function(
    entry: Any,
    x: Any,
    g: Any,
    state: dict[str, Any],
    names: tuple[Any, ...],
    kwargs: dict[str, Any],
    problem: Problem,
) -> Any:
    p_name, g_name, t_name, t = names
    before = problem.backend.copy(x)
    call = {p_name: x, g_name: g, **state, **kwargs}
    if t_name:
        call[t_name] = t
    returned = entry(**call)
    changed_in_place = not _same(before, x, problem.backend)
    results = list(returned) if isinstance(returned, tuple) else [] if returned is None else [returned]
    if changed_in_place:
        # the parameters moved in place, so anything returned is the new state (seed 000 returns v)
        _assign_state(state, results)
        return x
    if not results:
        return x
    _assign_state(state, results[1:])
    return results[0]


def _assign_state(state: dict[str, Any], values: list[Any]) -> None:
    for name, value in zip(list(state), values, strict=False):
        state[name] = value


def _same(a: Any, b: Any, backend: Backend) -> bool:
    if backend.torch:
        return bool(_TORCH.equal(a, b))
    return bool(np.array_equal(a, b, equal_nan=True))


def run_schedule(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Schedules: `lr_at(step, max_lr, min_lr, warmup_steps, total_steps)` for step = 0, 1, 2, ..."""
    settings = problem.case["settings"]
    values = dict(job["hyperparameters"]) | {k: settings[k] for k in ("warmup_steps", "total_steps")}
    signature = inspect.signature(entry)
    kwargs, unused = claim_arguments(signature, values, job["aliases"])
    step_name = next(p.name for p in signature.parameters.values() if p.name not in kwargs)
    for step in range(settings["evaluate"]):
        value = entry(**{step_name: step}, **kwargs)
        recorder.record_flat(
            [float(problem.backend.to_float64(value, (), f"the learning rate at step {step}"))]
        )
    return unused


def run_clip(entry: Any, problem: Problem, recorder: Recorder, job: dict[str, Any]) -> list[str]:
    """Clipping: `clip(grads, max_norm)` returning clipped arrays, or torch-style in place on `p.grad`."""
    signature = inspect.signature(entry)
    kwargs, unused = claim_arguments(signature, job["hyperparameters"], job["aliases"])
    first = next(p.name for p in signature.parameters.values() if p.name not in kwargs)
    backend = problem.backend
    for step_grads in problem.case["settings"]["gradients"]:
        grads = [backend.array(g) for g in step_grads]
        if backend.torch and first in ("parameters", "params", "model_params", "p", "ps"):
            holders = [_leaf(backend.zeros_like(g), backend) for g in grads]
            for holder, g in zip(holders, grads, strict=True):
                holder.grad = g
            returned = entry(**{first: holders}, **kwargs)
            grads = [h.grad for h in holders] if not _is_array_list(returned, backend) else list(returned)
        else:
            returned = entry(**{first: grads}, **kwargs)
            if isinstance(returned, tuple) and returned and _is_array_list(returned[0], backend):
                returned = returned[0]
            grads = list(returned) if _is_array_list(returned, backend) else grads
        recorder.record(grads, "the clipped gradients")
    return unused


def _is_array_list(value: Any, backend: Backend) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(backend.is_array(v) for v in value)


RUNNERS = {
    "loop": run_loop,
    "step-class": run_step_class,
    "params-class": run_params_class,
    "step-function": run_step_function,
    "schedule": run_schedule,
    "clip": run_clip,
}


# ------------------------------------------------------------------------------------------- the job
def _submission_line(tb: Any) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == SUBMISSION_FILE:
            line = lineno
    return line


def describe(exc: BaseException, case: str | None) -> dict[str, Any]:
    """The JSON-ready error record: exception type, message, line in the submission, case."""
    if isinstance(exc, SubmissionError):
        return {
            "type": "SubmissionError",
            "kind": exc.kind,
            "message": str(exc),
            "line": exc.line,
            "case": case,
        }
    line = (
        getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else _submission_line(exc.__traceback__)
    )
    kind = "forbidden" if isinstance(exc, ForbiddenOptimizer) else "exception"
    text = (
        str(exc)
        if not isinstance(exc, SystemExit)
        else f"the program called exit({exc.code!r}) while being graded"
    )
    return {"type": type(exc).__name__, "kind": kind, "message": text, "line": line, "case": case}


def forbid(names: list[str]) -> None:
    """Replace the drill's own library optimizer (e.g. torch.optim.Adam) by something that refuses to run."""
    for dotted in names:
        module_name, _, attr = dotted.rpartition(".")
        module = sys.modules.get(module_name)
        original = getattr(module, attr, None) if module is not None else None
        if original is None:
            continue
        stub = _refusal(dotted)
        for loaded in list(sys.modules.values()):
            if loaded is not None and getattr(loaded, attr, None) is original:
                setattr(loaded, attr, stub)


def _refusal(dotted: str) -> Any:
    message = f"{dotted} is the library's own implementation of this drill; write the update yourself"

    class Refused:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ForbiddenOptimizer(message)

        def __getattr__(self, name: str) -> Any:
            raise ForbiddenOptimizer(message)

    return Refused


def run_job(job: dict[str, Any], source: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Execute the submission and every case; returns trajectories and metadata (with `error` if any)."""
    backend = Backend(job["framework"], job["dtype"], job["device"])
    meta: dict[str, Any] = {"entry": None, "shape": None, "unused": []}
    arrays: dict[str, np.ndarray] = {}
    case_name = None
    try:
        namespace: dict[str, Any] = {"__name__": "submission", "__file__": SUBMISSION_FILE}
        exec(compile(source, SUBMISSION_FILE, "exec"), namespace)
        name, shape, entry = find_entry(namespace, job)
        meta.update(entry=name, shape=shape)
        for index, case in enumerate(job["cases"]):
            case_name = case["problem"]
            problem = Problem(case, job["sources"], backend)
            recorder = Recorder(backend, problem.shapes)
            try:
                meta["unused"] = RUNNERS[shape](entry, problem, recorder, job)
            finally:
                if recorder.rows:
                    arrays[f"case_{index}"] = np.stack(recorder.rows)
    except BaseException as exc:  # every failure of submitted code becomes a verdict
        meta["error"] = describe(exc, case_name)
    return arrays, meta


def _encode(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value).encode("utf-8"), dtype=np.uint8)


def main() -> None:
    global _TORCH
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    with open(os.path.join(here, SUBMISSION_FILE), encoding="utf-8") as handle:
        source = handle.read()
    if job["framework"] == "torch":
        import torch

        _TORCH = torch
        torch.set_num_threads(1)
        forbid(job["forbidden"])
    arrays, meta = run_job(job, source)
    out = os.path.join(os.path.dirname(here), "out", "result.npz")
    _SAVEZ(out, meta=_encode(meta), **arrays)


if __name__ == "__main__":
    main()
