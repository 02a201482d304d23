"""Progress pages: forms that change data need the CSRF token, pages need a login, exports hold only yours."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, login_id_for, make_user
from support.charts import page_charts
from support.progress_history import make_bank, seed_history

from quizapp.extensions import db
from quizapp.models import Drill, Review, User


def _logged_in_client(flask_app: Flask, user_id: int) -> FlaskClient:
    client = flask_app.test_client()
    login_id = login_id_for(db.session.get(User, user_id))
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True
    return client


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/progress/import", {"history": b"{}"}),
        ("/progress/scheduler", {}),
        ("/progress/focus", {"card": "adam-beta-roles", "rating": "3", "idempotency_key": "k1"}),
    ],
)
def test_progress_forms_refuse_posts_without_csrf_token(app: Flask, path: str, data: dict) -> None:
    make_bank()
    user = make_user()
    app.config["WTF_CSRF_ENABLED"] = True  # CSRFProtect reads the setting on each request
    client = _logged_in_client(app, user.id)
    if "history" in data:
        data = {"history": (io.BytesIO(data["history"]), "h.json")}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert db.session.query(Review).count() == 0


def test_progress_pages_need_a_login(app: Flask, client: FlaskClient) -> None:
    for path in ("/progress", "/progress/export.json", "/progress/export.apkg", "/progress/import"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]


def test_export_holds_only_the_logged_in_persons_history(app: Flask, client: FlaskClient) -> None:
    make_bank()
    ada, grace = make_user("ada"), make_user("grace")
    seed_history(ada)
    login(client, grace)
    body = client.get("/progress/export.json").get_json()
    assert body["username"] == "grace"
    assert body["reviews"] == [] and body["card_states"] == [] and body["submissions"] == []
    assert client.get("/api/progress").get_json()["overall"]["counts"]["seen"] == 0


def test_a_title_cannot_close_the_chart_data_script(app: Flask, client: FlaskClient) -> None:
    make_bank()
    title = "</script><script>alert(1)</script><!--"
    db.session.get(Drill, "adam").title = title
    db.session.commit()
    login(client, make_user())
    page = client.get("/progress").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "</script><!--" not in page
    assert page_charts(page)["Attempts per drill"]["labels"][0] == title  # the script still reads it whole
