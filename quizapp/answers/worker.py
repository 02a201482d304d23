"""The child process behind quizapp.answers.equivalence: reads JSON requests, answers in stages.

Run as `python -m quizapp.answers.worker`; the parent kills it when a decision takes too long.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import sys
from typing import Any

import sympy

from quizapp.answers.symbolic import AnswerError, parse_expression

SPOT_POINTS = 12
SPOT_ATTEMPTS = 80
MIN_AGREEING_POINTS = 4
MEMORY_LIMIT_BYTES = 4 << 30
_REL_TOLERANCE = 1e-7
# Points away from 0 and ±1 (they would hide β vs β²), mostly positive as optimizer quantities are, some
# negative so that g, |g| and sign(g) stay apart. A symbol declared positive or nonnegative only gets the
# positive ranges: the card told the learner so, and answers that rely on it must pass.
_POSITIVE_RANGES = ((0.11, 0.93), (0.11, 0.93), (1.1, 3.7))
_SAMPLE_RANGES = (*_POSITIVE_RANGES, (-0.93, -0.11), (-3.7, -1.1))


def spot_check(expected: sympy.Expr, typed: sympy.Expr, points: int = SPOT_POINTS) -> bool | None:
    """False if the two differ at some random point, True if they agree wherever both are real (at least
    MIN_AGREEING_POINTS points), None when too few points could be evaluated to say. Points where either
    side is not real are skipped: sqrt(a/b) and sqrt(a)/sqrt(b) only differ there."""
    symbols = sorted(expected.free_symbols | typed.free_symbols, key=str)
    rng = random.Random(20240617)
    agreed = 0
    for _ in range(SPOT_ATTEMPTS):
        values = {symbol: _sample(rng, symbol) for symbol in symbols}
        pair = _evaluate(expected, values), _evaluate(typed, values)
        if pair[0] is None or pair[1] is None:
            continue
        if not _close(pair[0], pair[1]):
            return False
        agreed += 1
        if agreed >= points:
            return True
    return True if agreed >= MIN_AGREEING_POINTS else None


def simplifies_to_zero(difference: sympy.Expr) -> bool:
    """True when SymPy shows `difference` is 0 (False means "not shown", not "different")."""
    try:
        return bool(sympy.simplify(difference) == 0)
    except (TypeError, ValueError, RecursionError, ZeroDivisionError):
        return False


def _sample(rng: random.Random, symbol: sympy.Symbol) -> sympy.Float:
    ranges = _POSITIVE_RANGES if symbol.is_nonnegative else _SAMPLE_RANGES
    low, high = rng.choice(ranges)
    return sympy.Float(rng.uniform(low, high), 30)


def _evaluate(expression: sympy.Expr, values: dict[sympy.Symbol, sympy.Float]) -> float | None:
    try:
        number = complex(expression.evalf(30, subs=values))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    if number != number or abs(number) == float("inf") or abs(number.imag) > 1e-12 * max(1.0, abs(number)):
        return None
    return number.real


def _close(left: float, right: float) -> bool:
    scale = max(abs(left), abs(right), 1e-12)
    return abs(left - right) <= _REL_TOLERANCE * scale


def _answer(request: dict[str, Any]) -> None:
    try:
        assumptions = request.get("assumptions") or {}
        expected = parse_expression(request["expected"], request["symbols"], assumptions)
        typed = parse_expression(request["typed"], request["symbols"], assumptions)
    except (AnswerError, KeyError, TypeError) as error:
        _send({"error": f"unreadable request: {error}"})
        return
    numeric = spot_check(expected, typed)
    _send({"stage": "numeric", "result": numeric})
    if numeric is not False:
        _send({"stage": "simplify", "result": simplifies_to_zero(expected - typed)})


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve() -> None:
    """The child's loop: one JSON request per line on stdin, JSON stage replies on stdout."""
    # A runaway simplification must not starve the web server of memory or CPU.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    with contextlib.suppress(OSError):
        os.nice(5)
    _send({"stage": "ready"})
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            _send({"error": "unreadable request"})
            continue
        _answer(request)


if __name__ == "__main__":
    serve()
