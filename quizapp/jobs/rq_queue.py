"""The scaled-out grading queue: RQ jobs in Redis (QUEUE_URL) run by `quizapp worker` processes.

Jobs carry only the submission id; the worker grades inside the app context and writes to the database.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker

from quizapp.extensions import db
from quizapp.jobs.grading import grade_submission, queued_submission_ids, reap_stale_submissions

log = logging.getLogger(__name__)


def grading_queue(app: Flask) -> Queue:
    # One connection pool per app, not one per enqueue.
    connection = app.extensions.get("quizapp_redis")
    if connection is None:
        connection = app.extensions["quizapp_redis"] = Redis.from_url(app.config["QUEUE_URL"])
    return Queue(app.config["GRADING_QUEUE_NAME"], connection=connection)


def enqueue(app: Flask, submission_id: int) -> None:
    grading_queue(app).enqueue(
        run_grading_job,
        submission_id,
        job_timeout=int(app.config["SUBMISSION_JOB_TIMEOUT_SECONDS"]),
        result_ttl=0,
        failure_ttl=24 * 3600,
        description=f"grade submission {submission_id}",
    )


def run_grading_job(submission_id: int) -> str | None:
    """The RQ job body; `quizapp worker` has pushed the app context around the whole work loop."""
    try:
        return grade_submission(submission_id)
    finally:
        db.session.remove()


def recover(app: Flask, *, include_queued: bool) -> int:
    """Reap stale rows and enqueue them again; at start also every queued row, in case the web process
    died between storing a row and enqueueing it (duplicates are harmless: claiming is atomic)."""
    with app.app_context():
        try:
            ids = reap_stale_submissions()
            if include_queued:
                ids += queued_submission_ids()
        finally:
            db.session.remove()
    for submission_id in dict.fromkeys(ids):
        enqueue(app, submission_id)
    return len(ids)


def run_worker(burst: bool = False) -> None:
    """Work the grading queue in this process (no fork, so a killed worker takes its job with it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    reaper = threading.Thread(target=_reap_periodically, args=(app, stop), name="reaper", daemon=True)
    recover(app, include_queued=True)
    reaper.start()
    queue = grading_queue(app)
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=burst, logging_level="INFO")
    finally:
        stop.set()


def _reap_periodically(app: Flask, stop: threading.Event) -> None:
    interval = float(app.config["SUBMISSION_REAP_INTERVAL_SECONDS"])
    while not stop.wait(interval):
        try:
            recover(app, include_queued=False)
        except Exception:
            log.exception("reaping stale submissions failed")
