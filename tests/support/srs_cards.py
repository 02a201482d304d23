"""Cards for the pure srs tests: review-state snapshots whose recall is worked out by hand, and new cards."""

from __future__ import annotations

import datetime as dt

from quizapp.srs import CardSnapshot, MemoryState

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a Tuesday
W20 = 0.1542  # FSRS-6 default decay weight


def fsrs6_recall(elapsed_days: float, stability: float) -> float:
    """FSRS-6 forgetting curve written out: R = (1 + F·t/S)^(−w20) with F = 0.9^(−1/w20) − 1."""
    factor = 0.9 ** (-1 / W20) - 1
    return (1 + factor * elapsed_days / stability) ** (-W20)


def review_card(
    slug: str, topic: str = "t1", *, stability: float, days_ago: float, due_in: float
) -> CardSnapshot:
    """A card in the review state, last reviewed `days_ago` before NOW and due `due_in` days after it."""
    memory = MemoryState(
        state=2,
        step=None,
        stability=stability,
        difficulty=5.0,
        due=NOW + dt.timedelta(days=due_in),
        last_review=NOW - dt.timedelta(days=days_ago),
    )
    return CardSnapshot(slug=slug, topic=topic, front=f"front of {slug}", memory=memory)


def new_card(slug: str, topic: str = "t1") -> CardSnapshot:
    return CardSnapshot(slug=slug, topic=topic)
