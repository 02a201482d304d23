"""Waiting for the grading queue in tests: a bounded poll instead of sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable

from quizapp.extensions import db
from quizapp.models import Submission

FINISHED = ("done", "error")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds, failing with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def wait_for_submission(submission_id: int, timeout: float = 120.0) -> Submission:
    """Wait (inside an app context) until the grading queue has finished the submission."""

    def finished() -> bool:
        db.session.expire_all()
        row = db.session.get(Submission, submission_id)
        return row is not None and row.status in FINISHED

    wait_until(finished, timeout, f"submission {submission_id} to finish")
    submission = db.session.get(Submission, submission_id)
    assert submission is not None
    return submission
