"""The scheduler-fit job: claim the queued run, fit the person's FSRS weights, store the outcome.

Three units of work: the claim is committed on its own, so the run shows as running while the fit takes
seconds to minutes; a fit that raises still ends its row, as `error`. The in-process fitting thread and the
RQ fitting queue (quizapp.jobs) both run `run_fit`.
"""

from __future__ import annotations

import logging

from quizapp.extensions import unit_of_work
from quizapp.services import scheduler_tuning

log = logging.getLogger(__name__)


def run_fit(run_id: int) -> str | None:
    """Fit run `run_id`; returns its final status, or None when it was not queued (taken, or gone)."""
    with unit_of_work():
        claimed = scheduler_tuning.claim_run(run_id)
    if not claimed:
        return None
    try:
        with unit_of_work():
            return scheduler_tuning.fit_run(run_id)
    except Exception as exc:  # a failed fit must end its row, never leave it "running"
        log.exception("FSRS optimisation %s failed", run_id)
        with unit_of_work():
            return scheduler_tuning.fail_run(run_id, exc)
