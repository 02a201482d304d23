"""The review queue's order before an interview: due cards by predicted recall on the interview day.

Pure: `services/review.py` loads the person's cards as CardSnapshots and shows the first card of this order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from quizapp.srs.scheduling import CardSnapshot, MemoryState, retrievability, scheduler_for

# The interview is taken to start at this local hour; recall is projected to that moment.
INTERVIEW_HOUR = 9


def interview_moment(interview_date: dt.date, zone: ZoneInfo) -> dt.datetime:
    """When the interview starts: INTERVIEW_HOUR o'clock on its day in the person's time zone."""
    return dt.datetime.combine(interview_date, dt.time(INTERVIEW_HOUR), tzinfo=zone)


def order_for_interview(
    cards: Iterable[CardSnapshot],
    interview_at: dt.datetime,
    desired_retention: float,
    include_not_due: bool,
    *,
    now: dt.datetime,
    parameters: Sequence[float] | None = None,
) -> list[CardSnapshot]:
    """Due cards ordered by predicted recall on the interview day, lowest first.

    With `include_not_due`, cards not yet due whose recall would fall below `desired_retention` by the
    interview are pulled in too. Never-reviewed cards are left to the new-card queue. An interview in the
    past orders by recall now.
    """
    scheduler = scheduler_for(desired_retention, parameters, fuzz=False)
    at = max(interview_at, now)
    chosen: list[tuple[float, dt.datetime, str, CardSnapshot]] = []
    for card in cards:
        memory: MemoryState | None = card.memory
        if memory is None:
            continue
        recall = retrievability(memory, at, scheduler)
        if memory.due <= now or (include_not_due and recall < desired_retention):
            chosen.append((recall, memory.due, card.slug, card))
    chosen.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in chosen]
