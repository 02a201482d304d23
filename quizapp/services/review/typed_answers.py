"""Typed answers: numeric and symbolic cards checked against their answer spec (quizapp.answers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quizapp.models import Card
from quizapp.services.errors import ServiceError
from quizapp.services.review.states import live_card
from quizapp.srs import new_card_order

if TYPE_CHECKING:
    from quizapp.answers import AnswerCheck

TYPED_KINDS = new_card_order.TYPED_KINDS


def typed_answers_enabled(card: Card) -> bool:
    """Numeric and symbolic cards with an answer spec take a typed answer."""
    return card.kind in TYPED_KINDS and bool(card.answer)


def check_typed_answer(card_slug: str, typed: str) -> AnswerCheck:
    """Check a typed answer against the card's answer spec. Never raises for what the person typed (the
    checker turns bad input into a wrong answer with a reason)."""
    # Imported here: SymPy loads with the first typed answer, not with the app (test_cold_start.py).
    from quizapp.answers import check_answer

    card = live_card(card_slug)
    if not typed_answers_enabled(card):
        raise ServiceError(422, f"Card {card_slug!r} takes no typed answer; reveal it and rate yourself.")
    if len(typed) > MAX_TYPED_ANSWER:
        raise ServiceError(422, f"Keep the answer under {MAX_TYPED_ANSWER} characters.")
    return check_answer(card.kind, card.answer or {}, typed)


MAX_TYPED_ANSWER = 500
