"""Database models (SQLAlchemy 2 typed mappings). No request logic lives here.

Cards and drills are keyed by stable slugs, so re-loading the question bank updates their text without
touching anyone's history. All datetimes are stored as UTC and come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.extensions import db
from quizapp.srs.leeches import DEFAULT_LEECH_THRESHOLD


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC (portable across SQLite and PostgreSQL) and read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    new_cards_per_day: Mapped[int] = mapped_column(Integer, default=20)
    interview_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Before the interview, also review cards not yet due that would fall below the desired retention by then.
    pull_ahead_for_interview: Mapped[bool] = mapped_column(Boolean, default=False)
    fsrs_parameters: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    # The daily plan's inputs (services/daily.py): study time a day, how unseen cards are ordered, and the
    # topics the person already knows (their cards are not introduced as new, unless studied by topic).
    minutes_per_day: Mapped[int] = mapped_column(Integer, default=30)
    new_card_order: Mapped[str] = mapped_column(String(16), default="mixed")
    known_topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Like Anki's leech threshold: the lapse count at which a card is marked a leech and suspended.
    leech_threshold: Mapped[int] = mapped_column(Integer, default=DEFAULT_LEECH_THRESHOLD)
    # Length of a mock interview (quizapp/services/interviews.py), in minutes.
    interview_minutes: Mapped[int] = mapped_column(Integer, default=30)

    # Not a column: the token of the login this object was loaded for (quizapp.services.accounts sets it).
    login_token = None

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and the remember cookie: the user *and* the login, so ending
        the login (logout, password change elsewhere) makes every cookie that carries it worthless."""
        return f"{self.id}:{self.login_token}"


class Login(db.Model):
    """One logged-in browser: its session and remember cookies carry `token`; deleting the row ends it."""

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Topic(db.Model):
    __tablename__ = "topics"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    cards: Mapped[list[Card]] = relationship(back_populates="topic", order_by="Card.position")


class Card(db.Model):
    """One flashcard. `kind` is basic | numeric | symbolic | code; `answer` holds the kind's answer spec."""

    __tablename__ = "cards"

    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    topic_slug: Mapped[str] = mapped_column(ForeignKey("topics.slug"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="basic")
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    drill_slug: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_seed: Mapped[str] = mapped_column(String(200))
    source_section: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A hash of what a learner sees and is judged against (kind, front, back, answer), set by the bank sync;
    # a problem report keeps the version it was about. None for rows not re-synced since it was added.
    content_version: Mapped[str | None] = mapped_column(String(16), nullable=True)

    topic: Mapped[Topic] = relationship(back_populates="cards")


class CardState(db.Model):
    """A user's FSRS memory state for one card. No row means the card is still new for that user.

    `version` is an optimistic lock: two tabs rating the same card cannot both apply a stale state.
    """

    __tablename__ = "card_states"
    __table_args__ = (
        UniqueConstraint("user_id", "card_slug", name="uq_card_state_user_card"),
        Index("ix_card_states_user_due", "user_id", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_slug: Mapped[str] = mapped_column(ForeignKey("cards.slug"))
    state: Mapped[int] = mapped_column(Integer)  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    due: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_review: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    introduced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    card: Mapped[Card] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


# Where a rating came from: the review queue, a focused session, a passed drill, a mock interview's answer.
REVIEW_ORIGINS = ("review", "focus", "drill", "interview")


class Review(db.Model):
    """One rating of one card. `idempotency_key` comes from the client so a repeated POST counts once.

    `previous_state` is the card state before this review (None when the card was new); undo restores it.
    `flags_before` is the card's `{"suspended": bool, "leech": bool}` before this rating, stored only when
    the rating made the card a leech (and so suspended it); undo clears what that rating set.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_review_user_key"),
        Index("ix_reviews_user_reviewed_at", "user_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_slug: Mapped[str] = mapped_column(ForeignKey("cards.slug"), index=True)
    rating: Mapped[int] = mapped_column(Integer)  # 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state_before: Mapped[int] = mapped_column(Integer, default=0)  # 0 new, else fsrs.State
    previous_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    origin: Mapped[str] = mapped_column(String(16), default="review")  # one of REVIEW_ORIGINS
    answer_given: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    flags_before: Mapped[dict[str, bool] | None] = mapped_column(JSON, nullable=True)


class CardFlag(db.Model):
    """What a learner decided about one card, apart from its memory state (a new card can be suspended too):
    suspended, buried until a moment (the start of their next day), marked a leech. No row: none of these."""

    __tablename__ = "card_flags"
    __table_args__ = (UniqueConstraint("user_id", "card_slug", name="uq_card_flag_user_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_slug: Mapped[str] = mapped_column(ForeignKey("cards.slug"), index=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    leech: Mapped[bool] = mapped_column(Boolean, default=False)


class CardReport(db.Model):
    """A learner's "this card is wrong" report: `status` open → resolved (by `quizapp cards reports`).

    `card_version` is the card's content version when the report was made, so a later fix can be told apart.
    """

    __tablename__ = "card_reports"
    __table_args__ = (
        Index("ix_card_reports_card_user", "card_slug", "user_id"),
        Index("ix_card_reports_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    card_slug: Mapped[str] = mapped_column(ForeignKey("cards.slug"))
    reason: Mapped[str] = mapped_column(Text)
    card_version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()
    card: Mapped[Card] = relationship()


class Drill(db.Model):
    """A coding drill's catalogue row, synced from `questions/drills/` by `quizapp questions load`."""

    __tablename__ = "drills"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic_slug: Mapped[str] = mapped_column(ForeignKey("topics.slug"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Submission(db.Model):
    """One graded attempt at a drill: queued → running → done | error; `verdict` is the grader's JSON."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_user_drill", "user_id", "drill_slug", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    drill_slug: Mapped[str] = mapped_column(ForeignKey("drills.slug"))
    code: Mapped[str] = mapped_column(Text)
    framework: Mapped[str] = mapped_column(String(16), default="numpy")
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Refreshed by the worker while it grades; a `running` row whose heartbeat is stale lost its worker.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The verdict's summary, copied out of the JSON so drill lists need not load whole verdicts.
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cases_passed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cases_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The X-Request-ID of the POST that stored it, so the verdict's log line carries the same id.
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # quizapp.grader.fingerprint of the drill as the web app had it when storing the row; the grading job
    # refuses to grade when its own differs (a worker on another bank or release). None: not checked.
    grader_fingerprint: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MockInterview(db.Model):
    """One timed mock interview: cards from every topic plus one drill. Over at `ends_at` (the server
    refuses later answers); `finished_at` is set when the learner ends it or the time is up, with `score`."""

    __tablename__ = "mock_interviews"
    __table_args__ = (
        Index("ix_mock_interviews_user_started", "user_id", "started_at"),
        # One unfinished interview per person, enforced by the database (two tabs starting at once).
        Index(
            "uq_mock_interviews_one_running",
            "user_id",
            unique=True,
            sqlite_where=text("finished_at IS NULL"),
            postgresql_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0..1, the cards' points / questions
    drill_slug: Mapped[str | None] = mapped_column(ForeignKey("drills.slug"), nullable=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), nullable=True
    )

    questions: Mapped[list[MockInterviewQuestion]] = relationship(
        order_by="MockInterviewQuestion.number", cascade="all, delete-orphan", passive_deletes=True
    )
    submission: Mapped[Submission | None] = relationship()


class MockInterviewQuestion(db.Model):
    """One card asked in a mock interview and the learner's answer: the typed text (checked: `correct`)
    or notes plus a self-rating 1–4. The rating goes to FSRS as review key `mock-<interview>-<number>`."""

    __tablename__ = "mock_interview_questions"
    __table_args__ = (UniqueConstraint("interview_id", "number", name="uq_mock_question_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("mock_interviews.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in the order asked
    card_slug: Mapped[str] = mapped_column(ForeignKey("cards.slug"))
    typed: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    card: Mapped[Card] = relationship()


class SolutionRequest(db.Model):
    """A person's explicit ask to see a drill's reference solution after failing it (the third failure
    unlocks the button; the click is recorded here). Passing the drill needs no row."""

    __tablename__ = "solution_requests"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    drill_slug: Mapped[str] = mapped_column(ForeignKey("drills.slug"), primary_key=True)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerOptimization(db.Model):
    """One "optimize my scheduler" run: FSRS weights fitted to a person's reviews, with the log loss of the
    old and new weights on those same reviews. status: queued → running → done | error."""

    __tablename__ = "scheduler_optimizations"
    __table_args__ = (Index("ix_scheduler_optimizations_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reviews_used: Mapped[int] = mapped_column(Integer, default=0)
    log_loss_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    log_loss_after: Mapped[float | None] = mapped_column(Float, nullable=True)
    parameters_before: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    parameters_after: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
