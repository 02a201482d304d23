"""A restarted web process grades what the previous one left behind as soon as it serves any request.

The in-process pool starts with the first request of any kind (GRADING_POOL_AUTOSTART, on by default), not
only with a drills page, and its start re-enqueues `queued` rows and retries stale `running` ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from support.accounts import make_user
from support.apps import load_question_bank, make_app
from support.grading import wait_for_submission
from support.submissions import ADAM_CORRECT

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Submission, utcnow

pytestmark = pytest.mark.slow


@pytest.fixture
def restarted(app: Flask, database_urls: dict[str, str], backend: str) -> Iterator[Flask]:
    """A second app on the same database, configured as `./scripts/run` serves it (autostart on)."""
    load_question_bank(app)
    restarted = make_app(database_urls[backend], GRADING_POOL_AUTOSTART=True)
    yield restarted
    jobs.shutdown(restarted)
    with restarted.app_context():
        db.engine.dispose()


def test_rows_left_by_a_dead_process_are_graded_after_any_first_request(app: Flask, restarted: Flask) -> None:
    user = make_user("ada")
    queued = Submission(user_id=user.id, drill_slug="adam", code=ADAM_CORRECT, status="queued")
    # Its worker died mid-job an hour ago: retried once.
    lost = Submission(
        user_id=user.id,
        drill_slug="adam",
        code=ADAM_CORRECT,
        status="running",
        attempts=1,
        heartbeat_at=utcnow() - dt.timedelta(hours=1),
    )
    db.session.add_all([queued, lost])
    db.session.commit()

    assert restarted.test_client().get("/healthz").status_code == 200  # not a drills page

    assert wait_for_submission(queued.id).outcome == "passed"
    retried = wait_for_submission(lost.id)
    assert retried.outcome == "passed" and retried.attempts == 2


def test_without_autostart_a_request_outside_the_drills_starts_no_pool(
    app: Flask, database_urls: dict[str, str], backend: str
) -> None:
    quiet = make_app(database_urls[backend], GRADING_POOL_AUTOSTART=False)
    assert quiet.test_client().get("/healthz").status_code == 200
    assert not jobs.local_pool(quiet).started
    jobs.shutdown(quiet)
    with quiet.app_context():
        db.engine.dispose()
