"""QUESTIONS_DIR is the one bank everywhere: with a bank in another folder whose `sgd` drill differs from
the shipped one (one problem, 7 steps, a new title), the drill page, the quick run, a web submission graded
by the in-process pool and one graded by a `quizapp worker` all follow that bank, and a worker whose bank
lacks the drill (or cannot read it) ends the row with a message instead of grading another drill."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from support.accounts import make_user, sign_up
from support.apps import empty_tables, make_app
from support.drills import QUESTIONS_DIR, shipped_drill
from support.grading import wait_for_submission
from support.submissions import SGD_CORRECT
from support.workers import QUEUE_URL, Workers

from quizapp import jobs
from quizapp.bank import load_drills
from quizapp.extensions import db, unit_of_work
from quizapp.grader.fingerprint import grading_fingerprint
from quizapp.jobs.grading import grade_submission
from quizapp.models import Submission
from quizapp.services import submissions

pytestmark = pytest.mark.slow

TITLE = "SGD on the custom bank"
STEPS = 7
SUBMISSIONS_API = "/api/drills/sgd/submissions"


@pytest.fixture(scope="module")
def custom_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped bank whose `sgd` drill is graded on the bowl alone, for 7 steps."""
    questions = tmp_path_factory.mktemp("bank") / "questions"
    shutil.copytree(QUESTIONS_DIR, questions)
    drill = questions / "drills" / "sgd.yaml"
    text = drill.read_text(encoding="utf-8")
    for old, new in [
        ("title: Plain SGD step", f"title: {TITLE}"),
        (
            "  problems: [bowl, ravine, noisy-least-squares]\n  steps: 25",
            f"  problems: [bowl]\n  steps: {STEPS}",
        ),
    ]:
        assert old in text
        text = text.replace(old, new)
    drill.write_text(text, encoding="utf-8")
    shipped = shipped_drill("sgd").grading
    assert (len(shipped.problems), shipped.steps) != (1, STEPS)  # the shipped drill would grade otherwise
    return questions


@pytest.fixture
def bank_app(database_urls: dict[str, str], custom_bank: Path) -> Iterator[Flask]:
    """The app on SQLite with QUESTIONS_DIR set to the custom bank, loaded into the database."""
    app = make_app(database_urls["sqlite"], QUESTIONS_DIR=str(custom_bank))
    with app.app_context():
        empty_tables()
        result = app.test_cli_runner().invoke(args=["questions", "load"])
        assert result.exit_code == 0, result.output
        yield app
        jobs.shutdown(app)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def person(bank_app: Flask) -> FlaskClient:
    client = bank_app.test_client()
    sign_up(client, "ada")
    return client


def _assert_graded_by_the_custom_drill(verdict: dict) -> None:
    assert verdict["verdict"] == "passed", verdict
    assert [(case["problem"], case["steps"]) for case in verdict["cases"]] == [("bowl", STEPS)]


def test_the_drill_page_shows_the_configured_banks_drill(person: FlaskClient) -> None:
    page = person.get("/drills/sgd").get_data(as_text=True)
    assert f"<h1>{TITLE}</h1>" in page
    assert '<option value="bowl">bowl</option>' in page
    assert '<option value="ravine">' not in page  # the shipped drill's second problem is not offered


def test_a_web_submission_and_a_quick_run_are_graded_by_the_configured_banks_drill(
    bank_app: Flask, person: FlaskClient
) -> None:
    run = person.post("/api/drills/sgd/runs", json={"code": SGD_CORRECT})
    assert run.status_code == 200, run.get_json()
    _assert_graded_by_the_custom_drill(run.get_json()["verdict"])

    response = person.post(SUBMISSIONS_API, json={"code": SGD_CORRECT, "framework": "numpy"})
    assert response.status_code == 202, response.get_json()
    done = wait_for_submission(response.get_json()["id"])

    assert done.status == "done", done.error
    _assert_graded_by_the_custom_drill(done.verdict)
    assert (done.cases_total, done.cases_passed) == (1, 1)
    page = person.get(f"/submissions/{done.id}").get_data(as_text=True)
    assert TITLE in page


def _queued_sgd_submission() -> int:
    user = make_user("kim")
    submission = Submission(user_id=user.id, drill_slug="sgd", code=SGD_CORRECT, framework="numpy")
    db.session.add(submission)
    db.session.commit()
    return submission.id


@pytest.mark.parametrize(
    ("bank", "message"),
    [
        ("empty", "The drill 'sgd' is not in this server's question bank, so it was not graded."),
        ("missing", "The drill 'sgd' is not in this server's question bank, so it was not graded."),
        ("broken", "The server's question bank has errors, so this drill cannot be graded now."),
    ],
)
def test_a_worker_whose_bank_cannot_give_the_drill_ends_the_row_with_a_message(
    bank_app: Flask, tmp_path: Path, custom_bank: Path, bank: str, message: str
) -> None:
    submission_id = _queued_sgd_submission()
    folder = tmp_path / "questions"
    if bank == "empty":
        (folder / "drills").mkdir(parents=True)
    elif bank == "broken":
        shutil.copytree(custom_bank / "drills", folder / "drills")
        (folder / "drills" / "sgd.yaml").write_text("slug: sgd\ngrading: [\n", encoding="utf-8")
    bank_app.config["QUESTIONS_DIR"] = str(folder)

    assert grade_submission(submission_id) == "error"

    row = db.session.get(Submission, submission_id)
    assert (row.status, row.error, row.verdict) == ("error", message, None)


MISMATCH = (
    "The drill 'sgd' is graded differently on this server's grading workers than on the page you submitted "
    "from (an update in progress, or workers set up with another question bank), so it was not graded. "
    "Please submit again in a few minutes."
)


def _submitted_against(bank: Path) -> int:
    """A `queued` submission stored as the web app (on `bank`) stores one, not graded yet."""
    user = make_user("kim")
    with unit_of_work():
        submission = submissions.store_submission(user, "sgd", SGD_CORRECT, "numpy")
    assert submission.grader_fingerprint == grading_fingerprint(load_drills(bank)["sgd"])
    return submission.id


@pytest.mark.parametrize(
    ("worker_bank", "status"),
    [("same", "done"), ("prompt reworded", "done"), ("shipped", "error"), ("steps changed", "error")],
)
def test_a_job_whose_drill_differs_from_the_submitted_one_does_not_grade(
    bank_app: Flask, custom_bank: Path, tmp_path: Path, worker_bank: str, status: str
) -> None:
    submission_id = _submitted_against(custom_bank)
    folder = tmp_path / "questions"
    shutil.copytree(custom_bank / "drills", folder / "drills")
    drill = folder / "drills" / "sgd.yaml"
    text = drill.read_text(encoding="utf-8")
    if worker_bank == "prompt reworded":
        drill.write_text(text.replace("prompt: |\n", "prompt: |\n  Reworded.\n", 1), encoding="utf-8")
    elif worker_bank == "steps changed":
        drill.write_text(text.replace(f"steps: {STEPS}", f"steps: {STEPS + 1}"), encoding="utf-8")
    elif worker_bank == "shipped":
        folder = QUESTIONS_DIR
    assert (drill.read_text(encoding="utf-8") == text) == (worker_bank in ("same", "shipped"))
    bank_app.config["QUESTIONS_DIR"] = str(folder)
    refusals = _version_mismatches()

    assert grade_submission(submission_id) == status

    row = db.session.get(Submission, submission_id)
    if status == "done":
        _assert_graded_by_the_custom_drill(row.verdict)
    else:
        assert (row.error, row.verdict) == (MISMATCH, None)
    assert _version_mismatches() == refusals + (status == "error")  # what operators alert on


def _version_mismatches() -> float:
    return REGISTRY.get_sample_value("quizapp_sandbox_failures_total", {"reason": "version-mismatch"}) or 0.0


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("worker_bank", ["custom", "shipped"])
def test_a_quizapp_worker_grades_with_its_configured_bank(
    database_urls: dict[str, str], custom_bank: Path, tmp_path: Path, worker_bank: str
) -> None:
    """A worker on the web app's bank grades with it; one started on another bank (the shipped one, whose
    `sgd` has 3 problems of 25 steps) refuses, where it used to grade the drill the person never saw."""
    queue_name = f"quizapp-grading-test-{uuid.uuid4().hex[:8]}"
    web = make_app(
        database_urls["postgres"],
        QUEUE_URL=QUEUE_URL,
        GRADING_QUEUE_NAME=queue_name,
        QUESTIONS_DIR=str(custom_bank),
    )
    worker_questions = custom_bank if worker_bank == "custom" else QUESTIONS_DIR
    workers = Workers(database_urls["postgres"], queue_name, tmp_path, QUESTIONS_DIR=str(worker_questions))
    with web.app_context():
        empty_tables()
        assert web.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
        try:
            client = web.test_client()
            sign_up(client, "lee")
            response = client.post(SUBMISSIONS_API, json={"code": SGD_CORRECT, "framework": "numpy"})
            assert response.status_code == 202, response.get_json()
            workers.start()
            done = wait_for_submission(response.get_json()["id"], timeout=180)
            if worker_bank == "custom":
                assert done.status == "done", (done.error, workers.logs())
                _assert_graded_by_the_custom_drill(done.verdict)
            else:
                assert (done.status, done.error, done.verdict) == ("error", MISMATCH, None), workers.logs()
                assert "its question bank or quizapp release differs" in workers.logs()
        finally:
            workers.stop_all()
            db.session.remove()
            db.engine.dispose()
