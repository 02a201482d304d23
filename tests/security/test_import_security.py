"""History import under attack: it never queues grading work, accepts the documented 32 MiB and no more,
and refuses hostile values (all or nothing) so the importer's own pages keep working."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.accounts import login, make_user
from support.apps import empty_tables, make_app
from support.progress_history import exported_json, make_bank, seed_history
from support.races import race
from support.transactions import committed

from quizapp import jobs
from quizapp.extensions import db
from quizapp.grader.source_checks import MAX_CODE_BYTES
from quizapp.jobs.grading import queued_submission_ids, reap_stale_submissions
from quizapp.models import (
    CardFlag,
    CardState,
    MockInterview,
    Review,
    SolutionRequest,
    Submission,
    User,
    utcnow,
)
from quizapp.services import history

QUEUE_URL = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
BOUNDARY = "b0undary"


def _multipart(payload: bytes, csrf_token: str | None = None) -> bytes:
    """A hand-made multipart body: the test client would spool big files to a temp file it never closes."""
    token = b""
    if csrf_token is not None:
        token = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf_token}\r\n'
        ).encode()
    return (
        token
        + (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="history"; filename="h.json"\r\n'
            f"Content-Type: application/json\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _post_import(client: FlaskClient, payload: bytes, csrf_token: str | None = None, **kwargs: Any):
    return client.post(
        "/progress/import",
        data=_multipart(payload, csrf_token),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **kwargs,
    )


@pytest.fixture
def exported(app: Flask) -> dict[str, Any]:
    """A real export of a small seeded history (card states, reviews with previous states, submissions)."""
    make_bank()
    ada = make_user("ada")
    seed_history(ada)
    return exported_json(ada)


def test_two_imports_at_once_into_one_fresh_account_import_once(app: Flask, exported: dict[str, Any]) -> None:
    """A double-clicked import: the second finds the account no longer fresh. Only submissions travel, the
    section with no unique key that would otherwise be stored twice."""
    only_submissions = {
        **exported,
        **{section: [] for section in history.SECTIONS if section != "submissions"},
    }
    assert len(only_submissions["submissions"]) == 2
    for round_number in range(3):
        user_id = make_user(f"twin{round_number}").id

        def load(user_id: int = user_id) -> object:
            return committed(
                history.import_history, db.session.get(User, user_id), copy.deepcopy(only_submissions)
            )

        outcomes = race(app, load, load)
        refused = [o for o in outcomes if isinstance(o, history.HistoryImportError)]
        assert len(refused) == 1 and "fresh account" in refused[0].message, (round_number, outcomes)
        db.session.expire_all()
        stored = db.session.scalar(
            select(func.count()).select_from(Submission).where(Submission.user_id == user_id)
        )
        assert stored == 2, round_number


def test_imported_code_and_verdicts_are_held_to_what_the_site_stores(
    app: Flask, exported: dict[str, Any]
) -> None:
    """The drill pages diff a submission's code with the one before (difflib, quadratic in lines) and plot its
    verdict: an import may not store more of either than grading through the site can."""
    at_limit = copy.deepcopy(exported)
    at_limit["submissions"][0]["code"] = (
        "x" * (MAX_CODE_BYTES - 2) + "é"
    )  # 2 bytes in UTF-8: exactly the limit
    committed(history.import_history, make_user("grace"), at_limit)

    too_big = copy.deepcopy(exported)
    too_big["submissions"][0]["code"] = "x" * (MAX_CODE_BYTES - 1) + "é"
    too_big["submissions"][1]["verdict"]["stdout"] = "y" * history.MAX_VERDICT_CHARACTERS
    kim = make_user("kim")
    with pytest.raises(history.HistoryImportError) as caught:
        committed(history.import_history, kim, too_big)
    assert caught.value.problems == [
        f"submissions[0].code: at most {MAX_CODE_BYTES:,} bytes, as a submission through the site",
        f"submissions[1].verdict: at most {history.MAX_VERDICT_CHARACTERS:,} characters of JSON, several "
        "times the grader's largest",
    ]
    assert (
        db.session.scalar(select(func.count()).select_from(Submission).where(Submission.user_id == kim.id))
        == 0
    )


# ------------------------------------------------------------------------------ item 8: no queue flood


def _running_rows(count: int) -> list[dict[str, Any]]:
    old = (utcnow() - dt.timedelta(days=3)).isoformat()
    return [
        {
            "drill_slug": "adam",
            "code": f"def adam(grad_fn, theta, lr=1e-3, steps=100):\n    return theta  # {index}",
            "framework": "numpy",
            "status": "running" if index % 2 else "queued",
            "attempts": 0,
            "created_at": old,
            "started_at": old,
            "heartbeat_at": old,
        }
        for index in range(count)
    ]


def test_imported_running_submissions_are_history_never_graded(
    app: Flask, client: FlaskClient, exported: dict[str, Any]
) -> None:
    exported["submissions"] = _running_rows(40)
    grace = make_user("grace")
    login(client, grace)
    response = _post_import(client, json.dumps(exported).encode(), follow_redirects=True)
    assert response.status_code == 200
    assert "40 submission(s) had not been graded" in response.get_data(as_text=True)

    # The reaper and the pool's start-up recovery find nothing to grade; the pool grades nothing.
    assert reap_stale_submissions(now=utcnow() + dt.timedelta(days=1)) == []
    assert queued_submission_ids() == []
    jobs.ensure_started(app)
    jobs.shutdown(app)  # joins the worker threads after whatever they were handed
    db.session.expire_all()
    rows = db.session.query(Submission).filter_by(user_id=grace.id).all()
    assert len(rows) == 40
    assert {row.status for row in rows} == {"error"}
    assert {row.attempts for row in rows} == {0} and all(row.verdict is None for row in rows)
    assert all("never graded" in row.error for row in rows)


@pytest.fixture
def redis_web(database_urls: dict[str, str]) -> Iterator[Flask]:
    app = make_app(
        database_urls["postgres"], QUEUE_URL=QUEUE_URL, GRADING_QUEUE_NAME=f"test-{uuid.uuid4().hex[:8]}"
    )
    with app.app_context():
        empty_tables()
        yield app
        from quizapp.jobs.rq_queue import grading_queue

        grading_queue(app).delete(delete_jobs=True)
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.redis
def test_imported_running_submissions_put_nothing_on_the_rq_queue(redis_web: Flask) -> None:
    from quizapp.jobs.rq_queue import grading_queue, recover

    make_bank()
    ada = make_user("ada")
    seed_history(ada)
    data = exported_json(ada)
    data["submissions"] = _running_rows(40)
    client = redis_web.test_client()
    login(client, make_user("grace"))
    assert _post_import(client, json.dumps(data).encode()).status_code == 302
    assert recover(redis_web, include_queued=True) == 0  # what a starting `quizapp worker` does
    assert grading_queue(redis_web).count == 0
    assert db.session.query(Submission).filter(Submission.status.in_(["queued", "running"])).count() == 0


# ------------------------------------------------------------------------------ item 11: size limits


def _csrf_token(client: FlaskClient) -> str:
    page = client.get("/progress/import").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _big_history(user: User, reviews: int) -> None:
    start = utcnow() - dt.timedelta(days=reviews)
    slugs = ["adam-bias-correction-why", "adam-epsilon-placement", "adam-beta-roles", "gd-update-direction"]
    db.session.add_all(
        Review(
            user_id=user.id,
            card_slug=slugs[index % 4],
            rating=3,
            reviewed_at=start + dt.timedelta(hours=index),
            duration_ms=4000,
            idempotency_key=uuid.uuid4().hex,
            state_before=0,
        )
        for index in range(reviews)
    )
    db.session.commit()


def test_a_real_export_over_one_mebibyte_imports_with_csrf_on(app: Flask) -> None:
    make_bank()
    ada = make_user("ada")
    _big_history(ada, 5000)
    payload = json.dumps(history.export_history(ada), indent=1).encode()  # as the download writes it
    assert len(payload) > 1_150_000
    app.config["WTF_CSRF_ENABLED"] = True  # CSRFProtect parses the form before the view runs
    grace = make_user("grace")
    client = app.test_client()
    login(client, grace)
    response = _post_import(client, payload, _csrf_token(client), follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "5000 reviews" in response.get_data(as_text=True)
    assert db.session.query(Review).filter_by(user_id=grace.id).count() == 5000


def test_an_upload_over_32_mebibytes_gets_a_clear_413(app: Flask, client: FlaskClient) -> None:
    make_bank()
    app.config["WTF_CSRF_ENABLED"] = True
    grace = make_user("grace")
    login(client, grace)
    response = _post_import(client, b" " * (32 * 1024 * 1024 + 1), _csrf_token(client))
    assert response.status_code == 413
    assert "larger than 32 MiB" in response.get_data(as_text=True)
    assert db.session.query(Review).filter_by(user_id=grace.id).count() == 0


def test_other_forms_keep_the_site_wide_limit(app: Flask, client: FlaskClient) -> None:
    make_bank()
    login(client, make_user("grace"))
    response = client.post(
        "/progress/focus",
        data=b"rating=3&card=" + b"x" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


# ------------------------------------------------------------------------------ item 14: hostile values


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to one place of an export, `path` like `card_states.0.stability`."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


def _question(**changes: Any) -> dict[str, Any]:
    """Question 1 of `_interview()` as an export writes it: answered with notes 5 minutes in, rated Good;
    `changes` replace its fields."""
    answered = utcnow() - dt.timedelta(days=2) + dt.timedelta(minutes=5)
    row = {
        "number": 1,
        "card_slug": "adam-beta-roles",
        "typed": False,
        "answer": "notes",
        "rating": 3,
        "correct": None,
        "answered_at": answered.isoformat(),
    }
    return {**row, **changes}


def _interview(**changes: Any) -> dict[str, Any]:
    """A finished 30-minute mock interview of the adam drill, with one answered question, as an export
    writes it; `changes` replace its fields."""
    start = utcnow() - dt.timedelta(days=2)
    row = {
        "minutes": 30,
        "started_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(minutes=30)).isoformat(),
        "finished_at": (start + dt.timedelta(minutes=20)).isoformat(),
        "score": 1.0,
        "drill_slug": "adam",
        "submission": 1,
        "questions": [_question()],
    }
    return {**row, **changes}


def _interviews(*rows: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return _set("mock_interviews", list(rows))


HOSTILE = {
    "stability 0": (_set("card_states.0.stability", 0), "card_states[0].stability"),
    "difficulty 1e308": (_set("card_states.0.difficulty", 1e308), "card_states[0].difficulty"),
    "garbage previous state": (
        _set("reviews.1.previous_state", {"state": "garbage", "due": "soon", "x": [1]}),
        "reviews[1].previous_state.state",
    ),
    "previous state not an object": (
        _set("reviews.1.previous_state", "garbage"),
        "reviews[1].previous_state",
    ),
    "string verdict": (_set("submissions.0.verdict", "passed"), "submissions[0].verdict"),
    "flags_before not the two flags": (
        _set("reviews.1.flags_before", {"suspended": "yes", "x": [1]}),
        "reviews[1].flags_before: expected null or",
    ),
    "flags_before a list": (_set("reviews.1.flags_before", [True, False]), "reviews[1].flags_before"),
    "card flags of a card not in the bank": (
        _set("card_flags", [{"card_slug": "no-such-card", "suspended": True, "leech": False}]),
        "unknown cards (not in this server&#39;s question bank): no-such-card",
    ),
    "one card flagged twice": (
        _set("card_flags", [{"card_slug": "adam-beta-roles", "suspended": True, "leech": False}] * 2),
        "card_flags[1].card_slug: &#39;adam-beta-roles&#39; appears twice",
    ),
    "a flag that is not a boolean": (
        _set("card_flags", [{"card_slug": "adam-beta-roles", "suspended": 1, "leech": False}]),
        "card_flags[0].suspended: expected true or false",
    ),
    "buried until the year 9999": (
        _set(
            "card_flags",
            [
                {
                    "card_slug": "adam-beta-roles",
                    "suspended": False,
                    "leech": False,
                    "buried_until": "9999-01-01T00:00:00+00:00",
                }
            ],
        ),
        "card_flags[0].buried_until",
    ),
    "card flags not a list": (_set("card_flags", {"adam-beta-roles": True}), "card_flags: expected a list"),
    "interview submission out of range": (
        _interviews(_interview(submission=7)),
        "mock_interviews[0].submission: expected the index of one of the file&#39;s 2 submissions",
    ),
    "interview submission -1": (_interviews(_interview(submission=-1)), "mock_interviews[0].submission"),
    "interview submission true": (
        _interviews(_interview(submission=True)),
        "mock_interviews[0].submission: expected null or the index of a submission",
    ),
    "interview submission of another drill": (
        _interviews(_interview(drill_slug="sgd")),
        "mock_interviews[0].submission: submission 1 is not of this interview&#39;s drill",
    ),
    "one submission for two interviews": (
        _interviews(_interview(), _interview()),
        "mock_interviews[1].submission: submission 1 belongs to another interview already",
    ),
    "two unfinished interviews": (
        _interviews(
            _interview(finished_at=None, submission=None), _interview(finished_at=None, submission=0)
        ),
        "mock_interviews[1].finished_at: only one interview can be unfinished",
    ),
    "interview ending before it starts": (
        _interviews(_interview(ends_at=(utcnow() - dt.timedelta(days=3)).isoformat())),
        "mock_interviews[0].ends_at: expected after started_at",
    ),
    "interview score 7": (_interviews(_interview(score=7)), "mock_interviews[0].score: expected 0 to 1"),
    "interview of 0 minutes": (
        _interviews(_interview(minutes=0)),
        "mock_interviews[0].minutes: expected 10 to 120",
    ),
    "interview of a day": (
        _interviews(
            _interview(
                ends_at=(utcnow() + dt.timedelta(hours=20)).isoformat(), finished_at=None, submission=None
            )
        ),
        "mock_interviews[0].ends_at: expected after started_at, by at most its 30 minutes",
    ),
    "interview of an unknown drill": (
        _interviews(_interview(drill_slug="no-such-drill", submission=None)),
        "unknown drills (not in this server&#39;s question bank): no-such-drill",
    ),
    "interview questions not a list": (
        _interviews(_interview(questions="all of them")),
        "mock_interviews[0].questions: expected a list",
    ),
    "ten thousand interview questions": (
        _interviews(_interview(questions=[{}] * 10_000)),
        "mock_interviews[0].questions: expected a list of at most 40",
    ),
    "interview question numbered 2 first": (
        _interviews(_interview(questions=[_question(number=2)])),
        "mock_interviews[0].questions[0].number: expected 1",
    ),
    "interview question rated 9": (
        _interviews(_interview(questions=[_question(rating=9)])),
        "mock_interviews[0].questions[0].rating",
    ),
    "interview question of an unknown card": (
        _interviews(_interview(questions=[_question(card_slug="no-such-card")])),
        "unknown cards (not in this server&#39;s question bank): no-such-card",
    ),
    "interview question answered in 2150": (
        _interviews(_interview(questions=[_question(answered_at="2150-01-01T00:00:00+00:00")])),
        "mock_interviews[0].questions[0].answered_at: 2150-01-01T00:00:00+00:00 is in the future",
    ),
    "interview question with a stray field": (
        _interviews(_interview(questions=[_question(id=5)])),
        "mock_interviews[0].questions[0].id: unknown field",
    ),
    "interview with its old server id": (
        _interviews(_interview(id=5)),
        "mock_interviews[0].id: unknown field",
    ),
    "interview without started_at, running until 2199": (
        _interviews(
            {
                key: value
                for key, value in _interview(
                    finished_at=None, submission=None, ends_at="2199-12-31T00:00:00+00:00"
                ).items()
                if key != "started_at"
            }
        ),
        "mock_interviews[0].started_at: missing",
    ),
    "interview ending at its start": (
        _interviews(_interview(ends_at=_interview()["started_at"], finished_at=None)),
        "mock_interviews[0].ends_at: expected after started_at, by at most its 30 minutes",
    ),
    "10-minute interview lasting 30": (
        _interviews(_interview(minutes=10)),
        "mock_interviews[0].ends_at: expected after started_at, by at most its 10 minutes",
    ),
    "diagnosis without its explanation": (
        _set("submissions.0.verdict", {"verdict": "failed", "diagnosis": {"title": "x"}}),
        "submissions[0].verdict: diagnosis: expected null or an object of the strings id, title, "
        "explanation, card",
    ),
    "solution asked for an unknown drill": (
        _set("solution_requests", [{"drill_slug": "nope", "asked_at": utcnow().isoformat()}]),
        "unknown drills (not in this server&#39;s question bank): nope",
    ),
    "solution asked twice": (
        _set("solution_requests", [{"drill_slug": "adam", "asked_at": utcnow().isoformat()}] * 2),
        "solution_requests[1].drill_slug: &#39;adam&#39; appears twice",
    ),
    "retention 0.001": (_set("settings.desired_retention", 0.001), "settings.desired_retention"),
    "-5 new cards a day": (_set("settings.new_cards_per_day", -5), "settings.new_cards_per_day"),
    "interview date 9999-12-31": (_set("settings.interview_date", "9999-12-31"), "settings.interview_date"),
    "version true": (_set("version", True), "Unsupported export version True"),
    "a review dated in the future": (
        _set("reviews.0.reviewed_at", "2150-01-01T00:00:00+00:00"),
        "reviews[0].reviewed_at: 2150-01-01T00:00:00+00:00 is in the future",
    ),
}


def _pages_answer(client: FlaskClient) -> None:
    """The importer's own pages, as the attack reached them: none may fail."""
    for path in (
        "/progress",
        "/api/progress",
        "/api/review/next",
        "/progress/focus",
        "/review",
        "/interview",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
    undo = client.post("/api/reviews/undo", json={})
    assert undo.status_code < 500, undo.get_data(as_text=True)


@pytest.mark.parametrize("interviews", [[], [_interview(), _interview(finished_at=None, submission=0)]])
def test_a_valid_export_imports_and_every_page_and_undo_work(
    app: Flask, client: FlaskClient, exported: dict[str, Any], interviews: list[dict[str, Any]]
) -> None:
    """The baseline for the hostile cases below: the unmodified file imports and the pages use it (also with
    the interviews the cases change: one finished, one left unfinished whose time is up)."""
    exported["mock_interviews"] = interviews
    grace = make_user("grace")
    login(client, grace)
    assert _post_import(client, json.dumps(exported).encode()).status_code == 302
    _pages_answer(client)
    assert client.post("/api/reviews/undo", json={}).status_code in (200, 409)
    assert db.session.query(CardState).filter_by(user_id=grace.id).count() >= 1
    assert db.session.query(MockInterview).filter_by(user_id=grace.id).count() == len(interviews)
    for row in db.session.scalars(select(MockInterview.id).where(MockInterview.user_id == grace.id)):
        assert client.get(f"/interview/{row}").status_code == 200


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_values_are_refused_whole_and_pages_still_answer(
    app: Flask, client: FlaskClient, exported: dict[str, Any], case: str
) -> None:
    change, where = HOSTILE[case]
    data = copy.deepcopy(exported)
    change(data)
    grace = make_user("grace")
    login(client, grace)
    response = _post_import(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert where in response.get_data(as_text=True)
    assert "nothing was imported" in response.get_data(as_text=True).lower() or "Unsupported" in where
    for model in (CardState, CardFlag, Review, Submission, MockInterview, SolutionRequest):
        assert db.session.query(model).filter_by(user_id=grace.id).count() == 0
    db.session.expire_all()
    fresh = db.session.get(User, grace.id)
    assert (fresh.desired_retention, fresh.new_cards_per_day, fresh.interview_date) == (0.9, 20, None)
    _pages_answer(client)


def test_a_lone_surrogate_anywhere_in_the_file_is_refused_whole(
    app: Flask, client: FlaskClient, exported: dict[str, Any]
) -> None:
    """`"\\ud800"` is valid JSON but not text: refused as the file is read, not as a 500 at the write."""
    exported["mock_interviews"] = [_interview(questions=[_question(answer="\ud800")])]
    grace = make_user("grace")
    login(client, grace)
    response = _post_import(client, json.dumps(exported).encode())
    assert response.status_code == 400
    assert "lone surrogate" in response.get_data(as_text=True)
    assert db.session.query(MockInterview).filter_by(user_id=grace.id).count() == 0


@pytest.mark.parametrize("minutes", [10, 120])
def test_an_interview_still_running_in_the_file_is_finished_by_the_import(
    app: Flask, client: FlaskClient, exported: dict[str, Any], minutes: int
) -> None:
    """History, like an unfinished submission: it ends at the import (scored on its answers), so nothing
    imported runs on, and the person can start a new interview at once."""
    start = utcnow() - dt.timedelta(minutes=5)
    exported["mock_interviews"] = [
        _interview(
            minutes=minutes,
            started_at=start.isoformat(),
            ends_at=(start + dt.timedelta(minutes=minutes)).isoformat(),
            finished_at=None,
            score=None,
            submission=None,
            questions=[
                _question(answered_at=(start + dt.timedelta(minutes=1)).isoformat()),
                _question(number=2, rating=None, answered_at=None),
            ],
        )
    ]
    grace = make_user("grace")
    login(client, grace)
    before = utcnow()
    assert _post_import(client, json.dumps(exported).encode()).status_code == 302
    interview = db.session.scalars(select(MockInterview).where(MockInterview.user_id == grace.id)).one()
    assert before <= interview.finished_at <= utcnow() and interview.score == 0.5  # Good on 1 of 2
    assert client.post("/api/mock-interviews", json={}).status_code == 201


def test_boundary_values_the_settings_form_allows_are_imported(
    app: Flask, client: FlaskClient, exported: dict[str, Any]
) -> None:
    """The importer uses the settings form's rules, not stricter ones: the form's extremes load."""
    exported["settings"].update(desired_retention=0.70, new_cards_per_day=500, interview_date="2001-05-01")
    exported["card_states"][0].update(stability=0.001, difficulty=10.0)
    grace = make_user("grace")
    login(client, grace)
    assert _post_import(client, json.dumps(exported).encode()).status_code == 302
    _pages_answer(client)
