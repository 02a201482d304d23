"""Every operation of the JSON API fuzzed from its own OpenAPI document (GET /api/openapi.json) with
Schemathesis, on SQLite and PostgreSQL, as a logged-in person sending the page's CSRF token: valid and
invalid requests alike never get a 5xx, and every answer (status, content type, body) is one the document
describes. Examples per operation are bounded so that the whole fuzz stays well under a minute."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.accounts import sign_up

from quizapp.api.spec import openapi_document

EXAMPLES_PER_RUN = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Generated slugs almost never name a real card or drill: runs with these reach the services' deeper paths.
KNOWN_SLUGS = {
    "/api/cards/{slug}/check": ["ema-window", "ema-window-formula", "adam-beta-roles"],
    "/api/drills/{slug}/submissions": ["adam"],
    "/api/drills/{slug}/runs": ["adam"],
    "/api/drills/{slug}/solution": ["adam"],
    "/api/drills/{slug}/solution/unlock": ["adam"],
    "/api/progress/{topic}": ["adam-family"],
}


@pytest.fixture
def session_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    """The question bank loaded, a person signed up, CSRF on: the cookie and token a browser would send."""
    result = app.test_cli_runner().invoke(args=["questions", "load"])
    assert result.exit_code == 0, result.output
    sign_up(client, "fuzz")
    app.config["WTF_CSRF_ENABLED"] = True  # CSRFProtect reads the setting on each request
    page = client.get("/review").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return {"Cookie": f"session={cookie.value}", "X-CSRFToken": token}


def test_the_document_lists_every_api_route(app: Flask) -> None:
    """An operation missing from the document would escape validation and fuzzing alike."""
    documented = {
        (path, method.upper()) for path, item in openapi_document()["paths"].items() for method in item
    }
    routed = {
        (re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_the_document_is_served_publicly_and_is_valid_openapi(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.json["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(response.json)  # raises on a document it cannot use


def test_every_api_operation_survives_fuzzing(app: Flask, session_headers: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {
        f"{method.upper()} {path}" for path, item in openapi_document()["paths"].items() for method in item
    }
    # Loaded through the app, Schemathesis leaves out the operation that serves the document itself.
    assert {operation.label for operation in operations} == documented - {"GET /api/openapi.json"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, session_headers)
        for slug in KNOWN_SLUGS.get(operation.path, []):
            name = next(iter(operation.path_parameters)).name
            _fuzz(operation, GenerationMode.POSITIVE, session_headers, path_parameters={name: slug})


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], **fixed: Any) -> None:
    if mode is GenerationMode.NEGATIVE and not (operation.body or list(operation.iter_parameters())):
        return  # nothing in the request can be made invalid

    @settings(
        max_examples=EXAMPLES_PER_RUN,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
