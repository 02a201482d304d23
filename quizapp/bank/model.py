"""Typed records of the question bank as written in `questions/`: topics, cards, drills, coverage items.

Every record keeps the file and line it came from so errors can point at them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

CARD_KINDS = ("basic", "numeric", "symbolic", "code")
TAGS = (
    "interview-question",
    "trap",
    "rapid-fire",
    "practice",
    "mistake",
    "update-rule",
    "default",
    "concept",
)


def content_version(kind: str, front: str, back: str, answer: dict[str, Any] | None) -> str:
    """A short hash of what a learner sees and is judged against: it changes whenever a fix does."""
    content = json.dumps([kind, front.strip(), back.strip(), answer], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BankError:
    """One problem in the bank, printed as `file:line: message`. Warnings do not fail the check."""

    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class Located:
    """Where something was written: a file (relative to the questions folder) and a 1-based line."""

    file: str
    line: int


@dataclass(frozen=True)
class SourceRef:
    seed: str
    section: str
    where: Located


@dataclass(frozen=True)
class MathText:
    """A text field that may hold LaTeX, as written (`where.line`: the line its text starts on)."""

    text: str
    where: Located


@dataclass(frozen=True)
class AnswerExample:
    """A typed answer the bank expects the checker to accept (or reject), with where it was written."""

    text: str
    where: Located


@dataclass(frozen=True)
class CardSpec:
    slug: str
    topic: str
    kind: str
    front: MathText
    back: MathText
    source: SourceRef
    tags: tuple[str, ...]
    position: int
    where: Located
    answer: dict[str, Any] | None = None
    answer_where: Located | None = None
    drill: str | None = None
    # Natural forms of the right answer and common wrong ones, run through the review page's checker.
    accept: tuple[AnswerExample, ...] = ()
    reject: tuple[AnswerExample, ...] = ()

    def answer_for_storage(self) -> dict[str, Any] | None:
        """The answer spec as the review service receives it (numeric units travel inside it)."""
        return dict(self.answer) if self.answer is not None else None


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    description: str
    position: int
    cards: tuple[CardSpec, ...]
    where: Located


@dataclass(frozen=True)
class GradingPlan:
    """How a drill is graded: the problems (by name), steps per case, the non-default hyper-parameter values
    used, the library optimizers that are off limits and the longest submission accepted."""

    problems: tuple[str, ...]
    steps: int
    values: dict[str, Any]
    forbidden: tuple[str, ...]
    max_lines: int = 200


@dataclass(frozen=True)
class DrillSpec:
    """One coding drill as written in `<questions>/drills/<slug>.yaml`: what a person sees (prompt, starters,
    hints, the reference solution shown after the drill), what the grader needs (`grading`, conventions)
    and where each part was written."""

    slug: str
    topic: str
    title: str
    position: int
    prompt: str
    starter: dict[str, str]
    frameworks: tuple[str, ...]
    cards: tuple[tuple[str, Located], ...]
    hints: tuple[str, ...]
    hyperparameters: dict[str, Any]
    conventions: dict[str, str]
    source: SourceRef
    grading: GradingPlan = field(repr=False)
    # A readable from-scratch submission per framework, shown once the person has passed (or asked for it).
    solution: dict[str, str] = field(repr=False)
    where: Located = field(repr=False)
    # The prompt and hints as written, with their lines: the pages render their math with KaTeX.
    texts: tuple[MathText, ...] = field(repr=False)

    @property
    def card_slugs(self) -> tuple[str, ...]:
        """The linked cards, the drill's own code card first."""
        return tuple(slug for slug, _ in self.cards)


@dataclass(frozen=True)
class CoverageItem:
    seed: str
    item: str
    kind: str
    cards: tuple[tuple[str, Located], ...]
    where: Located


@dataclass(frozen=True)
class Bank:
    topics: tuple[Topic, ...] = ()
    drills: tuple[DrillSpec, ...] = ()
    coverage: tuple[CoverageItem, ...] = ()

    @property
    def cards(self) -> tuple[CardSpec, ...]:
        return tuple(card for topic in self.topics for card in topic.cards)

    def counts(self) -> dict[str, int]:
        by_kind = {kind: sum(card.kind == kind for card in self.cards) for kind in CARD_KINDS}
        return {
            "topics": len(self.topics),
            "cards": len(self.cards),
            **by_kind,
            "drills": len(self.drills),
            "coverage items": len(self.coverage),
        }
