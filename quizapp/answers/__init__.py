"""Typed answers for flashcards: numbers checked with a tolerance, expressions checked for equivalence.

Pure library (SymPy, no Flask, no database). Nothing a person types is ever passed to eval().
"""

from __future__ import annotations

from quizapp.answers.checking import AnswerCheck, check_answer
from quizapp.answers.numeric import parse_number
from quizapp.answers.symbolic import AnswerError, parse_expression

__all__ = ["AnswerCheck", "AnswerError", "check_answer", "parse_expression", "parse_number"]
