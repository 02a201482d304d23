"""Export and import of a person's whole history as versioned JSON, and of the deck as an Anki package.

Rows are (de)serialised column by column from the models, so a column added later travels without edits
here; an import is validated completely before anything is written, then written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Boolean, Date, Float, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import Column

from quizapp.extensions import db
from quizapp.models import (
    Card,
    CardState,
    Drill,
    Review,
    SchedulerOptimization,
    Submission,
    Topic,
    User,
    UTCDateTime,
    utcnow,
)

FORMAT = "quizapp-history"
VERSION = 1
MAX_PROBLEMS = 20  # an import error lists at most this many problems
# Columns that belong to the database, not to the person: ids, owners, optimistic-lock counters, login data.
SKIPPED_COLUMNS = {"id", "user_id", "version"}
USER_SKIPPED_COLUMNS = {"id", "username", "password_hash", "created_at"}
# JSON section → model, in the order rows are written.
SECTIONS: dict[str, type[db.Model]] = {
    "card_states": CardState,
    "reviews": Review,
    "submissions": Submission,
    "scheduler_optimizations": SchedulerOptimization,
}
SECTION_ORDER: dict[str, Any] = {
    "card_states": CardState.card_slug,
    "reviews": Review.reviewed_at,
    "submissions": Submission.created_at,
    "scheduler_optimizations": SchedulerOptimization.created_at,
}


class HistoryImportError(ValueError):
    """The file cannot be imported; `problems` says where and why, one line each."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return self.message + ("" if not self.problems else ": " + "; ".join(self.problems))


# ------------------------------------------------------------------------------------------------- export


def export_history(user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the person did: settings, memory states, reviews, submissions, scheduler fits."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or utcnow()).isoformat(),
        "username": user.username,
        "settings": {column.key: _dump(column, getattr(user, column.key)) for column in _user_columns()},
    }
    for section, model in SECTIONS.items():
        rows = db.session.scalars(
            select(model).where(model.user_id == user.id).order_by(SECTION_ORDER[section], model.id)
        )
        columns = _row_columns(model)
        data[section] = [
            {column.key: _dump(column, getattr(row, column.key)) for column in columns} for row in rows
        ]
    return data


def _user_columns() -> list[Column[Any]]:
    return [column for column in User.__table__.columns if column.key not in USER_SKIPPED_COLUMNS]


def _row_columns(model: type[db.Model]) -> list[Column[Any]]:
    return [column for column in model.__table__.columns if column.key not in SKIPPED_COLUMNS]


def _dump(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime | Date):
        return value.isoformat()
    return value


# ------------------------------------------------------------------------------------------------- import


def import_history(user: User, data: Any) -> dict[str, int]:
    """Load an export into `user`'s account, which must have no history yet. All or nothing.

    Returns the number of rows written per section. Raises HistoryImportError with every problem found.
    """
    settings, sections = validate_history(data)
    _require_fresh_account(user)
    try:
        for key, value in settings.items():
            setattr(user, key, value)
        for section, rows in sections.items():
            model = SECTIONS[section]
            db.session.add_all(model(user_id=user.id, **row) for row in rows)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise HistoryImportError("The file conflicts with data already stored; nothing was imported") from exc
    return {section: len(rows) for section, rows in sections.items()}


def _require_fresh_account(user: User) -> None:
    for section, model in SECTIONS.items():
        if db.session.scalar(select(model.id).where(model.user_id == user.id).limit(1)) is not None:
            noun = section.replace("_", " ")
            raise HistoryImportError(
                f"This account already has {noun}. Import a history only into a fresh account "
                "(register a new one), so nothing is overwritten or counted twice"
            )


def validate_history(data: Any) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Check the whole document and convert it to column values: (user settings, rows per section)."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise HistoryImportError(f'This is not a quizapp history export (expected "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise HistoryImportError(
            f"Unsupported export version {data.get('version')!r}; this server reads version {VERSION}"
        )
    problems: list[str] = []
    settings = _load_settings(data.get("settings"), problems)
    sections = {section: _load_rows(section, data.get(section, []), problems) for section in SECTIONS}
    _check_references(sections, problems)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
        raise HistoryImportError("The file has problems; nothing was imported", shown)
    return settings, sections


def _load_settings(raw: Any, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append("settings: expected an object")
        return {}
    values = _load_object("settings", raw, _user_columns(), problems)
    _check_settings(values, problems)
    return values


def _check_settings(values: dict[str, Any], problems: list[str]) -> None:
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"settings.timezone: unknown time zone {values['timezone']!r}")
    retention = values.get("desired_retention")
    if retention is not None and not 0 < retention < 1:
        problems.append("settings.desired_retention: expected a number between 0 and 1")
    parameters = values.get("fsrs_parameters")
    if parameters is not None:
        from fsrs import Scheduler

        try:
            Scheduler(parameters=parameters)
        except (TypeError, ValueError) as exc:
            problems.append(f"settings.fsrs_parameters: not valid FSRS weights ({exc})".replace("\n", " "))


def _load_rows(section: str, raw: Any, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        problems.append(f"{section}: expected a list")
        return []
    columns = _row_columns(SECTIONS[section])
    rows = []
    for index, item in enumerate(raw):
        where = f"{section}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected an object")
            continue
        rows.append(_load_object(where, item, columns, problems))
    return rows


def _load_object(
    where: str, raw: Mapping[str, Any], columns: list[Column[Any]], problems: list[str]
) -> dict[str, Any]:
    known = {column.key for column in columns}
    problems.extend(f"{where}.{key}: unknown field" for key in raw if key not in known)
    values: dict[str, Any] = {}
    for column in columns:
        if column.key not in raw:
            if not column.nullable and column.default is None:
                problems.append(f"{where}.{column.key}: missing")
            continue
        try:
            values[column.key] = _load_value(column, raw[column.key])
        except ValueError as exc:
            problems.append(f"{where}.{column.key}: {exc}")
    return values


def _load_value(column: Column[Any], value: Any) -> Any:
    """One JSON value converted to the column's Python type, or ValueError saying what was expected."""
    if value is None:
        if not column.nullable:
            raise ValueError("must not be null")
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _load_datetime(value)
    if isinstance(kind, Date):
        return _load_date(value)
    if isinstance(kind, Boolean):
        return _require(value, isinstance(value, bool), "true or false")
    if isinstance(kind, Integer):
        whole = isinstance(value, int) and not isinstance(value, bool)
        # INTEGER columns hold 32 bits on PostgreSQL: a larger number would fail the insert.
        return _require(value, whole and -(2**31) <= value < 2**31, "an integer of at most 10 digits")
    if isinstance(kind, Float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return float(_require(value, ok, "a number"))
    if isinstance(kind, String | Text):
        _require(value, isinstance(value, str), "a string")
        length = getattr(kind, "length", None)
        return _require(value, length is None or len(value) <= length, f"at most {length} characters")
    return value  # JSON columns hold any JSON value


def _require(value: Any, ok: bool, expected: str) -> Any:
    if not ok:
        raise ValueError(f"expected {expected}, got {str(value)[:40]!r}")
    return value


def _load_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            try:
                return parsed.astimezone(dt.UTC)  # stored as UTC: a year-1 or year-9999 offset overflows
            except OverflowError:
                raise ValueError(f"{value[:40]!r} lies outside the years 1 to 9999 in UTC") from None
    raise ValueError(f"expected an ISO 8601 time with a UTC offset, got {str(value)[:40]!r}")


def _load_date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a date like 2026-05-01, got {str(value)[:40]!r}") from None


def _check_references(sections: dict[str, list[dict[str, Any]]], problems: list[str]) -> None:
    """Cards and drills must exist in this server's bank; ratings, states and keys must make sense."""
    cards = set(db.session.scalars(select(Card.slug)))
    drills = set(db.session.scalars(select(Drill.slug)))
    _unknown("card", _column_values(sections, ("card_states", "reviews"), "card_slug"), cards, problems)
    _unknown("drill", _column_values(sections, ("submissions",), "drill_slug"), drills, problems)
    for index, review in enumerate(sections["reviews"]):
        if review.get("rating") not in (1, 2, 3, 4):
            problems.append(f"reviews[{index}].rating: expected 1 (Again) to 4 (Easy)")
    for index, state in enumerate(sections["card_states"]):
        if state.get("state") not in (1, 2, 3):
            problems.append(
                f"card_states[{index}].state: expected 1 (learning), 2 (review) or 3 (relearning)"
            )
    _duplicates("reviews", "idempotency_key", sections["reviews"], problems)
    _duplicates("card_states", "card_slug", sections["card_states"], problems)


def _column_values(sections: Mapping[str, list[dict[str, Any]]], names: Iterable[str], key: str) -> set[str]:
    return {row[key] for name in names for row in sections[name] if isinstance(row.get(key), str)}


def _unknown(noun: str, used: set[str], known: set[str], problems: list[str]) -> None:
    missing = sorted(used - known)
    if missing:
        problems.append(f"unknown {noun}s (not in this server's question bank): {', '.join(missing[:10])}")


def _duplicates(section: str, key: str, rows: list[dict[str, Any]], problems: list[str]) -> None:
    seen: set[Any] = set()
    for index, row in enumerate(rows):
        value = row.get(key)
        if value in seen:
            problems.append(f"{section}[{index}].{key}: {value!r} appears twice")
        seen.add(value)


# ---------------------------------------------------------------------------------------------- Anki deck

# Fixed ids: Anki recognises a re-imported deck and note type by them and updates instead of duplicating.
ANKI_MODEL_ID = 1607392319
ANKI_DECK_ID = 2059400110
ANKI_CSS = (
    ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
    ".source { color: #555; font-size: 14px; margin-top: 1em; }"
)
DISPLAY_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<!\\)\$", re.S)


def anki_math(text: str) -> str:
    """HTML for Anki: `$$…$$` → `\\[…\\]`, `$…$` → `\\(…\\)` (Anki's MathJax delimiters), rest escaped."""
    pieces: list[str] = []
    position = 0
    for match in _math_spans(text):
        pieces.append(_anki_text(text[position : match[0]]))
        pieces.append(match[2])
        position = match[1]
    pieces.append(_anki_text(text[position:]))
    return "".join(pieces).strip().removesuffix("<br>")


MARKDOWN = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(\S(?:[^*\n]*\S)?)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![*\w])\*(\S(?:[^*\n]*\S)?)\*(?![*\w])"), r"<i>\1</i>"),
)


def _anki_text(text: str) -> str:
    """Plain text between formulas: escaped, with the bank's bits of Markdown (code, bold, italic) as HTML."""
    html = _escape(text.replace("\\$", "$"))
    for pattern, replacement in MARKDOWN:
        html = pattern.sub(replacement, html)
    return html.replace("\n", "<br>")


def _math_spans(text: str) -> list[tuple[int, int, str]]:
    from markupsafe import escape

    spans = [
        (m.start(), m.end(), "\\[" + str(escape(m.group(1))) + "\\]") for m in DISPLAY_MATH.finditer(text)
    ]
    taken = [(start, end) for start, end, _ in spans]
    for match in INLINE_MATH.finditer(text):
        if not any(start <= match.start() < end for start, end in taken):
            spans.append((match.start(), match.end(), "\\(" + str(escape(match.group(1))) + "\\)"))
    return sorted(spans)


def write_apkg(path: Path, user: User | None = None) -> int:
    """Write the live question bank as an Anki package (one subdeck per topic); returns the note count.

    With a user, each note is tagged with that person's progress (quizapp::new / learning / review).
    """
    import genanki

    model = genanki.Model(
        ANKI_MODEL_ID,
        "quizapp card",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}, {"name": "Slug"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="source">{{Source}}</div>',
            }
        ],
        css=ANKI_CSS,
        sort_field_index=3,
    )
    states = _state_names(user)
    decks = []
    count = 0
    for index, topic in enumerate(db.session.scalars(select(Topic).order_by(Topic.position, Topic.slug))):
        deck = genanki.Deck(ANKI_DECK_ID + index + 1, f"quizapp::{topic.title}")
        for card in topic.cards:
            if card.retired:
                continue
            deck.add_note(_anki_note(genanki, model, card, states.get(card.slug)))
            count += 1
        decks.append(deck)
    genanki.Package(decks).write_to_file(str(path))
    return count


def _anki_note(genanki: Any, model: Any, card: Card, state: str | None) -> Any:
    source = f"{card.source_seed} — {card.source_section}"
    tags = [card.topic_slug, f"kind::{card.kind}", *(tag for tag in card.tags or [])]
    if state is not None:
        tags.append(f"quizapp::{state}")
    return genanki.Note(
        model=model,
        fields=[anki_math(card.front), anki_math(card.back), str(_escape(source)), card.slug],
        guid=genanki.guid_for("quizapp", card.slug),
        tags=[re.sub(r"\s+", "_", tag) for tag in tags],
    )


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _state_names(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    names = {1: "learning", 2: "review", 3: "learning"}
    rows = db.session.execute(
        select(CardState.card_slug, CardState.state).where(CardState.user_id == user.id)
    )
    states = {slug: state for slug, state in rows}
    slugs = db.session.scalars(select(Card.slug).where(Card.retired.is_(False)))
    return {slug: names.get(states.get(slug, 0), "new") for slug in slugs}
