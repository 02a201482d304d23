"""Grading jobs: stored submissions are graded by in-process threads (default) or RQ workers (QUEUE_URL).

Queues carry only submission ids; the database row is the truth, so a restart or a dead worker loses nothing.
"""

from __future__ import annotations

import atexit
import logging

from flask import Flask, current_app

from quizapp.jobs.local_pool import LocalWorkerPool

# Settings of drill submissions and the grading queue; override in app.config (README, "Drills").
DEFAULTS: dict[str, str | int | float] = {
    "GRADING_QUEUE_NAME": "quizapp-grading",  # the RQ queue (with QUEUE_URL)
    "SUBMISSIONS_PER_MINUTE": 10,  # per person, Flask-Limiter (Redis storage with QUEUE_URL)
    "SUBMISSION_WORKER_THREADS": 2,  # in-process pool size
    "SUBMISSION_HEARTBEAT_SECONDS": 5.0,  # how often a running job refreshes its heartbeat
    "SUBMISSION_STALE_SECONDS": 60.0,  # a running row without heartbeat for this long lost its worker
    "SUBMISSION_REAP_INTERVAL_SECONDS": 15.0,  # how often workers look for such rows
    "SUBMISSION_JOB_TIMEOUT_SECONDS": 300,  # RQ's own hard limit on one job
}

_EXTENSION = "quizapp_grading_pool"
_AUTOSTART_HOOK = "quizapp_grading_pool_autostart"

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    wants_autostart = app.config.get("GRADING_POOL_AUTOSTART") and not app.config.get("QUEUE_URL")
    if wants_autostart and _AUTOSTART_HOOK not in app.extensions:
        app.extensions[_AUTOSTART_HOOK] = True
        app.before_request(_start_with_first_request)


def _start_with_first_request() -> None:
    """Start the in-process pool with the app's first request, whatever it asks for (even /healthz)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = app.extensions.get(_EXTENSION)
    if pool is not None and pool.started:
        return
    try:
        ensure_started(app)
    except Exception:  # the request must not fail for this; the next one tries again
        log.exception("could not start the grading pool; retrying with the next request")


def enqueue_submission(submission_id: int) -> None:
    """Hand a committed `queued` row to the configured queue."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("QUEUE_URL"):
        local_pool(app).submit(submission_id)
        return
    from redis.exceptions import RedisError

    from quizapp.jobs import rq_queue

    try:
        rq_queue.enqueue(app, submission_id)
    except RedisError:
        # The row is stored and stays `queued`: the next `quizapp worker` to start enqueues it again.
        log.exception("could not enqueue submission %s; a starting worker will pick it up", submission_id)


def ensure_started(app: Flask) -> None:
    """Start the in-process pool (which recovers queued rows) unless an external queue is configured."""
    if not app.config.get("QUEUE_URL"):
        local_pool(app).start()


def local_pool(app: Flask) -> LocalWorkerPool:
    pool = app.extensions.get(_EXTENSION)
    if pool is None:
        pool = LocalWorkerPool(
            app,
            size=int(app.config["SUBMISSION_WORKER_THREADS"]),
            reap_interval=float(app.config["SUBMISSION_REAP_INTERVAL_SECONDS"]),
        )
        app.extensions[_EXTENSION] = pool
        atexit.register(pool.stop, 5.0)
    return pool


def shutdown(app: Flask) -> None:
    """Stop the in-process pool if it runs (tests, and a clean server exit)."""
    pool = app.extensions.pop(_EXTENSION, None)
    if pool is not None:
        atexit.unregister(pool.stop)
        pool.stop()
