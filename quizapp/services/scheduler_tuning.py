"""Optimizing a scheduler: fit FSRS weights to a person's own reviews with fsrs's Optimizer, off the request.

A run is a `SchedulerOptimization` row (queued → running → done | error); the new weights are kept only when
they predict the person's reviews better (lower log loss) than the weights in use. Fits are their own kind of
background job (quizapp.jobs.request_fit and quizapp.jobs.fitting), after grading, and one person may start
one per interval. These functions write to the session; the web request or the job commits.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from quizapp.extensions import db, lock_user
from quizapp.extras import MissingExtra, require_extra
from quizapp.models import Review, SchedulerOptimization, User, utcnow
from quizapp.services.errors import ServiceError
from quizapp.srs.log_loss import RatingEvent, long_term_review_count, scheduler_log_loss

# fsrs's Optimizer learns from reviews made a day or more after the card's previous one and returns its
# default weights unchanged below one mini-batch of them (512), so fewer would only pretend to optimise.
MIN_LONG_TERM_REVIEWS = 512
# A queued or running fit older than this lost its worker (server restart) and no longer blocks a new one.
STALE_AFTER = dt.timedelta(hours=1)
FIT_TIMEOUT_SECONDS = 1800  # RQ's hard limit on one fit


@dataclass(frozen=True)
class Readiness:
    long_term_reviews: int
    needed: int = MIN_LONG_TERM_REVIEWS

    @property
    def ready(self) -> bool:
        return self.long_term_reviews >= self.needed


def rating_events(user_id: int) -> list[RatingEvent]:
    rows = db.session.execute(
        select(Review.card_slug, Review.rating, Review.reviewed_at)
        .where(Review.user_id == user_id)
        .order_by(Review.reviewed_at, Review.id)
    )
    return [RatingEvent(slug, rating, at) for slug, rating, at in rows]


def readiness(user: User) -> Readiness:
    return Readiness(long_term_review_count(rating_events(user.id)))


def latest_optimization(user: User) -> SchedulerOptimization | None:
    return db.session.scalar(
        select(SchedulerOptimization)
        .where(SchedulerOptimization.user_id == user.id)
        .order_by(SchedulerOptimization.created_at.desc(), SchedulerOptimization.id.desc())
        .limit(1)
    )


def request_optimization(user: User) -> SchedulerOptimization:
    """Store a queued fit for `user` (one at a time, one per interval; flushed) in the caller's unit of work;
    raises ServiceError (409 while one runs or the history is too short, 429 within
    SCHEDULER_FIT_INTERVAL_SECONDS of the last one). The caller commits, then hands the run to the fitting
    queue (quizapp.jobs.request_fit does both)."""
    _retire_stale_runs(user)
    # Lock the person (extensions.lock_user) so two requests at once cannot both pass the checks: the
    # second waits until the first one's unit of work ends.
    lock_user(user.id)
    status = _ready_to_start(user)
    run = SchedulerOptimization(user_id=user.id, status="queued", reviews_used=status.long_term_reviews)
    db.session.add(run)
    db.session.flush()
    return run


def _ready_to_start(user: User) -> Readiness:
    active = latest_optimization(user)
    if active is not None and active.status in {"queued", "running"}:
        raise ServiceError(409, "An optimisation is already running; its result will appear on this page.")
    _require_interval_since_last(active)
    status = readiness(user)
    if not status.ready:
        raise ServiceError(
            409,
            f"Not enough review history yet: the optimiser needs {status.needed} reviews made a day or more "
            f"after the card's previous review, and you have {status.long_term_reviews}. Keep reviewing and "
            "try again later; until then the default FSRS weights are used.",
        )
    return status


def _require_interval_since_last(latest: SchedulerOptimization | None) -> None:
    """A fit costs seconds to minutes of a core: one per person per interval, however it ended."""
    interval = dt.timedelta(seconds=float(current_app.config["SCHEDULER_FIT_INTERVAL_SECONDS"]))
    now = utcnow()
    if latest is None or not now - interval < latest.created_at <= now:
        return
    wait = latest.created_at + interval - now
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    every = max(1, round(interval.total_seconds() / 60))
    raise ServiceError(
        429,
        f"Too many fits: one scheduler fit may be started every {every} minutes (a fit keeps a processor "
        f"busy and more reviews are needed to change its result). Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}.",
    )


def _retire_stale_runs(user: User) -> None:
    db.session.execute(
        update(SchedulerOptimization)
        .where(
            SchedulerOptimization.user_id == user.id,
            SchedulerOptimization.status.in_(["queued", "running"]),
            SchedulerOptimization.created_at < utcnow() - STALE_AFTER,
        )
        .values(status="error", message="The server stopped before this run finished.", finished_at=utcnow())
    )


def claim_run(run_id: int) -> bool:
    """Move a queued run to `running`; False when it was not queued (another worker took it, or it is gone).
    The fitting job commits this on its own, so the run shows as running while the fit takes its time."""
    claimed = db.session.execute(
        update(SchedulerOptimization)
        .where(SchedulerOptimization.id == run_id, SchedulerOptimization.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def fit_run(run_id: int) -> str:
    """Fit the claimed run's weights and store the outcome (applied only if they predict better)."""
    run = db.session.get(SchedulerOptimization, run_id)
    if run is None:
        raise LookupError(f"There is no scheduler fit #{run_id}.")
    _fit(run, db.session.get(User, run.user_id))
    return run.status


def fail_run(run_id: int, error: Exception) -> str:
    """End a run whose fit raised `error` as `error`, with a reason a person can read."""
    run = db.session.get(SchedulerOptimization, run_id)
    if run is None:
        return "error"
    reason = str(error) if isinstance(error, MissingExtra) else f"The fit failed ({type(error).__name__})."
    run.status, run.message, run.finished_at = "error", reason, utcnow()
    return run.status


def _fit(run: SchedulerOptimization, user: User) -> None:
    require_extra("fit")  # fsrs's Optimizer needs torch, pandas and tqdm
    import torch
    from fsrs import Optimizer, Rating, ReviewLog
    from fsrs.scheduler import DEFAULT_PARAMETERS

    # One core per fit, as fast as several for a person's few thousand reviews. torch's intra-op threads would
    # spread it over every core, and, once started from the niced fitting thread, they keep its lowest
    # priority: a later fit in the same process (an RQ job, at normal priority) then waits on starved threads.
    torch.set_num_threads(1)

    events = rating_events(user.id)
    card_ids = {slug: index for index, slug in enumerate(sorted({event.card_key for event in events}), 1)}
    logs = [ReviewLog(card_ids[e.card_key], Rating(e.rating), e.at, None) for e in events]
    before = list(user.fsrs_parameters or DEFAULT_PARAMETERS)
    after = [float(value) for value in Optimizer(logs).compute_optimal_parameters()]
    loss_before, scored = scheduler_log_loss(events, before)
    loss_after, _ = scheduler_log_loss(events, after)
    run.reviews_used = scored
    run.parameters_before, run.parameters_after = before, after
    run.log_loss_before = _finite(loss_before)
    run.log_loss_after = _finite(loss_after)
    run.applied = loss_after < loss_before
    if run.applied:
        user.fsrs_parameters = after
        run.message = "The fitted weights predict your reviews better, so your scheduler now uses them."
    else:
        run.message = "The fitted weights did not predict your reviews better; your scheduler is unchanged."
    run.status, run.finished_at = "done", utcnow()


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
