"""The drill schema: one YAML file per drill in `<questions>/drills/`, read into typed `DrillSpec`s.

One reader for everyone: `quizapp questions check` reports what is wrong as `file:line: message`, and
`load_drills(questions_dir)` hands the pages, the grading jobs and `quizapp grade` the same specs.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Any

from quizapp.bank import fields
from quizapp.bank.fields import FileErrors
from quizapp.bank.model import BankError, DrillSpec, GradingPlan, MathText
from quizapp.bank.yamlfile import LineDict, LineList

FRAMEWORKS = ("numpy", "torch")
DRILLS_FOLDER = "drills"
DRILL_KEYS = {
    "slug",
    "topic",
    "title",
    "position",
    "prompt",
    "hints",
    "starter",
    "solution",
    "cards",
    "hyperparameters",
    "conventions",
    "source",
    "grading",
}
GRADING_KEYS = {"problems", "steps", "values", "forbidden", "max_lines"}
DEFAULT_MAX_LINES = 200
# Every step of every case is run by the reference and stored in the verdict: a bank cannot ask for hours.
MAX_STEPS = 1000


class DrillFileError(ValueError):
    """Drill files that do not follow the schema; `errors` holds each one as `file:line: message`."""

    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def load_drills(questions_dir: Path | str) -> dict[str, DrillSpec]:
    """The drills of the bank in `questions_dir`, keyed by slug in position order ({} without a drills
    folder); DrillFileError listing every error when a file is wrong. The files are read again only when
    one of them changes (name, size or modification time), so callers may ask on every request."""
    folder = Path(questions_dir).absolute()
    return _load_drills(folder, _stamp(drill_paths(folder)))


def drill_paths(questions_dir: Path) -> list[Path]:
    """The drill files of the bank in `questions_dir`, by file name."""
    return sorted((questions_dir / DRILLS_FOLDER).glob("*.yaml"))


def _stamp(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    stamp = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:  # gone since the listing: reading it reports the problem
            stamp.append((path.name, -1, -1))
        else:
            stamp.append((path.name, status.st_mtime_ns, status.st_size))
    return tuple(stamp)


@lru_cache(maxsize=8)
def _load_drills(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> dict[str, DrillSpec]:
    errors: list[BankError] = []
    specs = read_drills(folder, errors)
    if errors:
        raise DrillFileError(errors)
    return {spec.slug: spec for spec in sorted(specs, key=lambda s: (s.position, s.slug))}


def read_drills(questions_dir: Path, errors: list[BankError]) -> list[DrillSpec]:
    """Every drill file under `questions_dir`, by file name; what is wrong goes to `errors` (and the file
    is left out)."""
    specs = []
    for path in drill_paths(questions_dir):
        spec = read_drill_file(path, FileErrors(f"{DRILLS_FOLDER}/{path.name}", errors))
        if spec is not None:
            specs.append(spec)
    return specs


def read_drill_file(path: Path, errors: FileErrors) -> DrillSpec | None:
    """One drill file, or None with every problem recorded against its line."""
    document = fields.load_mapping(path, errors)
    if document is None:
        return None
    fields.unknown_keys(document, DRILL_KEYS, errors, "a drill")
    parts: dict[str, Any] = {
        "slug": _drill_slug(document, path, errors),
        "topic": fields.text(document, "topic", errors),
        "title": fields.text(document, "title", errors),
        "position": fields.integer(document, "position", errors),
        "prompt": fields.text(document, "prompt", errors),
        "starter": _code_by_framework(document, "starter", errors, required=True),
        "cards": fields.slug_list(document, "cards", errors),
        "hints": _hints(document, errors),
        "hyperparameters": _values(document, "hyperparameters", errors, required=True),
        "conventions": _conventions(document, errors),
        "source": fields.source(document, errors),
        "grading": _grading(document, errors),
        "solution": _code_by_framework(document, "solution", errors, required=False),
    }
    if any(value is None for value in parts.values()):
        return None
    return DrillSpec(
        **parts,
        frameworks=tuple(framework for framework in FRAMEWORKS if framework in parts["starter"]),
        where=errors.where(document.line),
        texts=_texts(document, errors),
    )


def _drill_slug(document: LineDict, path: Path, errors: FileErrors) -> str | None:
    slug = fields.slug(document, errors)
    if slug and slug != path.stem:
        errors.at(document.line_of("slug"), f"drill slug {slug!r} must equal the file name {path.stem!r}")
        return None
    return slug


def _code_by_framework(
    document: LineDict, key: str, errors: FileErrors, *, required: bool
) -> dict[str, str] | None:
    """`starter:` / `solution:`: `{numpy: <code>, torch: <code>}` (at least one), each valid Python."""
    if document.get(key) is None and not required:
        return {}
    raw = fields.mapping(document, key, errors, required=True)
    if raw is None:
        return None
    fields.unknown_keys(raw, set(FRAMEWORKS), errors, key)
    code = {}
    for framework in FRAMEWORKS:
        if fields.text(raw, framework, errors, required=False) is None:
            continue
        code[framework] = raw[framework]
        try:
            ast.parse(raw[framework])
        except SyntaxError as exc:
            line = raw.text_line_of(framework) + (exc.lineno or 1) - 1  # the offending line itself
            errors.at(line, f"the {framework} {key} is not valid Python: {exc.msg}")
    if not code:
        errors.at(document.line_of(key), f"`{key}` must map {' and/or '.join(FRAMEWORKS)} to code")
        return None
    return code


def _hints(document: LineDict, errors: FileErrors) -> tuple[str, ...] | None:
    hints = document.get("hints")
    if not isinstance(hints, LineList):
        errors.at(document.line_of("hints"), "`hints` must be a list of texts")
        return None
    wrong = [index for index, hint in enumerate(hints) if not isinstance(hint, str) or not hint.strip()]
    for index in wrong:  # `- Note: more` is a mapping to YAML: the hint needs quotes or `>-`
        errors.at(hints.line_of(index), "each hint must be text (quote a hint that holds `: `)")
    return None if wrong else tuple(hint.strip() for hint in hints)


def _values(raw: LineDict, key: str, errors: FileErrors, *, required: bool) -> dict[str, Any] | None:
    """A mapping of hyper-parameter names to values, as plain dicts and lists."""
    if raw.get(key) is None and not required:
        return {}
    value = fields.mapping(raw, key, errors, required=True)
    if value is None:
        return None
    if not all(isinstance(name, str) for name in value):
        errors.at(raw.line_of(key), f"`{key}` must map hyper-parameter names to values")
        return None
    return _plain(value)


def _plain(value: Any) -> Any:
    """The value without the line bookkeeping of the YAML reader."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _conventions(document: LineDict, errors: FileErrors) -> dict[str, str] | None:
    conventions = fields.mapping(document, "conventions", errors, required=True)
    if conventions is None:
        return None
    if not all(isinstance(name, str) and isinstance(rule, str) for name, rule in conventions.items()):
        errors.at(document.line_of("conventions"), "`conventions` must map convention names to rules")
        return None
    return dict(conventions)


def _grading(document: LineDict, errors: FileErrors) -> GradingPlan | None:
    """`grading: {problems: [...], steps: N, values: {...}, forbidden: [...], max_lines: N}`."""
    raw = fields.mapping(document, "grading", errors, required=True)
    if raw is None:
        return None
    fields.unknown_keys(raw, GRADING_KEYS, errors, "grading")
    problems = _names(raw, "problems", errors, required=True)
    steps = _bounded(raw, "steps", errors, MAX_STEPS)
    values = _values(raw, "values", errors, required=False)
    forbidden = _names(raw, "forbidden", errors, required=False)
    max_lines = _bounded(raw, "max_lines", errors, None) if "max_lines" in raw else DEFAULT_MAX_LINES
    if problems is None or steps is None or values is None or forbidden is None or max_lines is None:
        return None
    return GradingPlan(problems, steps, values, forbidden, max_lines)


def _names(raw: LineDict, key: str, errors: FileErrors, *, required: bool) -> tuple[str, ...] | None:
    value = raw.get(key)
    if value is None and not required:
        return ()
    named = isinstance(value, LineList) and all(isinstance(name, str) and name for name in value)
    if not named or (required and not value):
        errors.at(raw.line_of(key), f"`{key}` must be a {'non-empty ' if required else ''}list of names")
        return None
    return tuple(value)


def _bounded(raw: LineDict, key: str, errors: FileErrors, most: int | None) -> int | None:
    """A whole number from 1 to `most` (no upper bound with None)."""
    value = fields.integer(raw, key, errors)
    if value is None:
        return None
    if value < 1 or (most is not None and value > most):
        limit = f"from 1 to {most}" if most is not None else "positive"
        errors.at(raw.line_of(key), f"`{key}` must be {limit}")
        return None
    return value


def _texts(document: LineDict, errors: FileErrors) -> tuple[MathText, ...]:
    """The drill's prompt and hints as written: the pages render their math with KaTeX too."""
    texts = [MathText(document["prompt"], errors.where(document.text_line_of("prompt")))]
    hints = document["hints"]
    texts += [MathText(hint, errors.where(hints.line_of(i))) for i, hint in enumerate(hints)]
    return tuple(texts)
