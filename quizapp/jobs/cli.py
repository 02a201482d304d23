"""`quizapp worker`: an RQ worker for the grading queue (first) and the scheduler-fit queue (app context)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty instead of waiting for jobs.")
@click.option("--queue", "queue_name", default=None, help="Redis queue name (default: quizapp-grading).")
@click.option(
    "--fit-queue",
    "fit_queue_name",
    default=None,
    help="Redis queue of scheduler fits (default: quizapp-fitting).",
)
@click.option(
    "--stale-after",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds without a heartbeat after which a running submission counts as lost (default: 60).",
)
@click.option(
    "--reap-interval",
    type=click.FloatRange(min=0.5),
    default=None,
    help="Seconds between looks for lost submissions (default: 15).",
)
@with_appcontext
def worker_command(
    burst: bool,
    queue_name: str | None,
    fit_queue_name: str | None,
    stale_after: float | None,
    reap_interval: float | None,
) -> None:
    """Grade queued submissions from Redis, and fit schedulers when no submission waits (needs QUEUE_URL)."""
    config = current_app.config
    if not config.get("QUEUE_URL"):
        raise click.UsageError(
            "QUEUE_URL is not set, so submissions are graded by threads inside the web process and no "
            "separate worker is needed. Set QUEUE_URL=redis://127.0.0.1:6379/0 to use RQ workers."
        )
    overrides = {
        "GRADING_QUEUE_NAME": queue_name,
        "FIT_QUEUE_NAME": fit_queue_name,
        "SUBMISSION_STALE_SECONDS": stale_after,
        "SUBMISSION_REAP_INTERVAL_SECONDS": reap_interval,
    }
    config.update({key: value for key, value in overrides.items() if value is not None})
    from quizapp.jobs.rq_queue import run_worker

    run_worker(burst=burst)
