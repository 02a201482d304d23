"""Spaced-repetition scheduling: a thin, pure layer over the fsrs package (FSRS-6).

No Flask and no SQL here: `services/review.py` loads rows into these dataclasses and applies the results.
"""

from quizapp.srs.scheduling import (
    LEARN_AHEAD,
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
)

__all__ = [
    "LEARN_AHEAD",
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
]
