"""Export and import of a person's history (JSON round trip, validation) and the Anki deck, both databases."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from support.accounts import login, make_user
from support.progress_history import FORMULA_BACK, exported_json, make_bank, seed_history
from support.sql import statements_sent
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import (
    CardFlag,
    CardState,
    MockInterview,
    Review,
    SchedulerOptimization,
    SolutionRequest,
    Submission,
    User,
    utcnow,
)
from quizapp.services import card_flags, history, interviews


@pytest.fixture
def ada(app: Flask) -> User:
    make_bank()
    user = make_user(
        "ada",
        timezone="Europe/Berlin",
        desired_retention=0.85,
        new_cards_per_day=7,
        interview_date=dt.date(2026, 12, 1),
        pull_ahead_for_interview=True,
        fsrs_parameters=[
            0.3,
            *[1.5] * 3,
            6.0,
            0.8,
            3.0,
            0.01,
            1.8,
            0.1,
            0.8,
            1.5,
            0.06,
            0.26,
            1.6,
            0.6,
            1.9,
            0.5,
            0.09,
            0.07,
            0.15,
        ],
    )
    seed_history(user)
    # The card browser's flags: one suspended by hand, one buried until tomorrow, and one a leech, set by the
    # Again rating whose `flags_before` undo would use to lift it.
    db.session.add_all(
        [
            CardFlag(user_id=user.id, card_slug="adam-beta-roles", suspended=True, leech=False),
            CardFlag(
                user_id=user.id,
                card_slug="gd-update-direction",
                suspended=False,
                leech=False,
                buried_until=utcnow() + dt.timedelta(days=1),
            ),
            CardFlag(user_id=user.id, card_slug="adam-epsilon-placement", suspended=True, leech=True),
        ]
    )
    again = db.session.query(Review).filter_by(user_id=user.id, idempotency_key="seed-3").one()
    again.flags_before = {"suspended": False, "leech": False}
    # A mock interview taken through the service (its answer is a review of origin "interview", key
    # mock-<id>-1), finished, its drill the adam one with the passed submission; and an asked-for solution.
    interview = committed(interviews.start_interview, user, seed=3)
    committed(interviews.answer_question, user, interview.id, 1, None, 3)
    committed(interviews.finish_interview, user, interview.id)
    passed = db.session.query(Submission).filter_by(user_id=user.id).order_by(Submission.created_at).all()[-1]
    interview.drill_slug, interview.submission_id = "adam", passed.id
    db.session.add(SolutionRequest(user_id=user.id, drill_slug="adam", asked_at=utcnow()))
    db.session.add(
        SchedulerOptimization(
            user_id=user.id,
            status="done",
            reviews_used=600,
            log_loss_before=0.41,
            log_loss_after=0.39,
            applied=True,
            message="kept",
        )
    )
    db.session.commit()
    return user


def _comparable(export: dict) -> dict:
    return {key: value for key, value in export.items() if key not in {"username", "exported_at"}}


def test_export_import_round_trip_loses_nothing(ada: User) -> None:
    exported = exported_json(ada)  # through real JSON text
    assert exported["format"] == "quizapp-history" and exported["version"] == 1
    assert len(exported["reviews"]) == 6 and len(exported["card_states"]) == 3
    assert len(exported["submissions"]) == 2 and len(exported["scheduler_optimizations"]) == 1
    assert [flag["card_slug"] for flag in exported["card_flags"]] == [
        "adam-beta-roles",
        "adam-epsilon-placement",
        "gd-update-direction",
    ]
    [interview] = exported["mock_interviews"]
    assert interview["submission"] == 1 and exported["submissions"][1]["verdict"] == {"verdict": "passed"}
    assert [q["number"] for q in interview["questions"]] == list(range(1, len(interview["questions"]) + 1))
    assert interview["questions"][0]["rating"] == 3 and interview["score"] is not None
    [answer] = [review for review in exported["reviews"] if review["origin"] == "interview"]
    assert answer["card_slug"] == interview["questions"][0]["card_slug"]
    fresh = make_user("grace")
    counts = committed(history.import_history, fresh, exported)
    assert counts == {
        "card_states": 3,
        "card_flags": 3,
        "reviews": 6,
        "submissions": 2,
        "solution_requests": 1,
        "mock_interviews": 1,
        "scheduler_optimizations": 1,
        "unfinished_submissions": 0,
    }
    again = history.export_history(db.session.get(User, fresh.id))
    # The interview's rating keeps everything but its key, which named the old server's interview id.
    renamed = [review for review in again["reviews"] if review["origin"] == "interview"]
    assert len(renamed) == 1 and re.fullmatch(
        r"imported-[0-9a-f]{8}-" + answer["idempotency_key"], renamed[0]["idempotency_key"]
    )
    renamed[0]["idempotency_key"] = answer["idempotency_key"]
    assert _comparable(again) == _comparable(exported)
    assert again["settings"]["timezone"] == "Europe/Berlin"
    assert again["settings"]["interview_date"] == "2026-12-01"
    assert again["settings"]["pull_ahead_for_interview"] is True
    # The imported flags keep the same cards out of the queues, and the leech rating keeps what undo needs.
    held = [db.session.scalars(card_flags.held_back_slugs(user.id, utcnow())).all() for user in (ada, fresh)]
    assert (
        sorted(held[0])
        == sorted(held[1])
        == sorted(["adam-beta-roles", "adam-epsilon-placement", "gd-update-direction"])
    )
    leech_rating = db.session.query(Review).filter_by(user_id=fresh.id, idempotency_key="seed-3").one()
    assert leech_rating.flags_before == {"suspended": False, "leech": False}


def _interview_id_after_next() -> int:
    """The id the interview after the next one inserted will get (ids are handed out per table)."""
    if db.engine.dialect.name == "postgresql":
        taken = db.session.scalar(sa.text("SELECT nextval(pg_get_serial_sequence('mock_interviews', 'id'))"))
        return taken + 2
    return (db.session.scalar(sa.select(sa.func.max(MockInterview.id))) or 0) + 2  # SQLite: max + 1


def test_a_new_interview_after_an_import_is_not_taken_for_an_imported_rating(
    ada: User, client: FlaskClient
) -> None:
    """An interview answer is rated under mock-<interview id>-<n>. A file from another server may hold that
    key for an id this server hands out next: the import renames it, so the new answer is recorded."""
    exported = exported_json(ada)
    upcoming = _interview_id_after_next()
    [answer] = [review for review in exported["reviews"] if review["origin"] == "interview"]
    answer["idempotency_key"] = f"mock-{upcoming}-1"  # as the other server named it
    grace = make_user("grace")
    committed(history.import_history, grace, exported)
    interview = committed(interviews.start_interview, grace, seed=5)
    assert interview.id == upcoming  # the clash the rename prevents is really set up
    committed(interviews.answer_question, grace, interview.id, 1, None, 1)
    recorded = db.session.scalars(
        sa.select(Review).where(Review.user_id == grace.id, Review.origin == "interview")
    )
    keys = sorted(review.idempotency_key for review in recorded)  # "imported-…" sorts first
    assert len(keys) == 2 and keys[0].endswith(f"-mock-{upcoming}-1") and keys[1] == f"mock-{upcoming}-1"
    # The imported interview's pages show: the history and its report.
    login(client, grace)
    imported = db.session.scalars(sa.select(MockInterview.id).where(MockInterview.user_id == grace.id)).all()
    for path in ("/interview", *(f"/interview/{number}" for number in imported), "/api/mock-interviews"):
        assert client.get(path).status_code == 200, path
    report = client.get(f"/api/mock-interviews/{min(imported)}").json
    assert report["drill"]["status"] == "done" and report["drill"]["verdict"] == "passed", report["drill"]


def test_an_export_costs_the_same_statements_for_one_interview_or_many(ada: User) -> None:
    """Every interview's questions come in one query with the interviews, not one query per interview."""
    with statements_sent(db.engine) as one:
        assert len(history.export_history(ada)["mock_interviews"]) == 1
    for _ in range(3):
        committed(interviews.finish_interview, ada, committed(interviews.start_interview, ada, seed=4).id)
    db.session.expire_all()
    with statements_sent(db.engine) as four:
        assert len(history.export_history(ada)["mock_interviews"]) == 4
    assert len(four) == len(one), "\n".join(four)


def test_an_export_from_before_card_flags_still_imports(ada: User) -> None:
    """Version-1 files written before card flags travelled have no `card_flags` section nor `flags_before`."""
    exported = exported_json(ada)
    del exported["card_flags"]
    for review in exported["reviews"]:
        del review["flags_before"]
    fresh = make_user("grace")
    counts = committed(history.import_history, fresh, exported)
    assert (counts["card_flags"], counts["reviews"]) == (0, 6)
    assert db.session.query(CardFlag).filter_by(user_id=fresh.id).count() == 0


def test_import_refuses_an_account_with_only_card_flags(ada: User) -> None:
    fresh = make_user("grace")
    db.session.add(CardFlag(user_id=fresh.id, card_slug="adam-beta-roles", suspended=True, leech=False))
    db.session.commit()
    with pytest.raises(history.HistoryImportError, match="already has card flags"):
        committed(history.import_history, fresh, history.export_history(ada))
    assert db.session.query(Review).filter_by(user_id=fresh.id).count() == 0


def test_import_refuses_an_account_with_history(ada: User) -> None:
    exported = history.export_history(ada)
    with pytest.raises(history.HistoryImportError, match="fresh account"):
        committed(history.import_history, ada, exported)


def test_invalid_file_lists_every_problem_and_writes_nothing(ada: User) -> None:
    exported = history.export_history(ada)
    exported["reviews"][0]["rating"] = 9
    exported["reviews"][1]["reviewed_at"] = "yesterday"
    exported["reviews"][2]["card_slug"] = "no-such-card"
    exported["submissions"][0]["surprise"] = 1
    exported["settings"]["timezone"] = "Mars/Olympus"
    fresh = make_user("grace")
    with pytest.raises(history.HistoryImportError) as caught:
        committed(history.import_history, fresh, exported)
    problems = "\n".join(caught.value.problems)
    assert "reviews[0].rating: expected 1 (Again) to 4 (Easy)" in problems
    assert "reviews[1].reviewed_at: expected an ISO 8601 time" in problems
    assert "unknown cards (not in this server's question bank): no-such-card" in problems
    assert "submissions[0].surprise: unknown field" in problems
    assert "settings.timezone: Unknown time zone Mars/Olympus. Use a name such as Europe/Paris." in problems
    for model in (Review, CardState, CardFlag, Submission):
        assert db.session.query(model).filter_by(user_id=fresh.id).count() == 0
    assert db.session.get(User, fresh.id).timezone == "UTC"


def test_a_submissions_grader_fingerprint_stays_on_this_server(ada: User) -> None:
    """Which grader release a row was checked against means nothing elsewhere: not exported, not accepted."""
    assert db.session.scalar(sa.select(Submission.grader_fingerprint).where(Submission.user_id == ada.id))
    exported = history.export_history(ada)
    assert exported["submissions"] and all("grader_fingerprint" not in row for row in exported["submissions"])
    exported["submissions"][0]["grader_fingerprint"] = "0123456789abcdef"
    with pytest.raises(history.HistoryImportError) as caught:
        committed(history.import_history, make_user("grace"), exported)
    assert caught.value.problems == ["submissions[0].grader_fingerprint: unknown field"]


@pytest.mark.parametrize("minutes", [-7, 9, 121, 2_000_000_000])
def test_the_interview_length_keeps_the_settings_forms_range(ada: User, minutes: int) -> None:
    """An import may not set a length the settings form refuses: a -7-minute interview ended before it
    started, a 2,000,000,000-minute one ran until the year 5829."""
    exported = history.export_history(ada)
    exported["settings"]["interview_minutes"] = minutes
    with pytest.raises(history.HistoryImportError) as caught:
        committed(history.import_history, make_user("grace"), exported)
    assert [p for p in caught.value.problems if p.startswith("settings.")] == [
        "settings.interview_minutes: Choose a length from 10 to 120 minutes."
    ]


def test_not_an_export_and_wrong_version(ada: User) -> None:
    fresh = make_user("grace")
    with pytest.raises(history.HistoryImportError, match="not a quizapp history export"):
        committed(history.import_history, fresh, [1, 2])
    with pytest.raises(history.HistoryImportError, match="Unsupported export version 99"):
        committed(history.import_history, fresh, {"format": "quizapp-history", "version": 99})
    for almost in (1.0, True, "1"):
        with pytest.raises(history.HistoryImportError, match="Unsupported export version"):
            committed(history.import_history, fresh, {"format": "quizapp-history", "version": almost})


def test_export_download_and_import_form(ada: User, client: FlaskClient) -> None:
    login(client, ada)
    download = client.get("/progress/export.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith('attachment; filename="quizapp-ada-')
    payload = download.get_data()
    grace = make_user("grace")
    login(client, grace)
    response = client.post(
        "/progress/import",
        data={"history": (io.BytesIO(payload), "history.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (
        "Imported 3 card states, 3 card flags, 6 reviews, 2 submissions, 1 solution requests, "
        "1 mock interviews, 1 scheduler optimizations." in response.get_data(as_text=True)
    )
    assert db.session.query(Review).filter_by(user_id=grace.id).count() == 6


def test_import_form_explains_bad_uploads(ada: User, client: FlaskClient) -> None:
    grace = make_user("grace")
    login(client, grace)
    not_json = client.post(
        "/progress/import",
        data={"history": (io.BytesIO(b"{oops"), "h.json")},
        content_type="multipart/form-data",
    )
    assert not_json.status_code == 400
    assert "The file is not valid JSON" in not_json.get_data(as_text=True)
    missing = client.post("/progress/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert "Choose the .json file you exported" in missing.get_data(as_text=True)


def _apkg_notes(path: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "collection.anki2" in names
        collection = path.parent / "collection.anki2"
        collection.write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(collection) as conn:
        return list(conn.execute("select flds, tags from notes order by sfld"))


def test_apkg_is_a_valid_anki_package_with_formulas_intact(ada: User, tmp_path: Path) -> None:
    path = tmp_path / "deck.apkg"
    assert history.write_apkg(path, ada) == 4
    notes = _apkg_notes(path)
    assert len(notes) == 4
    fields, tags = next(note for note in notes if "adam-bias-correction-why" in note[0])
    front, back, source, slug = fields.split("\x1f")
    assert front == r"Write Adam&#39;s bias-corrected first moment \(\hat m_t\)."
    assert back == r"\[\hat m_t = \frac{m_t}{1-\beta_1^t}\] with price $5 and a &lt; b"
    assert "$$" not in back and FORMULA_BACK.startswith("$$")
    assert slug == "adam-bias-correction-why"
    assert "quizapp::review" in tags.split()
    assert "001_eacbfddb2911ebfc.txt" in source


def test_apkg_tags_name_each_cards_fsrs_state_as_the_site_does(ada: User, tmp_path: Path) -> None:
    lapsed = db.session.query(CardState).filter_by(user_id=ada.id, card_slug="adam-epsilon-placement").one()
    lapsed.state = 3
    db.session.commit()
    path = tmp_path / "deck.apkg"
    history.write_apkg(path, ada)
    tags = {fields.split("\x1f")[3]: set(tags.split()) for fields, tags in _apkg_notes(path)}
    assert "quizapp::relearning" in tags["adam-epsilon-placement"]
    assert "quizapp::review" in tags["adam-bias-correction-why"]
    assert "quizapp::new" in tags["gd-update-direction"]


def test_cli_exports_json_and_apkg(ada: User, runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["export", "--user", "ada", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["username"] == "ada"
    out = tmp_path / "ada.apkg"
    result = runner.invoke(args=["export", "--user", "ada", "--format", "apkg", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_apkg_notes(out)) == 4
    unknown = runner.invoke(args=["export", "--user", "nobody"])
    assert unknown.exit_code != 0 and "No user called 'nobody'" in unknown.output


def test_cli_import_round_trip(ada: User, runner: FlaskCliRunner, tmp_path: Path) -> None:
    file = tmp_path / "ada.json"
    assert runner.invoke(args=["export", "--user", "ada", "--output", str(file)]).exit_code == 0
    make_user("grace")
    result = runner.invoke(args=["import", "--user", "grace", str(file)])
    assert result.exit_code == 0, result.output
    assert "6 reviews" in result.output
    again = runner.invoke(args=["import", "--user", "grace", str(file)])
    assert again.exit_code == 1 and "fresh account" in again.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"format": "quizapp-history", "username": "\xff"}', "not UTF-8 text"),
        (b"[" * 5000 + b"]" * 5000, "nested more than 32 levels deep"),
        (b'{"format": "quizapp-history", "username": "\\ud800"}', "lone surrogate"),
        (b'{"format": "quizapp-history", "username": "a\\u0000"}', "NUL"),
        (b"{oops", "Expecting property name"),
    ],
)
def test_cli_import_of_a_file_that_is_not_json_text_says_why(
    ada: User, runner: FlaskCliRunner, tmp_path: Path, content: bytes, reason: str
) -> None:
    """The same JSON rules as the import page: one line naming the problem, exit 1, no traceback."""
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    grace = make_user("grace")
    result = runner.invoke(args=["import", "--user", "grace", str(file)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (
        result.exception
    )  # no traceback
    assert "The file is not valid JSON" in result.output and reason in result.output, result.output
    assert db.session.query(Review).filter_by(user_id=grace.id).count() == 0


@pytest.mark.parametrize("output", ["/nonexistent/ada.json", "/dev/full"])
def test_cli_export_to_a_file_it_cannot_write_says_why(
    ada: User, runner: FlaskCliRunner, output: str
) -> None:
    result = runner.invoke(args=["export", "--user", "ada", "--output", output])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith(f"Error: cannot write {output}: ") and result.output.count("\n") == 1


def test_cli_import_reads_at_most_the_pages_limit(ada: User, runner: FlaskCliRunner) -> None:
    """/dev/zero (or any file past 32 MiB) is refused after 32 MiB + 1 bytes instead of filling the memory."""
    grace = make_user("grace")
    result = runner.invoke(args=["import", "--user", "grace", "/dev/zero"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.output == f"Error: {history.TOO_LARGE}\n"
    assert db.session.query(Review).filter_by(user_id=grace.id).count() == 0


def test_import_accepts_files_above_the_site_wide_one_mebibyte_limit(ada: User, client: FlaskClient) -> None:
    login(client, make_user("grace"))
    big = b" " * (2 * 1024 * 1024) + b"{}"
    # A hand-made multipart body: the test client would spool its own encoding to an unclosed temp file.
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="history"; filename="h.json"\r\n'
        b"Content-Type: application/json\r\n\r\n" + big + b"\r\n--b0undary--\r\n"
    )
    response = client.post(
        "/progress/import", data=body, content_type="multipart/form-data; boundary=b0undary"
    )
    assert response.status_code == 400  # read and judged, not refused as too large (413)
    assert "not a quizapp history export" in response.get_data(as_text=True)
