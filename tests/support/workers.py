"""`quizapp worker` subprocesses against a test database and Redis queue, each logging to its own file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from quizapp.extensions import db

QUEUE_URL = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
QUIZAPP = Path(sys.executable).with_name("quizapp")
REPO = Path(__file__).resolve().parents[2]


class Workers:
    """Started with a short staleness limit and reaper interval, so lost jobs come back within seconds."""

    def __init__(self, database_url: str, queue_name: str, log_dir: Path, **settings: str) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database_url,
            "QUEUE_URL": QUEUE_URL,
            "SECRET_KEY": "t",
            **settings,
        }
        self.queue_name = queue_name
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with self.log_path(len(self.processes)).open("wb") as log:
            process = subprocess.Popen(
                [
                    str(QUIZAPP),
                    "worker",
                    "--queue",
                    self.queue_name,
                    "--fit-queue",
                    self.queue_name + "-fit",
                    "--stale-after",
                    "3",
                    "--reap-interval",
                    "1",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def log_path(self, index: int) -> Path:
        return self.log_dir / f"worker-{index}.log"

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def queue_web_app(database_url: str, queue_name: str) -> Iterator[Flask]:
    """The web side of a scaled-out setup, on emptied tables with the bank loaded: it enqueues into Redis
    and grades nothing itself."""
    from support.apps import empty_tables, make_app

    app = make_app(database_url, QUEUE_URL=QUEUE_URL, GRADING_QUEUE_NAME=queue_name)
    with app.app_context():
        empty_tables()
        assert app.test_cli_runner().invoke(args=["questions", "load"]).exit_code == 0
        yield app
        db.session.remove()
        db.engine.dispose()
