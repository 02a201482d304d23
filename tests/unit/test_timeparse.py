"""Times, dates and time zones read one way: aware UTC datetimes, clear refusals, UTC for unknown zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from quizapp import timeparse

UTC = dt.UTC
Y2000 = dt.datetime(2000, 1, 1, tzinfo=UTC)
Y2200 = dt.datetime(2200, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T10:00:00+02:00", dt.datetime(2026, 5, 1, 8, tzinfo=UTC)),
        ("2026-05-01T10:00:00Z", dt.datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01 10:00:00.250000-05:30", dt.datetime(2026, 5, 1, 15, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_times_with_offsets_are_read_as_utc(text: str, expected: dt.datetime) -> None:
    parsed = timeparse.parse_datetime(text)
    assert parsed == expected and parsed.tzinfo is UTC


def test_a_time_without_offset_is_refused_unless_it_is_our_own_stored_utc() -> None:
    with pytest.raises(
        ValueError, match=r"^expected an ISO 8601 time with a UTC offset, got '2026-05-01T10:00'$"
    ):
        timeparse.parse_datetime("2026-05-01T10:00")
    assert timeparse.parse_datetime("2026-05-01T10:00", naive_is_utc=True) == dt.datetime(
        2026, 5, 1, 10, tzinfo=UTC
    )
    assert timeparse.parse_datetime("2026-05-01", naive_is_utc=True) == dt.datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "9999-99-99",
        "2026-02-30T10:00:00+00:00",
        "2026-05-01T10:00:00+00:00\x00",
        "2026-05-01T10:00:00\x00+00:00",
        "２０２６-05-01T10:00:00+00:00",
        "\ud800",
        "",
        "now",
        5,
        None,
        [1],
    ],
)
def test_what_is_not_an_iso_time_is_refused_with_the_value_shown(value: object) -> None:
    with pytest.raises(ValueError, match=r"^expected an ISO 8601 time with a UTC offset, got '"):
        timeparse.parse_datetime(value)


def test_a_huge_value_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as refused:
        timeparse.parse_datetime("2026-05-01T10:00:00+00:00" + " " * 10_000_000)
    assert len(str(refused.value)) < 120


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:30:00-05:00", "0001-01-01T00:30:00+05:00", "1999-12-31T23:59:59+00:00"]
)
def test_times_outside_the_range_or_beyond_utc_years_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"^expected a time from 2000 to 2200, got '"):
        timeparse.parse_datetime(text, earliest=Y2000, latest=Y2200)


def test_the_range_ends_are_included() -> None:
    assert timeparse.parse_datetime("2200-01-01T01:00:00+01:00", earliest=Y2000, latest=Y2200) == Y2200


@pytest.mark.parametrize(
    ("text", "expected"), [("2026-05-01", dt.date(2026, 5, 1)), ("20260501", dt.date(2026, 5, 1))]
)
def test_dates_are_read_in_iso_form(text: str, expected: dt.date) -> None:
    assert timeparse.parse_date(text) == expected


@pytest.mark.parametrize(
    "value",
    ["9999-99-99", "2026-05-01T00:00", "2026-05-01\x00", "2026-05-01T\x00", "01/05/2026", 20260501, None],
)
def test_what_is_not_an_iso_date_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"^expected a date like 2026-05-01, got '"):
        timeparse.parse_date(value)


def test_dates_outside_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^expected a date from 2000 to 2200, got '1999-12-31'$"):
        timeparse.parse_date("1999-12-31", earliest=dt.date(2000, 1, 1), latest=dt.date(2200, 1, 1))


def test_known_time_zones_are_found() -> None:
    assert timeparse.zone("Europe/Paris") == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "name",
    [
        None,
        "",
        "Mars/Olympus_Mons",
        "America",
        "America/",
        "../../etc/passwd",
        "/etc/localtime",
        "UTC\x00",
        "x" * 10_000,
        5,
    ],
)
def test_missing_or_unknown_time_zones_are_utc(name: object) -> None:
    assert timeparse.zone(name) == ZoneInfo("UTC")
