"""The review room's refusal: what a person must change, with the HTTP status that fits."""

from __future__ import annotations


class ReviewError(Exception):
    """A request the person must change: `status` is the HTTP status that fits, `message` says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
