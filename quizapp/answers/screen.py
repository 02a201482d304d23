"""A cost screen for typed expressions, run on the token stream before SymPy parses anything.

SymPy's parser, simplify() and evalf() can spend seconds on a short text such as `(a + t)^900` or fifteen
`10**300` factors. A small recursive-descent pass over the tokens estimates, for every subexpression, its
polynomial degree and the size of the numbers it makes, and refuses the text as soon as an estimate passes a
limit. The estimates err on the high side (a function call counts like a product); the limits are far above
any answer in the bank.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

MAX_TOKENS = 120
MAX_NESTING = 20
# The largest literal exponent on anything that is not a plain number (x^32 yes, x^33 no).
MAX_EXPONENT = 32
# The largest estimated total degree: (a+b)^3 * c has degree 4.
MAX_DEGREE = 64
# The largest estimated number of decimal digits of any number the expression makes (10^100 has 100).
MAX_DIGITS = 100
MAX_FACTORS = 20  # operands of one product or quotient
MAX_TERMS = 30  # operands of one sum

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|//|[-+*/^(),]))"
)


class CostlyExpression(ValueError):
    """An expression refused because checking it could take long; the message says which limit it hit."""


@dataclass(frozen=True)
class Size:
    """What a subexpression may cost: estimated degree, digits of its largest number, and its value when it
    is a plain number small enough to know (exponents are judged by it)."""

    degree: float = 0.0
    digits: float = 0.0
    value: float | None = None
    numeric: bool = True


def refuse_costly(source: str) -> Size:
    """The estimated size of `source` (already limited to plain arithmetic characters); raises
    CostlyExpression when a limit is passed or the text is not an expression the screen can read."""
    tokens = _tokenize(source)
    if len(tokens) > MAX_TOKENS:
        raise CostlyExpression(
            f"That expression is too long (at most {MAX_TOKENS} numbers, names and signs)."
        )
    reader = _Reader(tokens)
    size = reader.sum()
    while reader.peek() == ",":  # a tuple: screened here, refused with its own message by the parser
        reader.take()
        size = reader.sum()
    if reader.peek() is not None:
        raise CostlyExpression(f"Could not read that expression near {reader.peek()!r}.")
    return size


def _tokenize(source: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = source.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise CostlyExpression(f"Could not read that expression near {text[position : position + 10]!r}.")
        tokens.append(match.group(match.lastgroup or "op"))
        position = match.end()
    return tokens


class _Reader:
    """sum := product (± product)*; product := unary ((* | / | //)? unary)*; unary := ± unary | power;
    power := atom ((** | ^) unary)?; atom := number | name | name? ( sum (, sum)* )."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._next = 0
        self._depth = 0

    def peek(self) -> str | None:
        return self._tokens[self._next] if self._next < len(self._tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise CostlyExpression("The expression ends too early; check operators and brackets.")
        self._next += 1
        return token

    def sum(self) -> Size:
        size = self.product()
        terms = 1
        while self.peek() in ("+", "-"):
            self.take()
            terms += 1
            if terms > MAX_TERMS:
                raise CostlyExpression(f"Too many terms in one sum (at most {MAX_TERMS}).")
            size = _checked(_add(size, self.product()))
        return size

    def product(self) -> Size:
        size = self.unary()
        factors = 1
        while self._continues_product():
            divides = self.peek() in ("/", "//")
            if self.peek() in ("*", "/", "//"):
                self.take()
            factors += 1
            if factors > MAX_FACTORS:
                raise CostlyExpression(f"Too many factors in one product (at most {MAX_FACTORS}).")
            size = _checked(_multiply(size, self.unary(), divides))
        return size

    def _continues_product(self) -> bool:
        token = self.peek()
        # Juxtaposition (2x, a b, x(y)) is multiplication, as SymPy's implicit multiplication reads it.
        return token is not None and (token in ("*", "/", "//", "(") or _starts_operand(token))

    def unary(self) -> Size:
        if self.peek() in ("+", "-"):
            sign = -1.0 if self.take() == "-" else 1.0
            size = self.unary()
            return Size(
                size.degree, size.digits, None if size.value is None else sign * size.value, size.numeric
            )
        return self.power()

    def power(self) -> Size:
        base = self.atom()
        if self.peek() not in ("**", "^"):
            return base
        self.take()
        return _checked(_raise(base, self.unary()))

    def atom(self) -> Size:
        token = self.take()
        if token == "(":
            return self._group()
        if token[0].isalpha() or token[0] == "_":
            # A name: a symbol, or a function applied to the group after it (counted like a product).
            return Size(degree=1.0, digits=0.0, value=None, numeric=False)
        if token[0].isdigit() or token[0] == ".":
            return _number(token)
        raise CostlyExpression(f"Could not read that expression near {token!r}.")

    def _group(self) -> Size:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise CostlyExpression(f"Too many nested parentheses (at most {MAX_NESTING}).")
        size = self.sum()
        while self.peek() == ",":  # the arguments of Max(a, b): the costliest one counts
            self.take()
            other = self.sum()
            size = Size(max(size.degree, other.degree), max(size.digits, other.digits), None, False)
        if self.take() != ")":
            raise CostlyExpression("An opening parenthesis is never closed.")
        self._depth -= 1
        return size


def _starts_operand(token: str) -> bool:
    return token[0].isalnum() or token[0] in "._"


def _number(token: str) -> Size:
    exponent = Decimal(token).adjusted()  # 123 → 2, 1e300 → 300, 0.001 → -3
    digits = abs(exponent) + 1.0
    if digits > MAX_DIGITS:
        raise CostlyExpression(f"That number is too large or too small (at most {MAX_DIGITS} digits).")
    return Size(degree=0.0, digits=digits, value=float(token), numeric=True)


def _add(left: Size, right: Size) -> Size:
    value = None
    if left.value is not None and right.value is not None:
        value = left.value + right.value
    return Size(
        max(left.degree, right.degree), max(left.digits, right.digits), value, left.numeric and right.numeric
    )


def _multiply(left: Size, right: Size, divides: bool = False) -> Size:
    # Division costs like multiplication: a denominator's degree and digits matter as much to simplify().
    value = None
    if left.value is not None and right.value is not None:
        if not divides:
            value = left.value * right.value
        elif right.value != 0:
            value = left.value / right.value
    return Size(left.degree + right.degree, left.digits + right.digits, value, left.numeric and right.numeric)


def _raise(base: Size, exponent: Size) -> Size:
    if not exponent.numeric:  # beta1^t: exponential, not polynomial, in t
        return Size(base.degree + exponent.degree, base.digits + exponent.digits, None, False)
    power = abs(exponent.value) if exponent.value is not None else 10.0**exponent.digits
    if not base.numeric:
        if power > MAX_EXPONENT:
            raise CostlyExpression(f"Exponents are limited to {MAX_EXPONENT} in size.")
        return Size(base.degree * max(power, 1.0), base.digits * max(power, 1.0), None, False)
    magnitude = abs(math.log10(abs(base.value))) if base.value else base.digits
    digits = max(power, 1.0) * magnitude
    value = None
    if digits <= MAX_DIGITS and base.value is not None and exponent.value is not None and base.value > 0:
        value = base.value**exponent.value
    return Size(0.0, digits, value, True)


def _checked(size: Size) -> Size:
    if size.degree > MAX_DEGREE:
        raise CostlyExpression(f"That expression's degree is too high (at most {MAX_DEGREE}); simplify it.")
    if size.digits > MAX_DIGITS or (size.value is not None and not math.isfinite(size.value)):
        raise CostlyExpression(f"That power is too large (numbers may have at most {MAX_DIGITS} digits).")
    return size
