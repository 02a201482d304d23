"""Spaced-repetition scheduling: a thin, pure layer over the fsrs package (FSRS-6).

No Flask and no SQL here: `services/` loads rows into these dataclasses and applies the results. Beside the
scheduling core (this package's names): `dashboard` (progress statistics), `interview_order` (the review
order before an interview), `log_loss` (how well weights fit), `daily_plan`, `new_card_order`,
`mock_interview`, `leeches`.
"""

from quizapp.srs.scheduling import (
    LEARN_AHEAD,
    STATE_NAMES,
    CardSnapshot,
    MemoryState,
    Rating,
    ReviewOutcome,
    compute_review,
    interval_label,
    local_day_window,
    parse_rating,
    preview_intervals,
    retrievability,
    scheduler_for,
    state_name,
)

__all__ = [
    "LEARN_AHEAD",
    "STATE_NAMES",
    "CardSnapshot",
    "MemoryState",
    "Rating",
    "ReviewOutcome",
    "compute_review",
    "interval_label",
    "local_day_window",
    "parse_rating",
    "preview_intervals",
    "retrievability",
    "scheduler_for",
    "state_name",
]
