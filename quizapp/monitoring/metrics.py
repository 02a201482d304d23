"""Prometheus metrics: what the app counts as it works, and the text a scrape of /metrics returns.

Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (quizapp/gunicorn_conf.py): every process then writes its
numbers to files there, and a scrape sums them. Queue figures are read from the database at scrape time.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from quizapp.extensions import db
from quizapp.models import Submission, utcnow

log = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "quizapp_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint, method and status class (2xx, 4xx, ...).",
    ["endpoint", "method", "status"],
)
RATINGS = Counter(
    "quizapp_ratings_total",
    "Ratings recorded, by rating and by origin (review, drill).",
    ["rating", "origin"],
)
SUBMISSIONS_GRADED = Counter(
    "quizapp_submissions_graded_total",
    "Submissions that got a verdict, by verdict and diagnosis (none when there is none); "
    "verdict grader-failure when no verdict could be made.",
    ["verdict", "diagnosis"],
)
GRADING_DURATION = Histogram(
    "quizapp_grading_duration_seconds",
    "Time from a worker claiming a submission to its stored verdict, by drill and framework.",
    ["drill", "framework"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
SANDBOX_FAILURES = Counter(
    "quizapp_sandbox_failures_total",
    "Gradings that ended without a verdict: the sandbox unavailable, the grader crashed, or the worker's "
    "drill or grader differed from the web app's (version-mismatch).",
    ["reason"],
)
REAPER_ACTIONS = Counter(
    "quizapp_reaper_actions_total",
    "Rows the reaper moved: requeued-stale, failed-stale (worker died), requeued-lost, failed-lost "
    "(queue lost the job), handed-back (a stopping worker returned its running job).",
    ["action"],
)
# Known label values start at 0, so a rate() over them works before the first failure.
for _reason in ("unavailable", "grader-crash", "version-mismatch"):
    SANDBOX_FAILURES.labels(_reason)
for _action in ("requeued-stale", "failed-stale", "requeued-lost", "failed-lost", "handed-back"):
    REAPER_ACTIONS.labels(_action)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Access = Literal["allowed", "forbidden", "disabled"]


class _QueueCollector:
    """Queue depth, rows being graded, and the age of the oldest queued row: one indexed query per scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._read()
        except SQLAlchemyError:  # the process's own metrics still answer while the database is down
            db.session.rollback()
            log.warning("queue gauges left out of /metrics: the database did not answer", exc_info=True)

    def _read(self) -> Iterator[Metric]:
        counts = dict(
            db.session.execute(
                db.select(Submission.status, func.count())
                .where(Submission.status.in_(("queued", "running")))
                .group_by(Submission.status)
            ).all()
        )
        oldest = db.session.scalar(
            db.select(func.min(Submission.created_at)).where(Submission.status == "queued")
        )
        yield GaugeMetricFamily(
            "quizapp_grading_queue_depth", "Submissions waiting for a worker.", value=counts.get("queued", 0)
        )
        yield GaugeMetricFamily(
            "quizapp_grading_running", "Submissions being graded now.", value=counts.get("running", 0)
        )
        yield GaugeMetricFamily(
            "quizapp_grading_oldest_queued_age_seconds",
            "Seconds the oldest waiting submission has waited (0 when none waits).",
            value=_age_seconds(oldest),
        )


def _age_seconds(moment: dt.datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite hands naive UTC back through func.min
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (utcnow() - moment).total_seconds())


class _ThisProcess:
    """The process-local default registry, as one collector (used without multiprocess mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(multiprocess_dir: str | None) -> bytes:
    """The Prometheus text of this process's metrics (or all processes' in `multiprocess_dir`) plus the
    queue gauges, read now."""
    registry = CollectorRegistry()
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(_QueueCollector())  # type: ignore[arg-type]
    return generate_latest(registry)


def parse_networks(allowed: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """METRICS_ALLOW's CIDRs; a bad one stops the start with a message naming it."""
    networks = []
    for item in allowed:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(
                f"METRICS_ALLOW: {item!r} is not an IP network such as 10.0.0.0/8 ({error})"
            ) from None
    return networks


def metrics_access(
    peer: str | None,
    authorization: str | None,
    networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
    token: str | None,
) -> Access:
    """Whether a caller may read /metrics: from an allowed network, or with `Authorization: Bearer TOKEN`."""
    if not networks and not token:
        return "disabled"
    if token and authorization:
        scheme, _, offered = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
            return "allowed"
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return "forbidden"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket is 127.0.0.1
    return "allowed" if any(address in network for network in networks) else "forbidden"
