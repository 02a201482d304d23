"""How well a scheduler's weights predict a person's own reviews: the log loss a weight fit is judged by.

Pure: `services/scheduler_tuning.py` loads the ratings and decides whether fitted weights are kept.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fsrs import Card as FsrsCard
from fsrs import Rating

from quizapp.srs.scheduling import scheduler_for

# Predictions are kept off exactly 0 and 1, where one review would make the loss infinite.
PROBABILITY_FLOOR = 1e-7


@dataclass(frozen=True)
class RatingEvent:
    """One rating of one card, as the FSRS optimizer sees it."""

    card_key: str
    rating: int
    at: dt.datetime


def scheduler_log_loss(
    events: Sequence[RatingEvent], parameters: Sequence[float] | None
) -> tuple[float, int]:
    """Mean binary cross-entropy of FSRS's recall predictions on a person's reviews, and how many were scored.

    Each card's history is replayed with `parameters`; as in fsrs's optimizer, only reviews at least a day
    after the card's previous review are scored (same-day repeats say little about long-term memory).
    """
    scheduler = scheduler_for(parameters=parameters, fuzz=False)
    histories: dict[str, list[RatingEvent]] = defaultdict(list)
    for event in events:
        histories[event.card_key].append(event)
    total, scored = 0.0, 0
    for history in histories.values():
        history.sort(key=lambda event: event.at)
        card = FsrsCard(card_id=1, due=history[0].at)  # fsrs sleeps 1 ms to invent an id when none is given
        for event in history:
            if card.last_review is not None and (event.at - card.last_review).days > 0:
                predicted = scheduler.get_card_retrievability(card, event.at)
                predicted = min(max(predicted, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR)
                recalled = event.rating > Rating.Again
                total -= math.log(predicted if recalled else 1 - predicted)
                scored += 1
            card, _ = scheduler.review_card(card, Rating(event.rating), event.at)
    return (total / scored if scored else math.nan), scored


def long_term_review_count(events: Sequence[RatingEvent]) -> int:
    """Reviews at least a day after the same card's previous review: what fsrs's optimizer learns from."""
    last_seen: dict[str, dt.datetime] = {}
    count = 0
    for event in sorted(events, key=lambda event: event.at):
        previous = last_seen.get(event.card_key)
        if previous is not None and (event.at - previous).days > 0:
            count += 1
        last_seen[event.card_key] = event.at
    return count
