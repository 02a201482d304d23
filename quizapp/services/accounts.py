"""Accounts as use cases: register, authenticate, change settings and password.

Views and the CLI call these, and commit; every rule about usernames, passwords and scheduler settings
lives here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp import timeparse
from quizapp.config import LOGIN_LIFETIME
from quizapp.extensions import db
from quizapp.input_guards import is_text
from quizapp.models import Login, Topic, User, utcnow
from quizapp.services.errors import ServiceError
from quizapp.srs import mock_interview
from quizapp.srs.leeches import DEFAULT_LEECH_THRESHOLD, LEECH_THRESHOLD_MAX, LEECH_THRESHOLD_MIN
from quizapp.srs.new_card_order import NEW_CARD_ORDERS

USERNAME_MIN, USERNAME_MAX = 3, 40
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
# FSRS is tuned for retention targets in this band: below it reviews get too sparse to keep anything,
# above it the workload grows steeply for little gain.
RETENTION_MIN, RETENTION_MAX = 0.70, 0.97
NEW_CARDS_MIN, NEW_CARDS_MAX = 0, 500
INTERVIEW_MAX_DAYS_AHEAD = 3 * 366
MINUTES_MIN, MINUTES_MAX = 0, 600
USERNAME_TAKEN = "That username is taken. Pick another one."
# What a login id (`User.get_id()`, kept in the signed session and remember cookies) looks like.
LOGIN_ID = re.compile(r"([0-9]{1,18}):([A-Za-z0-9_-]{20,64})")


class AccountError(ServiceError):
    """Input a person must correct: `errors` maps each offending field to a message they can act on (the
    forms show each beside its field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(400, "; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    """The scheduler and calendar settings a person controls."""

    desired_retention: float
    new_cards_per_day: int
    timezone: str
    interview_date: dt.date | None
    pull_ahead_for_interview: bool = False
    minutes_per_day: int = 30
    new_card_order: str = "mixed"
    known_topics: tuple[str, ...] = ()
    leech_threshold: int = DEFAULT_LEECH_THRESHOLD
    interview_minutes: int = mock_interview.MINUTES_DEFAULT


@dataclass(frozen=True)
class StudyPlanChoices:
    """What onboarding asks: the daily plan's inputs (also part of the full Settings)."""

    timezone: str
    interview_date: dt.date | None
    minutes_per_day: int
    known_topics: tuple[str, ...] = ()


def canonical_username(raw: str) -> str:
    """Usernames are case-insensitive: stored and compared in lower case, so `Ada` and `ada` are one name."""
    return raw.strip().lower()


def username_problem(username: str) -> str | None:
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        return f"Use {USERNAME_MIN} to {USERNAME_MAX} characters."
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use only letters, digits, dots, underscores and hyphens."
    return None


def password_problem(password: str, username: str = "") -> str | None:
    if not is_text(password):  # bytes that were not UTF-8, read from a terminal or a pipe
        return "Use text: the password holds bytes that are not UTF-8."
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if username and password.strip().lower() == username.lower():
        return "The password must not be the username."
    return None


@cache
def _timezones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def timezone_names() -> list[str]:
    """Every IANA time zone name this machine knows, sorted (offered as suggestions on the settings page)."""
    return sorted(_timezones_by_lower_name().values())


def canonical_timezone(name: str) -> str | None:
    """The IANA name with its proper capitals (`europe/paris` → `Europe/Paris`), or None if unknown."""
    return _timezones_by_lower_name().get(name.strip().lower())


def find_user(username: str) -> User | None:
    if not is_text(username):  # a command-line name with bytes that were not UTF-8 names nobody
        return None
    # lower() on both sides also finds rows written outside this module with capitals in them.
    query = select(User).where(func.lower(User.username) == canonical_username(username)).order_by(User.id)
    return db.session.scalars(query).first()


def list_users() -> list[User]:
    """Every account, by username."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def register_user(username: str, password: str, *, timezone: str | None = None) -> User:
    """Create an account. `timezone` (e.g. detected by the browser) is used when valid, else UTC."""
    username = canonical_username(username)
    errors = {}
    if problem := username_problem(username):
        errors["username"] = problem
    if problem := password_problem(password, username):
        errors["password"] = problem
    if errors:
        raise AccountError(errors)
    if find_user(username) is not None:
        raise AccountError({"username": USERNAME_TAKEN})
    user = User(
        username=username,
        password_hash=generate_password_hash(password),
        timezone=canonical_timezone(timezone or "") or "UTC",
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone registered the same name between our check and the insert: the unique index decides.
        raise AccountError({"username": USERNAME_TAKEN}) from None
    return user


@cache
def _decoy_hash() -> str:
    return generate_password_hash("decoy password for unknown usernames")


def authenticate(username: str, password: str) -> User | None:
    """The user whose name and password match, else None (without saying which of the two was wrong)."""
    user = find_user(username)
    if user is None:
        # Spend the same hashing time as for a real user, so response times do not reveal usernames.
        check_password_hash(_decoy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


# ----------------------------------------------------------------------------------------------- logins


def start_login(user: User) -> User:
    """Record a new login for `user` (one browser) and return the user carrying its token, ready for
    Flask-Login's login_user. Logins older than LOGIN_LIFETIME are forgotten on the way."""
    db.session.execute(
        delete(Login).where(Login.user_id == user.id, Login.created_at < utcnow() - LOGIN_LIFETIME)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(Login(user_id=user.id, token=token))
    db.session.flush()
    user.login_token = token
    return user


# Every signed-in request runs this query: built once, not at each request (building and cache-keying it
# each time was a tenth of the login check's CPU).
_LIVE_LOGIN = (
    select(User)
    .join(Login, Login.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        Login.token == bindparam("token"),
        Login.created_at >= bindparam("since"),
    )
)


def user_for_login(login_id: str) -> User | None:
    """The user of a live login named by `login_id` (as `User.get_id()` wrote it), else None: the login
    was ended (logout, password change), is older than LOGIN_LIFETIME, or the id is not one of ours."""
    match = LOGIN_ID.fullmatch(login_id) if isinstance(login_id, str) else None
    if match is None:
        return None
    live = {"user_id": int(match.group(1)), "token": match.group(2), "since": utcnow() - LOGIN_LIFETIME}
    user = db.session.scalar(_LIVE_LOGIN, live)
    if user is not None:
        user.login_token = match.group(2)
    return user


def end_login(user: User) -> None:
    """Logout: the login `user` was loaded for ends; cookies that carry it no longer log anyone in."""
    db.session.execute(delete(Login).where(Login.user_id == user.id, Login.token == user.login_token))


def _end_other_logins(user: User) -> None:
    db.session.execute(delete(Login).where(Login.user_id == user.id, Login.token != user.login_token))


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and end every other login of the person (other browsers, remember cookies);
    the login `user` was loaded for stays."""
    errors = {}
    if not check_password_hash(user.password_hash, current):
        errors["current"] = "That is not your current password."
    if problem := password_problem(new, user.username):
        errors["password"] = problem
    if errors:
        raise AccountError(errors)
    user.password_hash = generate_password_hash(new)
    _end_other_logins(user)


def settings_of(user: User) -> Settings:
    return Settings(
        user.desired_retention,
        user.new_cards_per_day,
        user.timezone,
        user.interview_date,
        bool(user.pull_ahead_for_interview),
        user.minutes_per_day,
        user.new_card_order,
        tuple(user.known_topics or ()),
        user.leech_threshold,
        user.interview_minutes or mock_interview.MINUTES_DEFAULT,
    )


def update_settings(user: User, settings: Settings, *, today: dt.date | None = None) -> Settings:
    """Validate every field, then set them all (the caller commits); nothing is set if one is wrong."""
    errors, timezone = _settings_errors(user, settings, today)
    if errors:
        raise AccountError(errors)
    user.desired_retention = float(settings.desired_retention)
    user.new_cards_per_day = int(settings.new_cards_per_day)
    user.timezone = timezone
    user.interview_date = settings.interview_date
    user.pull_ahead_for_interview = bool(settings.pull_ahead_for_interview)
    user.minutes_per_day = int(settings.minutes_per_day)
    user.new_card_order = settings.new_card_order
    user.known_topics = list(dict.fromkeys(settings.known_topics))
    user.leech_threshold = int(settings.leech_threshold)
    user.interview_minutes = int(settings.interview_minutes)
    db.session.flush()
    return settings_of(user)


def update_study_plan(user: User, choices: StudyPlanChoices, *, today: dt.date | None = None) -> None:
    """Save onboarding's answers (validated like the same fields of the settings page); the other settings
    stay as they are. Sets nothing when a field is wrong."""
    chosen = dataclasses.replace(
        settings_of(user),
        timezone=choices.timezone,
        interview_date=choices.interview_date,
        minutes_per_day=choices.minutes_per_day,
        known_topics=choices.known_topics,
    )
    update_settings(user, chosen, today=today)


def topic_choices() -> list[tuple[str, str]]:
    """(slug, title) of every topic in bank order: what a person may mark as already known."""
    return [(topic.slug, topic.title) for topic in db.session.scalars(select(Topic).order_by(Topic.position))]


def _settings_errors(user: User, settings: Settings, today: dt.date | None) -> tuple[dict[str, str], str]:
    timezone = canonical_timezone(settings.timezone) or user.timezone
    today = today or dt.datetime.now(timeparse.zone(timezone)).date()
    return settings_errors(settings, saved_interview_date=user.interview_date, today=today), timezone


def settings_errors(
    settings: Settings, *, saved_interview_date: dt.date | None, today: dt.date
) -> dict[str, str]:
    """Every rule about the scheduler and calendar settings, field by field (empty when all are valid).

    The one definition, shared by the settings form and the history importer.
    """
    errors = {}
    # `not a <= x <= b` also refuses NaN.
    if not RETENTION_MIN <= settings.desired_retention <= RETENTION_MAX:
        errors["desired_retention"] = f"Choose a value from {RETENTION_MIN:.2f} to {RETENTION_MAX:.2f}."
    if not NEW_CARDS_MIN <= settings.new_cards_per_day <= NEW_CARDS_MAX:
        errors["new_cards_per_day"] = f"Choose a number from {NEW_CARDS_MIN} to {NEW_CARDS_MAX}."
    if canonical_timezone(settings.timezone) is None:
        errors["timezone"] = (
            f"Unknown time zone {settings.timezone.strip()}. Use a name such as Europe/Paris."
        )
    if problem := _interview_date_problem(settings.interview_date, saved_interview_date, today):
        errors["interview_date"] = problem
    errors.update(_plan_errors(settings))
    return errors


def _plan_errors(settings: Settings) -> dict[str, str]:
    errors = {}
    if not MINUTES_MIN <= settings.minutes_per_day <= MINUTES_MAX:
        errors["minutes_per_day"] = f"Choose a number of minutes from {MINUTES_MIN} to {MINUTES_MAX}."
    if not LEECH_THRESHOLD_MIN <= settings.leech_threshold <= LEECH_THRESHOLD_MAX:
        errors["leech_threshold"] = (
            f"Choose a number of lapses from {LEECH_THRESHOLD_MIN} to {LEECH_THRESHOLD_MAX}."
        )
    if not mock_interview.MINUTES_MIN <= settings.interview_minutes <= mock_interview.MINUTES_MAX:
        errors["interview_minutes"] = (
            f"Choose a length from {mock_interview.MINUTES_MIN} to {mock_interview.MINUTES_MAX} minutes."
        )
    if settings.new_card_order not in NEW_CARD_ORDERS:
        errors["new_card_order"] = "Choose one of the listed orders."
    known = {slug for slug, _ in topic_choices()}
    if unknown := [slug for slug in settings.known_topics if slug not in known]:
        errors["known_topics"] = f"There is no topic named {unknown[0][:64]!r}; pick from the list."
    return errors


def _interview_date_problem(new: dt.date | None, current: dt.date | None, today: dt.date) -> str | None:
    # A date already saved may lie in the past by now; keeping it must not block saving other settings.
    if new is None or new == current:
        return None
    if new < today:
        return "That date is in the past. Leave the field empty to clear it."
    if (new - today).days > INTERVIEW_MAX_DAYS_AHEAD:
        return "Choose a date within the next three years."
    return None
