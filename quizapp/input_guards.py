"""Raw input every request passes through before any view: URL parts, query strings, form fields, JSON.

What no later layer can store or compute with is refused here, site-wide: NUL and control characters in
URL segments and NUL in query strings or form fields (PostgreSQL text cannot hold NUL), ids beyond 64 bits
(and digit strings Python refuses to convert), JSON nested deeper than any document of ours, and JSON strings
that are not text: NUL, or a lone UTF-16 surrogate (`"\ud800"`), which no database driver can encode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, UnicodeConverter

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL, where a larger value fails the query
MAX_JSON_DEPTH = 32  # our deepest documents (verdicts, history exports) nest fewer than ten levels
_TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"


class MalformedInput(ValueError):
    """JSON that is not even worth validating; the message says what is wrong, in a few words."""


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` URL parts: at most 10 digits and at most MAX_ID, else the route does not match (404)."""

    regex = r"\d{1,10}"

    def __init__(self, map: Any, *args: Any, max: int = MAX_ID, **kwargs: Any) -> None:
        super().__init__(map, *args, max=min(max, MAX_ID), **kwargs)


class PrintableStringConverter(UnicodeConverter):
    """`<slug>` URL parts without NUL or other control characters: such a URL names nothing (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


class _GuardedJSON:
    """What `request.get_json()` parses bodies with. Only request bodies: the session cookie, which Flask
    also decodes with JSON, is signed by us and keeps Flask's own loader."""

    loads = staticmethod(lambda s, **kwargs: load_json(s, **kwargs))


class GuardedRequest(Request):
    """Form fields are checked for NUL as soon as they are parsed, by whichever code reads them first;
    JSON bodies go through `load_json`."""

    json_module = _GuardedJSON

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if problem := nul_problem(self.form, "form field"):
            raise BadRequest(problem)


def load_json(text: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON, refusing what no handler could use: deep nesting, NUL or a lone surrogate in any string,
    invalid UTF-8.

    Raises MalformedInput (a ValueError) whose message completes "not valid JSON (...)"."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, **kwargs)
    except RecursionError:
        raise MalformedInput(_TOO_DEEP) from None
    except UnicodeDecodeError:
        raise MalformedInput("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise MalformedInput(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # a number of more than 4,300 digits
        raise MalformedInput(str(exc)[:120]) from None
    check_json_value(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise MalformedInput(f"{name} is not a JSON number")


def check_json_value(value: Any) -> None:
    """Walk a parsed JSON value without recursion: nesting depth, and NUL or a lone surrogate in strings
    (keys included)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise MalformedInput("a string holds a NUL character (\\u0000)")
            if not item.isascii() and not is_text(item):
                raise MalformedInput("a string holds a lone surrogate (\\ud800–\\udfff), which is not text")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise MalformedInput(_TOO_DEEP)
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)


def is_text(text: str) -> bool:
    """False for a string holding a lone surrogate: JSON's \\u escapes can name one, and Python decodes
    undecodable command-line and stdin bytes to them, but UTF-8 (so no database driver or hash) cannot hold
    one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def nul_problem(fields: Mapping[str, Any], noun: str) -> str | None:
    """A message naming the first field whose name or value holds a NUL character, or None."""
    items = fields.items(multi=True) if isinstance(fields, MultiDict) else fields.items()
    for name, value in items:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            shown = name.replace("\x00", "\\x00")[:40]
            return f"The {noun} {shown!r} contains a NUL character; remove it and try again."
    return None


def _refuse_nul_in_query() -> None:
    if problem := nul_problem(request.args, "query parameter"):
        raise BadRequest(problem)


def init_app(app: Flask) -> None:
    """Install the guards; before any blueprint is registered, so every URL rule uses the converters."""
    app.request_class = GuardedRequest
    app.url_map.converters.update(
        int=BoundedIntegerConverter, default=PrintableStringConverter, string=PrintableStringConverter
    )
    app.before_request(_refuse_nul_in_query)
