"""LaTeX in the bank's text: find the formulas between math delimiters and have KaTeX parse them all.

KaTeX runs once per check in Node (`katex_check.mjs`) for every formula; without Node or KaTeX the check
falls back to balanced braces and delimiters, and says so with a warning.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from quizapp.bank.model import BankError, MathText

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
KATEX_SCRIPT = Path(__file__).with_name("katex_check.mjs")
KATEX_BUILDS = (
    PACKAGE_ROOT / "static" / "vendor" / "katex" / "katex.min.js",
    PACKAGE_ROOT.parent / "node_modules" / "katex" / "dist" / "katex.js",
)
NODE_TIME_LIMIT_S = 120
_LEFT = re.compile(r"\\left(?![A-Za-z])")
_RIGHT = re.compile(r"\\right(?![A-Za-z])")
# The delimiters math.js hands to KaTeX's auto-render, longest first so `$$` wins over `$`.
DELIMITERS = (("$$", "$$", True), ("\\[", "\\]", True), ("\\(", "\\)", False), ("$", "$", False))


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool
    file: str
    line: int


def extract_formulas(text: MathText, errors: list[BankError]) -> list[Formula]:
    """The formulas in `text`; an unclosed delimiter is an error at the line where it opens."""
    formulas: list[Formula] = []
    position = 0
    while position < len(text.text):
        opening = _next_opening(text.text, position)
        if opening is None:
            break
        start, left, right, display = opening
        end = text.text.find(right, start + len(left))
        line = text.where.line + text.text.count("\n", 0, start)
        if end < 0:
            errors.append(BankError(text.where.file, line, f"math opened with {left!r} is never closed"))
            break
        formulas.append(Formula(text.text[start + len(left) : end], display, text.where.file, line))
        position = end + len(right)
    return formulas


def _next_opening(text: str, position: int) -> tuple[int, str, str, bool] | None:
    best: tuple[int, str, str, bool] | None = None
    for left, right, display in DELIMITERS:
        index = _find_unescaped(text, left, position)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, left, right, display)
    return best


def _find_unescaped(text: str, needle: str, position: int) -> int:
    index = text.find(needle, position)
    # A `\$` is a literal dollar sign, not math.
    while needle.startswith("$") and index > 0 and text[index - 1] == "\\":
        index = text.find(needle, index + 1)
    return index


def check_formulas(formulas: list[Formula]) -> list[BankError]:
    """KaTeX's verdict on each formula, or the balanced-delimiter fallback with one warning."""
    if not formulas:
        return []
    node, build = shutil.which("node"), _katex_build()
    if node is None or build is None:
        missing = "node" if node is None else "KaTeX (run scripts/vendor-assets)"
        warning = BankError("<latex>", 1, f"{missing} not found: only checked balanced braces", "warning")
        return [warning, *balanced_delimiter_errors(formulas)]
    return _run_katex(node, build, formulas)


def _katex_build() -> Path | None:
    return next((path for path in KATEX_BUILDS if path.exists()), None)


def _run_katex(node: str, build: Path, formulas: list[Formula]) -> list[BankError]:
    payload = [{"id": i, "tex": f.tex, "display": f.display} for i, f in enumerate(formulas)]
    try:
        completed = subprocess.run(
            [node, str(KATEX_SCRIPT), str(build)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=NODE_TIME_LIMIT_S,
            check=False,
        )
        rejected = json.loads(completed.stdout) if completed.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        rejected = None
    if rejected is None:
        warning = BankError("<latex>", 1, "running KaTeX failed: only checked balanced braces", "warning")
        return [warning, *balanced_delimiter_errors(formulas)]
    return [_katex_error(formulas[entry["id"]], entry["error"]) for entry in rejected]


def _katex_error(formula: Formula, reason: str) -> BankError:
    shown = formula.tex if len(formula.tex) <= 60 else formula.tex[:57] + "..."
    return BankError(formula.file, formula.line, f"KaTeX cannot parse ${shown}$: {reason}")


def balanced_delimiter_errors(formulas: Iterable[Formula]) -> list[BankError]:
    """Errors for formulas whose braces or \\left/\\right pairs do not balance."""
    errors = []
    for formula in formulas:
        problem = _imbalance(formula.tex)
        if problem:
            errors.append(
                BankError(formula.file, formula.line, f"unbalanced LaTeX in ${formula.tex}$: {problem}")
            )
    return errors


def _imbalance(tex: str) -> str:
    depth = 0
    unescaped = tex.replace("\\\\", "").replace("\\{", "").replace("\\}", "")
    for character in unescaped:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return "a `}` closes nothing"
    if depth:
        return "a `{` is never closed"
    if len(_LEFT.findall(tex)) != len(_RIGHT.findall(tex)):
        return "\\left and \\right do not pair up"
    return ""
