"""Flashcard review, a module per concern: the due queue (`queue`), rating a card (`rating`), undo (`undo`),
what a graded drill does to the queue (`drill_hooks`), typed answers (`typed_answers`), and the card states
they share (`states`).

`quizapp.srs` computes a rating's outcome; these modules apply it to the person's CardState, always
filtered by the person's id so nobody can touch another's schedule. The names below are the room's API.
"""

from quizapp.services.review.drill_hooks import make_card_due_now, record_drill_pass
from quizapp.services.review.queue import (
    Counts,
    Queue,
    QueuedCard,
    card_for_review,
    due_queue,
    new_cards_left_today,
    next_new_cards,
    topic_counts,
)
from quizapp.services.review.rating import MAX_STORED_DURATION_MS, ReviewResult, review_card
from quizapp.services.review.states import (
    apply_state,
    live_card,
    require_topic,
    snapshot,
    to_memory_state,
    user_scheduler,
)
from quizapp.services.review.typed_answers import check_typed_answer, typed_answers_enabled
from quizapp.services.review.undo import UndoResult, undo_last_review

__all__ = [
    "MAX_STORED_DURATION_MS",
    "Counts",
    "Queue",
    "QueuedCard",
    "ReviewResult",
    "UndoResult",
    "apply_state",
    "card_for_review",
    "check_typed_answer",
    "due_queue",
    "live_card",
    "make_card_due_now",
    "new_cards_left_today",
    "next_new_cards",
    "record_drill_pass",
    "require_topic",
    "review_card",
    "snapshot",
    "to_memory_state",
    "topic_counts",
    "typed_answers_enabled",
    "undo_last_review",
    "user_scheduler",
]
