"""A node installed without an optional extra says which extra a feature needs, instead of a traceback.

The missing packages are made unimportable (sys.modules[name] = None), as on a lean install.
"""

from __future__ import annotations

import json
import sys

import pytest
from flask import Flask
from support.accounts import make_user
from support.cli_process import run_quizapp
from support.submissions import SAMPLE_SUBMISSIONS

from quizapp.extensions import db
from quizapp.extras import EXTRAS, MissingExtra, missing_extra, require_extra
from quizapp.grader.sandbox import bubblewrap_available
from quizapp.jobs.fitting import run_fit
from quizapp.models import SchedulerOptimization


@pytest.mark.skipif(not bubblewrap_available(), reason="needs bubblewrap")
def test_torch_submission_on_a_node_without_torch_is_refused_naming_the_extra() -> None:
    run = run_quizapp(
        "grade", "adam", str(SAMPLE_SUBMISSIONS / "adam_torch.py"), "--json", without=("torch",)
    )
    verdict = json.loads(run.stdout)
    assert verdict["verdict"] == "rejected"
    assert "quizapp[torch]" in verdict["message"] and "torch not installed" in verdict["message"]
    assert run.status == 1
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("setting", "without", "extra"),
    [
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/quizapp"}, ("psycopg",), "postgres"),
        ({"QUEUE_URL": "redis://127.0.0.1:6379/0"}, ("redis", "rq"), "queue"),
    ],
)
def test_a_configured_service_without_its_extra_stops_the_start_naming_it(
    setting: dict[str, str], without: tuple[str, ...], extra: str
) -> None:
    run = run_quizapp("routes", env=setting, without=without)
    assert run.status == 1
    assert f"Error: This installation lacks the optional extra quizapp[{extra}]" in run.stderr
    assert f"pip install 'quizapp[{extra}]'" in run.stderr
    assert "Traceback" not in run.stderr


def test_with_the_extras_installed_nothing_is_missing() -> None:
    for extra in EXTRAS:
        assert missing_extra(extra) is None
        require_extra(extra)


def test_missing_extra_names_every_absent_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(MissingExtra, match=r"quizapp\[fit\] \(pandas, tqdm not installed\)"):
        require_extra("fit")


def test_a_scheduler_fit_without_the_fit_extra_ends_with_its_message(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    run = SchedulerOptimization(user_id=user.id, status="queued", reviews_used=600)
    db.session.add(run)
    db.session.commit()
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert run_fit(run.id) == "error"
    stored = db.session.get(SchedulerOptimization, run.id)
    assert "quizapp[fit]" in stored.message and stored.finished_at is not None
