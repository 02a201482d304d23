"""Drill submissions are private, the API refuses forged requests, and output from submitted code is shown
as text, never as markup."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.apps import make_app
from support.grading import wait_for_submission
from support.submissions import ADAM_CORRECT

from quizapp import jobs
from quizapp.extensions import db
from quizapp.models import Submission, User

pytestmark = pytest.mark.slow


def _user_id(name: str) -> int:
    return db.session.scalars(db.select(User.id).where(User.username == name)).one()


def test_another_persons_submission_is_404_everywhere(client: FlaskClient, auth, bank: None) -> None:
    auth.register("ada")
    auth.register("eve")
    secret = Submission(user_id=_user_id("ada"), drill_slug="adam", code="# ada's secret", status="error")
    db.session.add(secret)
    db.session.commit()
    auth.login("eve")

    for path in (f"/api/submissions/{secret.id}", f"/api/submissions/{secret.id + 1000}"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["message"].startswith("There is no submission")
    for page in ("", "/result", "/compare"):
        response = client.get(f"/submissions/{secret.id}{page}")
        assert response.status_code == 404
        assert b"ada's secret" not in response.data


def test_submitting_without_the_csrf_token_is_refused(
    database_urls: dict[str, str], backend: str, app: Flask
) -> None:
    protected = make_app(database_urls[backend], WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    with protected.app_context():
        assert protected.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
        page = client.get("/auth/register").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post(
            "/auth/register",
            data={
                "username": "cyd",
                "password": "pw-long-enough-1",
                "confirm": "pw-long-enough-1",
                "csrf_token": token,
            },
        )
        client.post(
            "/auth/login", data={"username": "cyd", "password": "pw-long-enough-1", "csrf_token": token}
        )

        forged = client.post(
            "/api/drills/adam/submissions", json={"code": ADAM_CORRECT, "framework": "numpy"}
        )
        assert forged.status_code == 400
        assert "security token" in forged.get_json()["error"]["message"]
        assert db.session.scalar(db.select(db.func.count(Submission.id))) == 0

        token = re.search(
            r'name="csrf-token" content="([^"]+)"', client.get("/drills/adam").get_data(as_text=True)
        )
        accepted = client.post(
            "/api/drills/adam/submissions",
            json={"code": ADAM_CORRECT, "framework": "numpy"},
            headers={"X-CSRFToken": token.group(1)},
        )
        assert accepted.status_code == 202
        wait_for_submission(accepted.get_json()["id"])
        jobs.shutdown(protected)
        db.session.remove()
        db.engine.dispose()


def test_output_of_submitted_code_is_shown_escaped(client: FlaskClient, auth, bank: None) -> None:
    auth.register("ada")
    auth.login("ada")
    noisy = 'print("<script>alert(1)</script><b>bold</b>")\n' + ADAM_CORRECT
    response = client.post("/api/drills/adam/submissions", json={"code": noisy, "framework": "numpy"})
    submission = wait_for_submission(response.get_json()["id"])
    assert "<script>alert(1)</script>" in submission.verdict["stdout"]

    for path in (f"/submissions/{submission.id}", f"/submissions/{submission.id}/result"):
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
        assert "<script>alert(1)" not in html
        assert "<b>bold</b>" not in html
