"""The drill pages as a person sees them: the list with statuses, the editor page, results, history and the
comparison with the previous attempt. Verdicts come from the real grader."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.drills import shipped_drill
from support.submissions import ADAM_CORRECT, ADAM_NO_BIAS_CORRECTION

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Submission, Topic, User


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, Any]]:
    from quizapp.grader import grade

    return {
        "passed": grade(shipped_drill("adam"), ADAM_CORRECT, seed=7).to_dict(),
        "failed": grade(shipped_drill("adam"), ADAM_NO_BIAS_CORRECTION, seed=7).to_dict(),
    }


@pytest.fixture
def ada(app: Flask, client: FlaskClient, auth) -> Iterator[User]:
    assert app.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
    auth.register("ada")
    auth.login("ada")
    yield db.session.scalars(db.select(User).where(User.username == "ada")).one()
    jobs.shutdown(app)


def _graded(user: User, drill: str, code: str, verdict: dict[str, Any]) -> Submission:
    cases = verdict["cases"]
    submission = Submission(
        user_id=user.id,
        drill_slug=drill,
        code=code,
        status="done",
        verdict=verdict,
        outcome=verdict["verdict"],
        cases_total=len(cases),
        cases_passed=sum(c["passed"] for c in cases),
        attempts=1,
    )
    db.session.add(submission)
    db.session.commit()
    return submission


def test_drill_pages_need_a_login(client: FlaskClient, app: Flask) -> None:
    for path in ("/drills", "/drills/adam", "/drills/adam/submissions", "/submissions/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_drill_list_groups_drills_by_topic_with_status(client: FlaskClient, ada: User, verdicts) -> None:
    _graded(ada, "adam", ADAM_NO_BIAS_CORRECTION, verdicts["failed"])
    best = _graded(ada, "adam", ADAM_CORRECT, verdicts["passed"])
    _graded(ada, "sgd", "def sgd(): pass", {**verdicts["failed"], "drill": "sgd", "diagnosis": None})

    html = client.get("/drills").get_data(as_text=True)

    adam_family = db.session.get(Topic, "adam-family")
    assert html.count('<section class="drl-topic">') >= 5
    assert html.index(f"<h2>{adam_family.title}</h2>") < html.index('data-drill="adam"')
    adam_row = html[html.index('data-drill="adam"') :].split("</tr>", 1)[0]
    assert "drl-status-passed" in adam_row
    assert f'href="/submissions/{best.id}"' in adam_row
    assert "five lines" in adam_row  # seed 001's Adam fits in five update lines
    assert ">2</a>" in adam_row  # two attempts, linked to the history
    assert "drl-status-failed" in html[html.index('data-drill="sgd"') :].split("</tr>", 1)[0]
    assert "not tried" in html[html.index('data-drill="rmsprop"') :].split("</tr>", 1)[0]


def test_drill_page_has_prompt_editor_starters_and_framework_choice(client: FlaskClient, ada: User) -> None:
    html = client.get("/drills/adam").get_data(as_text=True)

    assert 'type="importmap"' in html
    assert '"codemirror"' in html or "@codemirror" in html
    assert 'id="drill-editor"' in html
    assert 'id="drill-starters"' in html
    assert '<option value="numpy">NumPy</option>' in html
    assert '<option value="torch">PyTorch</option>' in html
    assert 'data-submit-url="/api/drills/adam/submissions"' in html
    assert "drills.js" in html


def test_result_page_shows_verdict_cases_diagnosis_and_card(client: FlaskClient, ada: User, verdicts) -> None:
    failed = _graded(ada, "adam", ADAM_NO_BIAS_CORRECTION, verdicts["failed"])

    html = client.get(f"/submissions/{failed.id}").get_data(as_text=True)

    assert 'data-verdict="failed"' in html
    assert 'data-diagnosis="no-bias-correction"' in html
    assert "adam-bias-correction-why" in html
    assert '<a href="/review?card=adam-bias-correction-why" class="drl-card-link">Review it now</a>' in html
    case = verdicts["failed"]["cases"][0]
    assert f"<td>{case['problem']}</td>" in html
    assert f"step {case['first_divergence']['step']}:" in html
    assert 'class="drl-plots"' in html

    passed = _graded(ada, "adam", ADAM_CORRECT, verdicts["passed"])
    passed_html = client.get(f"/submissions/{passed.id}").get_data(as_text=True)
    assert verdicts["passed"]["convention"]
    assert f'<code class="drl-convention">{verdicts["passed"]["convention"]}</code>' in passed_html


def test_history_lists_attempts_and_compares_with_the_previous(
    client: FlaskClient, ada: User, verdicts
) -> None:
    first = _graded(ada, "adam", ADAM_NO_BIAS_CORRECTION, verdicts["failed"])
    second = _graded(ada, "adam", ADAM_CORRECT, verdicts["passed"])

    history = client.get("/drills/adam/submissions").get_data(as_text=True)
    assert history.index(f"#{second.id}") < history.index(f"#{first.id}")
    assert f'href="/submissions/{second.id}/compare"' in history

    compare = client.get(f"/submissions/{second.id}/compare").get_data(as_text=True)
    assert "m_hat = m / (1 - b1**t)" in compare
    assert 'class="drl-add">+        m_hat' in compare
    assert "no-bias-correction" in compare

    first_compare = client.get(f"/submissions/{first.id}/compare")
    assert first_compare.status_code == 404
    assert "first attempt" in first_compare.get_data(as_text=True)
