"""The account rules that need no database: usernames, passwords, time zones, interview dates, `next`."""

from __future__ import annotations

import datetime as dt

import pytest

from quizapp.auth.redirects import safe_next_path
from quizapp.services import accounts


@pytest.mark.parametrize("name", ["ada", "a.b", "x_y-z", "A" * 40, "123"])
def test_valid_usernames_pass(name: str) -> None:
    assert accounts.username_problem(name) is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "Use 3 to 40 characters."),
        ("a" * 41, "Use 3 to 40 characters."),
        ("<script>", "Use only letters, digits, dots, underscores and hyphens."),
        ("ada lovelace", "Use only letters, digits, dots, underscores and hyphens."),
        ("adé", "Use only letters, digits, dots, underscores and hyphens."),
        ("ada\n", "Use only letters, digits, dots, underscores and hyphens."),
    ],
)
def test_invalid_usernames_say_why(name: str, message: str) -> None:
    assert accounts.username_problem(name) == message


def test_usernames_are_compared_without_case_or_padding() -> None:
    assert accounts.canonical_username("  Ada.L ") == "ada.l"


def test_password_rules() -> None:
    assert accounts.password_problem("short") == "Use at least 8 characters."
    assert accounts.password_problem("x" * 257) == "Use at most 256 characters."
    assert (
        accounts.password_problem("Ada-Lovelace", "ada-lovelace") == "The password must not be the username."
    )
    assert accounts.password_problem("correct horse battery", "ada") is None


def test_time_zones_are_validated_and_capitalised() -> None:
    assert accounts.canonical_timezone("europe/paris") == "Europe/Paris"
    assert accounts.canonical_timezone(" UTC ") == "UTC"
    assert accounts.canonical_timezone("Mars/Olympus_Mons") is None
    assert accounts.canonical_timezone("../../etc/passwd") is None
    assert "America/New_York" in accounts.timezone_names()


def test_interview_dates_must_lie_ahead_unless_already_saved() -> None:
    today = dt.date(2026, 11, 25)
    problem = accounts._interview_date_problem
    assert problem(None, dt.date(2026, 1, 1), today) is None
    assert problem(today, None, today) is None
    assert problem(dt.date(2026, 11, 24), None, today) == (
        "That date is in the past. Leave the field empty to clear it."
    )
    assert problem(dt.date(2026, 1, 1), dt.date(2026, 1, 1), today) is None  # kept, not newly set
    assert problem(dt.date(2035, 1, 1), None, today) == "Choose a date within the next three years."


@pytest.mark.parametrize("target", ["/", "/drills/adam", "/progress?topic=adam-family#top", "/auth/settings"])
def test_same_site_paths_are_safe_next_targets(target: str) -> None:
    assert safe_next_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "http:/evil.example",
    ],
)
def test_other_sites_and_tricks_are_not_next_targets(target: str | None) -> None:
    assert safe_next_path(target) is None
