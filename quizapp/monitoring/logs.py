"""Structured event lines: one per request and one per grading job, as key=value text or as JSON.

Only the fields a caller names are written, so code, passwords, typed answers and cookies never reach
the log unless someone passes them here (nobody does; tests/integration/test_operations.py checks).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

EVENTS_LOGGER = "quizapp.events"
FORMATS = ("text", "json")

_HANDLER_NAME = "quizapp-events"
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+")


def log_event(kind: str, **fields: Any) -> None:
    """Write one event line (`kind` is request | job) with these fields."""
    logging.getLogger(f"{EVENTS_LOGGER}.{kind}").info(kind, extra={"event_fields": fields})


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (gunicorn and pytest replace it after import)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ assigns it
        pass


class EventFormatter(logging.Formatter):
    """`time level event key=value ...` (values with spaces or quotes JSON-quoted), or one JSON object."""

    def __init__(self, style_name: str) -> None:
        super().__init__()
        self.style_name = style_name

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "event_fields", {})
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        head = {"time": moment, "level": record.levelname.lower(), "event": record.getMessage()}
        if self.style_name == "json":
            return json.dumps({**head, **fields}, default=str, ensure_ascii=True)
        return " ".join(f"{key}={_text_value(value)}" for key, value in {**head, **fields}.items())


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    if text and all(char in _PLAIN for char in text):
        return text
    return json.dumps(text, ensure_ascii=True)  # quoted, with control characters escaped


def configure_event_log(style_name: str) -> None:
    """Send event lines to stderr in `style_name`; once per process, the latest app's choice winning."""
    if style_name not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {style_name!r}.")
    logger = logging.getLogger(EVENTS_LOGGER)
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = _StderrHandler()
        handler.set_name(_HANDLER_NAME)
        logger.addHandler(handler)
    handler.setFormatter(EventFormatter(style_name))
    logger.setLevel(logging.INFO)
    logger.propagate = False  # Flask's handler on the `quizapp` logger would print each line twice
