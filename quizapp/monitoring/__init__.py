"""Operating the service: /healthz, /readyz and /metrics, request ids, and structured event lines.

README, "Operating it", documents the metric names, the log format and the settings.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("monitoring", __name__)


def init_app(app: Flask) -> None:
    """Request ids, event lines and latency for every request; the settings checked at start."""
    from quizapp.monitoring import request_log
    from quizapp.monitoring.logs import configure_event_log
    from quizapp.monitoring.metrics import parse_networks

    configure_event_log(app.config["LOG_FORMAT"])
    app.extensions["quizapp_metrics_networks"] = parse_networks(app.config["METRICS_ALLOW"])
    request_log.init_app(app)
    from quizapp.monitoring import views  # noqa: F401  (the routes, on bp)

    app.register_blueprint(bp)
