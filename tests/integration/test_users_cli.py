"""`quizapp users create NAME` and `quizapp users list` on both databases: an account made from the
command line follows the registration page's rules, never shows its password, logs in, and is the account
`quizapp export --user` finds, whatever the capitals; plus one run of the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from support.accounts import PASSWORD, AuthActions, make_user
from support.apps import migrate

from quizapp.extensions import db
from quizapp.models import User
from quizapp.services import accounts

REPO = Path(__file__).resolve().parents[2]


def _users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(User.id))) or 0


def test_create_asks_for_the_password_twice_and_the_account_logs_in(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["users", "create", "Ada"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat the password" in result.output
    assert PASSWORD not in result.output
    assert "Created the account 'ada'" in result.output
    response = AuthActions(client).login("ADA", PASSWORD)
    assert response.status_code == 302 and response.location == "/"


def test_create_with_two_different_passwords_creates_nothing(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "ada"], input=f"{PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert PASSWORD not in result.output and "something else" not in result.output
    assert _users() == 0


def test_create_reads_one_line_from_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "grace", "--password-stdin"], input=f"{PASSWORD}\r\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert accounts.authenticate("grace", PASSWORD) is not None


def test_create_refuses_more_than_one_line_on_stdin(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "grace", "--password-stdin"], input=f"{PASSWORD}\nsecond line\n"
    )
    assert result.exit_code == 2
    assert "one line" in result.output and PASSWORD not in result.output
    assert _users() == 0


@pytest.mark.parametrize(
    ("name", "password", "messages"),
    [
        ("ADA", PASSWORD, ["username: That username is taken. Pick another one."]),
        ("grace", "short", ["password: Use at least 8 characters."]),
        ("grace", "x" * 257, ["password: Use at most 256 characters."]),
        ("gracehopper", "GraceHopper", ["password: The password must not be the username."]),
        ("no spaces!", PASSWORD, ["username: Use only letters, digits, dots, underscores and hyphens."]),
        ("al", "", ["username: Use 3 to 40 characters.", "password: Use at least 8 characters."]),
    ],
)
def test_create_refuses_what_the_registration_page_refuses(
    runner: FlaskCliRunner, name: str, password: str, messages: list[str]
) -> None:
    make_user("ada")
    result = runner.invoke(args=["users", "create", name, "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert "The account was not created" in result.output
    for message in messages:
        assert message in result.output
    if password:
        assert password not in result.output
    assert _users() == 1


def test_list_shows_every_account_by_name(runner: FlaskCliRunner) -> None:
    empty = runner.invoke(args=["users", "list"])
    assert empty.exit_code == 0 and "No accounts yet" in empty.output
    make_user("grace")
    make_user("ada")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["ada", "grace"]


def test_export_finds_the_user_whatever_the_capitals(runner: FlaskCliRunner) -> None:
    make_user("ada")
    result = runner.invoke(args=["export", "--user", "Ada"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["username"] == "ada"
    unknown = runner.invoke(args=["export", "--user", "Grace"])
    assert unknown.exit_code == 2
    assert "No user called 'Grace'" in unknown.output and "quizapp users create NAME" in unknown.output


def _quizapp(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from quizapp.cli import cli; cli()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        cwd=REPO,
        check=False,
        timeout=120,
    )


def test_the_console_script_creates_the_user_that_export_needs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'quizapp.sqlite3'}"
    migrate(url)
    env = {"DATABASE_URL": url, "SECRET_KEY": "cli-test-secret", "GRADING_POOL_AUTOSTART": "0"}
    created = _quizapp(["users", "create", "Ada", "--password-stdin"], env, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert PASSWORD not in created.stdout + created.stderr
    again = _quizapp(["users", "create", "ada", "--password-stdin"], env, stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "That username is taken" in again.stderr
    exported = _quizapp(["export", "--user", "Ada"], env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["username"] == "ada"


def test_bytes_that_are_not_utf8_get_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A password piped from a file in another encoding, a user name typed in a Latin-1 terminal: Python
    decodes such bytes to lone surrogates, which no hash or database driver encodes."""
    url = f"sqlite:///{tmp_path / 'quizapp.sqlite3'}"
    migrate(url)
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": url, "SECRET_KEY": "cli-test-secret"}
    command = [sys.executable, "-c", "from quizapp.cli import cli; cli()"]
    created = subprocess.run(
        [*command, "users", "create", "bob", "--password-stdin"],
        input=b"\xff\xfepassword-long\n",
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert created.returncode == 1, created.stderr
    assert b"the password holds bytes that are not UTF-8" in created.stderr
    assert b"Traceback" not in created.stderr
    for args in (["export", "--user", b"a\xffb"], ["import", "--user", b"a\xffb", "/dev/null"]):
        found = subprocess.run(
            [*command, *args], capture_output=True, env=env, cwd=REPO, timeout=120, check=False
        )
        assert found.returncode == 2 and b"No user called" in found.stderr, found.stderr
        assert b"Traceback" not in found.stderr
