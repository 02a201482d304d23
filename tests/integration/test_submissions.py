"""Drill submissions end to end on both databases: the service, the JSON API, limits, the in-process grading
pool (real grader, real sandbox), its recovery after a restart, and the reaper."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.accounts import sign_up
from support.apps import make_app
from support.grading import wait_for_submission, wait_until
from support.races import race
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION, ADAM_TORCH_CORRECT
from support.transactions import committed

from quizapp import jobs
from quizapp.extensions import db, limiter
from quizapp.jobs import submit_drill
from quizapp.jobs.grading import reap_stale_submissions
from quizapp.models import CardState, Review, Submission, User, utcnow
from quizapp.services import submissions
from quizapp.services.errors import ServiceError

pytestmark = pytest.mark.slow


def _post(client: FlaskClient, code: object, framework: object = "numpy", slug: str = "adam"):
    return client.post(f"/api/drills/{slug}/submissions", json={"code": code, "framework": framework})


def test_submit_drill_stores_a_queued_row_then_grades_it(app: Flask, ada: User) -> None:
    submission = submit_drill(ada, "adam", ADAM_CORRECT, "numpy")
    assert submission.id is not None
    assert submission.created_at is not None

    done = wait_for_submission(submission.id)
    assert done.status == "done"
    assert done.outcome == "passed"
    assert done.verdict["verdict"] == "passed"
    assert done.cases_total and done.cases_passed == done.cases_total
    assert done.attempts == 1
    assert done.finished_at >= done.started_at >= done.created_at


def test_passing_a_drill_counts_as_a_good_review_of_its_code_card(app: Flask, ada: User) -> None:
    wait_for_submission(submit_drill(ada, "adam", ADAM_CORRECT, "numpy").id)

    reviews = db.session.scalars(db.select(Review).where(Review.user_id == ada.id)).all()
    assert [(r.card_slug, r.rating) for r in reviews] == [("code-adam", 3)]


def test_a_diagnosed_mistake_makes_the_linked_card_due_now(app: Flask, ada: User) -> None:
    done = wait_for_submission(submit_drill(ada, "adam", ADAM_NO_BIAS_CORRECTION, "numpy").id)

    assert done.outcome == "failed"
    assert done.verdict["diagnosis"]["id"] == "no-bias-correction"
    card = done.verdict["diagnosis"]["card"]
    assert card == "adam-bias-correction-why"
    state = db.session.scalars(
        db.select(CardState).where(CardState.user_id == ada.id, CardState.card_slug == card)
    ).one()
    assert state.due <= utcnow()


def test_api_accepts_a_submission_with_202_and_serves_its_verdict(client: FlaskClient, ada: User) -> None:
    response = _post(client, ADAM_NO_BIAS_CORRECTION)

    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] in ("queued", "running", "done")
    assert body["url"] == f"/submissions/{body['id']}"
    assert response.headers["Location"].endswith(f"/api/submissions/{body['id']}")

    wait_for_submission(body["id"])
    shown = client.get(body["api_url"]).get_json()
    assert shown["status"] == "done"
    assert shown["verdict"]["verdict"] == "failed"
    assert shown["verdict"]["diagnosis"]["id"] == "no-bias-correction"
    first = shown["verdict"]["cases"][0]
    assert {"problem", "steps", "max_rel_err", "first_divergence", "passed"} <= first.keys()


def test_a_pytorch_submission_is_graded_with_torch(client: FlaskClient, ada: User) -> None:
    response = _post(client, ADAM_TORCH_CORRECT, framework="torch")
    assert response.status_code == 202

    done = wait_for_submission(response.get_json()["id"])
    assert (done.framework, done.verdict["framework"], done.outcome) == ("torch", "torch", "passed")


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        ({"code": "x = 1\n" * 5000, "framework": "numpy"}, 413, "limit is 20,000 bytes"),
        ({"code": "", "framework": "numpy"}, 400, "non-empty string"),
        ({"code": ADAM_CORRECT, "framework": "jax"}, 400, "not 'jax'"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_api_rejects_bad_submissions_with_a_clear_json_error(
    client: FlaskClient, ada: User, payload: object, status: int, fragment: str
) -> None:
    response = client.post("/api/drills/adam/submissions", json=payload)

    assert response.status_code == status
    assert fragment in response.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0


def test_api_answers_404_for_a_drill_that_does_not_exist(client: FlaskClient, ada: User) -> None:
    response = _post(client, ADAM_CORRECT, slug="adamax-9000")
    assert response.status_code == 404
    assert "no drill named 'adamax-9000'" in response.get_json()["error"]["message"]


def test_api_requires_login_and_says_so_in_json(client: FlaskClient, bank: None) -> None:
    response = _post(client, ADAM_CORRECT)
    assert response.status_code == 401
    assert "Log in" in response.get_json()["error"]["message"]


def test_only_one_submission_per_drill_may_be_in_flight(client: FlaskClient, ada: User) -> None:
    running = Submission(
        user_id=ada.id, drill_slug="adam", code=ADAM_CORRECT, status="running", heartbeat_at=utcnow()
    )
    db.session.add(running)
    db.session.commit()

    response = _post(client, ADAM_CORRECT)

    assert response.status_code == 409
    assert f"#{running.id}" in response.get_json()["error"]["message"]
    with pytest.raises(ServiceError) as rejected:
        submit_drill(ada, "adam", ADAM_CORRECT, "numpy")
    assert rejected.value.status == 409


def test_two_tabs_submitting_one_drill_at_once_store_one_row(app: Flask, ada: User) -> None:
    """The one-at-a-time check holds under a race on both databases (extensions.lock_user): on SQLite too,
    which has no row locks."""
    user_id = ada.id
    for round_number in range(3):

        def submit() -> object:
            return committed(
                submissions.store_submission, db.session.get(User, user_id), "adam", ADAM_CORRECT, "numpy"
            )

        outcomes = race(app, submit, submit)
        refused = [o for o in outcomes if isinstance(o, ServiceError)]
        assert len(refused) == 1 and refused[0].status == 409, (round_number, outcomes)
        db.session.expire_all()
        rows = db.session.scalars(select(Submission).where(Submission.user_id == user_id)).all()
        queued = [row for row in rows if row.status == "queued"]
        assert (len(rows), len(queued)) == (round_number + 1, 1), round_number
        queued[0].status = "error"  # frees the drill for the next round
        db.session.commit()


def test_submissions_per_minute_are_limited_per_person(
    database_urls: dict[str, str], backend: str, app: Flask, bank: None
) -> None:
    limited = make_app(database_urls[backend], RATELIMIT_ENABLED=True, SUBMISSIONS_PER_MINUTE=2)
    limiter.reset()
    client = limited.test_client()
    with limited.app_context():
        sign_up(client, "bea")
        # Empty code is refused by the service, but every attempt still counts against the limit.
        responses = [_post(client, "") for _ in range(3)]
        assert [r.status_code for r in responses] == [400, 400, 429]
        assert "2 times per minute" in responses[2].get_json()["error"]["message"]
        jobs.shutdown(limited)  # the API started its grading pool; its reaper must not outlive the test
        db.session.remove()
        db.engine.dispose()


def test_a_restarted_pool_grades_rows_left_queued(app: Flask, client: FlaskClient, ada: User) -> None:
    # A row committed just before the web process died: nothing has enqueued it in this process.
    left = Submission(user_id=ada.id, drill_slug="adam", code=ADAM_CORRECT, status="queued")
    db.session.add(left)
    db.session.commit()

    assert client.get("/drills").status_code == 200  # the first drills request starts the pool

    assert wait_for_submission(left.id).outcome == "passed"


def test_the_reaper_retries_a_lost_job_once_then_marks_it_error(app: Flask, ada: User) -> None:
    long_ago = utcnow() - dt.timedelta(hours=1)
    first_try = Submission(
        user_id=ada.id, drill_slug="adam", code="pass", status="running", attempts=1, heartbeat_at=long_ago
    )
    second_try = Submission(
        user_id=ada.id, drill_slug="sgd", code="pass", status="running", attempts=2, heartbeat_at=long_ago
    )
    alive = Submission(
        user_id=ada.id, drill_slug="rmsprop", code="pass", status="running", attempts=1, heartbeat_at=utcnow()
    )
    db.session.add_all([first_try, second_try, alive])
    db.session.commit()

    requeued = reap_stale_submissions()

    assert requeued == [first_try.id]
    db.session.expire_all()
    assert first_try.status == "queued"
    assert second_try.status == "error"
    assert "worker stopped" in second_try.error
    assert alive.status == "running"


def test_a_heartbeat_keeps_a_long_grading_run_from_being_reaped(app: Flask, ada: User) -> None:
    app.config.update(SUBMISSION_HEARTBEAT_SECONDS=0.2, SUBMISSION_STALE_SECONDS=1.0)
    slow = "import time\ntime.sleep(2.5)\n" + ADAM_CORRECT
    submission = submit_drill(ada, "adam", slow, "numpy")

    def running_for_a_while() -> bool:
        db.session.expire_all()
        row = db.session.get(Submission, submission.id)
        return row.status != "running" or (utcnow() - row.started_at).total_seconds() > 1.5

    wait_until(running_for_a_while, 60, "the submission to run for 1.5 s")
    assert reap_stale_submissions() == []
    assert wait_for_submission(submission.id).attempts == 1


def test_worker_command_explains_that_it_needs_a_queue_url(runner) -> None:
    result = runner.invoke(args=["worker"])

    assert result.exit_code == 2
    assert "QUEUE_URL is not set" in result.output
