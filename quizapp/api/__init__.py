"""The JSON API under /api: the same services as the pages, JSON errors only.

One module per area (review.py, submissions.py), each with its own blueprint that `protect` guards; every
operation is described in openapi.yaml (served by spec.py at /api/openapi.json), against which
validation.py checks each request. Errors, the services' ServiceError included, are answered app-wide by
quizapp/errors.py.
"""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user

from quizapp.api.validation import validate_request
from quizapp.errors import NOT_LOGGED_IN, error_response


def require_login() -> tuple[Response | str, int] | None:
    """The before_request hook of the API: 401 for an anonymous request, before anything reads its body."""
    if not current_user.is_authenticated:
        return error_response(401, NOT_LOGGED_IN)
    return None


def protect(bp: Blueprint) -> Blueprint:
    """Every request to `bp` needs a login (401), then must match the OpenAPI document (400); in this order,
    so that an anonymous request learns nothing about the request shapes."""
    bp.before_request(require_login)
    bp.before_request(validate_request)
    return bp
