"""The scaled-out queues: RQ jobs in Redis (QUEUE_URL) run by `quizapp worker` processes.

Two queues: grading (submission ids) and, served only when grading's is empty, scheduler fits (run ids).
Jobs carry only ids; the worker runs them inside the app context and writes to the database.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from quizapp.extensions import db
from quizapp.jobs.grading import (
    grade_submission,
    queued_submission_ids,
    reap_lost_jobs,
    reap_stale_submissions,
)

log = logging.getLogger(__name__)


def _redis(app: Flask) -> Redis:
    # One connection pool per app, not one per enqueue.
    connection = app.extensions.get("quizapp_redis")
    if connection is None:
        connection = app.extensions["quizapp_redis"] = Redis.from_url(app.config["QUEUE_URL"])
    return connection


def grading_queue(app: Flask) -> Queue:
    return Queue(app.config["GRADING_QUEUE_NAME"], connection=_redis(app))


def fitting_queue(app: Flask) -> Queue:
    return Queue(app.config["FIT_QUEUE_NAME"], connection=_redis(app))


def _enqueue(
    queue: Queue, body: Callable[[int], str | None], row_id: int, *, job_id: str, timeout: int, what: str
) -> None:
    """A job that carries only a row id; finished jobs vanish, failed ones stay a day for inspection."""
    queue.enqueue(
        body,
        row_id,
        job_id=job_id,
        job_timeout=timeout,
        result_ttl=0,
        failure_ttl=24 * 3600,
        description=what,
    )


def enqueue_fit(app: Flask, run_id: int) -> None:
    from quizapp.services.scheduler_tuning import FIT_TIMEOUT_SECONDS

    job_id, what = f"quizapp-fit-{run_id}", f"fit FSRS weights, run {run_id}"
    _enqueue(fitting_queue(app), run_fit_job, run_id, job_id=job_id, timeout=FIT_TIMEOUT_SECONDS, what=what)


def run_fit_job(run_id: int) -> str | None:
    """The RQ job body of a scheduler fit (`quizapp worker` provides the app context)."""
    from quizapp.jobs.fitting import run_fit

    try:
        return run_fit(run_id)
    finally:
        db.session.remove()


def grading_job_id(submission_id: int) -> str:
    """One job id per submission, so the reaper can ask Redis whether a queued row still has its job."""
    return f"quizapp-grade-{submission_id}"


def enqueue(app: Flask, submission_id: int) -> None:
    timeout = int(app.config["SUBMISSION_JOB_TIMEOUT_SECONDS"])
    job_id, what = grading_job_id(submission_id), f"grade submission {submission_id}"
    _enqueue(grading_queue(app), run_grading_job, submission_id, job_id=job_id, timeout=timeout, what=what)


def run_grading_job(submission_id: int) -> str | None:
    """The RQ job body; `quizapp worker` has pushed the app context around the whole work loop."""
    try:
        return grade_submission(submission_id)
    finally:
        db.session.remove()


def job_backs(queue: Queue, recheck_after_s: float = 1.0) -> Callable[[int], bool]:
    """A test of whether RQ still holds a live job for a submission: waiting in the queue's list, or taken
    by a worker. A job whose id fell out of the list (the queue key deleted) backs nothing. A job a worker
    has just popped is briefly neither listed nor started, so a job that looks lost is looked at again
    `recheck_after_s` later before the row is given up on."""
    waiting = set(queue.get_job_ids())

    def is_backed(submission_id: int) -> bool:
        job_id = grading_job_id(submission_id)
        if _job_is_live(queue, job_id, waiting):
            return True
        time.sleep(recheck_after_s)
        return _job_is_live(queue, job_id, set(queue.get_job_ids()))

    return is_backed


def _job_is_live(queue: Queue, job_id: str, waiting: set[str]) -> bool:
    if job_id in waiting:
        return True
    try:
        status = Job.fetch(job_id, connection=queue.connection).get_status()
    except NoSuchJobError:
        return False
    return status in {JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def recover(app: Flask, *, include_queued: bool) -> int:
    """Reap stale and lost rows and enqueue them again; at start also every queued row, in case the web
    process died between storing a row and enqueueing it (duplicates are harmless: claiming is atomic)."""
    with app.app_context():
        try:
            # Lost rows first: a row that the stale reaper puts back to `queued` has no job until the
            # enqueue below, and must not be taken for lost in the same pass.
            ids = [] if include_queued else reap_lost_jobs(job_backs(grading_queue(app)))
            ids += reap_stale_submissions()
            if include_queued:
                ids += queued_submission_ids()
        finally:
            db.session.remove()
    for submission_id in dict.fromkeys(ids):
        enqueue(app, submission_id)
    return len(ids)


def run_worker(burst: bool = False) -> None:
    """Work the grading queue, then the fitting queue, in this process (no fork, so a killed worker takes
    its job with it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    reaper = threading.Thread(target=_reap_periodically, args=(app, stop), name="reaper", daemon=True)
    recover(app, include_queued=True)
    reaper.start()
    # RQ looks at the queues in this order for every job: a waiting submission always goes before a fit.
    queues = [grading_queue(app), fitting_queue(app)]
    worker = GracefulWorker(queues, connection=_redis(app))
    worker.stop_grace_seconds = float(app.config["WORKER_STOP_GRACE_SECONDS"])
    try:
        worker.work(burst=burst, logging_level="INFO")
    finally:
        stop.set()


class GracefulWorker(SimpleWorker):
    """SIGTERM (or Ctrl-C) stops the worker after the running job, as RQ's warm shutdown does; a job still
    running `stop_grace_seconds` later is stopped by a second SIGTERM (RQ's cold shutdown), and its row is
    handed back to the queue (`grade_submission`), so the next worker grades it. Never lost either way."""

    stop_grace_seconds: float = 25.0

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        super().request_stop(signum, frame)  # raises StopRequested, and so returns only, when busy
        # RQ ignores a second signal within its first second, so the nudge comes no sooner than that.
        nudge = threading.Timer(max(self.stop_grace_seconds, 1.5), os.kill, (os.getpid(), signal.SIGTERM))
        nudge.daemon = True
        nudge.start()


def _reap_periodically(app: Flask, stop: threading.Event) -> None:
    interval = float(app.config["SUBMISSION_REAP_INTERVAL_SECONDS"])
    while not stop.wait(interval):
        try:
            recover(app, include_queued=False)
        except Exception:
            log.exception("reaping stale submissions failed")
