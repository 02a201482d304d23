"""Background jobs: grading stored submissions, and fitting a person's scheduler weights (a separate, lower
priority kind). In-process threads by default, RQ workers with QUEUE_URL (grading's queue is served first).

Queues carry only row ids; the database row is the truth, so a restart or a dead worker loses nothing. This
layer sits above the services: it stores a row through a service, commits, then enqueues its id
(`submit_drill`, `submit_interview_drill`, `request_fit`); services never import it.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

from quizapp.extensions import db, unit_of_work
from quizapp.jobs.fitting import run_fit
from quizapp.jobs.local_pool import LocalWorkerPool
from quizapp.models import MockInterview, SchedulerOptimization, Submission, User
from quizapp.monitoring.request_log import current_request_id
from quizapp.services import interviews, scheduler_tuning, submissions

# Settings of drill submissions and the grading queue; override in app.config (README, "Drills").
DEFAULTS: dict[str, str | int | float] = {
    "GRADING_QUEUE_NAME": "quizapp-grading",  # the RQ queue (with QUEUE_URL)
    "SUBMISSIONS_PER_MINUTE": 10,  # per person, Flask-Limiter (Redis storage with QUEUE_URL)
    "SUBMISSION_WORKER_THREADS": 2,  # in-process pool size
    "SUBMISSION_HEARTBEAT_SECONDS": 5.0,  # how often a running job refreshes its heartbeat
    "SUBMISSION_STALE_SECONDS": 60.0,  # a running row without heartbeat for this long lost its worker
    "SUBMISSION_REAP_INTERVAL_SECONDS": 15.0,  # how often workers look for such rows
    "SUBMISSION_JOB_TIMEOUT_SECONDS": 300,  # RQ's own hard limit on one job
    "FIT_QUEUE_NAME": "quizapp-fitting",  # the RQ queue of scheduler fits, served after grading's
    "SCHEDULER_FIT_INTERVAL_SECONDS": 600,  # a person may start one scheduler fit per this many seconds
}

_EXTENSION = "quizapp_grading_pool"
_FIT_EXTENSION = "quizapp_fit_pool"
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


def submit_drill(user: User, drill_slug: str, code: object, framework: object) -> Submission:
    """Store a `queued` submission (submissions.store_submission's checks), commit, then enqueue it."""
    with unit_of_work():
        submission = submissions.store_submission(user, drill_slug, code, framework, current_request_id())
    enqueue_submission(submission.id)
    return submission


def submit_interview_drill(
    user: User, interview_id: object, code: object, framework: object
) -> MockInterview:
    """Store a submission of a running mock interview's drill, commit, then enqueue it."""
    with unit_of_work():
        interview, submission = interviews.submit_interview_drill(
            user, interview_id, code, framework, request_id=current_request_id()
        )
    enqueue_submission(submission.id)
    return interview


def request_fit(user: User) -> SchedulerOptimization:
    """Store a queued scheduler fit (scheduler_tuning's rules; ServiceError 409/429), commit, then enqueue
    it on the fitting queue."""
    with unit_of_work():
        run = scheduler_tuning.request_optimization(user)
    enqueue_fit(run.id)
    return run


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
        # A server stopping (gunicorn's SIGTERM, Ctrl-C) lets running gradings finish, or hands them back.
        atexit.register(pool.stop, float(app.config["WORKER_STOP_GRACE_SECONDS"]))
    return pool


def enqueue_fit(run_id: int) -> None:
    """Hand a committed `queued` scheduler fit to its own queue: the RQ fitting queue with QUEUE_URL, else
    the single low-priority fitting thread of this process. Never the grading queue or its threads."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("QUEUE_URL"):
        from quizapp.jobs import rq_queue

        rq_queue.enqueue_fit(app, run_id)
        return
    fit_pool(app).submit(_fit_in_thread, app, run_id)


def fit_pool(app: Flask) -> ThreadPoolExecutor:
    """One thread per process for scheduler fits, at the lowest CPU priority: fits wait their turn, and
    grading threads and requests go first when the cores are busy."""
    pool = app.extensions.get(_FIT_EXTENSION)
    if pool is None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsrs-fit", initializer=_lowest_priority)
        app.extensions[_FIT_EXTENSION] = pool
    return pool


def _lowest_priority() -> None:
    try:  # Linux: a thread id names one thread, and threads it starts (torch's) inherit the niceness
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        log.info("could not lower the fitting thread's priority; fits run at normal priority")


def _fit_in_thread(app: Flask, run_id: int) -> None:
    with app.app_context():
        try:
            run_fit(run_id)
        except Exception:
            log.exception("scheduler fit %s failed", run_id)
        finally:
            db.session.remove()


def shutdown(app: Flask) -> None:
    """Stop the in-process pools if they run (tests, and a clean server exit)."""
    pool = app.extensions.pop(_EXTENSION, None)
    if pool is not None:
        atexit.unregister(pool.stop)
        pool.stop()
    fits = app.extensions.pop(_FIT_EXTENSION, None)
    if fits is not None:
        fits.shutdown(wait=True, cancel_futures=True)
