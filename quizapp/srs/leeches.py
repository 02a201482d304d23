"""Leeches, as Anki defines them: a card that keeps lapsing. Pure rule, no database."""

from __future__ import annotations

DEFAULT_LEECH_THRESHOLD = 8  # Anki's default
LEECH_THRESHOLD_MIN, LEECH_THRESHOLD_MAX = 1, 99


def becomes_leech(lapses_before: int, lapses_after: int, threshold: int) -> bool:
    """True when this rating's lapse makes the card a leech: on reaching the threshold, then (as Anki does)
    again every half threshold after it, so unsuspending a leech that keeps lapsing suspends it again."""
    if lapses_after <= lapses_before or lapses_after < threshold:
        return False
    return (lapses_after - threshold) % max(threshold // 2, 1) == 0
