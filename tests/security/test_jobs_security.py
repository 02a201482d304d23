"""Background jobs under pressure: scheduler fits are rate-limited and wait behind grading, and a job the
queue lost never leaves its submission `queued` (and the drill locked at 409) for good.

The Redis tests run real RQ against PostgreSQL: the queue key or the job is deleted in Redis, the reaper runs,
and a real worker grades what it re-queued.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq.job import Job
from sqlalchemy import update
from support.accounts import login, make_user, sign_up
from support.apps import empty_tables, make_app
from support.grading import wait_until
from support.progress_history import make_bank, seed_long_history
from support.submissions import SGD_CORRECT

from quizapp import jobs
from quizapp.extensions import db
from quizapp.jobs.grading import LOST_JOB_MESSAGE
from quizapp.models import Card, SchedulerOptimization, Submission, User, utcnow

QUEUE_URL = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")


# ------------------------------------------------------------------------------ scheduler fits (item 12)


def _fit_status(user_id: int) -> str:
    db.session.expire_all()
    run = db.session.query(SchedulerOptimization).filter_by(user_id=user_id).one()
    return run.status


def test_a_second_fit_within_the_interval_is_refused_with_429(app: Flask, client: FlaskClient) -> None:
    make_bank()
    user = make_user()
    seed_long_history(user)
    login(client, user)
    assert client.post("/progress/scheduler").status_code == 302
    wait_until(lambda: _fit_status(user.id) in {"done", "error"}, 120, "the first fit")
    assert "quizapp_grading_pool" not in app.extensions  # the fit never touched the grading threads

    again = client.post("/progress/scheduler")
    assert again.status_code == 429
    assert "one scheduler fit may be started every 10 minutes" in again.get_data(as_text=True)
    assert db.session.query(SchedulerOptimization).count() == 1

    # Once the interval has passed, the next fit is accepted.
    db.session.execute(update(SchedulerOptimization).values(created_at=utcnow() - dt.timedelta(minutes=11)))
    db.session.commit()
    assert client.post("/progress/scheduler").status_code == 302
    assert db.session.query(SchedulerOptimization).count() == 2


def test_fits_run_one_at_a_time_on_a_single_low_priority_thread(app: Flask) -> None:
    with app.app_context():
        pool = jobs.fit_pool(app)
        niceness = pool.submit(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        assert niceness.result(timeout=30) == 19
        assert pool._max_workers == 1


# ------------------------------------------------------------------------------ Redis: queues and reaper


def real_rq(test: Callable[..., None]) -> Callable[..., None]:
    """Marks a test that runs real RQ workers' code against PostgreSQL and Redis."""
    return pytest.mark.postgres(pytest.mark.redis(pytest.mark.slow(test)))


@pytest.fixture
def redis_web(database_urls: dict[str, str]) -> Iterator[Flask]:
    """The web side with RQ on PostgreSQL, on queues of its own; the bank loaded for real drills."""
    suffix = uuid.uuid4().hex[:8]
    app = make_app(
        database_urls["postgres"],
        QUEUE_URL=QUEUE_URL,
        GRADING_QUEUE_NAME=f"test-grade-{suffix}",
        FIT_QUEUE_NAME=f"test-fit-{suffix}",
    )
    with app.app_context():
        empty_tables()
        assert app.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
        yield app
        from quizapp.jobs.rq_queue import fitting_queue, grading_queue

        for queue in (grading_queue(app), fitting_queue(app)):
            queue.delete(delete_jobs=True)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ada(redis_web: Flask) -> FlaskClient:
    client = redis_web.test_client()
    sign_up(client, "ada")
    return client


def _submit(client: FlaskClient) -> tuple[int, int]:
    response = client.post("/api/drills/sgd/submissions", json={"code": SGD_CORRECT})
    body = response.get_json()
    return response.status_code, body.get("id") or 0


def _age(submission_id: int) -> None:
    """Make the row older than the staleness limit, as if it had waited for minutes."""
    db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id)
        .values(created_at=utcnow() - dt.timedelta(hours=1))
    )
    db.session.commit()


def _row(submission_id: int) -> Submission:
    db.session.expire_all()
    row = db.session.get(Submission, submission_id)
    assert row is not None
    return row


def _run_worker_burst(app: Flask) -> None:
    """What `quizapp worker --burst` runs, in this process."""
    from quizapp.jobs.rq_queue import run_worker

    run_worker(burst=True)
    db.session.remove()


@real_rq
def test_a_queued_row_whose_queue_key_was_deleted_is_requeued_then_graded(
    redis_web: Flask, ada: FlaskClient
) -> None:
    from quizapp.jobs.rq_queue import grading_queue, recover

    status, submission_id = _submit(ada)
    assert status == 202
    queue = grading_queue(redis_web)
    queue.connection.delete(queue.key)  # Redis lost the queue (FLUSHDB, eviction, operator error)
    _age(submission_id)
    assert _submit(ada)[0] == 409  # the drill is locked behind the lost row: the reported bug

    assert recover(redis_web, include_queued=False) == 1  # the periodic reaper of `quizapp worker`
    row = _row(submission_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert queue.count == 1
    _run_worker_burst(redis_web)
    row = _row(submission_id)
    assert row.status == "done" and row.outcome == "passed", (row.status, row.error)


@real_rq
def test_a_job_lost_twice_ends_in_error_and_the_drill_accepts_a_new_submission(
    redis_web: Flask, ada: FlaskClient
) -> None:
    from quizapp.jobs.rq_queue import grading_job_id, grading_queue, recover

    _, submission_id = _submit(ada)
    connection = grading_queue(redis_web).connection
    _age(submission_id)
    assert recover(redis_web, include_queued=False) == 0  # a job that is there backs its row
    assert _row(submission_id).attempts == 0

    Job.fetch(grading_job_id(submission_id), connection=connection).delete()
    assert recover(redis_web, include_queued=False) == 1
    Job.fetch(grading_job_id(submission_id), connection=connection).delete()  # lost again
    assert recover(redis_web, include_queued=False) == 0
    row = _row(submission_id)
    assert row.status == "error" and row.error == LOST_JOB_MESSAGE

    status, new_id = _submit(ada)
    assert status == 202 and new_id != submission_id


@real_rq
def test_fit_jobs_use_their_own_queue_and_wait_behind_grading(redis_web: Flask, ada: FlaskClient) -> None:
    from quizapp.jobs.rq_queue import fitting_queue, grading_queue

    user = db.session.query(User).filter_by(username="ada").one()
    seed_long_history(user, slugs=[card.slug for card in db.session.query(Card).order_by(Card.slug).limit(4)])
    assert ada.post("/progress/scheduler").status_code == 302  # the fit is enqueued first
    assert (grading_queue(redis_web).count, fitting_queue(redis_web).count) == (0, 1)
    status, submission_id = _submit(ada)  # a submission arrives after it
    assert status == 202
    assert (grading_queue(redis_web).count, fitting_queue(redis_web).count) == (1, 1)

    _run_worker_burst(redis_web)
    db.session.expire_all()
    run = db.session.query(SchedulerOptimization).one()
    row = _row(submission_id)
    assert run.status == "done" and row.status == "done", (run.message, row.error)
    assert row.started_at < run.started_at  # grading went first although the fit was queued earlier
