"""Start-up stays lean: each command imports what it needs when it runs.

Each check runs the command in a fresh interpreter and looks at `sys.modules` afterwards, so a module-level
import that drags Flask, the database layer, SymPy or matplotlib back into `quizapp grade` fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli_process import run_quizapp
from support.submissions import SAMPLE_SUBMISSIONS

from quizapp.cli import APP_EXTENSION_COMMANDS, PROJECT_COMMANDS, command_summary, project_command
from quizapp.grader import problems
from quizapp.grader.sandbox import PrestartedSandbox, bubblewrap_available

REPO = Path(__file__).resolve().parents[2]
NOT_FOR_GRADING = {"flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "sympy", "matplotlib", "torch"}
NOT_FOR_HELP = {"sqlalchemy", "flask_migrate", "alembic", "sympy", "matplotlib", "torch", "yaml"}
# Each of these loads with the first request that needs it, not with the app.
NOT_FOR_THE_APP = {"sympy", "matplotlib", "torch", "pandas", "genanki"}
LIST_MODULES = "import json, sys, quizapp\nquizapp.create_app()\nprint(json.dumps([*sys.modules]))"


@pytest.mark.skipif(not bubblewrap_available(), reason="needs bubblewrap")
def test_grade_imports_no_flask_database_sympy_matplotlib_or_torch(tmp_path: Path) -> None:
    # An empty user cache: only the committed generated sources keep SymPy out of a first grade.
    run = run_quizapp(
        "grade", "adam", str(SAMPLE_SUBMISSIONS / "adam_numpy.py"), "--json", "--seed", "7",
        env={"QUIZAPP_CACHE_DIR": str(tmp_path)},
    )  # fmt: skip
    assert json.loads(run.stdout)["verdict"] == "passed"
    assert run.status == 0
    assert "numpy" in run.imported and "quizapp" in run.imported
    assert run.imported & NOT_FOR_GRADING == set()
    assert not list(tmp_path.iterdir()), "grading generated sources instead of reading the committed ones"


def test_drills_list_imports_no_flask_or_database() -> None:
    run = run_quizapp("drills", "list")
    assert run.status == 0
    assert run.stdout.splitlines()[0].split() == ["slug", "topic", "title", "frameworks"]
    assert run.imported & NOT_FOR_GRADING == set()


def test_help_lists_every_command_without_building_the_app() -> None:
    run = run_quizapp("--help")
    assert run.status == 0
    listed = {line.split()[0] for line in run.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {*PROJECT_COMMANDS, *APP_EXTENSION_COMMANDS, "run", "shell", "routes"}
    assert "Grade the optimizer in FILE" in run.stdout
    assert (
        run.imported & {"sqlalchemy", "flask_migrate", "alembic", "sympy", "matplotlib", "torch", "yaml"}
        == set()
    )


@pytest.mark.parametrize("name", sorted(PROJECT_COMMANDS))
def test_help_summary_read_from_source_is_the_commands_own(name: str) -> None:
    assert command_summary(PROJECT_COMMANDS[name], 45) == project_command(name).get_short_help_str(45)


def test_help_summary_of_flask_migrate_db_is_its_own() -> None:
    from flask_migrate.cli import db

    assert command_summary(APP_EXTENSION_COMMANDS["db"], 45) == db.get_short_help_str(45)


def test_help_summary_of_an_unknown_target_is_empty() -> None:
    assert command_summary("quizapp.no_such_module:command", 45) == ""
    assert command_summary("quizapp.cli:no_such_function", 45) == ""


def test_app_factory_leaves_heavy_libraries_for_first_use(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", LIST_MODULES],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        check=True,
        timeout=120,
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert "flask" in loaded and "sqlalchemy" in loaded
    assert loaded & NOT_FOR_THE_APP == set()


def test_committed_gradient_sources_match_the_problem_definitions() -> None:
    committed = json.loads(problems.GENERATED_SOURCES.read_text(encoding="utf-8"))
    assert committed["problems_digest"] == problems._problems_digest(), (
        "problems.py changed: run scripts/regen-gradient-sources and commit generated_sources.json"
    )
    assert committed["sources"] == problems.generate_all_sources()


@pytest.mark.skipif(not bubblewrap_available(), reason="needs bubblewrap")
def test_prestarted_sandbox_runs_the_job_in_the_sandbox_it_started_then_fresh_ones() -> None:
    with PrestartedSandbox(framework="numpy") as sandbox:
        started = sandbox._waiting.popen
        first = sandbox.run(
            {"job.py": b"import numpy, os\nprint(numpy.ones(2).sum(), os.getuid())\n"}, entry="job.py"
        )
        assert started.poll() is not None  # that sandbox ran the job and is gone
        second = sandbox.run({"job.py": b"print('again')\n"}, entry="job.py")
    assert (first.status, first.stdout) == ("ok", "2.0 65534\n")
    assert (second.status, second.stdout) == ("ok", "again\n")


@pytest.mark.skipif(not bubblewrap_available(), reason="needs bubblewrap")
def test_prestarted_sandbox_nobody_used_is_killed_on_close() -> None:
    sandbox = PrestartedSandbox(framework="numpy")
    started = sandbox._waiting.popen
    sandbox.close()
    assert started.poll() is not None
    sandbox.close()  # closing twice is harmless
