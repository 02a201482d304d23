"""Registering, logging in and out, and the settings page, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import User
from quizapp.services import accounts

PASSWORD = "correct horse battery"


def _users() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(select(User).order_by(User.id)))


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/auth/settings").status_code == 200


def test_registering_creates_the_account_and_logs_in(client: FlaskClient, auth) -> None:
    response = auth.register("Ada.L")
    assert response.status_code == 302
    [user] = _users()
    assert user.username == "ada.l"
    assert user.timezone == "UTC"
    page = client.get(response.location).get_data(as_text=True)
    assert "Welcome, ada.l! Your account is ready." in page
    assert '<span class="whoami">ada.l</span>' in page
    assert _logged_in(client)


def test_registration_keeps_the_browsers_time_zone(client: FlaskClient) -> None:
    form = {"username": "ada", "password": PASSWORD, "confirm": PASSWORD, "timezone": "Asia/Tokyo"}
    assert client.post("/auth/register", data=form).status_code == 302
    client.post("/auth/logout")
    form.update(username="bob", timezone="Not/AZone")
    assert client.post("/auth/register", data=form).status_code == 302
    assert [(u.username, u.timezone) for u in _users()] == [("ada", "Asia/Tokyo"), ("bob", "UTC")]


def test_a_username_taken_in_another_case_is_refused(client: FlaskClient, auth) -> None:
    auth.register("ada")
    auth.logout()
    response = auth.register("ADA")
    assert response.status_code == 200
    assert "That username is taken. Pick another one." in response.get_data(as_text=True)
    assert [u.username for u in _users()] == ["ada"]
    assert not _logged_in(client)


def test_a_registration_losing_the_race_gets_the_same_message(app: Flask, monkeypatch) -> None:
    committed(accounts.register_user, "ada", PASSWORD)
    # The other registration's row lands after our existence check: the unique index must catch it.
    monkeypatch.setattr(accounts, "find_user", lambda username: None)
    with pytest.raises(accounts.AccountError) as refused:
        committed(accounts.register_user, "Ada", PASSWORD)
    assert refused.value.errors == {"username": accounts.USERNAME_TAKEN}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("ab", PASSWORD, PASSWORD, "Use 3 to 40 characters."),
        ("ada lovelace", PASSWORD, PASSWORD, "Use only letters, digits, dots, underscores and hyphens."),
        ("ada", "short", "short", "Use at least 8 characters."),
        ("ada", PASSWORD, PASSWORD + "!", "The two passwords differ."),
        ("", PASSWORD, PASSWORD, "This field is required."),
    ],
)
def test_registration_errors_are_shown_on_the_form(
    client: FlaskClient, username: str, password: str, confirm: str, message: str
) -> None:
    form = {"username": username, "password": password, "confirm": confirm}
    response = client.post("/auth/register", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'aria-invalid="true"' in page
    assert _users() == []


def test_logging_in_accepts_any_case_of_the_username(client: FlaskClient, auth) -> None:
    auth.register("ada")
    auth.logout()
    response = auth.login("ADA")
    assert response.status_code == 302
    assert _logged_in(client)


@pytest.mark.parametrize(("username", "password"), [("ada", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_password_or_unknown_user_is_refused_alike(
    client: FlaskClient, auth, username: str, password: str
) -> None:
    auth.register("ada")
    auth.logout()
    response = auth.login(username, password)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wrong username or password." in page
    assert f'value="{username}"' in page  # the username is kept, the password is not
    assert password not in page
    assert not _logged_in(client)


def test_logging_out_takes_a_post(client: FlaskClient, auth) -> None:
    auth.register("ada")
    assert client.get("/auth/logout").status_code == 405
    assert _logged_in(client)
    response = auth.logout()
    assert response.status_code == 302
    assert not _logged_in(client)


def test_a_protected_page_sends_to_login_and_back(client: FlaskClient, auth) -> None:
    response = client.get("/auth/settings")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=%2Fauth%2Fsettings"
    auth.register("ada")
    auth.logout()
    response = client.post(
        "/auth/login?next=%2Fauth%2Fsettings", data={"username": "ada", "password": PASSWORD}
    )
    assert response.location == "/auth/settings"


@pytest.mark.parametrize(
    "target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "/\t/evil.example"]
)
def test_next_never_leaves_the_site(client: FlaskClient, auth, target: str) -> None:
    auth.register("ada")
    auth.logout()
    response = client.post(
        "/auth/login", query_string={"next": target}, data={"username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location.startswith("/")
    assert not response.location.startswith("//")
    assert "evil.example" not in response.location


def test_an_anonymous_json_request_gets_json_401(client: FlaskClient) -> None:
    """The API's login check and a page's (asked for JSON, as the editor's fetches ask) answer alike."""
    expected = {
        "error": {"status": 401, "message": "You are not logged in. Log in at /auth/login, then retry."}
    }
    api = client.get("/api/topics")
    assert (api.status_code, api.get_json()) == (401, expected)
    page = client.get("/submissions/1/result", headers={"Accept": "application/json"})
    assert (page.status_code, page.get_json()) == (401, expected)


def test_the_home_page_renders_logged_out_and_in(client: FlaskClient, auth) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/auth/register"' in page
    assert 'href="/auth/login"' in page
    auth.register("ada")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'action="/auth/logout"' in page
    assert 'href="/auth/settings"' in page


def _settings_form(**changes: str) -> dict[str, str]:
    form = {
        "desired_retention": "0.9",
        "new_cards_per_day": "20",
        "timezone": "UTC",
        "interview_date": "",
        "minutes_per_day": "30",
        "new_card_order": "mixed",
    }
    form.update(changes)
    return form


def test_settings_are_saved_and_shown(client: FlaskClient, auth) -> None:
    auth.register("ada")
    when = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    form = _settings_form(
        desired_retention="0.85", new_cards_per_day="35", timezone="europe/paris", interview_date=when
    )
    response = client.post("/auth/settings", data=form)
    assert response.status_code == 302
    [user] = _users()
    assert (user.desired_retention, user.new_cards_per_day, user.timezone) == (0.85, 35, "Europe/Paris")
    assert user.interview_date == dt.date.fromisoformat(when)
    page = client.get("/auth/settings").get_data(as_text=True)
    assert "Settings saved." in page
    assert 'value="Europe/Paris"' in page
    assert f'value="{when}"' in page

    assert client.post("/auth/settings", data=_settings_form(interview_date="")).status_code == 302
    assert _users()[0].interview_date is None


def test_pulling_cards_ahead_for_the_interview_is_a_setting(client: FlaskClient, auth) -> None:
    auth.register("ada")
    page = client.get("/auth/settings").get_data(as_text=True)
    assert 'name="pull_ahead_for_interview"' in page and "checked" not in page
    assert _users()[0].pull_ahead_for_interview is False

    when = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    form = _settings_form(interview_date=when, pull_ahead_for_interview="y")
    assert client.post("/auth/settings", data=form).status_code == 302
    assert _users()[0].pull_ahead_for_interview is True
    page = client.get("/auth/settings").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="pull_ahead_for_interview"', page)

    # An unchecked box is absent from the form: saving without it turns the setting off again.
    assert client.post("/auth/settings", data=_settings_form(interview_date=when)).status_code == 302
    assert _users()[0].pull_ahead_for_interview is False


def test_settings_page_offers_to_optimize_the_scheduler(client: FlaskClient, auth) -> None:
    auth.register("ada")
    page = client.get("/auth/settings").get_data(as_text=True)
    link = re.search(
        r'<a class="button" id="optimize-scheduler" href="([^"]+)">Optimize my scheduler</a>', page
    )
    assert link is not None
    target = client.get(link.group(1))
    assert target.status_code == 200
    assert "<h1>Optimize my scheduler</h1>" in target.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("desired_retention", "0.5", "Choose a value from 0.70 to 0.97."),
        ("desired_retention", "0.99", "Choose a value from 0.70 to 0.97."),
        ("desired_retention", "nan", "Choose a value from 0.70 to 0.97."),
        ("desired_retention", "lots", "Enter a number such as 0.90."),
        ("new_cards_per_day", "501", "Choose a number from 0 to 500."),
        ("new_cards_per_day", "-1", "Choose a number from 0 to 500."),
        ("new_cards_per_day", "2.5", "Enter a whole number such as 20."),
        (
            "timezone",
            "Mars/Olympus",
            "Unknown time zone Mars/Olympus. Use a name such as Europe/Paris.",
        ),
        ("interview_date", "2001-01-01", "That date is in the past. Leave the field empty to clear it."),
        ("interview_date", "tomorrow", "Not a valid date value."),
    ],
)
def test_invalid_settings_are_explained_and_nothing_is_saved(
    client: FlaskClient, auth, field: str, value: str, message: str
) -> None:
    auth.register("ada")
    # One bad field among good changes: none of the changes may be saved.
    form = _settings_form(new_cards_per_day="40", desired_retention="0.8", timezone="Asia/Tokyo")
    form[field] = value
    response = client.post("/auth/settings", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    [user] = _users()
    assert (user.desired_retention, user.new_cards_per_day, user.timezone) == (0.9, 20, "UTC")


def test_changing_the_password(client: FlaskClient, auth) -> None:
    auth.register("ada")
    new = "a much longer passphrase"
    wrong = client.post("/auth/password", data={"current": "nope nope", "password": new, "confirm": new})
    assert "That is not your current password." in wrong.get_data(as_text=True)
    right = client.post("/auth/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert right.status_code == 302
    auth.logout()
    assert auth.login("ada", PASSWORD).status_code == 200
    assert auth.login("ada", new).status_code == 302
