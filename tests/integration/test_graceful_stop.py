"""Stopping workers never loses a grading: a `quizapp worker` told SIGTERM mid-job finishes it (or, past its
grace period, hands the row back for the next worker) and exits 0; the in-process pool does the same."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support.accounts import sign_up
from support.grading import wait_for_submission, wait_until
from support.submissions import ADAM_CORRECT
from support.workers import Workers, queue_web_app

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Submission

# A correct Adam that takes a while inside the sandbox: long enough to be caught mid-grading.
SLOW_ADAM = "import time\ntime.sleep({seconds})\n" + ADAM_CORRECT
# How long a stopped worker may take to exit: its grace period plus start-up and one grading.
EXIT_BOUND_SECONDS = 90


def _row(submission_id: int) -> Submission:
    db.session.expire_all()
    row = db.session.get(Submission, submission_id)
    assert row is not None
    return row


def _wait_running(submission_id: int) -> None:
    wait_until(lambda: _row(submission_id).status == "running", 120, f"submission {submission_id} to run")


@pytest.fixture
def web(database_urls: dict[str, str]) -> Iterator[Flask]:
    with queue_web_app(database_urls["postgres"], f"quizapp-grading-test-{uuid.uuid4().hex[:8]}") as app:
        yield app


def _workers(web: Flask, tmp_path: Path, grace: float) -> Workers:
    return Workers(
        web.config["SQLALCHEMY_DATABASE_URI"],
        web.config["GRADING_QUEUE_NAME"],
        tmp_path,
        WORKER_STOP_GRACE_SECONDS=str(grace),
    )


def _submit(web: Flask, person: str, code: str, request_id: str) -> int:
    client = web.test_client()
    sign_up(client, person)
    response = client.post(
        "/api/drills/adam/submissions", json={"code": code}, headers={"X-Request-ID": request_id}
    )
    assert response.status_code == 202, response.get_json()
    return int(response.get_json()["id"])


def _sigterm_mid_grading(
    workers: Workers, web: Flask, person: str, sleep_seconds: int, request_id: str
) -> int:
    """Start a worker, submit a slow correct Adam, SIGTERM the worker while it grades; the worker must
    exit 0 within the bound. Returns the submission id."""
    worker = workers.start()
    submission_id = _submit(web, person, SLOW_ADAM.format(seconds=sleep_seconds), request_id)
    _wait_running(submission_id)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=EXIT_BOUND_SECONDS) == 0, workers.logs()
    return submission_id


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_sigterm_lets_the_running_grading_finish_then_the_worker_exits_0(web: Flask, tmp_path: Path) -> None:
    workers = _workers(web, tmp_path, grace=60)
    try:
        submission_id = _sigterm_mid_grading(workers, web, "ines", 3, "stop-finish-0001")
    finally:
        workers.stop_all()
    row = _row(submission_id)
    assert (row.status, row.outcome, row.attempts) == ("done", "passed", 1), workers.logs()
    assert "request_id=stop-finish-0001" in workers.log_path(0).read_text()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_stopped_past_its_grace_hands_the_job_back_for_the_next_one(
    web: Flask, tmp_path: Path
) -> None:
    workers = _workers(web, tmp_path, grace=1)
    try:
        submission_id = _sigterm_mid_grading(workers, web, "jon", 8, "stop-handback-01")
        handed_back = _row(submission_id)
        assert (handed_back.status, handed_back.attempts) == ("queued", 0), workers.logs()
        first_log = workers.log_path(0).read_text()
        assert "status=handed-back" in first_log and "request_id=stop-handback-01" in first_log

        workers.start()  # the next worker grades it, and its line carries the POST's request id
        done = wait_for_submission(submission_id, timeout=120)
        assert (done.status, done.outcome, done.attempts) == ("done", "passed", 1), workers.logs()
    finally:
        workers.stop_all()
    second_log = workers.log_path(1).read_text()
    assert "request_id=stop-handback-01" in second_log and "status=done" in second_log


def _grading_in_process(app: Flask, client, auth, sleep_seconds: int) -> int:
    """A slow correct Adam submitted through the API and running on the in-process pool; its id."""
    assert app.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
    auth.register("kai")
    posted = client.post(
        "/api/drills/adam/submissions", json={"code": SLOW_ADAM.format(seconds=sleep_seconds)}
    )
    submission_id = int(posted.get_json()["id"])
    _wait_running(submission_id)
    return submission_id


@pytest.mark.slow
def test_the_in_process_pool_hands_back_what_outlasts_its_stop(app: Flask, client, auth) -> None:
    submission_id = _grading_in_process(app, client, auth, sleep_seconds=6)
    pool = jobs.local_pool(app)
    graders = list(pool._threads)
    pool.stop(timeout=0.5)
    handed_back = _row(submission_id)
    assert (handed_back.status, handed_back.attempts) == ("queued", 0)
    for thread in graders:  # the abandoned run still ends (a real process exit would cut it short)
        thread.join(timeout=60)
    jobs.shutdown(app)
    jobs.ensure_started(app)  # a restarted process picks the row up (unless the late verdict landed first)
    done = wait_for_submission(submission_id, timeout=120)
    assert (done.status, done.outcome) == ("done", "passed")


@pytest.mark.slow
def test_the_in_process_pool_lets_a_running_grading_finish_within_its_stop(app: Flask, client, auth) -> None:
    submission_id = _grading_in_process(app, client, auth, sleep_seconds=2)
    jobs.local_pool(app).stop(timeout=60)
    row = _row(submission_id)
    assert (row.status, row.outcome, row.attempts) == ("done", "passed", 1)
