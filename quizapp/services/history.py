"""Export and import of a person's whole history as versioned JSON, and of the deck as an Anki package.

Rows are (de)serialised column by column from the models, so a column added later travels without edits
here; an import is validated completely before anything is written, then written in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN
from sqlalchemy import Boolean, Date, Float, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.schema import Column

from quizapp import srs, timeparse
from quizapp.bank.drills import FRAMEWORKS
from quizapp.extensions import db, lock_user
from quizapp.grader.source_checks import MAX_CODE_BYTES
from quizapp.grader.verdict import Diagnosis, Outcome
from quizapp.input_guards import MalformedInput, load_json
from quizapp.models import (
    REVIEW_ORIGINS,
    Card,
    CardFlag,
    CardState,
    Drill,
    MockInterview,
    MockInterviewQuestion,
    Review,
    SchedulerOptimization,
    SolutionRequest,
    Submission,
    Topic,
    User,
    UTCDateTime,
    utcnow,
)
from quizapp.prose import anki_html
from quizapp.services import card_flags, interviews
from quizapp.services.errors import ServiceError
from quizapp.srs import mock_interview
from quizapp.srs.scheduling import MemoryState

FORMAT = "quizapp-history"
OUTCOMES: tuple[str, ...] = get_args(Outcome)
DIAGNOSIS_FIELDS = tuple(field.name for field in dataclasses.fields(Diagnosis))
VERSION = 1
MAX_PROBLEMS = 20  # an import error lists at most this many problems
# The largest history file an import reads (the page's upload limit, `quizapp import`'s read); the site-wide
# form limit is 1 MiB.
IMPORT_MAX_BYTES = 32 * 1024 * 1024
TOO_LARGE = f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MiB, the most an import accepts"
# A verdict's JSON, at most: the grader's largest (1,000 steps, every problem) is about 220 kB.
MAX_VERDICT_CHARACTERS = 2_000_000
# Columns that belong to the database, not to the person: ids, owners, links by id, optimistic-lock
# counters, login data, a submission's grader fingerprint (which release graded it here; an imported row is
# never graded). (An interview names its drill submission by its place in the file's `submissions`.)
SKIPPED_COLUMNS = {"id", "user_id", "version", "submission_id", "interview_id", "grader_fingerprint"}
USER_SKIPPED_COLUMNS = {"id", "username", "password_hash", "created_at"}
# JSON section → model, in the order rows are written.
SECTIONS: dict[str, type[db.Model]] = {
    "card_states": CardState,
    "card_flags": CardFlag,
    "reviews": Review,
    "submissions": Submission,
    "solution_requests": SolutionRequest,
    "mock_interviews": MockInterview,  # after submissions: an interview links to its drill's submission
    "scheduler_optimizations": SchedulerOptimization,
}
SECTION_ORDER: dict[str, Any] = {
    "card_states": CardState.card_slug,
    "card_flags": CardFlag.card_slug,
    "reviews": Review.reviewed_at,
    "submissions": Submission.created_at,
    "solution_requests": SolutionRequest.asked_at,
    "mock_interviews": MockInterview.started_at,
    "scheduler_optimizations": SchedulerOptimization.created_at,
}
# The keys of an interview object that are not its columns: its questions, and its drill submission (the
# index of that submission in the file's `submissions`, or null).
INTERVIEW_QUESTIONS, INTERVIEW_SUBMISSION = "questions", "submission"


class HistoryImportError(ServiceError):
    """The file cannot be imported; `problems` says where and why, one line each (the import page lists
    them)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(400, message)
        self.problems = problems or []

    def __str__(self) -> str:
        return self.message + ("" if not self.problems else ": " + "; ".join(self.problems))


# ------------------------------------------------------------------------------------------------- export


def export_history(user: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the person did: settings, memory states, card flags (suspended, buried, leech), reviews,
    submissions, asked-for solutions, mock interviews (with their questions), scheduler fits."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or utcnow()).isoformat(),
        "username": user.username,
        "settings": {column.key: _dump(column, getattr(user, column.key)) for column in _user_columns()},
    }
    place: dict[int, int] = {}  # submission id → its index in data["submissions"]
    for section, model in SECTIONS.items():
        query = (
            select(model)
            .where(model.user_id == user.id)
            .order_by(SECTION_ORDER[section], *model.__mapper__.primary_key)
        )
        if model is MockInterview:  # every interview's questions in one more query, not one per interview
            query = query.options(selectinload(MockInterview.questions))
        rows = db.session.scalars(query).all()
        data[section] = [_dump_row(row) for row in rows]
        if model is Submission:
            place = {row.id: index for index, row in enumerate(rows)}
        if model is MockInterview:
            for row, dumped in zip(rows, data[section], strict=True):
                dumped[INTERVIEW_SUBMISSION] = place.get(row.submission_id)
                dumped[INTERVIEW_QUESTIONS] = [_dump_row(question) for question in row.questions]
    return data


def _dump_row(row: db.Model) -> dict[str, Any]:
    return {column.key: _dump(column, getattr(row, column.key)) for column in _row_columns(type(row))}


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

# Every time in a file must lie in this window: quizapp keeps nothing older, and a due date a century ahead
# (FSRS's longest interval) still fits; beyond it the pages' date arithmetic would overflow.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
# Memory-state bounds: fsrs's own for difficulty and the smallest stability; a stability of a million days
# is far beyond anything a person can reach and keeps every interval computable.
STABILITY_MAX = 1e6
COUNT_MAX = 10**6  # reps, lapses, attempts, cases: no real history comes near
DURATION_MS_MAX = 24 * 3600 * 1000
MEMORY_STATE_KEYS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")
FINISHED = ("done", "error")
UNFINISHED = ("queued", "running")
UNFINISHED_SUBMISSION = (
    "Not graded: this submission was still waiting for the grader when the history was exported. "
    "Imported submissions are history and are never graded; submit the code again for a verdict."
)
UNFINISHED_FIT = "This run had not finished when the history was exported."
# Times of things that happened cannot lie ahead (beyond a little clock difference between servers): a
# future-dated row would pass for the latest one and shadow the real ones (e.g. the fit rate limit).
CLOCK_SKEW = dt.timedelta(minutes=5)
PAST_TIMES: dict[str, tuple[str, ...]] = {
    "card_states": ("last_review", "introduced_at"),
    "card_flags": (),  # buried_until lies ahead by nature
    "reviews": ("reviewed_at",),
    "submissions": ("created_at", "started_at", "finished_at", "heartbeat_at"),
    "solution_requests": ("asked_at",),
    "mock_interviews": ("started_at", "finished_at"),  # ends_at lies ahead while one runs
    "scheduler_optimizations": ("created_at", "started_at", "finished_at"),
}


def read_history_file(content: bytes) -> Any:
    """The parsed JSON of an uploaded or named history file, by the site's JSON rules (UTF-8, nesting, no NUL
    nor lone surrogate: `input_guards.load_json`); HistoryImportError saying why when it is not, or when it
    is over IMPORT_MAX_BYTES (a reader hands at most one byte more)."""
    if len(content) > IMPORT_MAX_BYTES:
        raise HistoryImportError(TOO_LARGE)
    try:
        return load_json(content)
    except MalformedInput as exc:
        raise HistoryImportError(f"The file is not valid JSON ({exc})") from None


def import_history(user: User, data: Any) -> dict[str, int]:
    """Load an export into `user`'s account, which must have no history yet. All or nothing: the rows are
    flushed in the caller's unit of work, which commits them or (on any error) none.

    Returns the number of rows written per section, and `unfinished_submissions`: how many submissions were
    still queued or running in the file and are stored as `error` (imports never queue anything). A mock
    interview still running in the file is finished here, like one whose time ran out.
    Raises HistoryImportError with every problem found.
    """
    settings, sections = validate_history(data)
    lock_user(user.id)  # two imports at once (a double click): the second finds the account no longer fresh
    _require_fresh_account(user)
    unfinished = sum(1 for row in sections["submissions"] if row.get("error") == UNFINISHED_SUBMISSION)
    _rename_interview_keys(sections["reviews"])
    try:
        for key, value in settings.items():
            setattr(user, key, value)
        written: dict[str, list[Any]] = {}
        for section, rows in sections.items():
            if section == "mock_interviews":
                objects = [_interview(user, row, written["submissions"]) for row in rows]
            else:
                objects = [SECTIONS[section](user_id=user.id, **row) for row in rows]
            db.session.add_all(objects)
            db.session.flush()  # ids for the sections after (an interview's submission)
            written[section] = objects
        for interview in written["mock_interviews"]:
            if interview.finished_at is None:  # history, like a submission: nothing imported goes on running
                interviews.finish_interview(user, interview.id)
    except IntegrityError as exc:  # the caller's unit of work rolls all of it back
        raise HistoryImportError("The file conflicts with data already stored; nothing was imported") from exc
    counts = {section: len(rows) for section, rows in sections.items()}
    return {**counts, "unfinished_submissions": unfinished}


def _interview(user: User, row: dict[str, Any], submissions: list[Submission]) -> MockInterview:
    columns = {
        key: value for key, value in row.items() if key not in (INTERVIEW_QUESTIONS, INTERVIEW_SUBMISSION)
    }
    index = row.get(INTERVIEW_SUBMISSION)
    return MockInterview(
        user_id=user.id,
        **columns,
        submission_id=submissions[index].id if index is not None else None,
        questions=[MockInterviewQuestion(**question) for question in row.get(INTERVIEW_QUESTIONS, [])],
    )


# The key a mock interview's answer is rated under (services/interviews.py): it names the interview's id,
# which this server will hand out again, so imported ones are renamed or a new interview's answer would
# pass for an imported rating (idempotency) and be refused or dropped. The random part keeps a second
# import of a file that holds renamed keys from colliding with the first.
INTERVIEW_KEY = re.compile(r"mock-\d{1,10}-\d{1,10}")


def _rename_interview_keys(reviews: list[dict[str, Any]]) -> None:
    prefix = f"imported-{secrets.token_hex(4)}-"
    for row in reviews:
        if INTERVIEW_KEY.fullmatch(row["idempotency_key"]):
            row["idempotency_key"] = prefix + row["idempotency_key"]


def import_summary(counts: Mapping[str, int]) -> str:
    """One sentence for the person (page) or operator (CLI) about what an import wrote."""
    rows = ", ".join(f"{counts[section]} {section.replace('_', ' ')}" for section in SECTIONS)
    unfinished = counts.get("unfinished_submissions", 0)
    note = (
        f" {unfinished} submission(s) had not been graded when the file was exported; they are stored as "
        "errors and will not be graded (submit the code again for a verdict)."
        if unfinished
        else ""
    )
    return f"Imported {rows}.{note}"


def _require_fresh_account(user: User) -> None:
    for section, model in SECTIONS.items():
        if db.session.scalar(select(model.user_id).where(model.user_id == user.id).limit(1)) is not None:
            noun = section.replace("_", " ")
            raise HistoryImportError(
                f"This account already has {noun}. Import a history only into a fresh account "
                "(register a new one), so nothing is overwritten or counted twice"
            )


def validate_history(data: Any) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Check the whole document and convert it to column values: (user settings, rows per section)."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise HistoryImportError(f'This is not a quizapp history export (expected "format": "{FORMAT}")')
    version = data.get("version")
    if type(version) is not int or version != VERSION:  # exactly the number 1: not true, not 1.0
        raise HistoryImportError(
            f"Unsupported export version {repr(version)[:40]}; this server reads version {VERSION}"
        )
    problems: list[str] = []
    settings = _load_settings(data.get("settings"), problems)
    # A section the file lacks is empty: files from before a section existed (card_flags) still import.
    sections = {section: _load_rows(section, data.get(section, []), problems) for section in SECTIONS}
    _check_interview_links(sections, problems)
    _check_references(sections, problems)
    latest = utcnow() + CLOCK_SKEW
    for section, rows in sections.items():
        check = SECTION_RULES.get(section)  # card flags: the column types say all there is to check
        for index, row in enumerate(rows):
            if check is not None:
                check(f"{section}[{index}]", row, problems)
            problems.extend(_future_times(f"{section}[{index}]", row, PAST_TIMES[section], latest))
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
        raise HistoryImportError("The file has problems; nothing was imported", shown)
    return settings, sections


def _future_times(where: str, row: Mapping[str, Any], keys: Iterable[str], latest: dt.datetime) -> list[str]:
    """A problem for each of the row's times (`keys`) of things that happened that lies after `latest`."""
    return [
        f"{where}.{key}: {row[key].isoformat()} is in the future"
        for key in keys
        if row.get(key) is not None and row[key] > latest
    ]


def _load_settings(raw: Any, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append("settings: expected an object")
        return {}
    values = _load_object("settings", raw, _user_columns(), problems)
    _check_settings(values, problems)
    return values


def _check_settings(values: dict[str, Any], problems: list[str]) -> None:
    """The settings form's own rules (accounts.settings_errors), on the file's values."""
    from quizapp.services import accounts

    known = values.get("known_topics", [])
    if not isinstance(known, list) or not all(isinstance(slug, str) for slug in known):
        problems.append("settings.known_topics: expected a list of topic slugs")
        known = []
    defaults = {column.key: column.default.arg for column in _user_columns() if column.default is not None}
    interview = values.get("interview_date")
    timezone = values.get("timezone", defaults["timezone"])
    today = dt.datetime.now(timeparse.zone(accounts.canonical_timezone(timezone))).date()
    # Every field the form checks, from the file or the account's default: none can slip past the rules.
    given = {
        field.name: values.get(field.name, defaults.get(field.name, field.default))
        for field in dataclasses.fields(accounts.Settings)
    }
    given.update(timezone=timezone, interview_date=interview, known_topics=tuple(known))
    settings = accounts.Settings(**given)
    # The file's interview date was saved in the exporting account; like any saved date it may have passed.
    saved = interview if interview is not None and interview < today else None
    errors = accounts.settings_errors(settings, saved_interview_date=saved, today=today)
    problems.extend(f"settings.{field}: {message}" for field, message in errors.items() if field in values)
    if "timezone" in values and "timezone" not in errors:
        values["timezone"] = accounts.canonical_timezone(values["timezone"])
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
        if section == "mock_interviews":
            rows.append(_load_interview(where, item, columns, problems))
        else:
            rows.append(_load_object(where, item, columns, problems))
    return rows


def _load_interview(
    where: str, raw: Mapping[str, Any], columns: list[Column[Any]], problems: list[str]
) -> dict[str, Any]:
    """An interview's columns, its `questions` (each a question row) and its `submission` (an index)."""
    nested = (INTERVIEW_QUESTIONS, INTERVIEW_SUBMISSION)
    row = _load_object(where, {k: v for k, v in raw.items() if k not in nested}, columns, problems)
    if "started_at" not in raw:  # the column's default (now) would let any end time through
        problems.append(f"{where}.started_at: missing")
    submission = raw.get(INTERVIEW_SUBMISSION)
    if submission is not None and (isinstance(submission, bool) or not isinstance(submission, int)):
        problems.append(f"{where}.{INTERVIEW_SUBMISSION}: expected null or the index of a submission")
        submission = None
    row[INTERVIEW_SUBMISSION] = submission
    questions = raw.get(INTERVIEW_QUESTIONS, [])
    if not isinstance(questions, list) or len(questions) > mock_interview.MAX_CARDS:
        problems.append(
            f"{where}.{INTERVIEW_QUESTIONS}: expected a list of at most {mock_interview.MAX_CARDS}"
        )
        questions = []
    question_columns = _row_columns(MockInterviewQuestion)
    row[INTERVIEW_QUESTIONS] = []
    for number, question in enumerate(questions):
        place = f"{where}.{INTERVIEW_QUESTIONS}[{number}]"
        if isinstance(question, Mapping):
            row[INTERVIEW_QUESTIONS].append(_load_object(place, question, question_columns, problems))
        else:
            problems.append(f"{place}: expected an object")
    return row


def _load_object(
    where: str, raw: Mapping[str, Any], columns: list[Column[Any]], problems: list[str]
) -> dict[str, Any]:
    known = {column.key for column in columns}
    problems.extend(f"{where}.{str(key)[:40]}: unknown field" for key in raw if key not in known)
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
        return timeparse.parse_datetime(value, earliest=EARLIEST, latest=LATEST)
    if isinstance(kind, Date):
        return timeparse.parse_date(value, earliest=EARLIEST.date(), latest=LATEST.date())
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
        _require(value, isinstance(value, str) and "\x00" not in value, "a string without NUL characters")
        length = getattr(kind, "length", None)
        return _require(value, length is None or len(value) <= length, f"at most {length} characters")
    return value  # JSON columns hold any JSON value; the section rules below check the ones pages read


def _require(value: Any, ok: bool, expected: str) -> Any:
    if not ok:
        raise ValueError(f"expected {expected}, got {str(value)[:40]!r}")
    return value


def _check_references(sections: dict[str, list[dict[str, Any]]], problems: list[str]) -> None:
    """Cards and drills must exist in this server's bank; keys must be unique."""
    cards = set(db.session.scalars(select(Card.slug)))
    drills = set(db.session.scalars(select(Drill.slug)))
    questions = [question for row in sections["mock_interviews"] for question in row[INTERVIEW_QUESTIONS]]
    card_rows = (sections["card_states"], sections["card_flags"], sections["reviews"], questions)
    _unknown("card", _column_values("card_slug", *card_rows), cards, problems)
    drill_rows = (sections[name] for name in ("submissions", "solution_requests", "mock_interviews"))
    _unknown("drill", _column_values("drill_slug", *drill_rows), drills, problems)
    _duplicates("solution_requests", "drill_slug", sections["solution_requests"], problems)
    _duplicates("reviews", "idempotency_key", sections["reviews"], problems)
    _duplicates("card_states", "card_slug", sections["card_states"], problems)
    _duplicates("card_flags", "card_slug", sections["card_flags"], problems)


def _check_memory_state(where: str, row: dict[str, Any], problems: list[str]) -> None:
    """A memory state the scheduler and the progress pages can compute with (card states, undo targets)."""
    if "state" in row and row["state"] not in (1, 2, 3):
        problems.append(f"{where}.state: expected 1 (learning), 2 (review) or 3 (relearning)")
    step = row.get("step")
    if step is not None and not 0 <= step <= 100:
        problems.append(f"{where}.step: expected a learning step from 0 to 100")
    stability, difficulty = row.get("stability"), row.get("difficulty")
    if stability is not None and not STABILITY_MIN <= stability <= STABILITY_MAX:
        problems.append(f"{where}.stability: expected {STABILITY_MIN} to {STABILITY_MAX:g} days")
    if difficulty is not None and not MIN_DIFFICULTY <= difficulty <= MAX_DIFFICULTY:
        problems.append(f"{where}.difficulty: expected {MIN_DIFFICULTY} to {MAX_DIFFICULTY}")
    if (stability is None) != (difficulty is None) or (row.get("state") == 2 and stability is None):
        problems.append(f"{where}: stability and difficulty go together, and a review-state card needs both")
    _check_counts(where, row, ("reps", "lapses"), problems)


def _check_counts(where: str, row: dict[str, Any], keys: Iterable[str], problems: list[str]) -> None:
    for key in keys:
        if row.get(key) is not None and not 0 <= row[key] <= COUNT_MAX:
            problems.append(f"{where}.{key}: expected a count from 0 to {COUNT_MAX}")


def _check_review(where: str, row: dict[str, Any], problems: list[str]) -> None:
    if "rating" in row and row["rating"] not in (1, 2, 3, 4):
        problems.append(f"{where}.rating: expected 1 (Again) to 4 (Easy)")
    if row.get("state_before", 0) not in (0, 1, 2, 3):
        problems.append(f"{where}.state_before: expected 0 (new) to 3 (relearning)")
    if row.get("origin", "review") not in REVIEW_ORIGINS:  # every origin the app writes
        problems.append(f"{where}.origin: expected one of {', '.join(REVIEW_ORIGINS)}")
    duration = row.get("duration_ms")
    if duration is not None and not 0 <= duration <= DURATION_MS_MAX:
        problems.append(f"{where}.duration_ms: expected 0 to {DURATION_MS_MAX} milliseconds")
    if row.get("previous_state") is not None:
        row["previous_state"] = _load_previous_state(
            f"{where}.previous_state", row["previous_state"], problems
        )
    flags = row.get("flags_before")
    if flags is not None and not (
        isinstance(flags, Mapping)
        and set(flags) == set(card_flags.LEECH_FLAGS)
        and all(isinstance(value, bool) for value in flags.values())
    ):
        problems.append(
            f'{where}.flags_before: expected null or {{"suspended": true/false, "leech": true/false}}'
        )


def _load_previous_state(where: str, raw: Any, problems: list[str]) -> dict[str, Any] | None:
    """The state undo restores: the same fields and rules as a card state, stored in the canonical shape."""
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected an object or null")
        return None
    columns = [CardState.__table__.columns[key] for key in MEMORY_STATE_KEYS]
    before = len(problems)
    values = _load_object(where, raw, columns, problems)
    _check_memory_state(where, values, problems)
    if len(problems) > before:
        return None
    defaults = {
        "step": None,
        "stability": None,
        "difficulty": None,
        "last_review": None,
        "reps": 0,
        "lapses": 0,
    }
    return MemoryState(**{**defaults, **values}).to_dict()


def _check_submission(where: str, row: dict[str, Any], problems: list[str]) -> None:
    """Imported submissions are history: a finished one keeps its verdict, an unfinished one is stored as
    `error`, so nothing an import writes is ever queued or graded."""
    if row.get("framework", "numpy") not in FRAMEWORKS:
        problems.append(f"{where}.framework: expected one of {', '.join(FRAMEWORKS)}")
    code = row.get("code")
    if isinstance(code, str) and len(code.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
        # The drill pages diff and show it: the same bound as a submission through the site
        problems.append(f"{where}.code: at most {MAX_CODE_BYTES:,} bytes, as a submission through the site")
    status = row.get("status", "queued")
    if status in UNFINISHED:
        row.update(status="error", error=UNFINISHED_SUBMISSION, heartbeat_at=None)
        row["finished_at"] = row.get("finished_at") or row.get("created_at") or utcnow()
    elif status not in FINISHED:
        problems.append(f"{where}.status: expected one of {', '.join(FINISHED + UNFINISHED)}")
    _check_counts(where, row, ("attempts", "cases_passed", "cases_total"), problems)
    if row.get("outcome") is not None and row["outcome"] not in OUTCOMES:
        problems.append(f"{where}.outcome: expected one of {', '.join(OUTCOMES)}")
    if problem := _verdict_problem(row.get("verdict"), done=row.get("status") == "done"):
        problems.append(f"{where}.verdict: {problem}")


def _verdict_problem(verdict: Any, *, done: bool) -> str | None:
    """The parts of the grader's verdict JSON that the drill pages read, checked for shape."""
    if verdict is None:
        return "a graded (done) submission needs its verdict" if done else None
    if not isinstance(verdict, Mapping):
        return "expected the grader's verdict object or null"
    if len(json.dumps(verdict)) > MAX_VERDICT_CHARACTERS:  # the result pages read and plot all of it
        return f"at most {MAX_VERDICT_CHARACTERS:,} characters of JSON, several times the grader's largest"
    if verdict.get("verdict") not in OUTCOMES:
        return f"verdict.verdict: expected one of {', '.join(OUTCOMES)}"
    cases = verdict.get("cases", [])
    if not isinstance(cases, list) or not all(isinstance(case, Mapping) for case in cases):
        return "cases: expected a list of objects"
    diagnosis = verdict.get("diagnosis")
    if diagnosis and not (  # the pages show every field of a diagnosis (grader.verdict.Diagnosis)
        isinstance(diagnosis, Mapping)
        and set(diagnosis) == set(DIAGNOSIS_FIELDS)
        and all(isinstance(value, str) for value in diagnosis.values())
    ):
        return f"diagnosis: expected null or an object of the strings {', '.join(DIAGNOSIS_FIELDS)}"
    texts = ("drill", "convention", "framework", "device", "stdout", "stderr", "message")
    if any(verdict.get(key) is not None and not isinstance(verdict[key], str) for key in texts):
        return f"expected text (or null) in {', '.join(texts)}"
    return None


def _check_fit(where: str, row: dict[str, Any], problems: list[str]) -> None:
    status = row.get("status", "queued")
    if status in UNFINISHED:
        row.update(status="error", message=UNFINISHED_FIT)
        row["finished_at"] = row.get("finished_at") or row.get("created_at") or utcnow()
    elif status not in FINISHED:
        problems.append(f"{where}.status: expected one of {', '.join(FINISHED + UNFINISHED)}")
    _check_counts(where, row, ("reviews_used",), problems)
    for key in ("parameters_before", "parameters_after"):
        weights = row.get(key)
        numbers = isinstance(weights, list) and all(
            isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w) for w in weights
        )
        if weights is not None and not numbers:
            problems.append(f"{where}.{key}: expected a list of numbers or null")


def _check_interview(where: str, row: dict[str, Any], problems: list[str]) -> None:
    """An interview the report and history pages can show: its times in order, a score 0–1, questions
    numbered 1, 2, … with ratings 1–4, answered in the past."""
    shortest, longest = mock_interview.MINUTES_MIN, mock_interview.MINUTES_MAX  # the length setting's range
    minutes = row.get("minutes")
    if minutes is not None and not shortest <= minutes <= longest:
        problems.append(f"{where}.minutes: expected {shortest} to {longest}")
    length = minutes if minutes is not None and shortest <= minutes <= longest else longest
    started, ends, finished = row.get("started_at"), row.get("ends_at"), row.get("finished_at")
    if (
        started is not None
        and ends is not None
        and not started < ends <= started + dt.timedelta(minutes=length)
    ):
        problems.append(f"{where}.ends_at: expected after started_at, by at most its {length} minutes")
    if finished is not None and started is not None and ends is not None and not started <= finished <= ends:
        problems.append(f"{where}.finished_at: expected between started_at and ends_at")
    score = row.get("score")
    if score is not None and not 0 <= score <= 1:
        problems.append(f"{where}.score: expected 0 to 1")
    latest = utcnow() + CLOCK_SKEW
    for index, question in enumerate(row[INTERVIEW_QUESTIONS]):
        place = f"{where}.{INTERVIEW_QUESTIONS}[{index}]"
        if question.get("number") != index + 1:
            problems.append(f"{place}.number: expected {index + 1} (questions are numbered in order)")
        if question.get("rating") is not None and question["rating"] not in (1, 2, 3, 4):
            problems.append(f"{place}.rating: expected 1 (Again) to 4 (Easy) or null")
        problems.extend(_future_times(place, question, ("answered_at",), latest))


def _check_interview_links(sections: dict[str, list[dict[str, Any]]], problems: list[str]) -> None:
    """Each interview's `submission` names a submission of the file, of the interview's drill, used once;
    at most one interview is unfinished (the database allows one running interview per person)."""
    submissions, used = sections["submissions"], set()
    for index, row in enumerate(sections["mock_interviews"]):
        link = row[INTERVIEW_SUBMISSION]
        if link is None:
            continue
        where = f"mock_interviews[{index}].{INTERVIEW_SUBMISSION}"
        if not 0 <= link < len(submissions):
            problems.append(
                f"{where}: expected the index of one of the file's {len(submissions)} submissions"
            )
        elif submissions[link].get("drill_slug") != row.get("drill_slug"):
            problems.append(f"{where}: submission {link} is not of this interview's drill")
        elif link in used:
            problems.append(f"{where}: submission {link} belongs to another interview already")
        used.add(link)
    unfinished = [
        index for index, row in enumerate(sections["mock_interviews"]) if row.get("finished_at") is None
    ]
    if len(unfinished) > 1:
        problems.append(
            f"mock_interviews[{unfinished[1]}].finished_at: only one interview can be unfinished "
            f"(mock_interviews[{unfinished[0]}] is)"
        )


SECTION_RULES = {
    "card_states": _check_memory_state,
    "reviews": _check_review,
    "submissions": _check_submission,
    "mock_interviews": _check_interview,
    "scheduler_optimizations": _check_fit,
}


def _column_values(key: str, *row_lists: list[dict[str, Any]]) -> set[str]:
    return {row[key] for rows in row_lists for row in rows if isinstance(row.get(key), str)}


def _unknown(noun: str, used: set[str], known: set[str], problems: list[str]) -> None:
    missing = sorted(used - known)
    if missing:
        problems.append(f"unknown {noun}s (not in this server's question bank): {', '.join(missing[:10])}")


def _duplicates(section: str, key: str, rows: list[dict[str, Any]], problems: list[str]) -> None:
    seen: set[Any] = set()
    for index, row in enumerate(rows):
        value = row.get(key)
        if value in seen:
            problems.append(f"{section}[{index}].{key}: {str(value)[:40]!r} appears twice")
        seen.add(value)


# ---------------------------------------------------------------------------------------------- Anki deck

# Fixed ids: Anki recognises a re-imported deck and note type by them and updates instead of duplicating.
ANKI_MODEL_ID = 1607392319
ANKI_DECK_ID = 2059400110
ANKI_CSS = (
    ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
    ".source { color: #555; font-size: 14px; margin-top: 1em; }"
)


def write_apkg(path: Path, user: User | None = None) -> int:
    """Write the live question bank as an Anki package (one subdeck per topic); returns the note count.

    With a user, each note is tagged with that person's progress (quizapp::new / learning / review /
    relearning).
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
        fields=[anki_html(card.front), anki_html(card.back), str(_escape(source)), card.slug],
        guid=genanki.guid_for("quizapp", card.slug),
        tags=[re.sub(r"\s+", "_", tag) for tag in tags],
    )


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _state_names(user: User | None) -> dict[str, str]:
    if user is None:
        return {}
    rows = db.session.execute(
        select(CardState.card_slug, CardState.state).where(CardState.user_id == user.id)
    )
    states = {slug: state for slug, state in rows}
    slugs = db.session.scalars(select(Card.slug).where(Card.retired.is_(False)))
    return {slug: srs.state_name(states.get(slug)) for slug in slugs}
