"""Per-request bookkeeping: a request id (the caller's X-Request-ID when sane, else a new one) returned in
the response, one event line, and the latency histogram, labelled by Flask endpoint, never by raw path."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect

from quizapp.monitoring.logs import log_event
from quizapp.monitoring.metrics import REQUEST_DURATION

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's or client's id may look like to be kept: a UUID, a hex or base64url token, dotted parts.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")
# Any token is a valid HTTP method: others are labelled `other`, so nobody can mint metric series at will.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_ENVIRON_KEY = "quizapp.request_id"
_STARTED_KEY = "quizapp.request_started"


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request (a CLI command, a worker)."""
    if not has_request_context():
        return None
    return _request_id()


def _request_id() -> str:
    # Kept in the WSGI environ, which lives exactly as long as the request (`g` may outlive it).
    environ = request.environ
    if _ENVIRON_KEY not in environ:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        environ[_ENVIRON_KEY] = offered if _SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    return str(environ[_ENVIRON_KEY])


def _start_clock() -> None:
    request.environ[_STARTED_KEY] = time.perf_counter()
    _request_id()


def _finish(response: Response) -> Response:
    started = request.environ.get(_STARTED_KEY, time.perf_counter())
    seconds = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    method = request.method if request.method in _KNOWN_METHODS else "other"
    REQUEST_DURATION.labels(endpoint, method, f"{response.status_code // 100}xx").observe(seconds)
    response.headers[REQUEST_ID_HEADER] = _request_id()
    log_event(
        "request",
        request_id=_request_id(),
        method=method,
        endpoint=endpoint,
        status=response.status_code,
        duration_ms=round(seconds * 1000, 2),
        user_id=_signed_in_user_id(),
    )
    return response


def _signed_in_user_id() -> int | None:
    """The person, if this request already loaded them: never a database query just for the log line.

    Read from the loaded row's identity, not from `user.id`: a view that committed has expired the user's
    attributes, and reading one would load the row again (a pool checkout and two more round trips)."""
    user = g.get("_login_user")
    if not getattr(user, "is_authenticated", False):
        return None
    state = inspect(user, raiseerr=False)
    if state is not None and state.identity is not None:
        return int(state.identity[0])
    return getattr(user, "id", None)


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_finish)
