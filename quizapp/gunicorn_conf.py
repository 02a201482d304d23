"""gunicorn settings for quizapp (README, "Operating it"):

    PROMETHEUS_MULTIPROC_DIR=/run/quizapp-metrics gunicorn -c python:quizapp.gunicorn_conf wsgi:app

Bind address and worker count stay gunicorn's own (-b, -w, or WEB_CONCURRENCY). With
PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics there and /metrics sums them; without it each
worker would answer with only its own numbers.
"""

from __future__ import annotations

from typing import Any

from quizapp.config import multiprocess_metrics_dir

# A stopping worker finishes its requests and its in-process gradings (WORKER_STOP_GRACE_SECONDS, default
# 25 s, after which they are handed back to the queue) before gunicorn would kill it.
graceful_timeout = 40


def _prepare_metrics_folder() -> None:
    """Run as gunicorn reads this file: before the app is imported, which with --preload happens in the
    master, before any server hook, and already writes metric files (so the folder must exist by then)."""
    folder = multiprocess_metrics_dir()
    if folder:
        from quizapp.monitoring.multiprocess import prepare_folder

        prepare_folder(folder)


_prepare_metrics_folder()


def child_exit(server: Any, worker: Any) -> None:
    folder = multiprocess_metrics_dir()
    if folder:
        from quizapp.monitoring.multiprocess import process_ended

        process_ended(folder, worker.pid)
