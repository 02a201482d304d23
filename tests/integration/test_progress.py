"""Progress dashboard, its JSON API, focused sessions' validation and the scheduler fit, on both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import torch
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.charts import heat_cells, page_charts, printed
from support.progress_history import make_bank, seed_history, seed_long_history

from quizapp.extensions import db
from quizapp.models import SchedulerOptimization, User, utcnow


@pytest.fixture
def seeded(app: Flask, client: FlaskClient) -> User:
    make_bank()
    user = make_user(timezone="UTC", desired_retention=0.9)
    seed_history(user)
    login(client, user)
    return user


def test_progress_json_numbers_on_a_seeded_history(seeded: User, client: FlaskClient) -> None:
    body = client.get("/api/progress").get_json()
    overall = body["overall"]
    assert overall["counts"] == {"total": 4, "seen": 2, "new": 2, "due_today": 1, "overdue": 0}
    assert overall["retrievability_now"] == pytest.approx((0.9 + 1.0) / 2, abs=1e-6)
    assert overall["true_retention"] == {"recalled": 1, "total": 2, "rate": 0.5}
    assert overall["average_stability"] == pytest.approx(7.5)
    assert (overall["drills_passed"], overall["drills_tried"], overall["drills_total"]) == (1, 1, 2)
    assert body["desired_retention"] == 0.9
    topics = {topic["slug"]: topic for topic in body["topics"]}
    assert list(topics) == ["gd-basics", "adam-family"]  # bank order (position)
    assert topics["gd-basics"]["counts"]["seen"] == 0
    assert topics["gd-basics"]["retrievability_now"] is None
    assert [card["slug"] for card in topics["adam-family"]["weakest"]] == [
        "adam-bias-correction-why",
        "adam-epsilon-placement",
    ]
    assert sum(day["count"] for day in body["due_forecast"]) == 2
    assert len(body["due_forecast"]) == 30
    assert body["reviews_today"] == 2
    adam = next(drill for drill in body["drills"] if drill["slug"] == "adam")
    assert (adam["attempts"], adam["passed_attempts"], adam["passed"]) == (2, 1, True)


def test_progress_json_for_one_topic_and_unknown_topic(seeded: User, client: FlaskClient) -> None:
    body = client.get("/api/progress/gd-basics").get_json()
    assert body["overall"]["title"] == "Gradient descent basics"
    assert body["overall"]["counts"]["total"] == 1
    assert [drill["slug"] for drill in body["drills"]] == ["sgd"]
    missing = client.get("/api/progress/no-such-topic")
    assert missing.status_code == 404
    assert "no-such-topic" in missing.get_json()["error"]["message"]


def test_progress_api_needs_login(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/progress")
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401


def test_interview_date_adds_projected_recall(app: Flask, client: FlaskClient) -> None:
    import datetime as dt

    make_bank()
    user = make_user(interview_date=dt.date.today() + dt.timedelta(days=30))
    seed_history(user)
    login(client, user)
    body = client.get("/api/progress").get_json()
    projection = body["overall"]["projection"]
    assert projection["cards_total"] == 4
    assert 0 < projection["mean_recall"] < 0.9  # both cards fade over a month without reviews
    page = client.get("/progress").get_data(as_text=True)
    assert "Recall on interview day" in page
    assert "Predicted recall on interview day, per topic" in page
    (projected,) = [chart for title, chart in page_charts(page).items() if "without further reviews" in title]
    assert user.interview_date.isoformat() in projected["title"]
    assert projected["marker"] == {"value": 0.9, "label": "target 90%"}
    assert projected["texts"][0] == "not started" and projected["texts"][1].endswith("(below target)")


def test_dashboard_shows_counts_charts_and_weak_cards(seeded: User, client: FlaskClient) -> None:
    response = client.get("/progress")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-stat="seen">2<' in page
    assert 'data-stat="due-today">1<' in page
    assert 'data-stat="true-retention">50%<' in page
    shown = page_charts(page)
    forecast = shown["Cards due on each of the next 30 days (overdue cards count today)"]
    assert sum(forecast["values"]) == 2 and len(forecast["labels"]) == 30
    recall = printed(shown["Predicted recall now, per topic"])
    assert recall == {"Gradient descent basics": "not started", "The Adam family": "95%"}
    assert printed(shown["Attempts per drill"]) == {
        "SGD": "not tried",
        "Adam from scratch": "2 attempts, passed 1×",
    }
    assert "<td>Adam from scratch</td><td>2 attempts, passed 1×</td>" in page  # the chart's table
    counted = {title: text for _, title, text in heat_cells(page) if text}  # squares with reviews
    today = utcnow().date().isoformat()
    assert counted[f"{today}: 2 reviews"] == "2" and sorted(counted.values()) == ["1", "2", "2"]
    assert page.count('type="module" src="/static/charts.js"') == 1
    assert "Review these now" in page
    assert "Set your interview date in" in page and 'href="/auth/settings"' in page
    assert 'name="cards" value="adam-bias-correction-why,adam-epsilon-placement"' in page


def test_topic_page_and_unknown_topic(seeded: User, client: FlaskClient) -> None:
    page = client.get("/progress/adam-family").get_data(as_text=True)
    assert "The Adam family" in page
    assert 'data-stat="seen">2<' in page
    shown = page_charts(page)
    assert printed(shown["Attempts per drill"]) == {"Adam from scratch": "2 attempts, passed 1×"}
    assert "Predicted recall now, per topic" not in shown  # one topic: the summary says it
    assert sum(int(text) for _, _, text in heat_cells(page) if text) == 5
    assert client.get("/progress/nope").status_code == 404


def test_focus_session_rejects_unknown_cards(seeded: User, client: FlaskClient) -> None:
    response = client.get("/progress/focus?cards=adam-beta-roles,not-a-card")
    assert response.status_code == 400
    assert "not-a-card" in response.get_data(as_text=True)
    wrong_topic = client.get("/progress/focus?topic=gd-basics&cards=adam-beta-roles")
    assert wrong_topic.status_code == 400


def test_focus_session_shows_the_first_card_with_rating_buttons(seeded: User, client: FlaskClient) -> None:
    page = client.get("/progress/focus?topic=adam-family&cards=adam-epsilon-placement,adam-beta-roles")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Where does $\\epsilon$ go?" in text
    assert 'name="remaining" value="adam-beta-roles"' in text
    assert text.count('name="rating"') == 4


def test_focus_rating_must_be_one_to_four(seeded: User, client: FlaskClient) -> None:
    response = client.post(
        "/progress/focus", data={"card": "adam-beta-roles", "rating": "7", "idempotency_key": "k"}
    )
    assert response.status_code == 400
    assert "Again, Hard, Good or Easy" in response.get_data(as_text=True)


def test_optimize_refuses_without_enough_reviews(seeded: User, client: FlaskClient) -> None:
    response = client.post("/progress/scheduler", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not enough review history yet" in page
    assert "you have 2" in page
    assert db.session.query(SchedulerOptimization).count() == 0


@pytest.fixture
def two_torch_threads() -> Iterator[None]:
    """torch set to two intra-op threads for the test, and set back after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_optimize_fits_in_the_background_and_reports_log_loss(app: Flask, client: FlaskClient) -> None:
    make_bank()
    user = make_user()
    seed_long_history(user)
    login(client, user)
    assert "Optimisation started" in client.post("/progress/scheduler", follow_redirects=True).get_data(
        as_text=True
    )
    run = _wait_for_fit(user.id)
    assert run.status == "done", run.message
    assert run.reviews_used >= 512
    assert run.log_loss_before is not None and run.log_loss_after is not None
    assert len(run.parameters_after) == 21
    db.session.expire_all()
    stored = db.session.get(User, user.id).fsrs_parameters
    assert stored == (run.parameters_after if run.applied else None)
    assert run.applied == (run.log_loss_after < run.log_loss_before)
    page = client.get("/progress/scheduler").get_data(as_text=True)
    assert f"{run.log_loss_before:.4f}" in page and f"{run.log_loss_after:.4f}" in page


def _wait_for_fit(user_id: int, timeout: float = 120.0) -> SchedulerOptimization:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        run = db.session.query(SchedulerOptimization).filter_by(user_id=user_id).one()
        if run.status in {"done", "error"}:
            return run  # the `app` fixture's jobs.shutdown joins the fitting thread
        time.sleep(0.2)
    raise AssertionError("the scheduler fit did not finish in time")


@pytest.mark.redis
@pytest.mark.usefixtures("two_torch_threads")
def test_with_a_queue_url_the_fit_runs_as_an_rq_job(app: Flask, client: FlaskClient) -> None:
    import os
    import uuid

    from rq import SimpleWorker

    from quizapp.jobs.rq_queue import fitting_queue, grading_queue

    app.config["QUEUE_URL"] = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
    app.config["GRADING_QUEUE_NAME"] = f"quizapp-grade-test-{uuid.uuid4().hex[:8]}"
    app.config["FIT_QUEUE_NAME"] = f"quizapp-fit-test-{uuid.uuid4().hex[:8]}"
    make_bank()
    user = make_user()
    seed_long_history(user)
    login(client, user)
    client.post("/progress/scheduler")
    assert db.session.query(SchedulerOptimization).one().status == "queued"  # nothing ran in the web process
    queues = [grading_queue(app), fitting_queue(app)]
    assert [queue.count for queue in queues] == [0, 1]  # its own queue, not the grading one
    try:
        SimpleWorker(queues, connection=queues[0].connection).work(burst=True)  # what `quizapp worker` runs
    finally:
        for queue in queues:
            queue.delete(delete_jobs=True)
        queues[0].connection.close()
    db.session.expire_all()
    run = db.session.query(SchedulerOptimization).one()
    assert run.status == "done", run.message
    assert run.log_loss_after is not None
    assert torch.get_num_threads() == 1  # the job's thread fitted on one core (two_torch_threads set two)


def test_focus_session_records_reviews_with_origin_focus(seeded: User, client: FlaskClient) -> None:
    from quizapp.models import CardState, Review

    before = {row.card_slug: row.due for row in db.session.query(CardState).filter_by(user_id=seeded.id)}
    form = {
        "card": "adam-beta-roles",
        "rating": "3",
        "idempotency_key": "focus-key-0001",
        "remaining": "adam-bias-correction-why",
        "topic": "adam-family",
        "done": "0",
    }
    response = client.post("/progress/focus", data=form)
    assert response.status_code == 302
    assert "cards=adam-bias-correction-why" in response.headers["Location"]
    assert "done=1" in response.headers["Location"]
    assert client.post("/progress/focus", data=form).status_code == 302  # a repeated POST counts once
    db.session.expire_all()
    reviews = db.session.query(Review).filter_by(user_id=seeded.id, card_slug="adam-beta-roles").all()
    assert [(review.origin, review.rating) for review in reviews] == [("focus", 3)]
    states = {row.card_slug: row.due for row in db.session.query(CardState).filter_by(user_id=seeded.id)}
    assert "adam-beta-roles" in states
    assert {slug: due for slug, due in states.items() if slug in before} == before  # other cards untouched
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Card 2 of 2" in done


def test_focus_session_refuses_an_unknown_card_when_rating(seeded: User, client: FlaskClient) -> None:
    response = client.post(
        "/progress/focus", data={"card": "no-such-card", "rating": "3", "idempotency_key": "focus-key-0002"}
    )
    assert response.status_code == 404
    assert "no-such-card" in response.get_data(as_text=True)


def test_dashboard_of_a_new_account_without_a_bank(app: Flask, client: FlaskClient) -> None:
    user = make_user()
    login(client, user)
    page = client.get("/progress")
    assert page.status_code == 200
    assert 'data-stat="seen">0<' in page.get_data(as_text=True)
    body = client.get("/api/progress").get_json()
    assert body["topics"] == [] and body["overall"]["retrievability_now"] is None
    assert client.get("/progress/focus").status_code == 200  # nothing to focus on yet, said plainly
