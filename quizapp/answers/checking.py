"""check_answer(): the one entry point the review service calls for numeric and symbolic cards.

It never raises for what a person typed: unreadable or hostile input becomes a wrong answer with a reason.
When the checker itself cannot decide (busy, unavailable, out of time), the check is not judged: callers
must neither show it as wrong nor record it as a wrong answer, and the person may try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from quizapp.answers import numeric
from quizapp.answers.equivalence import DEFAULT_TIME_LIMIT_S, CheckerBusy, CheckerUnavailable, equivalent
from quizapp.answers.symbolic import AnswerError, parse_expression, symbol_assumptions

CHECKER_BUSY = (
    "The expression checker is busy with other answers; try again in a few seconds, or rate yourself."
)


@dataclass(frozen=True)
class AnswerCheck:
    """The outcome of one typed answer: `expected_latex` is shown after checking, `normalized` is how the
    typed input was read (empty when it could not be read). `judged` is False when the checker could not
    decide (busy, unavailable, out of time): then `correct` is False but says nothing about the answer."""

    correct: bool
    message: str
    expected_latex: str
    normalized: str
    judged: bool = True


def check_answer(
    kind: str, spec: dict[str, Any], typed: str, time_limit_s: float = DEFAULT_TIME_LIMIT_S
) -> AnswerCheck:
    """Check `typed` against a card's answer `spec` (as written in the bank) for `kind` numeric|symbolic.
    `time_limit_s` bounds the expression check; the bank check, which no one waits on, allows more."""
    if not isinstance(typed, str):
        return AnswerCheck(False, "Send the answer as text, e.g. 0.1 or 1/(1 - beta).", "", "")
    if not isinstance(spec, dict):
        return AnswerCheck(False, "This card's answer is misconfigured: the spec is not a mapping.", "", "")
    if kind == "numeric":
        return check_numeric(spec, typed)
    if kind == "symbolic":
        return check_symbolic(spec, typed, time_limit_s)
    return AnswerCheck(False, f"Cards of kind {kind!r} take no typed answer.", "", "")


def check_numeric(spec: dict[str, Any], typed: str) -> AnswerCheck:
    try:
        expected = numeric.NumericSpec.from_dict(spec)
    except AnswerError as error:
        return AnswerCheck(False, f"This card's answer is misconfigured: {error}", "", "")
    expected_latex = numeric.number_latex(expected.value, expected.unit)
    try:
        value = numeric.read_answer(expected, typed)
    except AnswerError as error:
        return AnswerCheck(False, str(error), expected_latex, "")
    normalized = numeric.format_number(value)
    shown = f"{normalized} {expected.unit}" if expected.unit else normalized
    if numeric.within_tolerance(expected, value):
        return AnswerCheck(True, f"Correct: {shown}.", expected_latex, normalized)
    margin = numeric.format_number(expected.allowed_error())
    message = (
        f"Not quite: {shown} is off; the answer is {numeric.format_number(expected.value)} (± {margin})."
        + numeric.percent_hint(expected, value)
    )
    return AnswerCheck(False, message, expected_latex, normalized)


def check_symbolic(
    spec: dict[str, Any], typed: str, time_limit_s: float = DEFAULT_TIME_LIMIT_S
) -> AnswerCheck:
    symbols = [str(name) for name in spec.get("symbols") or []]
    try:
        assumptions = symbol_assumptions(spec)
        expected = parse_expression(str(spec.get("expr", "")), symbols, assumptions)
    except AnswerError as error:
        return AnswerCheck(False, f"This card's answer is misconfigured: {error}", "", "")
    expected_latex = sympy.latex(expected)
    try:
        given = parse_expression(typed, symbols, assumptions)
    except AnswerError as error:
        return AnswerCheck(False, str(error), expected_latex, "")
    normalized = sympy.sstr(given)
    try:
        outcome = equivalent(str(spec["expr"]), typed, symbols, assumptions, time_limit_s)
    except CheckerBusy:
        return AnswerCheck(False, CHECKER_BUSY, expected_latex, normalized, judged=False)
    except CheckerUnavailable:
        return AnswerCheck(
            False,
            "The expression checker is unavailable right now; rate yourself.",
            expected_latex,
            normalized,
            judged=False,
        )
    if outcome == "equal":
        return AnswerCheck(True, "Correct: your expression is equivalent.", expected_latex, normalized)
    if outcome == "timeout":
        message = "Checking took too long; simplify your expression and try again, or rate yourself."
        return AnswerCheck(False, message, expected_latex, normalized, judged=False)
    return AnswerCheck(False, "Not equivalent to the expected expression.", expected_latex, normalized)
