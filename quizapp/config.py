"""Settings, read once from the environment.

One source of truth for configuration: every other module reads `app.config`, never `os.environ`.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The longest a login lasts: the remember cookie's lifetime, after which the server forgets the login too.
LOGIN_LIFETIME = dt.timedelta(days=365)


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults suitable for one machine: SQLite in the instance folder and an in-process worker."""

    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        env = os.environ
        instance = Path(instance_path)
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret(instance)
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'quizapp.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
        # A pooled connection that sat idle this long is checked (one round trip) before it is used; 0 checks
        # at every use, like SQLAlchemy's pool_pre_ping (quizapp/db_connections.py).
        self.DATABASE_PING_IDLE_SECONDS = _seconds(env, "DATABASE_PING_IDLE_SECONDS", 1.0)
        self.QUEUE_URL = env.get("QUEUE_URL") or None
        # Without QUEUE_URL: start the in-process grading pool with the first request of any kind, so rows a
        # restart left queued are graded without anyone opening a drills page.
        self.GRADING_POOL_AUTOSTART = _bool(env.get("GRADING_POOL_AUTOSTART"), True)
        self.GRADER_DEVICE = env.get("GRADER_DEVICE", "auto")
        self.QUESTIONS_DIR = questions_dir()
        self.SEEDS_DIR = env.get("SEEDS_DIR") or str(REPO_ROOT.parent / "shared" / "seeds")
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or self.QUEUE_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        # Typed answers checked per person and minute (the check button and ratings sent with an answer).
        self.ANSWER_CHECKS_PER_MINUTE = int(env.get("ANSWER_CHECKS_PER_MINUTE") or 20)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = LOGIN_LIFETIME
        self.WTF_CSRF_TIME_LIMIT = None
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        # Operating it (README, "Operating it"). /metrics answers only the networks in METRICS_ALLOW
        # (comma-separated CIDRs, as the socket's peer address: behind a proxy, that is the proxy) and
        # requests bearing METRICS_TOKEN; with neither set, nobody (404).
        self.METRICS_ALLOW = _list(env.get("METRICS_ALLOW"))
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        # Set, the metrics of every process sharing the folder (gunicorn workers, `quizapp worker`) are
        # summed at scrape time; prometheus_client itself reads the same variable when it is imported.
        self.PROMETHEUS_MULTIPROC_DIR = multiprocess_metrics_dir()
        self.LOG_FORMAT = (env.get("LOG_FORMAT") or "text").strip().lower()  # text (key=value) | json
        # A worker told to stop lets its running grading finish for this long, then hands the row back.
        self.WORKER_STOP_GRACE_SECONDS = float(env.get("WORKER_STOP_GRACE_SECONDS") or 25)
        # POST /bench/floor-rating, the floor of tests/bench/bench_review.py; never on in service.
        self.BENCH_FLOOR_ROUTE = _bool(env.get("BENCH_FLOOR_ROUTE"), False)


def questions_dir() -> str:
    """QUESTIONS_DIR, the question bank: read by the app and by the app-free `quizapp grade` alike."""
    return os.environ.get("QUESTIONS_DIR") or str(REPO_ROOT / "questions")


def multiprocess_metrics_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR, read by the app and by quizapp/gunicorn_conf.py alike."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A duration in seconds from the environment variable `name`: a number, 0 or more."""
    value = env.get(name)
    if value is None or not value.strip():
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # also refuses NaN
        raise ValueError(f"{name} must be a number of seconds, 0 or more, not {value!r}")
    return seconds


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _normalise_db_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts without configuration."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
