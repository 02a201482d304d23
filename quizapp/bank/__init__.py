"""The question bank as a library: parse `questions/` into typed records and check it (no Flask, no DB).

`check_bank(questions_dir, seeds_dir)` lists every problem as `file:line: message`.
"""

from __future__ import annotations

from quizapp.bank.check import check_bank, checked_bank
from quizapp.bank.model import (
    CARD_KINDS,
    TAGS,
    AnswerExample,
    Bank,
    BankError,
    CardSpec,
    CoverageItem,
    DrillEntry,
    Located,
    MathText,
    SourceRef,
    Topic,
)
from quizapp.bank.parse import read_bank

__all__ = [
    "CARD_KINDS",
    "TAGS",
    "AnswerExample",
    "Bank",
    "BankError",
    "CardSpec",
    "CoverageItem",
    "DrillEntry",
    "Located",
    "MathText",
    "SourceRef",
    "Topic",
    "check_bank",
    "checked_bank",
    "read_bank",
]
