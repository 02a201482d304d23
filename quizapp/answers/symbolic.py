"""Symbolic answers: read a typed expression safely with SymPy and read the bank's expected expression.

Input is screened before SymPy sees it (length, characters, names, `__`, attribute dots, huge powers); the
parser gets only the declared symbols and a whitelist of functions, with `{"__builtins__": {}}` as globals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from quizapp.answers.screen import CostlyExpression, refuse_costly

MAX_EXPRESSION_CHARS = 200
MAX_NESTING = 20
# Largest |exponent| on a symbol (x**1000 is fine; x**100000 only exists to stall simplify).
MAX_EXPONENT = 1000
# Largest number of decimal digits a number raised to a number may have (10**300 is fine, 9**9**9 not).
MAX_POWER_DIGITS = 300

TRANSFORMATIONS = (*standard_transformations, implicit_multiplication_application, convert_xor)

FUNCTIONS: dict[str, object] = {
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "Abs": sympy.Abs,
    "abs": sympy.Abs,
    "sign": sympy.sign,
    "sgn": sympy.sign,
    "Min": sympy.Min,
    "min": sympy.Min,
    "Max": sympy.Max,
    "max": sympy.Max,
    "pi": sympy.pi,
    "E": sympy.E,
}
# What the transformed source may call besides the whitelist: the number and symbol constructors.
_PARSER_GLOBALS: dict[str, object] = {
    "__builtins__": {},
    "Integer": sympy.Integer,
    "Float": sympy.Float,
    "Rational": sympy.Rational,
    "Symbol": sympy.Symbol,
    # evaluate=False spells the arithmetic as explicit constructor calls.
    "Add": sympy.Add,
    "Mul": sympy.Mul,
    "Pow": sympy.Pow,
}
# People type Greek letters, a Unicode minus or a multiplication sign; they mean the ASCII spelling.
_TYPOGRAPHY = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ϵ": "epsilon",
    "η": "eta",
    "θ": "theta",
    "λ": "lambda_",
    "μ": "mu",
    "ρ": "rho",
    "σ": "sigma",
    "−": "-",
    "·": "*",
    "×": "*",
    "√": "sqrt ",
    "²": "^2",
    "³": "^3",
}
_ALLOWED_CHARACTERS = re.compile(r"[A-Za-z0-9_+\-*/^().,\s]*")
# A number literal that is not the tail of a name (the 1 in beta1), exponent included (1e-3).
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)?_?")
_KEYWORD_LAMBDA = re.compile(r"\blambda\b")


# What a card may declare about a symbol (`assume: {g: positive}`): SymPy's assumption of the same name.
ASSUMPTIONS = ("positive", "nonnegative", "nonzero")


class AnswerError(ValueError):
    """A typed or declared answer that cannot be read; the message says what to change."""


def symbol_assumptions(spec: Mapping[str, Any]) -> dict[str, str]:
    """The `assume` mapping of a symbolic answer spec (symbol -> one of ASSUMPTIONS), checked."""
    raw = spec.get("assume") or {}
    if not isinstance(raw, Mapping):
        raise AnswerError("`assume` must map symbol names to positive, nonnegative or nonzero")
    symbols = {str(name) for name in spec.get("symbols") or []}
    for name, assumption in raw.items():
        if name not in symbols:
            raise AnswerError(f"`assume` names {name!r}, which is not one of the declared symbols")
        if assumption not in ASSUMPTIONS:
            raise AnswerError(
                f"`assume` for {name!r} must be one of {', '.join(ASSUMPTIONS)}, not {assumption!r}"
            )
    return {str(name): str(assumption) for name, assumption in raw.items()}


def parse_expression(
    text: str, symbols: Sequence[str], assumptions: Mapping[str, str] | None = None
) -> sympy.Expr:
    """Parse `text` as an expression in `symbols` (plus whitelisted functions), each symbol carrying its
    declared assumption (`{"g": "positive"}`); raises AnswerError."""
    table = symbol_table(symbols, assumptions)
    source = screen_expression(text, table)
    try:
        refuse_costly(source)  # degree, exponents, digits, factors: before SymPy spends anything on them
    except CostlyExpression as error:
        raise AnswerError(str(error)) from None
    local_dict = {**FUNCTIONS, **table}
    _refuse_huge_powers(_parse(source, local_dict, evaluate=False))
    expression = _parse(source, local_dict, evaluate=True)
    if not isinstance(expression, sympy.Expr):
        raise AnswerError("Type a single expression (no commas, comparisons or tuples).")
    return expression


def symbol_table(
    symbols: Iterable[str], assumptions: Mapping[str, str] | None = None
) -> dict[str, sympy.Symbol]:
    """Names a person may type → SymPy symbols. `lambda_` stands for λ (`lambda` is a Python keyword);
    names are real so that |x|, sign(x) and sqrt(x**2) keep their meaning, and declared positive (or
    nonzero...) where the card says so, so that sqrt(g**2) is g when g > 0."""
    assumptions = assumptions or {}
    table: dict[str, sympy.Symbol] = {}
    for name in symbols:
        if not isinstance(name, str) or not _SYMBOL_NAME.fullmatch(name) or name in FUNCTIONS:
            raise AnswerError(
                f"{name!r} cannot be a symbol name (a letter, then letters, digits and at most one _ part)."
            )
        declared = {assumptions[name]: True} if name in assumptions else {}
        table[name] = sympy.Symbol(name.rstrip("_"), real=True, **declared)
    if "epsilon" in table and "eps" not in table:
        table["eps"] = table["epsilon"]
    return table


def screen_expression(text: str, table: dict[str, sympy.Symbol]) -> str:
    """The text SymPy may parse, after cheap checks that refuse anything but plain arithmetic."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise AnswerError(f"That expression is too long (at most {MAX_EXPRESSION_CHARS} characters).")
    source = text.strip()
    for typed, meant in _TYPOGRAPHY.items():
        source = source.replace(typed, meant)
    if "lambda_" in table:
        source = _KEYWORD_LAMBDA.sub("lambda_", source)
    if not source:
        raise AnswerError("Type an expression, e.g. 1/(1 - beta).")
    _refuse_characters(source)
    _refuse_names(source, table)
    _refuse_deep_nesting(source)
    return source


def _refuse_characters(source: str) -> None:
    if not _ALLOWED_CHARACTERS.fullmatch(source):
        bad = sorted({c for c in source if not _ALLOWED_CHARACTERS.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad[:5])
        raise AnswerError(f"Use only letters, digits, spaces and + - * / ^ ( ) , — not {shown}.")
    if "__" in source:
        raise AnswerError("Names with a double underscore are not allowed.")
    if "." in _NUMBER.sub("0", source):
        raise AnswerError("A dot may only be a decimal point, as in 0.9.")


def _refuse_names(source: str, table: dict[str, sympy.Symbol]) -> None:
    known = table.keys() | FUNCTIONS.keys()
    for name in _NAME.findall(_NUMBER.sub(" ", source)):
        if name not in known:
            allowed = ", ".join(sorted(n for n in table if n != "eps"))
            raise AnswerError(
                f"Unknown name {name!r}. Use the symbols {allowed} and functions like sqrt, exp, log; "
                "write products with * (e.g. m*t)."
            )


def _refuse_deep_nesting(source: str) -> None:
    depth = 0
    for character in source:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth > MAX_NESTING:
            raise AnswerError(f"Too many nested parentheses (at most {MAX_NESTING}).")
        if depth < 0:
            raise AnswerError("A closing parenthesis has no matching opening one.")
    if depth:
        raise AnswerError("An opening parenthesis is never closed.")


def _parse(source: str, local_dict: dict[str, object], *, evaluate: bool) -> sympy.Basic:
    try:
        return parse_expr(
            source,
            local_dict=dict(local_dict),
            global_dict=dict(_PARSER_GLOBALS),
            transformations=TRANSFORMATIONS,
            evaluate=evaluate,
        )
    except AnswerError:
        raise
    except (SyntaxError, TypeError, ValueError, NameError, AttributeError, IndexError, KeyError) as error:
        raise AnswerError(
            f"Could not read that expression ({_reason(error)}). Check operators and brackets."
        ) from None
    except (RecursionError, MemoryError, OverflowError, ZeroDivisionError, sympy.SympifyError) as error:
        raise AnswerError(f"Could not read that expression ({type(error).__name__}).") from None


def _reason(error: Exception) -> str:
    if isinstance(error, SyntaxError):
        return "syntax error"
    return str(error).splitlines()[0][:80] if str(error) else type(error).__name__


def _refuse_huge_powers(expression: sympy.Basic) -> None:
    # Post-order: inner powers are vetted before an outer one evaluates its exponent numerically.
    for node in sympy.postorder_traversal(expression):
        if isinstance(node, sympy.Pow) and node.exp.is_number:
            _check_power(node.base, node.exp)


def _check_power(base: sympy.Basic, exponent: sympy.Basic) -> None:
    size = _magnitude(exponent)
    if base.is_number:
        base_size = _magnitude(base)
        digits = size * math.log10(base_size) if base_size > 0 else 0.0
        if abs(digits) > MAX_POWER_DIGITS:
            raise AnswerError(
                f"That power is too large (numbers may have at most {MAX_POWER_DIGITS} digits)."
            )
    elif size > MAX_EXPONENT:
        raise AnswerError(f"Exponents are limited to {MAX_EXPONENT} in size.")


def _magnitude(number: sympy.Basic) -> float:
    try:
        value = complex(number.evalf(15))
    except (TypeError, ValueError, OverflowError):
        raise AnswerError("That power cannot be evaluated; simplify the exponent.") from None
    return abs(value)
