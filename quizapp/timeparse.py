"""Times, dates and time-zone names read from text, one way for the whole app (pure: standard library only).

ISO 8601 follows Python's `fromisoformat`; every datetime returned is timezone-aware, in UTC. Each refusal is
a ValueError whose message says what was expected, ready to show to the person who sent the value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_ZONE = ZoneInfo("UTC")
# The longest ISO 8601 time fromisoformat reads ("2026-05-01T10:00:00.123456+05:30:00.123456") has 42
# characters; anything longer is refused before parsing.
MAX_ISO_CHARS = 64
# Time-zone names are at most ~30 characters ("America/Argentina/ComodRivadavia"); the file system refuses
# long ones with an OSError rather than a ValueError.
MAX_ZONE_CHARS = 64
EARLIEST_UTC = dt.datetime.min.replace(tzinfo=dt.UTC)
LATEST_UTC = dt.datetime.max.replace(tzinfo=dt.UTC)

Parsed = TypeVar("Parsed", dt.datetime, dt.date)


def zone(name: object) -> ZoneInfo:
    """The IANA time zone `name` (e.g. "Europe/Paris"); UTC when it is missing or names no zone.

    Stored time zones were validated when saved; this fallback keeps a stale or foreign one from breaking
    a page. Paths, NUL bytes, directories and very long names are refused like unknown names.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_ZONE_CHARS:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC_ZONE


def parse_datetime(
    value: object,
    *,
    naive_is_utc: bool = False,
    earliest: dt.datetime = EARLIEST_UTC,
    latest: dt.datetime = LATEST_UTC,
) -> dt.datetime:
    """An ISO 8601 time as an aware datetime in UTC, from `earliest` to `latest` inclusive.

    A time without a UTC offset is refused unless `naive_is_utc`, for values this app stored itself (a
    review's previous state), where UTC is what was meant. ValueError for anything that is not such a string.
    """
    parsed = _from_iso(dt.datetime.fromisoformat, value)
    if parsed is None or (parsed.tzinfo is None and not naive_is_utc):
        offset = "" if naive_is_utc else " with a UTC offset"
        raise ValueError(f"expected an ISO 8601 time{offset}, got {_shown(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        in_utc = parsed.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 shifted by its offset leaves the years datetime can hold
        in_utc = None
    if in_utc is None or not earliest <= in_utc <= latest:
        raise ValueError(f"expected a time from {earliest.year} to {latest.year}, got {_shown(value)}")
    return in_utc


def parse_date(value: object, *, earliest: dt.date = dt.date.min, latest: dt.date = dt.date.max) -> dt.date:
    """An ISO 8601 calendar date (2026-05-01) from `earliest` to `latest` inclusive; ValueError otherwise."""
    parsed = _from_iso(dt.date.fromisoformat, value)
    if parsed is None:
        raise ValueError(f"expected a date like 2026-05-01, got {_shown(value)}")
    if not earliest <= parsed <= latest:
        raise ValueError(f"expected a date from {earliest.year} to {latest.year}, got {_shown(value)}")
    return parsed


def _from_iso(parse: Callable[[str], Parsed], value: object) -> Parsed | None:
    # ISO 8601 is printable ASCII. The check also refuses NUL bytes, which CPython 3.11's fromisoformat
    # treats as the end of the string ("2026-05-01T10:00\x00junk" would read as 10:00).
    if (
        not isinstance(value, str)
        or len(value) > MAX_ISO_CHARS
        or not (value.isascii() and value.isprintable())
    ):
        return None
    try:
        return parse(value)
    except ValueError:  # not ISO 8601, impossible dates (9999-99-99)
        return None


def _shown(value: object) -> str:
    """The start of an offending value, quoted, for an error message (never the whole of a huge value)."""
    text = value[:40] if isinstance(value, str) else str(value)[:40]
    return repr(text)
