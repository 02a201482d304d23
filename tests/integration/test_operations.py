"""Operating the service: /metrics (access, content, queue gauges), event lines with request ids and no
secrets, /readyz against dead dependencies, and /healthz as a database-free liveness check."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import PASSWORD, AuthActions, make_user
from support.apps import TEST_SETTINGS
from support.grading import wait_for_submission, wait_until
from support.metrics import sample_sum
from support.review_cards import bank_with_logged_in_user, new_key
from support.submissions import ADAM_CORRECT
from support.workers import QUEUE_URL

from quizapp import create_app, jobs
from quizapp.extensions import db
from quizapp.models import Submission, utcnow

SCRAPER = {"METRICS_ALLOW": ["127.0.0.1/32", "::1/128"]}


def _scrape(client: FlaskClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


# --- /metrics: who may read it ---------------------------------------------------------------------------


def test_metrics_are_not_served_unless_a_setting_names_who_may_read_them(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_only_allowed_networks(variant: Callable[..., Flask]) -> None:
    allowed = variant(METRICS_ALLOW=["10.0.0.0/8"]).test_client()
    assert allowed.get("/metrics").status_code == 403  # the test client comes from 127.0.0.1
    inside = allowed.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert inside.status_code == 200
    mapped = allowed.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:10.1.1.1"})
    assert mapped.status_code == 200
    assert allowed.get("/metrics", environ_base={"REMOTE_ADDR": "11.0.0.1"}).status_code == 403


def test_metrics_answer_the_bearer_of_the_token_and_nobody_else(variant: Callable[..., Flask]) -> None:
    client = variant(METRICS_TOKEN="s3cret-scraper-token").test_client()
    assert client.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer s3cret-scraper-tokeX"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Basic s3cret-scraper-token"}).status_code == 403
    right = {"Authorization": "Bearer s3cret-scraper-token"}
    assert client.get("/metrics", headers=right).status_code == 200


def test_a_malformed_metrics_network_stops_the_start_with_its_name(variant: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match=re.escape("METRICS_ALLOW: '10.0.0.300/8'")):
        variant(METRICS_ALLOW=["10.0.0.300/8"])


# --- /metrics: what it says ------------------------------------------------------------------------------


def test_metrics_count_requests_by_endpoint_never_by_raw_path(variant: Callable[..., Flask]) -> None:
    scraped_app = variant(**SCRAPER)
    client = scraped_app.test_client()
    before = _scrape(client)
    labels = {"endpoint": "drills.submission_page", "method": "GET", "status": "3xx"}
    client.get("/submissions/987654")  # not signed in: a redirect to the login page
    client.get("/no/such/page-7f3a9")
    client.open("/healthz", method="BREW7F3A9")  # any token is a method: not a label value
    response = client.get("/metrics")
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    after = response.get_data(as_text=True)
    name = "quizapp_http_request_duration_seconds_count"
    endpoint_of = {**labels, "endpoint": _endpoint_of(scraped_app, "/submissions/987654")}
    assert sample_sum(after, name, **endpoint_of) == sample_sum(before, name, **endpoint_of) + 1
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "4xx"}
    assert sample_sum(after, name, **unmatched) == sample_sum(before, name, **unmatched) + 1
    odd = {"endpoint": "unmatched", "method": "other", "status": "4xx"}
    assert sample_sum(after, name, **odd) == sample_sum(before, name, **odd) + 1
    assert "987654" not in after and "page-7f3a9" not in after and "BREW7F3A9" not in after


def _endpoint_of(app: Flask, path: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(path)[0]


def test_metrics_count_ratings_by_rating(variant: Callable[..., Flask]) -> None:
    scraped_app = variant(**SCRAPER)
    client = scraped_app.test_client()
    bank_with_logged_in_user(client)
    before = _scrape(client)
    body = {"card": "gd-update-direction", "rating": "hard", "idempotency_key": new_key(), "duration_ms": 900}
    assert client.post("/api/reviews", json=body).status_code == 201
    after = _scrape(client)
    labels = {"rating": "hard", "origin": "review"}
    assert (
        sample_sum(after, "quizapp_ratings_total", **labels)
        == sample_sum(before, "quizapp_ratings_total", **labels) + 1
    )


def test_queue_gauges_are_read_from_the_database_at_scrape_time(variant: Callable[..., Flask]) -> None:
    scraped_app = variant(**SCRAPER)
    user = make_user("queued-person")
    _load_bank(scraped_app)
    waited = utcnow() - dt.timedelta(seconds=90)
    for created in (waited, utcnow()):
        db.session.add(
            Submission(user_id=user.id, drill_slug="adam", code="x = 1", status="queued", created_at=created)
        )
    db.session.add(Submission(user_id=user.id, drill_slug="sgd", code="x = 1", status="running"))
    db.session.commit()
    text = _scrape(scraped_app.test_client())
    assert sample_sum(text, "quizapp_grading_queue_depth") == 2
    assert sample_sum(text, "quizapp_grading_running") == 1
    assert 90 <= sample_sum(text, "quizapp_grading_oldest_queued_age_seconds") < 3600


def _load_bank(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["questions", "load"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_graded_submission_is_counted_by_verdict_and_timed_by_drill(variant: Callable[..., Flask]) -> None:
    scraped_app = variant(**SCRAPER)
    client = scraped_app.test_client()
    _load_bank(scraped_app)
    AuthActions(client).register("grace")
    before = _scrape(client)
    posted = client.post("/api/drills/adam/submissions", json={"code": ADAM_CORRECT, "framework": "numpy"})
    assert posted.status_code == 202
    assert wait_for_submission(posted.get_json()["id"]).status == "done"
    graded = {"verdict": "passed", "diagnosis": "none"}
    name = "quizapp_submissions_graded_total"
    counted = sample_sum(before, name, **graded) + 1
    # The worker counts right after committing the verdict, so the scrape may come a moment early.
    wait_until(lambda: sample_sum(_scrape(client), name, **graded) == counted, 30, "the verdict's count")
    after = _scrape(client)
    timed = {"drill": "adam", "framework": "numpy"}
    name = "quizapp_grading_duration_seconds_count"
    assert sample_sum(after, name, **timed) == sample_sum(before, name, **timed) + 1
    for family in ("quizapp_sandbox_failures_total", "quizapp_reaper_actions_total"):
        assert f"# TYPE {family} counter" in after


# --- event lines -------------------------------------------------------------------------------------------


def _events(text: str, kind: str) -> list[dict[str, str]]:
    """The key=value event lines of `kind` in captured stderr, as dicts (quoted values unquoted)."""
    found = []
    for line in text.splitlines():
        if f" event={kind} " not in line:
            continue
        pairs = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)
        found.append({key: json.loads(value) if value.startswith('"') else value for key, value in pairs})
    return found


def test_each_request_logs_one_line_and_returns_the_callers_sane_request_id(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    [line] = _events(capsys.readouterr().err, "request")
    assert line["request_id"] == "lb-7f3a9c21-0001"
    assert (line["method"], line["endpoint"], line["status"], line["user_id"]) == (
        "GET",
        "monitoring.healthz",
        "200",
        "-",
    )
    assert float(line["duration_ms"]) >= 0


@pytest.mark.parametrize(
    "offered",
    [
        "short",
        "x" * 65,
        "has space-0000",
        "tab\tinside-0000",
        "<script>-00000",
        "\u00fcn\u00efcode-00000",
        'quote"d-0000',
        "-leading-dash",
    ],
)
def test_an_insane_request_id_is_replaced_by_a_new_one(client: FlaskClient, offered: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": offered})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_each_request_gets_its_own_id_without_one_offered(client: FlaskClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_json_event_lines_when_the_setting_says_so(
    variant: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    json_app = variant(LOG_FORMAT="json")
    try:
        capsys.readouterr()
        json_app.test_client().get("/readyz", headers={"X-Request-ID": "probe-000000001"})
        [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines() if text.startswith("{")]
    finally:
        variant()  # back to text lines for the other tests
    assert line["event"] == "request" and line["request_id"] == "probe-000000001"
    assert line["endpoint"] == "monitoring.readyz" and line["status"] == 200


def test_an_unknown_log_format_stops_the_start(variant: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of text, json"):
        variant(LOG_FORMAT="xml")


@pytest.mark.slow
def test_a_submissions_request_id_follows_it_to_the_verdict_and_no_secret_is_logged(
    app: Flask, client: FlaskClient, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    _load_bank(app)
    password = "Pa55word-that-must-not-leak"
    code = ADAM_CORRECT.replace("def adam(", "# secret-marker-in-code-91\ndef adam(")
    AuthActions(client).register("harriet", password)
    posted = client.post(
        "/api/drills/adam/submissions",
        json={"code": code, "framework": "numpy"},
        headers={"X-Request-ID": "trace-submission-0001"},
    )
    assert posted.status_code == 202 and posted.headers["X-Request-ID"] == "trace-submission-0001"
    submission = wait_for_submission(posted.get_json()["id"])
    assert submission.status == "done" and submission.request_id == "trace-submission-0001"
    jobs.shutdown(app)
    captured = capsys.readouterr().err
    [job] = _events(captured, "job")
    assert job["request_id"] == "trace-submission-0001"
    assert (job["submission_id"], job["drill"], job["status"], job["verdict"]) == (
        str(submission.id),
        "adam",
        "done",
        "passed",
    )
    [post] = [line for line in _events(captured, "request") if line["request_id"] == "trace-submission-0001"]
    assert post["user_id"] == str(submission.user_id) and post["status"] == "202"
    everything = captured + caplog.text
    for secret in (password, PASSWORD, "secret-marker-in-code-91", "theta", "session="):
        assert secret not in everything


# --- /readyz and /healthz ---------------------------------------------------------------------------


def test_readyz_answers_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}


def test_readyz_names_a_dead_queue_and_healthz_stays_alive(variant: Callable[..., Flask]) -> None:
    dead_queue = variant(QUEUE_URL="redis://127.0.0.1:1/0")
    client = dead_queue.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unready" and body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("failed: ")
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no connection details for the public
    assert client.get("/healthz").status_code == 200


def test_readyz_names_a_dead_database_and_healthz_needs_none() -> None:
    dead = create_app(
        {**TEST_SETTINGS, **SCRAPER, "SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:1/gone"}
    )
    client = dead.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("failed: OperationalError")
    assert client.get("/healthz").get_json() == {"status": "ok"}
    # /metrics still answers, without the queue gauges it could not read
    scraped = _scrape(client)
    assert "quizapp_http_request_duration_seconds" in scraped and "quizapp_grading_queue_depth" not in scraped


@pytest.mark.redis
def test_readyz_pings_a_live_queue(variant: Callable[..., Flask]) -> None:
    client = variant(QUEUE_URL=QUEUE_URL).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"] == {"database": "ok", "queue": "ok"}
