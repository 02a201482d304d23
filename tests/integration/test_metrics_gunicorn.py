"""/metrics under a real gunicorn with two worker processes (quizapp/gunicorn_conf.py): with
PROMETHEUS_MULTIPROC_DIR set, one scrape answers with the sum of both workers' counts."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.apps import migrate
from support.grading import wait_until
from support.metrics import sample_sum

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """gunicorn serving wsgi:app with two workers; counts the /healthz answers it got."""

    def __init__(self, tmp_path: Path, options: tuple[str, ...] = ()) -> None:
        self.metrics_dir = tmp_path / "metrics"  # not made yet: quizapp/gunicorn_conf.py makes it
        database = f"sqlite:///{tmp_path / 'quizapp.sqlite3'}"
        migrate(database)
        self.port = _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database,
            "SECRET_KEY": "gunicorn-test",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "METRICS_ALLOW": "127.0.0.1/32",
            "GRADING_POOL_AUTOSTART": "0",
        }
        self.log = (tmp_path / "gunicorn.log").open("wb")
        command = [str(GUNICORN), "-c", "python:quizapp.gunicorn_conf", "-w", "2", *options]
        self.process = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.healthz_answers = 0
        self._lock = threading.Lock()

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def healthz(self) -> bool:
        try:
            status, _ = self.get("/healthz")
        except OSError:
            return False  # not listening yet: no request reached a worker
        with self._lock:
            self.healthz_answers += status == 200
        return status == 200

    def workers_that_served(self) -> set[str]:
        return {path.stem.rpartition("_")[2] for path in self.metrics_dir.glob("histogram_*.db")}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            self.log.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    try:
        yield server
    finally:
        server.stop()
        print((tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])


def _burst(server: Served, threads: int = 6, each: int = 10) -> None:
    """Requests from several connections at once, so both workers get some."""
    pool = [threading.Thread(target=lambda: [server.healthz() for _ in range(each)]) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def test_one_scrape_sums_both_gunicorn_workers(served: Served) -> None:
    _check_one_scrape_sums_both_workers(served)


def test_a_preloaded_app_finds_its_metrics_folder_made(tmp_path: Path) -> None:
    """With --preload the master imports the app, which writes metric files, before any server hook runs:
    the folder is made as gunicorn reads its settings (tests/bench/load.py preloads)."""
    server = Served(tmp_path, ("--preload",))
    try:
        _check_one_scrape_sums_both_workers(server)
    finally:
        server.stop()
        print((tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])


def _check_one_scrape_sums_both_workers(served: Served) -> None:
    wait_until(served.healthz, 120, "gunicorn to answer /healthz")

    def both_served() -> bool:
        _burst(served)
        return len(served.workers_that_served()) == 2

    wait_until(both_served, 120, "both gunicorn workers to serve a request")
    status, text = served.get("/metrics")
    assert status == 200, text[:300]
    labels = {"endpoint": "monitoring.healthz", "method": "GET", "status": "2xx"}
    assert sample_sum(text, "quizapp_http_request_duration_seconds_count", **labels) == served.healthz_answers
    assert sample_sum(text, "quizapp_grading_queue_depth") == 0
    assert "quizapp_reaper_actions_total" in text
