"""The scaled-out queue for real: PostgreSQL + Redis + `quizapp worker` processes.

Twenty submissions from five people all finish with the right verdicts; a worker killed mid-job (SIGKILL)
ends in a retry or an `error` row, never in a row stuck at `running`.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support.accounts import sign_up
from support.grading import wait_for_submission, wait_until
from support.submissions import (
    ADAM_CORRECT,
    ADAM_NO_BIAS_CORRECTION,
    MOMENTUM_CORRECT,
    RMSPROP_CORRECT,
    SGD_CORRECT,
    SGD_WRONG_SIGN,
)
from support.workers import Workers, queue_web_app

from quizapp.extensions import db
from quizapp.models import Submission

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def queue_name() -> str:
    return f"quizapp-grading-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def web(database_urls: dict[str, str], queue_name: str) -> Iterator[Flask]:
    with queue_web_app(database_urls["postgres"], queue_name) as app:
        yield app


@pytest.fixture
def workers(database_urls: dict[str, str], queue_name: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(database_urls["postgres"], queue_name, tmp_path)
    yield pool
    pool.stop_all()
    print(pool.logs())


def _person(web: Flask, name: str):
    client = web.test_client()
    sign_up(client, name)
    return client


# (drill, code, expected verdict, expected diagnosis) — half the people make the classic mistakes.
GOOD = [("adam", ADAM_CORRECT, "passed", None), ("sgd", SGD_CORRECT, "passed", None)]
BAD = [
    ("adam", ADAM_NO_BIAS_CORRECTION, "failed", "no-bias-correction"),
    ("sgd", SGD_WRONG_SIGN, "failed", "wrong-sign"),
]
BOTH = [("rmsprop", RMSPROP_CORRECT, "passed", None), ("momentum", MOMENTUM_CORRECT, "passed", None)]


def test_twenty_submissions_from_five_people_all_finish_correctly(web: Flask, workers: Workers) -> None:
    workers.start()
    workers.start()
    expected: dict[int, tuple[str, str | None]] = {}
    for index in range(5):
        client = _person(web, f"person{index}")
        for drill, code, verdict, diagnosis in (GOOD if index % 2 == 0 else BAD) + BOTH:
            response = client.post(
                f"/api/drills/{drill}/submissions", json={"code": code, "framework": "numpy"}
            )
            assert response.status_code == 202, response.get_json()
            expected[response.get_json()["id"]] = (verdict, diagnosis)
    assert len(expected) == 20

    for submission_id, (verdict, diagnosis) in expected.items():
        done = wait_for_submission(submission_id, timeout=300)
        assert done.status == "done", (done.error, workers.logs())
        assert done.verdict["verdict"] == verdict, done.verdict
        assert (done.verdict["diagnosis"] or {}).get("id") == diagnosis


def _wait_running(submission_id: int, attempt: int) -> None:
    def running() -> bool:
        db.session.expire_all()
        row = db.session.get(Submission, submission_id)
        return row.status == "running" and row.attempts == attempt

    wait_until(running, 120, f"submission {submission_id} to run (attempt {attempt})")


SLOW_ADAM = "import time\ntime.sleep(3)\n" + ADAM_CORRECT


def test_a_killed_worker_leads_to_one_retry_then_error_never_a_stuck_row(
    web: Flask, workers: Workers
) -> None:
    first = (
        _person(web, "kim").post("/api/drills/adam/submissions", json={"code": SLOW_ADAM}).get_json()["id"]
    )
    workers.start()
    _wait_running(first, attempt=1)
    workers.processes[-1].send_signal(signal.SIGKILL)

    # The next worker's reaper finds the stale row and retries it once; the retry succeeds.
    workers.start()
    retried = wait_for_submission(first, timeout=180)
    assert (retried.status, retried.attempts) == ("done", 2), retried.error
    assert retried.verdict["verdict"] == "passed"

    # Killed on both tries: the row ends as `error` with a message a person can act on.
    second = (
        _person(web, "lee").post("/api/drills/adam/submissions", json={"code": SLOW_ADAM}).get_json()["id"]
    )
    _wait_running(second, attempt=1)
    workers.processes[-1].send_signal(signal.SIGKILL)
    workers.start()
    _wait_running(second, attempt=2)
    workers.processes[-1].send_signal(signal.SIGKILL)
    workers.start()
    failed = wait_for_submission(second, timeout=120)
    assert failed.status == "error"
    assert failed.attempts == 2
    assert "worker stopped" in failed.error
