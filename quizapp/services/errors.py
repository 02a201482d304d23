"""The one error the services raise for a request the person must change.

A service raises `ServiceError(status, message)`; the app answers it in one place (`quizapp.errors`): JSON
`{"error": {"status", "message"}}` under /api/ (the OpenAPI document's Error response), the error page for
people elsewhere. Views catch it only where a page shows the message in place (a form, a flash).
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the person must change: `status` is the HTTP status that fits (400-599), `message` says
    what to do, in words fit to show them."""

    def __init__(self, status: int, message: str) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"A service error's status is an HTTP error status (400-599), not {status}.")
        super().__init__(message)
        self.status = status
        self.message = message
