"""Requests to the JSON API checked against its OpenAPI document before the view runs.

Path and query parameters and the JSON body are validated with jsonschema against the document's schemas
(OpenAPI 3.1 schemas are JSON Schema 2020-12). A request that does not match is answered 400 with every
problem listed, so views and services only ever see the documented shapes. API blueprints install
`validate_request` after their login check: `bp.before_request(validate_request)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Response, request
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.routing import Rule

from quizapp.api.spec import openapi_document
from quizapp.errors import error_response
from quizapp.input_guards import MalformedInput, load_json

DOCUMENT_URI = "urn:quizapp:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_RULE_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query
    required: bool
    integer: bool  # query values arrive as text: convert them before validating
    validator: Draft202012Validator


@dataclass(frozen=True)
class Body:
    required: bool
    example: Any
    validator: Draft202012Validator


@dataclass(frozen=True)
class Operation:
    parameters: tuple[Parameter, ...]
    body: Body | None


class InvalidRequest(Exception):
    """The request's problems, each a sentence fragment naming the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validate_request() -> tuple[Response | str, int] | None:
    """The before_request hook: None when the request matches its operation, else the 400 answer."""
    operation = operation_for(request.url_rule, request.method)
    if operation is None:
        return None
    try:
        check_parameters(operation.parameters)
        if operation.body is not None:
            check_body(operation.body)
    except InvalidRequest as exc:
        return error_response(400, f"The request does not match the API (GET /api/openapi.json): {exc}.")
    return None


def operation_for(rule: Rule | None, method: str) -> Operation | None:
    if rule is None:
        return None
    method = "get" if method == "HEAD" else method.lower()
    return operations().get((_RULE_ARGUMENT.sub(r"{\1}", rule.rule), method))


def check_parameters(parameters: Iterable[Parameter]) -> None:
    """Path parameters as the URL converters made them, query parameters as text (integers converted)."""
    problems = []
    for parameter in parameters:
        label = f"{parameter.location} parameter {parameter.name!r}"
        for value in _values_of(parameter):
            problems += [
                f"{label} {_describe(error)}" for error in _first_per_place(parameter.validator, value)
            ]
        if parameter.required and not _values_of(parameter):
            problems.append(f"{label} is missing")
    if problems:
        raise InvalidRequest(problems)


def _values_of(parameter: Parameter) -> list[Any]:
    if parameter.location == "path":
        view_args = request.view_args or {}
        return [view_args[parameter.name]] if parameter.name in view_args else []
    values: list[Any] = request.args.getlist(parameter.name)
    if parameter.integer:
        values = [
            int(value) if value.isascii() and value.isdigit() and len(value) <= 20 else value
            for value in values
        ]
    return values


def check_body(body: Body) -> None:
    """The JSON body: parsed with the raw guards (depth, NUL), then validated against its schema."""
    raw = request.get_data(cache=True)
    if not raw and not body.required:
        return
    example = json.dumps(body.example)
    if not request.is_json:
        raise InvalidRequest([f"send a JSON object (Content-Type: application/json) like {example}"])
    try:
        payload = load_json(raw)
    except MalformedInput as exc:
        raise InvalidRequest(
            [f"the body is not valid JSON ({exc}); send a JSON object like {example}"]
        ) from None
    if not isinstance(payload, dict):
        raise InvalidRequest([f"send a JSON object like {example}, not {type(payload).__name__}"])
    errors = list(_first_per_place(body.validator, payload))
    missing = [_missing_name(error) for error in errors if error.validator == "required"]
    problems = [f"Missing field(s): {', '.join(missing)}"] if missing else []
    problems += [f"{_field(error)} {_describe(error)}" for error in errors if error.validator != "required"]
    if problems:
        raise InvalidRequest(problems)


def _first_per_place(validator: Draft202012Validator, value: Any) -> Iterator[ValidationError]:
    """The validator's errors, one per place in the value (the first found there), in path order."""
    seen: set[tuple[Any, ...]] = set()
    for error in sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]):
        place = (*error.absolute_path, error.validator == "required" and _missing_name(error))
        if place not in seen:
            seen.add(place)
            yield error


def _missing_name(error: ValidationError) -> str:
    return error.message.split("'")[1] if error.message.count("'") >= 2 else error.message


def _field(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return path.lstrip(".") or "the body"


def _describe(error: ValidationError) -> str:
    """What the value must be, in words, without echoing long values back."""
    limit = error.validator_value
    descriptions = {
        "type": lambda: (
            f"must be {' or '.join(limit) if isinstance(limit, list) else limit}"
            f", not {_json_type(error.instance)}"
        ),
        "enum": lambda: f"must be one of {', '.join(_shown(v) for v in limit)}, not {_shown(error.instance)}",
        "minLength": lambda: (
            "must be a non-empty string" if limit == 1 else f"needs at least {limit} characters"
        ),
        "maxLength": lambda: f"must be at most {limit} characters, not {len(error.instance)}",
        "pattern": lambda: f"must match {limit} (got {_shown(error.instance)})",
        "minimum": lambda: f"must be at least {limit}, not {_shown(error.instance)}",
        "maximum": lambda: f"must be at most {limit}, not {_shown(error.instance)}",
        "additionalProperties": lambda: (
            "has unknown field(s): "
            + ", ".join(
                sorted(str(key) for key in error.instance if key not in error.schema.get("properties", {}))
            )
        ),
        "oneOf": lambda: f"is not one of the allowed forms ({_shown(error.instance)})",
    }
    describe = descriptions.get(str(error.validator))
    return describe() if describe else f"is not valid ({error.validator})"


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}
    return "null" if value is None else names.get(type(value), "an object")


@cache
def operations() -> dict[tuple[str, str], Operation]:
    """Every operation of the document by (path template, method), with its validators built once."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(openapi_document(), DRAFT202012))
    found = {}
    for path, item in openapi_document()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found[(path, method)] = _operation(item[method], ("paths", path, method), registry)
    return found


def _operation(spec: dict[str, Any], at: tuple[str, ...], registry: Registry) -> Operation:
    parameters = tuple(
        _parameter(raw, (*at, "parameters", str(index)), registry)
        for index, raw in enumerate(spec.get("parameters", []))
    )
    if "requestBody" not in spec:
        return Operation(parameters, None)
    media = spec["requestBody"]["content"]["application/json"]
    body = Body(
        required=bool(spec["requestBody"].get("required")),
        example=media.get("example"),
        validator=_validator((*at, "requestBody", "content", "application/json", "schema"), registry),
    )
    return Operation(parameters, body)


def _parameter(raw: dict[str, Any], at: tuple[str, ...], registry: Registry) -> Parameter:
    if "$ref" in raw:
        at = _parts_of(raw["$ref"])
        raw = _node(at)
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required")),
        integer=_resolved(raw["schema"]).get("type") == "integer",
        validator=_validator((*at, "schema"), registry),
    )


def _node(parts: Iterable[str]) -> Any:
    node: Any = openapi_document()
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _node(_parts_of(schema["$ref"]))
    return schema


def _parts_of(ref: str) -> tuple[str, ...]:
    """A local reference ("#/components/schemas/Slug") as the keys leading to it."""
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in ref.removeprefix("#/").split("/"))


def _validator(at: tuple[str, ...], registry: Registry) -> Draft202012Validator:
    """A validator of the schema at `at` in the document; its own references resolve in the document."""
    pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in at)
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{pointer}"}, registry=registry)
