"""Drill submissions as use cases: submit code for grading, read one's own results, summarise progress.

Views and the API call these (and commit); `quizapp.jobs` enqueues a stored submission and grades it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.orm import defer

from quizapp.extensions import db, lock_user
from quizapp.grader.fingerprint import grading_fingerprint
from quizapp.grader.source_checks import MAX_CODE_BYTES
from quizapp.models import Drill, Submission, Topic, User
from quizapp.services.errors import ServiceError

if TYPE_CHECKING:
    from quizapp.bank import DrillSpec

ACTIVE_STATUSES = ("queued", "running")


def drill_specs() -> dict[str, DrillSpec]:
    """The drills of the configured bank (QUESTIONS_DIR), read again when a drill file there changes."""
    from quizapp.bank import load_drills

    return load_drills(current_app.config["QUESTIONS_DIR"])


def drill_with_spec(drill_slug: str) -> tuple[Drill, DrillSpec]:
    """The catalogue row and the spec of a live drill, or ServiceError(404)."""
    drill = db.session.get(Drill, drill_slug)
    spec = drill_specs().get(drill_slug)
    if drill is None or drill.retired or spec is None:
        raise ServiceError(404, f"There is no drill named {drill_slug!r}.")
    return drill, spec


def store_submission(
    user: User, drill_slug: str, code: object, framework: object, request_id: str | None = None
) -> Submission:
    """Store a `queued` submission (flushed: it has its id) in the caller's unit of work; the caller commits,
    then hands it to the grading queue (quizapp.jobs.submit_drill does both)."""
    _, spec = drill_with_spec(drill_slug)
    code_text = _checked_code(code)
    framework_name = _checked_framework(framework, spec)
    # Lock the person (extensions.lock_user) so two tabs submitting at once cannot both pass the
    # one-at-a-time check: the second waits until the first one's unit of work commits.
    lock_user(user.id)
    active = db.session.scalar(
        db.select(Submission.id).where(
            Submission.user_id == user.id,
            Submission.drill_slug == drill_slug,
            Submission.status.in_(ACTIVE_STATUSES),
        )
    )
    if active is not None:
        raise ServiceError(
            409,
            f"Submission #{active} for this drill is still being graded; wait for its verdict "
            "before submitting again.",
        )
    submission = Submission(
        user_id=user.id,
        drill_slug=drill_slug,
        code=code_text,
        framework=framework_name,
        status="queued",
        request_id=request_id,
        grader_fingerprint=grading_fingerprint(spec),
    )
    db.session.add(submission)
    db.session.flush()
    return submission


def _checked_code(code: object) -> str:
    if not isinstance(code, str) or not code.strip():
        raise ServiceError(400, "Send your code as a non-empty string in the field 'code'.")
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ServiceError(
            413,
            f"Your code is {size:,} bytes; the limit is {MAX_CODE_BYTES:,} bytes. "
            "An optimizer fits in far less: remove unused code.",
        )
    return code


def _checked_framework(framework: object, spec: DrillSpec) -> str:
    name = framework or spec.frameworks[0]
    if name not in spec.frameworks:
        offered = " or ".join(repr(f) for f in spec.frameworks)
        raise ServiceError(400, f"This drill accepts framework {offered}, not {name!r}.")
    return str(name)


def owned_submission(user: User, submission_id: int) -> Submission:
    """A submission of `user`, or ServiceError(404) — others' ids look exactly like missing ones."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.user_id != user.id:
        raise ServiceError(404, f"There is no submission #{submission_id} of yours.")
    return submission


def drill_history(user: User, drill_slug: str) -> list[Submission]:
    """The person's submissions for one drill, newest first."""
    return list(
        db.session.scalars(
            db.select(Submission)
            .where(Submission.user_id == user.id, Submission.drill_slug == drill_slug)
            .order_by(Submission.created_at.desc(), Submission.id.desc())
        )
    )


def previous_submission(submission: Submission) -> Submission | None:
    """The same person's attempt at the same drill just before this one."""
    return db.session.scalar(
        db.select(Submission)
        .where(
            Submission.user_id == submission.user_id,
            Submission.drill_slug == submission.drill_slug,
            Submission.id < submission.id,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )


def code_diff(before: Submission, after: Submission) -> list[str]:
    """Unified diff of two attempts' code (plain text lines; the template escapes them)."""
    return list(
        difflib.unified_diff(
            before.code.splitlines(),
            after.code.splitlines(),
            fromfile=f"#{before.id}",
            tofile=f"#{after.id}",
            lineterm="",
        )
    )


@dataclass
class DrillStatus:
    """One row of the drill list: a drill and how the person stands on it."""

    drill: Drill
    status: str  # not-tried | pending | failed | passed
    attempts: int = 0
    best: Submission | None = None
    five_lines: bool = False


@dataclass
class TopicDrills:
    topic: Topic
    drills: list[DrillStatus] = field(default_factory=list)


def drill_overview(user: User) -> list[TopicDrills]:
    """Live drills grouped by topic (in bank order) with the person's status on each."""
    rows = db.session.execute(
        db.select(Drill, Topic)
        .join(Topic, Drill.topic_slug == Topic.slug)
        .where(Drill.retired.is_(False))
        .order_by(Topic.position, Topic.slug, Drill.position, Drill.slug)
    ).all()
    by_drill = _submissions_by_drill(user)
    groups: dict[str, TopicDrills] = {}
    for drill, topic in rows:
        group = groups.setdefault(topic.slug, TopicDrills(topic))
        group.drills.append(_drill_status(drill, by_drill.get(drill.slug, [])))
    return list(groups.values())


def _submissions_by_drill(user: User) -> dict[str, list[Submission]]:
    # Summary columns only: verdict JSON (with trajectories) is loaded for passed rows alone.
    rows = db.session.scalars(
        db.select(Submission)
        .options(defer(Submission.verdict), defer(Submission.code))
        .where(Submission.user_id == user.id)
        .order_by(Submission.id)
    )
    grouped: dict[str, list[Submission]] = {}
    for submission in rows:
        grouped.setdefault(submission.drill_slug, []).append(submission)
    return grouped


def _drill_status(drill: Drill, submissions: list[Submission]) -> DrillStatus:
    if not submissions:
        return DrillStatus(drill, "not-tried")
    graded = [s for s in submissions if s.status == "done"]
    best = max(graded, key=_attempt_rank, default=None)
    if best is not None and best.outcome == "passed":
        status = "passed"
    elif graded or any(s.status == "error" for s in submissions):
        status = "failed"
    else:
        status = "pending"
    five_lines = any(s.outcome == "passed" and (s.verdict or {}).get("five_lines") for s in graded)
    return DrillStatus(drill, status, len(submissions), best, bool(five_lines))


def _attempt_rank(submission: Submission) -> tuple[int, float, int]:
    """Passed beats everything; then the share of cases passed; the latest wins ties."""
    share = (submission.cases_passed or 0) / submission.cases_total if submission.cases_total else 0.0
    return (submission.outcome == "passed", share, submission.id)
