"""Test problems for the grader: landscapes defined once in SymPy, random instances drawn from a seed.

The gradient and loss are printed as self-contained NumPy or Torch source (no SymPy inside the sandbox);
schedule and clipping drills get their own small, seeded inputs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

# One generated function per problem and framework; the preamble defines the two array helpers it uses.
_PREAMBLES = {
    "numpy": (
        "import numpy as np\n\n\n"
        "def _mean(value):\n    return np.mean(value)\n\n\n"
        "def _pack(values, like):\n"
        "    return np.array([float(v) for v in values], dtype=like.dtype).reshape(like.shape)\n"
    ),
    "torch": (
        "import torch\n\n\n"
        "def _mean(value):\n    return value.mean() if isinstance(value, torch.Tensor) else value\n\n\n"
        "def _pack(values, like):\n"
        "    items = [torch.as_tensor(v, dtype=like.dtype, device=like.device).reshape(()) for v in values]\n"
        "    return torch.stack(items).reshape(like.shape)\n"
    ),
}
_MODULE_NAMES = {"numpy": "np", "torch": "torch"}


@dataclass(frozen=True)
class Landscape:
    """A problem's symbolic definition: parameter tensors, constants and per-example data columns."""

    name: str
    title: str
    shapes: tuple[tuple[int, ...], ...]
    constants: tuple[str, ...]
    columns: tuple[str, ...]
    loss: Callable[[dict[str, Any]], Any]  # builds the SymPy loss (per example when there are columns)
    draw: Callable[[np.random.Generator], dict[str, Any]]  # constants, columns, x0 for one instance
    batch_size: int = 0


@dataclass
class ProblemInstance:
    """One seeded instance: start point, constant values, data columns and the batch drawn at each call."""

    name: str
    kind: str  # landscape | schedule | clip
    shapes: list[tuple[int, ...]]
    x0: list[np.ndarray] = field(default_factory=list)
    constants: dict[str, float] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    batches: list[list[int]] | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # schedule lengths, clipping gradients

    @property
    def two_dimensional(self) -> bool:
        return self.kind == "landscape" and len(self.shapes) == 1 and self.shapes[0] == (2,)

    def data_for_call(self, call: int) -> dict[str, np.ndarray]:
        """The constants plus the minibatch of columns used by the `call`-th gradient evaluation."""
        data = {name: np.asarray(value) for name, value in self.constants.items()}
        if self.columns:
            index = self.batches[call % len(self.batches)] if self.batches else slice(None)
            data.update({name: column[index] for name, column in self.columns.items()})
        return data

    def full_data(self) -> dict[str, np.ndarray]:
        data = {name: np.asarray(value) for name, value in self.constants.items()}
        data.update(self.columns)
        return data

    def to_job(self) -> dict[str, Any]:
        """The JSON-ready description the sandboxed harness needs to rebuild this instance."""
        return {
            "problem": self.name,
            "kind": self.kind,
            "shapes": [list(shape) for shape in self.shapes],
            "x0": [x.tolist() for x in self.x0],
            "constants": self.constants,
            "columns": {name: column.tolist() for name, column in self.columns.items()},
            "batches": self.batches,
            "settings": self.settings,
        }


def _f32(values: Any) -> np.ndarray:
    """Round to float32-representable values, so float64 and float32 runs start from identical inputs and
    code that rounds to float32 by itself can be recognised from its numbers (compare.computed_dtype)."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def _symbols(prefix: str, shape: tuple[int, ...]) -> Any:
    import sympy

    if len(shape) == 1:
        return sympy.Matrix([sympy.Symbol(f"{prefix}_{i}") for i in range(shape[0])])
    rows, cols = shape
    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{prefix}_{i}_{j}"))


def _quadratic(s: dict[str, Any]) -> Any:
    (x, y), c = s["theta0"], s
    return (c["a0"] * (x - c["c0"]) ** 2 + c["a1"] * (y - c["c1"]) ** 2) / 2 + c["k"] * (x - c["c0"]) * (
        y - c["c1"]
    )


def _saddle(s: dict[str, Any]) -> Any:
    x, y = s["theta0"]
    return (s["a0"] * (x - s["c0"]) ** 2 - s["a1"] * (y - s["c1"]) ** 2) / 2


def _rosenbrock(s: dict[str, Any]) -> Any:
    x, y = s["theta0"]
    return (s["a"] - x) ** 2 + s["b"] * (y - x**2) ** 2


def _beale(s: dict[str, Any]) -> Any:
    x, y = s["theta0"]
    return (s["c0"] - x + x * y) ** 2 + (s["c1"] - x + x * y**2) ** 2 + (s["c2"] - x + x * y**3) ** 2


def _tiny(s: dict[str, Any]) -> Any:
    x, y = s["theta0"]
    return s["s"] * (s["a0"] * (x - s["c0"]) ** 2 + s["a1"] * (y - s["c1"]) ** 2) / 2


def _least_squares(s: dict[str, Any]) -> Any:
    w0, w1 = s["theta0"]
    return (w0 * s["x0"] + w1 * s["x1"] + s["bias"] - s["y"]) ** 2 / 2


def _logistic(s: dict[str, Any]) -> Any:
    import sympy

    w0, w1 = s["theta0"]
    margin = s["y"] * (w0 * s["x0"] + w1 * s["x1"] + s["bias"])
    return sympy.log(1 + sympy.exp(-margin)) + s["l2"] * (w0**2 + w1**2) / 2


def _two_layer(s: dict[str, Any]) -> Any:
    import sympy

    w1, w2 = s["theta0"], s["theta1"]
    inputs = sympy.Matrix([s["x0"], s["x1"], s["x2"]])
    hidden = (w1 * inputs).applyfunc(sympy.tanh)
    out = w2 * hidden
    return ((out[0] - s["y0"]) ** 2 + (out[1] - s["y1"]) ** 2) / 2


def _matrix_least_squares(s: dict[str, Any]) -> Any:
    import sympy

    inputs = sympy.Matrix([s[f"x{i}"] for i in range(3)])
    residual = s["theta0"] * inputs - sympy.Matrix([s[f"y{i}"] for i in range(5)])
    return sum(r**2 for r in residual) / 2


def _draw_bowl(rng: np.random.Generator) -> dict[str, Any]:
    c = rng.uniform(-1, 1, 2)
    return {
        "constants": {
            "a0": rng.uniform(0.6, 1.6),
            "a1": rng.uniform(1.5, 3.0),
            "k": rng.uniform(-0.3, 0.3),
            "c0": c[0],
            "c1": c[1],
        },
        "x0": [c + rng.choice([-1, 1], 2) * rng.uniform(1.5, 2.5, 2)],
    }


def _draw_ravine(rng: np.random.Generator) -> dict[str, Any]:
    c = rng.uniform(-0.5, 0.5, 2)
    return {
        "constants": {
            "a0": rng.uniform(0.8, 1.2),
            "a1": rng.uniform(20.0, 35.0),
            "k": 0.0,
            "c0": c[0],
            "c1": c[1],
        },
        "x0": [c + np.array([rng.choice([-1, 1]) * rng.uniform(2.0, 3.0), rng.uniform(0.4, 0.8)])],
    }


def _draw_saddle(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "constants": {
            "a0": rng.uniform(0.8, 1.5),
            "a1": rng.uniform(0.8, 1.5),
            "c0": rng.uniform(-0.3, 0.3),
            "c1": rng.uniform(-0.3, 0.3),
        },
        "x0": [np.array([rng.uniform(1.0, 2.0), rng.uniform(0.01, 0.05)])],
    }


def _draw_rosenbrock(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "constants": {"a": rng.uniform(0.8, 1.2), "b": rng.uniform(5.0, 10.0)},
        "x0": [np.array([rng.uniform(-1.3, -0.7), rng.uniform(0.6, 1.4)])],
    }


def _draw_beale(rng: np.random.Generator) -> dict[str, Any]:
    scale = rng.uniform(0.9, 1.1)
    return {
        "constants": {"c0": 1.5 * scale, "c1": 2.25 * scale, "c2": 2.625 * scale},
        "x0": [np.array([rng.uniform(0.6, 1.4), rng.uniform(-0.4, 0.4)])],
    }


def _draw_tiny(rng: np.random.Generator) -> dict[str, Any]:
    c = rng.uniform(-0.3, 0.3, 2)
    return {
        "constants": {
            "s": rng.uniform(0.5, 2.0) * 1e-6,
            "a0": rng.uniform(0.5, 1.5),
            "a1": rng.uniform(1.5, 3.0),
            "c0": c[0],
            "c1": c[1],
        },
        "x0": [c + rng.choice([-1, 1], 2) * rng.uniform(0.3, 0.6, 2)],
    }


def _regression_columns(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    inputs = rng.normal(size=(count, 2)) * np.array([1.0, rng.uniform(2.0, 4.0)])
    return inputs[:, 0], inputs[:, 1]


def _draw_least_squares(rng: np.random.Generator) -> dict[str, Any]:
    x0, x1 = _regression_columns(rng, 48)
    w_true, bias = rng.uniform(-1.5, 1.5, 2), rng.uniform(-0.5, 0.5)
    y = w_true[0] * x0 + w_true[1] * x1 + bias + rng.normal(scale=0.3, size=48)
    return {
        "constants": {"bias": bias},
        "columns": {"x0": x0, "x1": x1, "y": y},
        "x0": [w_true + rng.choice([-1, 1], 2) * rng.uniform(1.0, 2.0, 2)],
    }


def _draw_logistic(rng: np.random.Generator) -> dict[str, Any]:
    x0, x1 = _regression_columns(rng, 48)
    w_true = rng.uniform(-2.0, 2.0, 2)
    y = np.where(w_true[0] * x0 + w_true[1] * x1 + rng.normal(scale=0.5, size=48) > 0, 1.0, -1.0)
    return {
        "constants": {"bias": rng.uniform(-0.2, 0.2), "l2": 0.01},
        "columns": {"x0": x0, "x1": x1, "y": y},
        "x0": [rng.uniform(-2.0, 2.0, 2)],
    }


def _draw_two_layer(rng: np.random.Generator) -> dict[str, Any]:
    inputs = rng.normal(size=(32, 3))
    teacher = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    targets = np.tanh(inputs @ teacher[0].T) @ teacher[1].T + rng.normal(scale=0.1, size=(32, 2))
    columns = {f"x{i}": inputs[:, i] for i in range(3)} | {f"y{k}": targets[:, k] for k in range(2)}
    return {
        "constants": {},
        "columns": columns,
        "x0": [rng.normal(scale=0.5, size=(4, 3)), rng.normal(scale=0.5, size=(2, 4))],
    }


def _draw_matrix_least_squares(rng: np.random.Generator) -> dict[str, Any]:
    inputs, teacher = rng.normal(size=(32, 3)), rng.normal(size=(5, 3))
    targets = inputs @ teacher.T + rng.normal(scale=0.1, size=(32, 5))
    columns = {f"x{i}": inputs[:, i] for i in range(3)} | {f"y{k}": targets[:, k] for k in range(5)}
    return {"constants": {}, "columns": columns, "x0": [rng.normal(scale=0.5, size=(5, 3))]}


_QUAD = ("a0", "a1", "k", "c0", "c1")
LANDSCAPES: dict[str, Landscape] = {
    land.name: land
    for land in (
        Landscape("bowl", "quadratic bowl", ((2,),), _QUAD, (), _quadratic, _draw_bowl),
        Landscape("ravine", "ill-conditioned ravine", ((2,),), _QUAD, (), _quadratic, _draw_ravine),
        Landscape("saddle", "saddle x² − y²", ((2,),), ("a0", "a1", "c0", "c1"), (), _saddle, _draw_saddle),
        Landscape("rosenbrock", "Rosenbrock valley", ((2,),), ("a", "b"), (), _rosenbrock, _draw_rosenbrock),
        Landscape("beale", "Beale function", ((2,),), ("c0", "c1", "c2"), (), _beale, _draw_beale),
        Landscape(
            "tiny-gradient",
            "bowl with gradients near 1e-6",
            ((2,),),
            ("s", "a0", "a1", "c0", "c1"),
            (),
            _tiny,
            _draw_tiny,
        ),
        Landscape(
            "noisy-least-squares",
            "minibatch least squares",
            ((2,),),
            ("bias",),
            ("x0", "x1", "y"),
            _least_squares,
            _draw_least_squares,
            batch_size=8,
        ),
        Landscape(
            "noisy-logistic",
            "minibatch logistic regression",
            ((2,),),
            ("bias", "l2"),
            ("x0", "x1", "y"),
            _logistic,
            _draw_logistic,
            batch_size=8,
        ),
        Landscape(
            "two-layer",
            "two-layer tanh network (weight matrices 4×3 and 2×4)",
            ((4, 3), (2, 4)),
            (),
            ("x0", "x1", "x2", "y0", "y1"),
            _two_layer,
            _draw_two_layer,
            batch_size=8,
        ),
        Landscape(
            "matrix-least-squares",
            "matrix least squares (5×3 weights)",
            ((5, 3),),
            (),
            tuple(f"x{i}" for i in range(3)) + tuple(f"y{k}" for k in range(5)),
            _matrix_least_squares,
            _draw_matrix_least_squares,
            batch_size=8,
        ),
    )
}
OTHER_PROBLEMS = {"schedule-short", "schedule-long", "gradient-bursts"}


def make_instance(name: str, seed: int, steps: int) -> ProblemInstance:
    """A random instance of problem `name` drawn from `seed` (same seed, same instance)."""
    rng = np.random.default_rng([seed, sum(name.encode())])
    if name in LANDSCAPES:
        return _landscape_instance(LANDSCAPES[name], rng, steps)
    if name.startswith("schedule-"):
        return _schedule_instance(name, rng)
    if name == "gradient-bursts":
        return _bursts_instance(rng, steps)
    raise KeyError(f"unknown problem {name!r}")


def _landscape_instance(land: Landscape, rng: np.random.Generator, steps: int) -> ProblemInstance:
    drawn = land.draw(rng)
    columns = {key: _f32(value) for key, value in drawn.get("columns", {}).items()}
    batches = None
    if columns:
        count = len(next(iter(columns.values())))
        batches = [
            sorted(rng.choice(count, land.batch_size, replace=False).tolist()) for _ in range(steps + 1)
        ]
    return ProblemInstance(
        name=land.name,
        kind="landscape",
        shapes=list(land.shapes),
        x0=[_f32(x) for x in drawn["x0"]],
        constants={key: float(_f32(value)) for key, value in drawn["constants"].items()},
        columns=columns,
        batches=batches,
    )


def _schedule_instance(name: str, rng: np.random.Generator) -> ProblemInstance:
    warmup, total = (
        (int(rng.integers(4, 9)), int(rng.integers(25, 40)))
        if name == "schedule-short"
        else (int(rng.integers(15, 30)), int(rng.integers(110, 160)))
    )
    return ProblemInstance(
        name=name,
        kind="schedule",
        shapes=[(1,)],
        settings={"warmup_steps": warmup, "total_steps": total, "evaluate": total + 3},
    )


def _bursts_instance(rng: np.random.Generator, steps: int) -> ProblemInstance:
    shapes = [(3, 4), (4,), (2, 3)]
    gradients = []
    for step in range(steps):
        tensors = [rng.normal(size=shape) for shape in shapes]
        scale = [0.05, 0.3, 1.0, 3.0][step % 4]
        tensors = [t * scale / math.sqrt(t.size) for t in tensors]
        if step % 3 == 2:  # one tensor dominates, so per-tensor clipping gives a visibly different answer
            tensors[step % len(shapes)] *= 12.0
        gradients.append([_f32(t).tolist() for t in tensors])
    return ProblemInstance(
        name="gradient-bursts", kind="clip", shapes=shapes, settings={"gradients": gradients}
    )


def gradient_source(name: str, framework: str) -> str:
    """Self-contained source defining `grad(theta, data)` and `loss(theta, data)` for one problem.

    `theta` is the list of parameter arrays, `data` maps constant and column names to arrays (columns
    hold the current minibatch); both functions average over the minibatch. Read from the committed
    generated_sources.json, else from a user cache keyed by this module's source (generated once).
    """
    source = _generated_sources().get(f"{name}:{framework}")
    return source if isinstance(source, str) else _generate(name, framework)


# Every problem's generated source, committed with the package (scripts/regen-gradient-sources writes it), so
# that grading never imports SymPy; it counts only while this module is unchanged since it was written.
GENERATED_SOURCES = Path(__file__).with_name("generated_sources.json")


@lru_cache(maxsize=1)
def _generated_sources() -> dict[str, str]:
    for path in (GENERATED_SOURCES, _cache_path()):
        sources = _stored_sources(path)
        if sources is not None:
            return sources
    sources = generate_all_sources()
    try:
        path = _cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(_stored(sources)), encoding="utf-8")
        temporary.replace(path)  # atomic, so concurrent workers never read half a file
    except OSError:
        pass  # a read-only home only costs regenerating in the next process
    return sources


def generate_all_sources() -> dict[str, str]:
    """The source of every landscape in every framework, keyed "name:framework" (imports SymPy)."""
    return {f"{name}:{fw}": _generate(name, fw) for name in LANDSCAPES for fw in _PREAMBLES}


def write_generated_sources(path: Path = GENERATED_SOURCES) -> None:
    path.write_text(json.dumps(_stored(generate_all_sources()), indent=1, sort_keys=True) + "\n", "utf-8")


def _stored(sources: dict[str, str]) -> dict[str, Any]:
    return {"problems_digest": _problems_digest(), "sources": sources}


def _stored_sources(path: Path) -> dict[str, str] | None:
    """The sources kept in `path` if it was written from this very module, else None."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("problems_digest") != _problems_digest():
        return None
    sources = stored.get("sources")
    return sources if isinstance(sources, dict) else None


@lru_cache(maxsize=1)
def _problems_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _cache_path() -> Path:
    base = (
        os.environ.get("QUIZAPP_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    )
    return Path(base) / "quizapp" / f"grader-sources-{_problems_digest()[:16]}.json"


def _generate(name: str, framework: str) -> str:
    import sympy

    land = LANDSCAPES[name]
    scope: dict[str, Any] = {key: sympy.Symbol(key) for key in (*land.constants, *land.columns)}
    tensors = [_symbols(f"theta{i}", shape) for i, shape in enumerate(land.shapes)]
    scope.update({f"theta{i}": tensor for i, tensor in enumerate(tensors)})
    loss = land.loss(scope)
    flat = [list(tensor) for tensor in tensors]
    derivatives = [sympy.diff(loss, symbol) for symbols in flat for symbol in symbols]
    return _render(land, tensors, loss, derivatives, framework)


def _render(land: Landscape, tensors: list[Any], loss: Any, derivatives: list[Any], framework: str) -> str:
    import sympy

    printer = _array_printer(_MODULE_NAMES[framework])
    lines = [_PREAMBLES[framework]]
    for function, expressions in (("grad", derivatives), ("loss", [loss])):
        replacements, reduced = sympy.cse(expressions, symbols=sympy.numbered_symbols("_c"))
        body = [f"def {function}(theta, data):"]
        for i, tensor in enumerate(tensors):
            body.append(f"    t{i} = theta[{i}]")
            for index, symbol in zip(_indices(land.shapes[i]), tensor, strict=True):
                body.append(f"    {symbol} = t{i}[{index}]")
        body += [f"    {key} = data[{key!r}]" for key in (*land.constants, *land.columns)]
        body += [f"    {symbol} = {printer.doprint(value)}" for symbol, value in replacements]
        values = [f"_mean({printer.doprint(value)})" for value in reduced]
        if function == "loss":
            body.append(f"    return {values[0]}")
        else:
            body += _pack_lines(values, land.shapes)
        lines.append("\n\n" + "\n".join(body) + "\n")
    return "".join(lines)


def _pack_lines(values: list[str], shapes: tuple[tuple[int, ...], ...]) -> list[str]:
    out, start = ["    out = []"], 0
    for i, shape in enumerate(shapes):
        size = int(np.prod(shape))
        out.append(f"    out.append(_pack([{', '.join(values[start : start + size])}], t{i}))")
        start += size
    out.append("    return out")
    return out


def _indices(shape: tuple[int, ...]) -> list[str]:
    if len(shape) == 1:
        return [str(i) for i in range(shape[0])]
    return [f"{i}, {j}" for i in range(shape[0]) for j in range(shape[1])]


def _array_printer(module: str) -> Any:
    from sympy.printing.pycode import PythonCodePrinter

    class ArrayPrinter(PythonCodePrinter):
        """Prints element-wise math as `np.`/`torch.` calls so the same expression runs on arrays."""

        def _print_Function(self, expr: Any) -> str:
            args = ", ".join(self._print(arg) for arg in expr.args)
            return f"{module}.{type(expr).__name__}({args})"

        _print_exp = _print_log = _print_tanh = _print_Function

        def _print_Pow(self, expr: Any, rational: bool = False) -> str:
            return self._hprint_Pow(expr, rational=rational, sqrt=f"{module}.sqrt")

    return ArrayPrinter({"standard": "python3"})


@lru_cache(maxsize=64)
def numpy_functions(name: str) -> dict[str, Callable[..., Any]]:
    """`grad` and `loss` for trusted-side use (references, plots), compiled from the generated source."""
    namespace: dict[str, Any] = {}
    exec(compile(gradient_source(name, "numpy"), f"<problem {name}>", "exec"), namespace)  # our own code
    return {"grad": namespace["grad"], "loss": namespace["loss"]}
