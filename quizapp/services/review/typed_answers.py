"""Typed answers: numeric and symbolic cards checked against their answer spec (quizapp.answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quizapp.models import Card
from quizapp.services.review.errors import ReviewError
from quizapp.services.review.states import live_card
from quizapp.srs import new_card_order

TYPED_KINDS = new_card_order.TYPED_KINDS


def typed_answers_enabled(card: Card) -> bool:
    """Numeric and symbolic cards take a typed answer when the answer checker is installed."""
    return card.kind in TYPED_KINDS and bool(card.answer) and _answer_checker() is not None


def check_typed_answer(card_slug: str, typed: str) -> Any:
    """Check a typed answer against the card's answer spec: a quizapp.answers.AnswerCheck. Never raises
    for what the person typed (the checker turns bad input into a wrong answer with a reason)."""
    card = live_card(card_slug)
    checker = _answer_checker()
    if checker is None or not typed_answers_enabled(card):
        raise ReviewError(422, f"Card {card_slug!r} takes no typed answer; reveal it and rate yourself.")
    if len(typed) > MAX_TYPED_ANSWER:
        raise ReviewError(422, f"Keep the answer under {MAX_TYPED_ANSWER} characters.")
    return checker(card.kind, card.answer or {}, typed)


MAX_TYPED_ANSWER = 500


def _answer_checker() -> Callable[[str, dict[str, Any], str], Any] | None:
    try:
        from quizapp.answers import check_answer
    except ImportError:
        return None
    return check_answer
