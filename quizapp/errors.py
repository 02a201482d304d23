"""Error pages for people, JSON errors for the API: never a traceback in either.

Every error is answered here, app-wide: HTTP errors, CSRF failures, unexpected exceptions and the services'
one error type (`quizapp.services.errors.ServiceError`). Under /api/ (or for a client that asks for JSON)
the answer is `{"error": {"status", "message"}}`, the OpenAPI document's Error response; otherwise the
error page.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from quizapp.services.errors import ServiceError

# What an anonymous request to a protected page or API endpoint is told (JSON 401 or the login page).
NOT_LOGGED_IN = "You are not logged in. Log in at /auth/login, then retry."


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(
            400,
            f"The form's security token is missing or expired ({exc.description}). "
            "Reload the page and try again.",
        )

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> tuple[Response | str, int]:
        """A request the person must change: nothing it wrote stays, the message says what to do."""
        from quizapp.extensions import db

        db.session.rollback()
        return error_response(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
        body, status = error_response(exc.code or 500, exc.description or exc.name)
        return body, status, _protocol_headers(exc)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> tuple[Response | str, int]:
        app.logger.exception("unhandled error on %s", request.path)
        from quizapp.extensions import db

        db.session.rollback()
        return error_response(500, InternalServerError.description)


def _protocol_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """Headers clients act on, such as `Allow` on a 405; the error's own HTML content type is dropped."""
    return [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
