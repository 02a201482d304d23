"""The account forms (Flask-WTF, so each carries a CSRF token). They only parse input; the rules about
usernames, passwords and settings live in `quizapp.services.accounts` and come back as field errors."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.services import accounts
from quizapp.srs import mock_interview
from quizapp.srs.new_card_order import NEW_CARD_ORDERS

REQUIRED = "This field is required."


class ClearFloatField(FloatField):
    """A float field whose parse error says what to type."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Enter a number such as 0.90.") from exc


class ClearIntegerField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Enter a whole number such as 20.") from exc


def _username_attributes() -> dict[str, Any]:
    return {
        "autofocus": True,
        "autocomplete": "username",
        "autocapitalize": "none",
        "spellcheck": "false",
        "maxlength": accounts.USERNAME_MAX,
    }


def _new_password_field(label: str) -> PasswordField:
    """A password being chosen (register, change): the length rules shown and enforced by the browser too."""
    return PasswordField(
        label,
        validators=[InputRequired(REQUIRED)],
        description=f"At least {accounts.PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password", "maxlength": accounts.PASSWORD_MAX},
    )


def _confirm_password_field(label: str) -> PasswordField:
    """The repeat of a new password, which must equal the form's `password` field."""
    return PasswordField(
        label,
        validators=[InputRequired(REQUIRED), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


def _topic_choices() -> list[SelectChoice]:
    return [SelectChoice(slug, title) for slug, title in accounts.topic_choices()]


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[InputRequired(REQUIRED)],
        description=f"{accounts.USERNAME_MIN}–{accounts.USERNAME_MAX} letters, digits, dots, underscores "
        "or hyphens. Not case-sensitive.",
        render_kw=_username_attributes(),
    )
    password = _new_password_field("Password")
    confirm = _confirm_password_field("Repeat the password")
    # Filled in by static/auth.js with the browser's time zone, so days start at the person's midnight.
    timezone = HiddenField()


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(REQUIRED)], render_kw=_username_attributes())
    password = PasswordField(
        "Password", validators=[InputRequired(REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me logged in on this device")


class SettingsForm(FlaskForm):
    desired_retention = ClearFloatField(
        "Desired retention",
        validators=[InputRequired(REQUIRED)],
        description=f"The recall probability FSRS schedules for, from {accounts.RETENTION_MIN:.2f} to "
        f"{accounts.RETENTION_MAX:.2f}. Higher means more reviews; 0.90 suits most people.",
        render_kw={
            "autofocus": True,
            "type": "number",
            "step": "0.01",
            "min": accounts.RETENTION_MIN,
            "max": accounts.RETENTION_MAX,
        },
    )
    new_cards_per_day = ClearIntegerField(
        "New cards per day",
        validators=[InputRequired(REQUIRED)],
        description=f"How many unseen cards a day may introduce, {accounts.NEW_CARDS_MIN} to "
        f"{accounts.NEW_CARDS_MAX}.",
        render_kw={"type": "number", "step": 1, "min": accounts.NEW_CARDS_MIN, "max": accounts.NEW_CARDS_MAX},
    )
    timezone = StringField(
        "Time zone",
        validators=[InputRequired(REQUIRED)],
        description="An IANA name such as Europe/Paris or America/New_York; your day starts at its midnight.",
        render_kw={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"},
    )
    interview_date = DateField(
        "Interview date",
        validators=[Optional()],
        description="Optional. Reviews are then ordered by what you would forget by that day. "
        "Leave empty to clear.",
        render_kw={"type": "date"},
    )
    pull_ahead_for_interview = BooleanField(
        "Before the interview, also review cards that are not due yet",
        description="With an interview date set: cards you would probably forget by that day (predicted "
        "recall below your desired retention) join the review queue early, each at most once a day.",
    )
    minutes_per_day = ClearIntegerField(
        "Minutes a day",
        validators=[InputRequired(REQUIRED)],
        description=f"How long you can study on a typical day, {accounts.MINUTES_MIN} to "
        f"{accounts.MINUTES_MAX}; the daily plan fits new cards and the forecast reviews into it.",
        render_kw={"type": "number", "step": 1, "min": accounts.MINUTES_MIN, "max": accounts.MINUTES_MAX},
    )
    interview_minutes = ClearIntegerField(
        "Mock interview length (minutes)",
        validators=[Optional()],
        description=f"How long a mock interview lasts, {mock_interview.MINUTES_MIN} to "
        f"{mock_interview.MINUTES_MAX} minutes (default {mock_interview.MINUTES_DEFAULT}).",
        render_kw={
            "type": "number",
            "step": 1,
            "min": mock_interview.MINUTES_MIN,
            "max": mock_interview.MINUTES_MAX,
        },
    )
    new_card_order = SelectField(
        "New-card order",
        choices=[SelectChoice(value, label) for value, label in NEW_CARD_ORDERS.items()],
        description="Mixed interleaves topics and card kinds (typed answers, drills) from the first day; "
        "topic by topic follows the bank from its first topic to its last.",
    )
    known_topics = SelectMultipleField(
        "Topics I already know",
        description="Their cards are left out of the daily new cards and the plan; you can still study "
        "them topic by topic.",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    # Optional: a form posted without the field (an older page or client) keeps the saved value; an
    # empty field means the default.
    leech_threshold = ClearIntegerField(
        "Leech threshold",
        validators=[Optional()],
        description="After this many lapses a card is marked a leech and suspended, as in Anki; "
        f"{accounts.LEECH_THRESHOLD_MIN} to {accounts.LEECH_THRESHOLD_MAX}; empty means "
        f"{accounts.DEFAULT_LEECH_THRESHOLD}.",
        render_kw={
            "type": "number",
            "step": 1,
            "min": accounts.LEECH_THRESHOLD_MIN,
            "max": accounts.LEECH_THRESHOLD_MAX,
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_topics.choices = _topic_choices()
        # A form posted without the length (an older page) keeps the saved one.
        saved = getattr(kwargs.get("obj"), "interview_minutes", None)
        self._saved_interview_minutes = saved or mock_interview.MINUTES_DEFAULT

    def to_settings(self) -> accounts.Settings:
        return accounts.Settings(
            desired_retention=self.desired_retention.data,
            new_cards_per_day=self.new_cards_per_day.data,
            timezone=self.timezone.data,
            interview_date=self.interview_date.data,
            pull_ahead_for_interview=bool(self.pull_ahead_for_interview.data),
            minutes_per_day=self.minutes_per_day.data,
            new_card_order=self.new_card_order.data,
            known_topics=tuple(self.known_topics.data or ()),
            leech_threshold=(
                accounts.DEFAULT_LEECH_THRESHOLD
                if self.leech_threshold.data is None
                else self.leech_threshold.data
            ),
            interview_minutes=self._saved_interview_minutes
            if self.interview_minutes.data is None
            else self.interview_minutes.data,
        )


class OnboardingForm(FlaskForm):
    """The questions asked right after registering: the settings page's plan fields, nothing new."""

    interview_date = SettingsForm.interview_date
    minutes_per_day = SettingsForm.minutes_per_day
    timezone = SettingsForm.timezone
    known_topics = SettingsForm.known_topics

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_topics.choices = _topic_choices()

    def to_choices(self) -> accounts.StudyPlanChoices:
        return accounts.StudyPlanChoices(
            timezone=self.timezone.data,
            interview_date=self.interview_date.data,
            minutes_per_day=self.minutes_per_day.data,
            known_topics=tuple(self.known_topics.data or ()),
        )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[InputRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password_field("New password")
    confirm = _confirm_password_field("Repeat the new password")


def show_errors(form: FlaskForm, error: accounts.AccountError) -> None:
    """Attach a service's field errors to the form's fields, to be shown next to each field."""
    for name, message in error.errors.items():
        form[name].errors = [*form[name].errors, message]
