"""After a drill, on both databases: who may open the reference solution (passed; or failed three times and
asked), what it shows (the reference, the accepted conventions, a diff to one's own latest code, never
another person's), and the quick run that grades one problem without recording anything."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import sign_up
from support.apps import make_app
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION

from quizapp import jobs
from quizapp.extensions import db, limiter
from quizapp.models import CardState, Review, SolutionRequest, Submission, User, utcnow
from quizapp.services.solutions import solution_access
from quizapp.services.submissions import drill_specs

pytestmark = pytest.mark.slow

SOLUTION_API = "/api/drills/adam/solution"
UNLOCK_API = "/api/drills/adam/solution/unlock"
RUNS_API = "/api/drills/adam/runs"


def graded(user: User, outcome: str, code: str = ADAM_NO_BIAS_CORRECTION, slug: str = "adam") -> Submission:
    """A finished attempt, as the grading queue leaves it."""
    row = Submission(
        user_id=user.id,
        drill_slug=slug,
        code=code,
        status="done",
        outcome=outcome,
        verdict={"verdict": outcome, "cases": []},
        finished_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_passed_drill_opens_its_solution_beside_your_latest_code(client: FlaskClient, ada: User) -> None:
    graded(ada, "failed")
    latest = graded(ada, "passed", code=ADAM_CORRECT)

    response = client.get(SOLUTION_API)

    assert response.status_code == 200
    body = response.get_json()
    reference = drill_specs()["adam"].solution["numpy"]
    assert body["code"] == reference and body["framework"] == "numpy"
    assert body["unlocked_by"] == "passing"
    assert body["your_submission"]["id"] == latest.id
    assert {"name": "pytorch", "rule": drill_specs()["adam"].conventions["pytorch"]} in body["conventions"]
    yours = [row["yours"]["text"] for row in body["diff"] if row["yours"]]
    theirs = [row["reference"]["text"] for row in body["diff"] if row["reference"]]
    assert yours == ADAM_CORRECT.splitlines() and theirs == reference.splitlines()
    assert {row["kind"] for row in body["diff"]} >= {"same", "changed"}

    page = client.get("/drills/adam/solution")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="drl-sbs"' in html and 'data-kind="changed"' in html
    assert "Conventions the grader accepts" in html and "pytorch" in html
    assert "See the reference solution" in client.get("/drills/adam").get_data(as_text=True)


def test_two_failures_keep_the_solution_closed_on_the_page_and_in_json(
    client: FlaskClient, ada: User
) -> None:
    graded(ada, "failed")
    graded(ada, "timeout")

    refused = client.get(SOLUTION_API)
    assert refused.status_code == 403
    assert "fail 1 more time" in refused.get_json()["error"]["message"]
    assert client.post(UNLOCK_API).status_code == 403
    page = client.get("/drills/adam/solution")
    assert page.status_code == 403
    assert "fail 1 more time" in page.get_data(as_text=True)
    assert reference_line() not in page.get_data(as_text=True)
    drill_page = client.get("/drills/adam").get_data(as_text=True)
    assert 'id="drill-solution-ask"' not in drill_page
    assert db.session.scalar(db.select(db.func.count()).select_from(SolutionRequest)) == 0


def test_three_failures_open_the_solution_only_once_asked_and_the_ask_is_recorded(
    client: FlaskClient, ada: User
) -> None:
    for _ in range(3):
        graded(ada, "failed")
    assert 'id="drill-solution-ask"' in client.get("/drills/adam").get_data(as_text=True)

    before = client.get(SOLUTION_API)
    assert before.status_code == 403
    assert "Show the solution" in before.get_json()["error"]["message"]

    asked = client.post(UNLOCK_API)
    assert asked.status_code == 200
    assert asked.get_json()["unlocked"] is True and asked.get_json()["url"] == "/drills/adam/solution"
    assert client.post(UNLOCK_API).status_code == 200  # asking twice is harmless
    requests = db.session.scalars(db.select(SolutionRequest)).all()
    assert [(r.user_id, r.drill_slug) for r in requests] == [(ada.id, "adam")]

    opened = client.get(SOLUTION_API)
    assert opened.status_code == 200 and opened.get_json()["unlocked_by"] == "asking"
    assert client.get("/drills/adam/solution").status_code == 200


def test_another_persons_code_is_never_shown_and_their_pass_unlocks_nothing(
    app: Flask, client: FlaskClient, ada: User
) -> None:
    bea = User(username="bea", password_hash="not a login")
    db.session.add(bea)
    db.session.commit()
    graded(bea, "passed", code=ADAM_CORRECT + "\n# bea's secret comment\n")

    assert client.get(SOLUTION_API).status_code == 403  # bea passed, ada did not
    graded(ada, "passed", code=ADAM_CORRECT)
    body = client.get(SOLUTION_API).get_data(as_text=True)
    page = client.get("/drills/adam/solution").get_data(as_text=True)
    assert "secret comment" not in body and "secret comment" not in page


def test_your_code_on_the_solution_page_is_shown_as_text(client: FlaskClient, ada: User) -> None:
    graded(ada, "passed", code=ADAM_CORRECT + "\n# </code><script>alert(1)</script>\n")

    html = client.get("/drills/adam/solution").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_solution_of_an_unknown_drill_is_a_404(client: FlaskClient, ada: User) -> None:
    assert client.get("/api/drills/no-such-drill/solution").status_code == 404
    assert client.post("/api/drills/no-such-drill/solution/unlock").status_code == 404


def test_a_run_grades_one_problem_and_stores_nothing(client: FlaskClient, ada: User) -> None:
    response = client.post(RUNS_API, json={"code": ADAM_CORRECT, "problem": "tiny-gradient"})

    assert response.status_code == 200
    body = response.get_json()
    assert body["recorded"] is False and body["problem"] == "tiny-gradient"
    assert body["verdict"]["verdict"] == "passed"
    assert [case["problem"] for case in body["verdict"]["cases"]] == ["tiny-gradient"]
    assert body["verdict"]["cases"][0]["trajectory"]["loss"]["reference"]
    assert 'data-verdict="passed"' in body["result_html"] and "not recorded" in body["result_html"]
    assert 'class="drl-plots"' in body["result_html"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Review)) == 0


def test_a_run_defaults_to_the_drills_first_problem(client: FlaskClient, ada: User) -> None:
    body = client.post(RUNS_API, json={"code": ADAM_CORRECT}).get_json()
    assert body["problem"] == drill_specs()["adam"].grading.problems[0]
    assert len(body["verdict"]["cases"]) == 1


def test_failed_runs_are_not_failures_and_leave_the_review_queue_alone(
    client: FlaskClient, ada: User
) -> None:
    for _ in range(3):
        body = client.post(RUNS_API, json={"code": ADAM_NO_BIAS_CORRECTION, "problem": "beale"}).get_json()
        assert body["verdict"]["verdict"] == "failed"
        assert body["verdict"]["diagnosis"]["id"] == "no-bias-correction"
    assert "leaves your review queue as it is" in body["result_html"]

    assert solution_access(ada, "adam").failures == 0
    assert client.post(UNLOCK_API).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(CardState)) == 0
    assert "not-tried" in client.get("/drills").get_data(as_text=True)


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"code": ADAM_CORRECT, "problem": "rosenbrock"}, 400, "no problem 'rosenbrock'"),
        ({"code": ADAM_CORRECT, "framework": "jax"}, 400, "framework"),
        ({"code": "x = 1\n" * 5000}, 413, "limit"),
        ({"code": "   "}, 400, "code"),
    ],
)
def test_a_bad_run_is_refused_with_a_clear_message(
    client: FlaskClient, ada: User, payload: dict, status: int, words: str
) -> None:
    response = client.post(RUNS_API, json=payload)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]


def test_runs_beyond_the_servers_slots_are_refused_as_busy(
    app: Flask, client: FlaskClient, ada: User
) -> None:
    app.config["RUNS_IN_FLIGHT"] = 0  # every slot taken

    response = client.post(RUNS_API, json={"code": ADAM_CORRECT})

    assert response.status_code == 503
    assert "busy" in response.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)) == 0


def test_runs_share_the_per_minute_limit_with_submissions(
    database_urls: dict[str, str], backend: str, app: Flask, bank: None
) -> None:
    limited = make_app(database_urls[backend], RATELIMIT_ENABLED=True, SUBMISSIONS_PER_MINUTE=3)
    limiter.reset()
    client = limited.test_client()
    with limited.app_context():
        sign_up(client, "cyrus")
        # Refused bodies still count, so no grading is needed to reach the limit.
        statuses = [
            client.post("/api/drills/adam/submissions", json={"code": ""}).status_code,
            client.post(RUNS_API, json={"code": ""}).status_code,
            client.post(RUNS_API, json={"code": ""}).status_code,
            client.post(RUNS_API, json={"code": ADAM_CORRECT}).status_code,
            client.post("/api/drills/adam/submissions", json={"code": ADAM_CORRECT}).status_code,
        ]
        assert statuses == [400, 400, 400, 429, 429]
        jobs.shutdown(limited)
        db.session.remove()
        db.engine.dispose()


def test_the_solution_needs_a_login(app: Flask, bank: None) -> None:
    anonymous = app.test_client()
    assert anonymous.get(SOLUTION_API).status_code == 401
    assert anonymous.post(RUNS_API, json={"code": ADAM_CORRECT}).status_code == 401
    assert anonymous.get("/drills/adam/solution").status_code in (302, 401)


def reference_line() -> str:
    """A line only the reference solution has (its bias-correction comment)."""
    return "Bias correction: both averages start at zero"
