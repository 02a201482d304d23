"""Numeric answers: read what a person typed as a number and compare it with the bank's value.

Accepted: `0.001`, `1e-3`, `1/1000`, `10%`, `-2.5`, surrounding spaces, a Unicode minus sign.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from quizapp.answers.symbolic import AnswerError

MAX_NUMBER_CHARS = 60
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"^({_DECIMAL})(%?)$")
_FRACTION = re.compile(rf"^({_DECIMAL})\s*/\s*({_DECIMAL})$")
# A relative slack below any tolerance a card would state: absorbs float rounding of the bank's values.
_FLOAT_SLACK = 1e-12


@dataclass(frozen=True)
class NumericSpec:
    """A numeric card's answer: `value`, and an absolute `tolerance` or a relative `rel_tolerance`."""

    value: float
    tolerance: float | None
    rel_tolerance: float | None
    unit: str

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


def parse_number(text: str) -> float:
    """The number written in `text`; raises AnswerError with a reason a person can act on."""
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    if not cleaned:
        raise AnswerError("Type a number, e.g. 0.001, 1e-3, 1/1000 or 0.1%.")
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise AnswerError(f"That is too long for a number (at most {MAX_NUMBER_CHARS} characters).")
    value = _read_number(cleaned)
    if not math.isfinite(value):
        raise AnswerError("That number is too large to compare; write it as a finite decimal.")
    return value


def _read_number(cleaned: str) -> float:
    plain = _NUMBER.match(cleaned)
    if plain:
        value = float(plain.group(1))
        return value / 100.0 if plain.group(2) else value
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
