"""Numeric answers: read what a person typed as a number and compare it with the bank's value.

Accepted: `0.001`, `1e-3`, `1/1000`, `10%`, `-2.5`, surrounding spaces, a Unicode minus sign, and the card's
own unit after the number (`8 GB`, `3000 steps`). On a card whose unit is percent, `2%` means 2 percent.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from quizapp.answers.symbolic import AnswerError

MAX_NUMBER_CHARS = 60
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"^({_DECIMAL})$")
_FRACTION = re.compile(rf"^({_DECIMAL})\s*/\s*({_DECIMAL})$")
# A unit typed after the number: `%`, or a word (the number ends in a digit or a dot: 1e3steps splits right).
_UNIT_TAIL = re.compile(r"^(?P<number>.*?[\d.])(?P<unit>%|[A-Za-z]+)$")
MAX_UNIT_CHARS = 20
PERCENT = "%"
# Spellings of one unit: compared lowercased, with a plural `s` dropped (steps = step, GB = gb).
_UNIT_ALIASES = {"percent": PERCENT, "pct": PERCENT, "%": PERCENT}
# A relative slack below any tolerance a card would state: absorbs float rounding of the bank's values.
_FLOAT_SLACK = 1e-12


@dataclass(frozen=True)
class NumericSpec:
    """A numeric card's answer: `value`, and an absolute `tolerance` or a relative `rel_tolerance`."""

    value: float
    tolerance: float | None
    rel_tolerance: float | None
    unit: str

    @property
    def is_percent(self) -> bool:
        return unit_key(self.unit) == PERCENT

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> NumericSpec:
        value = _spec_number(spec, "value")
        if value is None:
            raise AnswerError("the answer spec has no numeric `value`")
        return cls(
            value=value,
            tolerance=_spec_number(spec, "tolerance"),
            rel_tolerance=_spec_number(spec, "rel_tolerance"),
            unit=str(spec.get("unit") or ""),
        )

    def allowed_error(self) -> float:
        """The largest accepted distance from `value` (absolute; relative tolerances scaled by |value|)."""
        if self.tolerance is None and self.rel_tolerance is None:
            return 1e-9 * max(1.0, abs(self.value))
        absolute = self.tolerance or 0.0
        relative = (self.rel_tolerance or 0.0) * abs(self.value)
        return max(absolute, relative)


def _spec_number(spec: dict[str, Any], key: str) -> float | None:
    raw = spec.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        try:
            return parse_number(str(raw))
        except AnswerError as error:
            raise AnswerError(f"`{key}` in the answer spec is not a number: {error}") from None
    return float(raw)


@dataclass(frozen=True)
class Quantity:
    """A typed number and the unit written after it (`unit` is "" when none was typed)."""

    value: float
    unit: str


def unit_key(unit: str) -> str:
    """One spelling per unit: `Steps`, `step` and `steps` compare equal, as do `%`, `percent` and `pct`."""
    key = unit.strip().lower()
    key = _UNIT_ALIASES.get(key, key)
    return key[:-1] if len(key) > 2 and key.endswith("s") else key


def parse_quantity(text: str) -> Quantity:
    """The number in `text` and any unit typed after it; raises AnswerError with a reason to act on."""
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    if not cleaned:
        raise AnswerError("Type a number, e.g. 0.001, 1e-3, 1/1000 or 0.1%.")
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise AnswerError(f"That is too long for a number (at most {MAX_NUMBER_CHARS} characters).")
    tail = _UNIT_TAIL.match(cleaned)
    number, unit = (tail["number"], tail["unit"]) if tail else (cleaned, "")
    if len(unit) > MAX_UNIT_CHARS:
        raise AnswerError(
            f"{unit[:MAX_UNIT_CHARS]!r}... is not a unit; type the number, e.g. 3000 or 3000 steps."
        )
    value = _read_number(number)
    if not math.isfinite(value):
        raise AnswerError("That number is too large to compare; write it as a finite decimal.")
    return Quantity(value, unit)


def parse_number(text: str) -> float:
    """The plain number written in `text` (`10%` is 0.1); raises AnswerError when a unit is attached."""
    quantity = parse_quantity(text)
    if unit_key(quantity.unit) == PERCENT:
        return quantity.value / 100.0
    if quantity.unit:
        raise AnswerError(f"Type just the number, without {quantity.unit!r}.")
    return quantity.value


def read_answer(spec: NumericSpec, text: str) -> float:
    """`text` read as an answer to a card with `spec`: the card's own unit may follow the number (`8 GB`);
    on a percent card `2%` is 2; elsewhere `10%` is 0.1. Another unit is refused, never converted."""
    quantity = parse_quantity(text)
    typed, expected = unit_key(quantity.unit), unit_key(spec.unit)
    if not typed or typed == expected:
        return quantity.value
    if typed == PERCENT and not expected:
        return quantity.value / 100.0
    shown = format_number(quantity.value)
    if not expected:
        raise AnswerError(
            f"This card's answer has no unit: type just the number, not {shown} {quantity.unit}."
        )
    written = f"{shown}%" if spec.is_percent else f"{shown} {spec.unit}"
    raise AnswerError(
        f"This card's answer is in {spec.unit}, not {quantity.unit}: type the number alone or with "
        f"the card's unit (e.g. {shown} or {written})."
    )


def percent_hint(spec: NumericSpec, value: float) -> str:
    """On a percent card, a fraction typed for a percentage (0.02 for 2%) gets a pointer to the fix."""
    if spec.is_percent and within_tolerance(spec, value * 100.0):
        typed, meant = format_number(value), format_number(value * 100.0)
        return f" This card asks for a percentage: {typed} means {typed}%; type {meant} or {meant}%."
    return ""


def _read_number(cleaned: str) -> float:
    plain = _NUMBER.match(cleaned)
    if plain:
        return float(plain.group(1))
    fraction = _FRACTION.match(cleaned)
    if fraction:
        denominator = float(fraction.group(2))
        if denominator == 0:
            raise AnswerError("The fraction divides by zero.")
        return float(fraction.group(1)) / denominator
    if "," in cleaned:
        raise AnswerError("Write the number without thousands separators, with a dot for decimals: 1000.5")
    raise AnswerError(f"{cleaned[:40]!r} is not a number. Use a form like 0.001, 1e-3, 1/1000 or 0.1%.")


def format_number(value: float) -> str:
    """A short plain-text rendering: integers without `.0`, otherwise up to 10 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def number_latex(value: float, unit: str = "") -> str:
    """LaTeX for a number, using `m \\times 10^{k}` for very large or very small magnitudes."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-4):
        mantissa, exponent = f"{value:.6e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        body = f"10^{{{int(exponent)}}}" if mantissa == "1" else rf"{mantissa} \times 10^{{{int(exponent)}}}"
    else:
        body = format_number(value)
    return body + (rf"\ \text{{{unit}}}" if unit else "")


def within_tolerance(spec: NumericSpec, typed_value: float) -> bool:
    slack = _FLOAT_SLACK * max(1.0, abs(spec.value))
    return abs(typed_value - spec.value) <= spec.allowed_error() + slack
