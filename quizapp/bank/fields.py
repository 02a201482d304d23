"""Field readers shared by every file of the bank (topics, drills, coverage): each reads one value of a
line-aware YAML mapping and records a `file:line: message` error instead of raising."""

from __future__ import annotations

import re
from pathlib import Path

from quizapp.bank.model import BankError, Located, MathText, SourceRef
from quizapp.bank.yamlfile import LineDict, LineList, read_yaml

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The database keeps a card's seed and section in columns of this size (models.Card.source_*).
MAX_SOURCE_CHARS = 200


class FileErrors:
    """Collects errors for one file; `at(line, message)` records one."""

    def __init__(self, name: str, sink: list[BankError]) -> None:
        self.name = name
        self.sink = sink

    def at(self, line: int, message: str) -> None:
        self.sink.append(BankError(self.name, line, message))

    def where(self, line: int) -> Located:
        return Located(self.name, line)


def load_mapping(path: Path, errors: FileErrors) -> LineDict | None:
    """The file's top-level mapping, or None with the reason recorded."""
    document, problems = read_yaml(path)
    for problem in problems:
        errors.at(problem.line, problem.message)
    if document is None:
        if not problems:
            errors.at(1, "the file is empty")
        return None
    if not isinstance(document, LineDict):
        errors.at(1, "the file must hold a mapping at the top level")
        return None
    return document


def unknown_keys(raw: LineDict, allowed: set[str], errors: FileErrors, what: str) -> None:
    for key in raw:
        if key not in allowed:
            errors.at(
                raw.line_of(key), f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})"
            )


def mapping(raw: LineDict, key: str, errors: FileErrors, *, required: bool) -> LineDict | None:
    value = raw.get(key)
    if isinstance(value, LineDict):
        return value
    if value is not None or required:
        errors.at(raw.line_of(key), f"`{key}` must be a mapping")
    return None


def text(raw: LineDict, key: str, errors: FileErrors, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is not None or required:
        errors.at(raw.line_of(key), f"`{key}` must be non-empty text")
    return None


def math_text(raw: LineDict, key: str, errors: FileErrors) -> MathText | None:
    """A text that may hold LaTeX, kept as written with the line its text starts on."""
    if text(raw, key, errors) is None:
        return None
    return MathText(str(raw[key]), errors.where(raw.text_line_of(key)))


def integer(raw: LineDict, key: str, errors: FileErrors) -> int | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    errors.at(raw.line_of(key), f"`{key}` must be a whole number")
    return None


def slug(raw: LineDict, errors: FileErrors) -> str | None:
    value = raw.get("slug")
    if isinstance(value, str) and SLUG.match(value):
        return value
    errors.at(raw.line_of("slug"), f"`slug` must be lowercase letters, digits and hyphens, not {value!r}")
    return None


def choice(raw: LineDict, key: str, allowed: tuple[str, ...], errors: FileErrors) -> str | None:
    value = raw.get(key)
    if value in allowed:
        return str(value)
    errors.at(raw.line_of(key), f"`{key}` must be one of {', '.join(allowed)}, not {value!r}")
    return None


def slug_list(raw: LineDict, key: str, errors: FileErrors) -> tuple[tuple[str, Located], ...] | None:
    value = raw.get(key)
    if not isinstance(value, LineList) or not all(isinstance(item, str) for item in value):
        errors.at(raw.line_of(key), f"`{key}` must be a list of card slugs")
        return None
    return tuple((item, errors.where(value.line_of(i))) for i, item in enumerate(value))


def source(raw: LineDict, errors: FileErrors) -> SourceRef | None:
    """`source: {seed: <file name>, section: <a whole line of it>}`."""
    value = mapping(raw, "source", errors, required=True)
    if value is None:
        return None
    unknown_keys(value, {"seed", "section"}, errors, "source")
    seed = text(value, "seed", errors)
    section = text(value, "section", errors)
    if seed is None or section is None:
        return None
    if len(section) > MAX_SOURCE_CHARS or len(seed) > MAX_SOURCE_CHARS:
        errors.at(raw.line_of("source"), f"a source's seed and section fit in {MAX_SOURCE_CHARS} characters")
        return None
    return SourceRef(seed, section, errors.where(raw.line_of("source")))
