"""The question bank as a library: parse `questions/` into typed records and check it (no Flask, no DB).

`check_bank(questions_dir, seeds_dir)` lists every problem as `file:line: message`;
`load_drills(questions_dir)` gives the drills' specs to the pages and the grader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quizapp.bank.drills import DrillFileError, load_drills
from quizapp.bank.model import (
    CARD_KINDS,
    TAGS,
    AnswerExample,
    Bank,
    BankError,
    CardSpec,
    CoverageItem,
    DrillSpec,
    GradingPlan,
    Located,
    MathText,
    SourceRef,
    Topic,
)
from quizapp.bank.parse import read_bank

if TYPE_CHECKING:
    from quizapp.bank.check import check_bank, checked_bank

__all__ = [
    "CARD_KINDS",
    "TAGS",
    "AnswerExample",
    "Bank",
    "BankError",
    "CardSpec",
    "CoverageItem",
    "DrillFileError",
    "DrillSpec",
    "GradingPlan",
    "Located",
    "MathText",
    "SourceRef",
    "Topic",
    "check_bank",
    "checked_bank",
    "load_drills",
    "read_bank",
]


def __getattr__(name: str) -> Any:
    # The checker parses every answer with SymPy; loading it lazily keeps the bank's records cheap to import.
    if name in ("check_bank", "checked_bank"):
        from quizapp.bank import check

        return getattr(check, name)
    raise AttributeError(f"module 'quizapp.bank' has no attribute {name!r}")
