"""The load test's harness works end to end (tests/bench/load.py): a small crowd with short think times
against two gunicorn processes, an RQ worker, PostgreSQL and Redis. Asserts what happened, never how fast."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import load  # noqa: E402  (tests/bench is not a package)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.mark.skipif(shutil.which("locust", path=str(load.BIN)) is None, reason="Locust is not installed")
def test_a_small_crowd_signs_up_reviews_and_gets_verdicts_across_both_web_processes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reports = load.main(
        [
            *("--stages", "20:35", "--think-scale", "0.1", "--spawn-rate", "20", "--settle", "0"),
            # Every loop takes every path (drill, dashboard), so even a crowded machine covers them all.
            *("--drill-every", "1", "--dashboard-every", "1"),
        ]
    )
    output = capsys.readouterr().out
    (stage,) = reports
    assert stage.users == 20
    # Every learner signed up on one process and went on with requests to both at random: any session that
    # did not carry over would have been answered 401 and counted as a failure.
    assert stage.failures == 0, output
    assert stage.ratings_per_s > 0, output
    assert stage.verdicts >= 1, output  # a drill submitted, graded by the worker, its verdict polled: passed
    assert stage.dashboards >= 1, output
    assert {"web", "database", "worker", "locust"} <= set(stage.cpu), output
    assert stage.cpu["web"] > 0 and stage.cpu["database"] > 0, output
    assert "largest crowd held" in output
