"""Run one stored submission through the grader and write the outcome back to its row.

Every entry point (in-process threads, RQ workers) ends here; the database row is the source of truth.
The job commits each of its steps (claim, heartbeat, verdict, hand-back, reaping) itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import update

from quizapp.extensions import db, savepoint, unit_of_work
from quizapp.models import Submission, utcnow
from quizapp.monitoring.logs import log_event
from quizapp.monitoring.metrics import (
    GRADING_DURATION,
    REAPER_ACTIONS,
    SANDBOX_FAILURES,
    SUBMISSIONS_GRADED,
)

if TYPE_CHECKING:
    from quizapp.bank import DrillSpec

log = logging.getLogger(__name__)

# A submission is tried at most this many times when its worker dies under it (the first run + one retry).
MAX_ATTEMPTS = 2
LOST_JOB_MESSAGE = (
    "The grading queue lost this submission twice, so it was not graded. Please submit it again."
)


def grade_submission(submission_id: int) -> str | None:
    """Claim the queued submission, grade it and store the verdict. Returns the final status, or None
    when the row was not queued (already taken by another worker, or gone), so duplicates are harmless.

    A worker stopped mid-grading (SystemExit, KeyboardInterrupt) hands the row back to the queue first."""
    submission = claim_submission(submission_id)
    if submission is None:
        return None
    job = _JobFacts(submission)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    started = time.perf_counter()
    try:
        with _heartbeat(app, submission_id, heartbeat_interval(app)):
            verdict, failure = _run_grader(submission)
    except (SystemExit, KeyboardInterrupt):
        hand_back(submission_id)
        job.log("handed-back", {}, time.perf_counter() - started)
        raise
    if failure is not None:
        finish_with_error(submission_id, failure)
        status = "error"
    else:
        finish_with_verdict(submission_id, verdict)
        status = "done"
    job.record(status, verdict, time.perf_counter() - started)
    return status


class _JobFacts:
    """What a job's metrics and log line say about it, read before the commits expire the row."""

    def __init__(self, submission: Submission) -> None:
        self.submission_id = submission.id
        self.drill = submission.drill_slug
        self.framework = submission.framework
        self.attempt = submission.attempts
        self.request_id = submission.request_id

    def record(self, status: str, verdict: dict[str, Any], seconds: float) -> None:
        outcome = verdict.get("verdict") or "grader-failure"
        diagnosis = (verdict.get("diagnosis") or {}).get("id") or "none"
        SUBMISSIONS_GRADED.labels(outcome, diagnosis).inc()
        GRADING_DURATION.labels(self.drill, self.framework).observe(seconds)
        self.log(status, verdict, seconds)

    def log(self, status: str, verdict: dict[str, Any], seconds: float) -> None:
        log_event(
            "job",
            request_id=self.request_id,
            submission_id=self.submission_id,
            drill=self.drill,
            framework=self.framework,
            attempt=self.attempt,
            status=status,
            verdict=verdict.get("verdict"),
            diagnosis=(verdict.get("diagnosis") or {}).get("id"),
            duration_ms=round(seconds * 1000, 2),
        )


def hand_back(submission_id: int) -> bool:
    """Return a row this worker is grading to the queue, as if never claimed (the attempt is not counted):
    a stopping worker's job is graded by the next one, never lost. False when the row had moved on."""
    db.session.rollback()
    changed = db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == "running")
        .values(status="queued", attempts=Submission.attempts - 1, started_at=None, heartbeat_at=None)
    )
    db.session.commit()
    if changed.rowcount != 1:
        return False
    REAPER_ACTIONS.labels("handed-back").inc()
    log.warning("handed submission %s back to the queue: its worker is stopping", submission_id)
    return True


def heartbeat_interval(app: Flask) -> float:
    """The configured period, but always well inside the staleness limit, so live jobs are never reaped."""
    configured = float(app.config["SUBMISSION_HEARTBEAT_SECONDS"])
    return min(configured, float(app.config["SUBMISSION_STALE_SECONDS"]) / 3)


def claim_submission(submission_id: int) -> Submission | None:
    """Move a row from `queued` to `running` atomically: of two workers given the same id, one wins."""
    now = utcnow()
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now, attempts=Submission.attempts + 1)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(Submission, submission_id)


def _run_grader(submission: Submission) -> tuple[dict[str, Any], str | None]:
    """The verdict JSON, or an operator-facing failure (no sandbox, grader crash) as the second item."""
    from quizapp.grader import grade
    from quizapp.grader.sandbox import SandboxUnavailable

    spec, missing = _drill_spec(submission.drill_slug)
    if spec is None:
        return {}, missing
    try:
        if mismatch := _version_mismatch(submission, spec):
            return {}, mismatch
        verdict = grade(
            spec,
            submission.code,
            framework=submission.framework,
            device=current_app.config["GRADER_DEVICE"],
        )
    except SandboxUnavailable as exc:
        SANDBOX_FAILURES.labels("unavailable").inc()
        return {}, f"The grading sandbox is not available on this server: {exc}"
    except Exception as exc:  # the grader promises verdicts; anything else must still end the row cleanly
        log.exception("grader failed on submission %s", submission.id)
        SANDBOX_FAILURES.labels("grader-crash").inc()
        return {}, f"The grader failed unexpectedly ({type(exc).__name__}: {exc}). Please submit again."
    return verdict.to_dict(), None


def _drill_spec(drill_slug: str) -> tuple[DrillSpec | None, str | None]:
    """The drill as the bank in QUESTIONS_DIR defines it (a worker's setting must match the web app's), or
    why it cannot be graded."""
    from quizapp.bank import DrillFileError, load_drills

    folder = current_app.config["QUESTIONS_DIR"]
    try:
        spec = load_drills(folder).get(drill_slug)
    except DrillFileError:
        log.exception("the drills in %s (QUESTIONS_DIR) do not load", folder)
        return None, "The server's question bank has errors, so this drill cannot be graded now."
    if spec is None:
        log.error("drill %r is not in the question bank at %s (QUESTIONS_DIR)", drill_slug, folder)
        return None, f"The drill {drill_slug!r} is not in this server's question bank, so it was not graded."
    return spec, None


def _version_mismatch(submission: Submission, spec: DrillSpec) -> str | None:
    """Why this job must not grade the row: the drill or grader it was submitted against is not the one this
    process has (a worker on another QUESTIONS_DIR or release, or the drill file edited since). None when
    they match, or for rows stored without a fingerprint."""
    from quizapp.grader.fingerprint import grading_fingerprint

    expected = submission.grader_fingerprint
    if expected is None or (here := grading_fingerprint(spec)) == expected:
        return None
    log.error(
        "submission %s was made against drill %r with grader fingerprint %s, but this process has %s "
        "(QUESTIONS_DIR %s): its question bank or quizapp release differs from the web app's",
        submission.id,
        submission.drill_slug,
        expected,
        here,
        current_app.config["QUESTIONS_DIR"],
    )
    SANDBOX_FAILURES.labels("version-mismatch").inc()
    return (
        f"The drill {submission.drill_slug!r} is graded differently on this server's grading workers than on "
        "the page you submitted from (an update in progress, or workers set up with another question bank), "
        "so it was not graded. "
        "Please submit again in a few minutes."
    )


def finish_with_verdict(submission_id: int, verdict: dict[str, Any]) -> None:
    """Store the verdict and let the review queue learn from it, in one unit of work: the verdict lands
    together with the card's new due date, and a review update that fails is undone alone."""
    with unit_of_work():
        submission = db.session.get(Submission, submission_id)
        if submission is None:
            return
        _apply_verdict(submission, verdict)
        _update_review_queue(submission.user_id, submission.drill_slug, verdict)


def _apply_verdict(submission: Submission, verdict: dict[str, Any]) -> None:
    cases = verdict.get("cases") or []
    submission.verdict = verdict
    submission.outcome = verdict.get("verdict")
    submission.cases_total = len(cases)
    submission.cases_passed = sum(1 for case in cases if case.get("passed"))
    submission.status = "done"
    submission.error = None
    submission.finished_at = submission.finished_at or utcnow()


def finish_with_error(submission_id: int, message: str) -> None:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        return
    submission.status = "error"
    submission.error = message
    submission.finished_at = utcnow()
    db.session.commit()


def _update_review_queue(user_id: int, drill_slug: str, verdict: dict[str, Any]) -> None:
    """A diagnosed mistake makes its card due now; a pass counts as a Good review of the drill's code card.

    In a savepoint: a missing card is logged, never fatal, and must not cost the person their verdict.
    """
    from quizapp.services.review import drill_hooks

    try:
        with savepoint():
            drill_hooks.learn_from_verdict(user_id, drill_slug, verdict)
    except Exception:
        log.exception("could not update the review queue after drill %s for user %s", drill_slug, user_id)


@contextmanager
def _heartbeat(app: Flask, submission_id: int, interval: float) -> Iterator[None]:
    """Refresh the row's heartbeat from a side thread while the grader runs, so the reaper can tell a
    long grading run from a dead worker."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    db.session.execute(
                        update(Submission)
                        .where(Submission.id == submission_id, Submission.status == "running")
                        .values(heartbeat_at=utcnow())
                    )
                    db.session.commit()
            except Exception:
                log.exception("heartbeat failed for submission %s", submission_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{submission_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def reap_stale_submissions(now: dt.datetime | None = None) -> list[int]:
    """Find `running` rows whose worker stopped refreshing the heartbeat. Each goes back to `queued` for
    one retry, or to `error` once it has used its attempts. Returns the ids to enqueue again."""
    from quizapp.grader.sandbox import kill_leftover_sandboxes

    if ended := kill_leftover_sandboxes():  # a worker killed mid-run leaves its sandbox behind
        log.warning("killed %s leftover grading sandbox(es)", ended)
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=float(current_app.config["SUBMISSION_STALE_SECONDS"]))
    stale = db.session.scalars(
        db.select(Submission).where(Submission.status == "running", Submission.heartbeat_at < cutoff)
    ).all()
    requeued: list[int] = []
    for submission in stale:
        if submission.attempts < MAX_ATTEMPTS:
            submission.status = "queued"
            requeued.append(submission.id)
            REAPER_ACTIONS.labels("requeued-stale").inc()
        else:
            REAPER_ACTIONS.labels("failed-stale").inc()
            submission.status = "error"
            submission.finished_at = now
            submission.error = (
                f"The grading worker stopped while running this submission ({submission.attempts} attempts). "
                "It may have run out of memory or been restarted; please submit again."
            )
        log.warning("reaped stale submission %s → %s", submission.id, submission.status)
    db.session.commit()
    return requeued


def reap_lost_jobs(is_backed: Callable[[int], bool], now: dt.datetime | None = None) -> list[int]:
    """Find `queued` rows, older than the staleness limit, that no job in the queue backs (the queue lost
    them: a Redis key deleted or flushed, an enqueue that failed). The lost delivery counts as an attempt:
    the row is enqueued once more, or ends as `error` once its attempts are used. Returns the ids to enqueue
    again."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=float(current_app.config["SUBMISSION_STALE_SECONDS"]))
    waiting = db.session.execute(
        db.select(Submission.id, Submission.attempts).where(
            Submission.status == "queued", Submission.created_at < cutoff
        )
    ).all()
    requeued: list[int] = []
    for submission_id, attempts in waiting:
        if is_backed(submission_id):
            continue
        # The lost delivery counts as an attempt: one re-queue, then `error`.
        retry = attempts + 1 < MAX_ATTEMPTS
        values: dict[str, Any] = (
            {"attempts": attempts + 1}
            if retry
            else {"status": "error", "finished_at": now, "error": LOST_JOB_MESSAGE}
        )
        # Only if nobody (a worker's claim, another reaper) changed the row since it was read.
        changed = db.session.execute(
            update(Submission)
            .where(
                Submission.id == submission_id,
                Submission.status == "queued",
                Submission.attempts == attempts,
            )
            .values(**values)
        )
        if changed.rowcount == 1:
            REAPER_ACTIONS.labels("requeued-lost" if retry else "failed-lost").inc()
            log.warning(
                "submission %s had no queued job → %s", submission_id, "re-queued" if retry else "error"
            )
            if retry:
                requeued.append(submission_id)
    db.session.commit()
    return requeued


def queued_submission_ids() -> list[int]:
    """Rows waiting for a worker, oldest first (re-enqueued when a worker pool starts)."""
    return list(
        db.session.scalars(
            db.select(Submission.id).where(Submission.status == "queued").order_by(Submission.id)
        )
    )
