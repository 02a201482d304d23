"""The JSON API's OpenAPI document, `openapi.yaml` beside this module: the one description of every
operation, served at GET /api/openapi.json (public) and used by `quizapp.api.validation` to check requests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")

bp = Blueprint("api_spec", __name__, url_prefix="/api")


@cache
def openapi_document() -> dict[str, Any]:
    """The parsed document, read once per process (treat it as read-only)."""
    return yaml.safe_load(DOCUMENT_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def document() -> Response:
    return jsonify(openapi_document())
