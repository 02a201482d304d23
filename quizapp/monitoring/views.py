from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request

from quizapp.monitoring import bp
from quizapp.monitoring.metrics import CONTENT_TYPE, exposition, metrics_access
from quizapp.monitoring.readiness import readiness


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers. No database, so a database outage does not restart every server."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database (and the queue, when configured) answer; 503 naming what failed otherwise."""
    checks = readiness(current_app)
    ready = all(outcome == "ok" for outcome in checks.values())
    return jsonify(status="ready" if ready else "unready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text for the networks in METRICS_ALLOW and holders of METRICS_TOKEN; 404 when neither
    is configured, 403 for anyone else."""
    config = current_app.config
    access = metrics_access(
        request.remote_addr,
        request.headers.get("Authorization"),
        current_app.extensions["quizapp_metrics_networks"],
        config.get("METRICS_TOKEN"),
    )
    if access == "disabled":
        abort(404)
    if access == "forbidden":
        abort(403)
    return Response(exposition(config.get("PROMETHEUS_MULTIPROC_DIR")), content_type=CONTENT_TYPE)
