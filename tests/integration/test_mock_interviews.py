"""Mock interviews on both databases through the JSON API and the pages: starting one (questions without
answers), typed and self-rated answers (each reaching FSRS exactly once), the server-side clock, the report,
owner-only access, the length setting, the drill graded by the normal queue, the history on /progress."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.charts import page_charts
from support.grading import wait_for_submission
from support.review_cards import bank_with_logged_in_user
from support.submissions import ADAM_NO_BIAS_CORRECTION
from support.transactions import committed

from quizapp import jobs
from quizapp.answers import equivalence
from quizapp.answers.checking import CHECKER_BUSY
from quizapp.extensions import db
from quizapp.models import CardState, MockInterview, Review, User, utcnow
from quizapp.services import interviews

BACKS = ("The two EMA decays.", "Against the gradient.", r"$1/(1-\beta)$", "$10$ steps.")


@pytest.fixture
def user(app: Flask, client: FlaskClient) -> User:
    return bank_with_logged_in_user(client)


def start(client: FlaskClient) -> dict:
    response = client.post("/api/mock-interviews")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def question_of_kind(body: dict, kind: str) -> dict:
    return next(q for q in body["questions"] if q["kind"] == kind)


def answer(client: FlaskClient, interview_id: int, number: int, **body: object):
    return client.post(f"/api/mock-interviews/{interview_id}/questions/{number}/answer", json=body)


def interview_reviews(user: User) -> list[Review]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Review).where(Review.user_id == user.id).order_by(Review.id)))


def test_starting_gives_questions_from_every_topic_without_any_answer(
    client: FlaskClient, user: User
) -> None:
    body = start(client)
    assert body["finished"] is False and body["minutes"] == 30
    assert 0 < body["seconds_left"] <= 30 * 60
    kinds = {q["kind"] for q in body["questions"]}
    # The tiny bank has 5 answerable cards (the code card is the drill's, the retired one is out).
    assert {q["card"] for q in body["questions"]} == {
        "adam-epsilon-placement",
        "adam-beta-roles",
        "ema-window",
        "ema-window-formula",
        "gd-update-direction",
    }
    assert kinds == {"basic", "numeric", "symbolic"}
    assert {q["topic"] for q in body["questions"]} == {"adam-family", "gd-basics"}
    assert question_of_kind(body, "numeric")["typed"] and not question_of_kind(body, "basic")["typed"]
    text = json.dumps(body)
    assert '"back"' not in text and not any(back in text for back in BACKS)
    assert [q["number"] for q in body["questions"]] == [1, 2, 3, 4, 5]


def test_the_state_while_running_has_no_answers_even_after_answering(client: FlaskClient, user: User) -> None:
    body = start(client)
    numeric = question_of_kind(body, "numeric")
    assert answer(client, body["id"], numeric["number"], answer="10").status_code == 201
    state = client.get(f"/api/mock-interviews/{body['id']}").get_json()
    assert state["finished"] is False
    assert [q["answered"] for q in state["questions"] if q["number"] == numeric["number"]] == [True]
    text = json.dumps(state)
    assert "correct" not in text and not any(back in text for back in BACKS)


def test_a_second_interview_cannot_start_while_one_runs(client: FlaskClient, user: User) -> None:
    first = start(client)
    response = client.post("/api/mock-interviews")
    assert response.status_code == 409
    assert f"#{first['id']} is still running" in response.get_json()["error"]["message"]


def test_a_typed_answer_is_checked_and_reaches_fsrs_exactly_once(client: FlaskClient, user: User) -> None:
    body = start(client)
    number = question_of_kind(body, "numeric")["number"]
    first = answer(client, body["id"], number, answer="10")
    assert first.status_code == 201 and first.get_json()["recorded"] is True
    again = answer(client, body["id"], number, answer="10")
    assert again.status_code == 409 and "answered already" in again.get_json()["error"]["message"]

    [review] = interview_reviews(user)
    assert (review.card_slug, review.rating, review.origin) == ("ema-window", 3, "interview")
    assert review.idempotency_key == f"mock-{body['id']}-{number}"
    assert (review.answer_given, review.answer_correct) == ("10", True)
    state = db.session.scalars(db.select(CardState).where(CardState.user_id == user.id)).one()
    assert (state.card_slug, state.reps) == ("ema-window", 1)


def test_a_wrong_typed_answer_rates_again(client: FlaskClient, user: User) -> None:
    body = start(client)
    number = question_of_kind(body, "symbolic")["number"]
    assert answer(client, body["id"], number, answer="1/(1+beta)").status_code == 201
    [review] = interview_reviews(user)
    assert (review.rating, review.answer_correct) == (1, False)


def test_a_typed_answer_the_checker_cannot_decide_is_not_recorded(
    client: FlaskClient, user: User, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A busy checker says nothing about the answer: 503, the question stays open, the schedule untouched."""
    body = start(client)
    number = question_of_kind(body, "symbolic")["number"]
    monkeypatch.setattr(equivalence, "SLOTS_DIR", tmp_path)
    with equivalence.checking_slot():  # the host's one checking slot, taken by a long check elsewhere
        busy = answer(client, body["id"], number, answer="1/(1 - beta)")
    assert busy.status_code == 503 and busy.get_json()["error"]["message"] == CHECKER_BUSY
    assert interview_reviews(user) == []
    retried = answer(client, body["id"], number, answer="1/(1 - beta)")
    assert retried.status_code == 201
    [review] = interview_reviews(user)
    assert (review.rating, review.answer_correct) == (3, True)


def test_a_self_rated_answer_keeps_the_rating_and_the_notes(client: FlaskClient, user: User) -> None:
    body = start(client)
    number = next(q["number"] for q in body["questions"] if q["card"] == "gd-update-direction")
    assert answer(client, body["id"], number, rating=2, answer=" downhill ").status_code == 201
    [review] = interview_reviews(user)
    assert (review.card_slug, review.rating, review.answer_given, review.answer_correct) == (
        "gd-update-direction",
        2,
        "downhill",
        None,
    )


@pytest.mark.parametrize(
    ("kind", "body", "status", "words"),
    [
        ("numeric", {"rating": 3}, 422, "typed answer"),
        ("numeric", {"answer": "   "}, 422, "Type your answer"),
        ("numeric", {"answer": "10", "rating": 3}, 422, "send only 'answer'"),
        ("basic", {"answer": "notes only"}, 422, "1 Again"),
        ("basic", {"rating": 5}, 400, "at most 4"),
        ("basic", {"rating": True}, 400, "integer"),
        ("basic", {"rating": 3, "extra": 1}, 400, "unknown field"),
        ("basic", {"rating": 3, "answer": "x" * 2001}, 400, "at most 2000"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    client: FlaskClient, user: User, kind: str, body: dict, status: int, words: str
) -> None:
    started = start(client)
    number = question_of_kind(started, kind)["number"]
    response = client.post(f"/api/mock-interviews/{started['id']}/questions/{number}/answer", json=body)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]
    assert interview_reviews(user) == []
    assert (
        client.get(f"/api/mock-interviews/{started['id']}").get_json()["questions"][number - 1]["answered"]
        is False
    )


def test_a_question_that_does_not_exist_is_404(client: FlaskClient, user: User) -> None:
    body = start(client)
    response = answer(client, body["id"], 99, rating=3)
    assert response.status_code == 404 and "no question 99" in response.get_json()["error"]["message"]


def test_answers_after_the_time_is_up_are_refused_and_the_interview_ends_itself(
    client: FlaskClient, user: User
) -> None:
    interview = committed(interviews.start_interview, user, now=utcnow() - dt.timedelta(minutes=31))
    response = answer(client, interview.id, 1, rating=3, answer="late")
    assert response.status_code == 409
    assert "is over" in response.get_json()["error"]["message"]
    assert "not recorded" in response.get_json()["error"]["message"]
    assert interview_reviews(user) == []
    # A refused answer writes nothing; reading the interview ends it, at its end time.
    report = client.get(f"/api/mock-interviews/{interview.id}").get_json()
    assert report["finished"] is True and report["score"] == 0.0
    db.session.expire_all()
    ended = db.session.get(MockInterview, interview.id)
    assert ended.finished_at == ended.ends_at and ended.score == 0.0
    # The clock is the server's: a new interview may start now.
    assert client.post("/api/mock-interviews").status_code == 201


def test_the_report_shows_every_answer_with_its_back_scores_and_what_to_study(
    client: FlaskClient, user: User
) -> None:
    body = start(client)
    by_card = {q["card"]: q["number"] for q in body["questions"]}
    answer(client, body["id"], by_card["ema-window"], answer="10")  # right: 1 point
    answer(client, body["id"], by_card["ema-window-formula"], answer="beta")  # wrong: 0
    answer(client, body["id"], by_card["adam-beta-roles"], rating=4)  # 1
    answer(client, body["id"], by_card["gd-update-direction"], rating=2, answer="down")  # 0.5
    # adam-epsilon-placement left unanswered: 0
    response = client.post(f"/api/mock-interviews/{body['id']}/finish")
    assert response.status_code == 200
    report = response.get_json()
    assert report["finished"] is True
    assert report["score"] == pytest.approx(2.5 / 5, abs=1e-4)
    topics = {t["topic"]: t for t in report["topics"]}
    assert topics["adam-family"]["questions"] == 4 and topics["adam-family"]["answered"] == 3
    assert topics["adam-family"]["score"] == pytest.approx(0.5)
    assert topics["gd-basics"]["score"] == pytest.approx(0.5)
    rows = {q["card"]: q for q in report["questions"]}
    assert rows["ema-window"]["correct"] is True and rows["ema-window"]["back"] == "$10$ steps."
    assert rows["ema-window-formula"]["correct"] is False and rows["ema-window-formula"]["answer"] == "beta"
    assert rows["gd-update-direction"]["answer"] == "down" and rows["gd-update-direction"]["rating"] == 2
    assert (
        rows["adam-epsilon-placement"]["rating"] is None and rows["adam-epsilon-placement"]["seconds"] is None
    )
    assert all(
        rows[c]["seconds"] is not None and rows[c]["seconds"] >= 0
        for c in by_card
        if c != "adam-epsilon-placement"
    )
    assert [s["url"] for s in report["study_next"]] == [
        "/progress/focus?topic=adam-family",
        "/progress/focus?topic=gd-basics",
    ]
    assert report["drill"] is None  # the tiny bank has no drill rows
    # Finishing twice changes nothing; answers after finishing are refused.
    assert client.post(f"/api/mock-interviews/{body['id']}/finish").get_json()["score"] == report["score"]
    assert answer(client, body["id"], by_card["adam-epsilon-placement"], rating=3).status_code == 409
    assert len(interview_reviews(user)) == 4
    page = client.get(f"/interview/{body['id']}").get_data(as_text=True)
    assert "50%" in page and "$10$ steps." in page and "down" in page
    assert 'href="/progress/focus?topic=adam-family"' in page


def test_only_the_owner_can_see_or_answer_an_interview(client: FlaskClient, user: User) -> None:
    body = start(client)
    other = make_user("grace")
    login(client, other)
    for response in (
        client.get(f"/api/mock-interviews/{body['id']}"),
        answer(client, body["id"], 1, rating=3),
        client.post(f"/api/mock-interviews/{body['id']}/finish"),
        client.post(f"/api/mock-interviews/{body['id']}/drill", json={"code": "x = 1"}),
        client.get(f"/interview/{body['id']}"),
    ):
        assert response.status_code == 404
    assert interview_reviews(user) == [] and interview_reviews(other) == []
    assert client.get("/api/mock-interviews").get_json() == {"interviews": []}


def test_anonymous_requests_get_401(app: Flask, client: FlaskClient) -> None:
    assert client.post("/api/mock-interviews").status_code == 401
    assert client.get("/api/mock-interviews/1").status_code == 401
    assert client.get("/interview").status_code == 302


def test_the_length_is_a_setting(client: FlaskClient, user: User) -> None:
    user.interview_minutes = 12
    db.session.commit()
    body = start(client)
    started, ends = (dt.datetime.fromisoformat(body[k]) for k in ("started_at", "ends_at"))
    assert ends - started == dt.timedelta(minutes=12)


def test_the_settings_page_saves_the_length_within_bounds(client: FlaskClient, user: User) -> None:
    form = {
        "desired_retention": "0.9",
        "new_cards_per_day": "20",
        "timezone": "UTC",
        "minutes_per_day": "30",
        "new_card_order": "mixed",
    }
    assert client.post("/auth/settings", data={**form, "interview_minutes": "45"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).interview_minutes == 45
    page = client.post("/auth/settings", data={**form, "interview_minutes": "500"}).get_data(as_text=True)
    assert "Choose a length from 10 to 120 minutes." in page
    db.session.expire_all()
    assert db.session.get(User, user.id).interview_minutes == 45


def test_past_interviews_and_the_score_trend_show_on_the_progress_page(
    client: FlaskClient, user: User
) -> None:
    old = committed(interviews.start_interview, user, now=utcnow() - dt.timedelta(days=2))
    answer_all = committed(interviews.start_interview, user, now=utcnow() - dt.timedelta(minutes=5))
    assert old.finished_at is not None  # time ran out when the second one started
    for question in answer_all.questions:
        if question.typed:
            continue
        committed(interviews.answer_question, user, answer_all.id, question.number, rating=3)
    committed(interviews.finish_interview, user, answer_all.id)
    history = client.get("/api/mock-interviews").get_json()["interviews"]
    assert [h["id"] for h in history] == [old.id, answer_all.id]
    assert history[0]["score"] == 0.0 and history[1]["score"] == pytest.approx(3 / 5)
    page = client.get("/progress").get_data(as_text=True)
    assert 'id="mock-interviews"' in page
    scores = page_charts(page)["Mock interview scores, oldest first (percent of points)"]
    assert scores["texts"] == ["0%", "60%"]
    assert f'href="/interview/{answer_all.id}"' in page and "60%" in page


@pytest.mark.slow
def test_the_drill_is_graded_by_the_normal_queue_and_its_diagnosis_is_in_the_report(
    app: Flask, client: FlaskClient
) -> None:
    assert app.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
    user = make_user("ada")
    login(client, user)
    body = start(client)
    assert body["drill"] is not None and body["drill"]["submission_id"] is None
    interview = db.session.get(MockInterview, body["id"])
    interview.drill_slug = "adam"  # the drill with a known diagnosed mistake
    db.session.commit()
    try:
        response = client.post(
            f"/api/mock-interviews/{body['id']}/drill",
            json={"code": ADAM_NO_BIAS_CORRECTION, "framework": "numpy"},
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        submission_id = response.get_json()["drill"]["submission_id"]
        wait_for_submission(submission_id)
    finally:
        jobs.shutdown(app)
    report = client.post(f"/api/mock-interviews/{body['id']}/finish").get_json()
    assert report["drill"]["status"] == "done" and report["drill"]["verdict"] == "failed"
    assert report["drill"]["diagnosis"]["id"] == "no-bias-correction"
    page = client.get(f"/interview/{body['id']}").get_data(as_text=True)
    assert report["drill"]["diagnosis"]["title"] in page
