"""Benchmark (not a timed test): 40 submissions sent at once by 4 people, until every one has its verdict.

Two set-ups in one run, each behind a real HTTP server with CSRF and the per-person rate limit on:
  * the default: SQLite and the in-process grading pool (SUBMISSION_WORKER_THREADS threads);
  * scaled out: PostgreSQL, Redis/RQ and as many `quizapp worker` processes as pool threads.
Each person submits ten different drills (one submission in flight per drill and person is allowed) from
their own thread, then polls like the drill page until all ten are finished. Prints the wall time from the
first POST to the last verdict, and the verdicts.

    .venv/bin/python tests/bench/bench_queue.py [WORKERS]
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_drills import Browserless
from support.apps import LiveServer, load_question_bank, make_app, migrate, migrated_sqlite_app
from support.postgres import create_database, drop_database
from support.submissions import (
    ADAM_CORRECT,
    ADAMW_CLASS,
    CLIP_FUNCTION,
    LION_CLASS,
    MOMENTUM_CORRECT,
    NESTEROV_CLASS,
    NUMPY_LAMB,
    RMSPROP_CORRECT,
    SGD_CORRECT,
    torch_solution,
)

from quizapp import jobs

QUIZAPP = Path(sys.executable).with_name("quizapp")
QUEUE_URL = os.environ.get("QUIZAPP_TEST_REDIS", "redis://127.0.0.1:6379/0")
PEOPLE = 4
# Ten drills, so each person's ten submissions are all in flight at once (framework, code).
DRILLS = {
    "adam": ("numpy", ADAM_CORRECT),
    "sgd": ("numpy", SGD_CORRECT),
    "rmsprop": ("numpy", RMSPROP_CORRECT),
    "momentum": ("numpy", MOMENTUM_CORRECT),
    "adamw": ("numpy", ADAMW_CLASS),
    "nesterov": ("numpy", NESTEROV_CLASS),
    "lion": ("numpy", LION_CLASS),
    "clip-grad-norm": ("numpy", CLIP_FUNCTION),
    "lamb": ("numpy", NUMPY_LAMB),
    "adagrad": ("torch", torch_solution("adagrad")),
}


def submit_all(client: Browserless) -> list[str]:
    """POST all ten at once, then poll each until finished; the verdicts (or final statuses)."""
    headers = {"Content-Type": "application/json", "X-CSRFToken": client.token, "Accept": "application/json"}
    pending = []
    for drill, (framework, code) in DRILLS.items():
        body = json.dumps({"code": code, "framework": framework}).encode()
        pending.append(json.loads(client.request(f"/api/drills/{drill}/submissions", body, headers)))
    outcomes = []
    for submission in map(client.until_finished, pending):
        outcomes.append((submission["verdict"] or {}).get("verdict") or f"status {submission['status']}")
    return outcomes


def time_forty(base_url: str) -> tuple[float, Counter[str]]:
    clients = []
    for index in range(PEOPLE):
        client = Browserless(base_url)
        client.sign_up(f"bench{index}-{uuid.uuid4().hex[:6]}", "bench-password-1")
        clients.append(client)
    results: list[list[str]] = [[] for _ in clients]
    threads = [
        threading.Thread(target=lambda i=i: results[i].extend(submit_all(clients[i]))) for i in range(PEOPLE)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return elapsed, Counter(outcome for person in results for outcome in person)


def in_process_sqlite(workers: int) -> tuple[float, Counter[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        app = migrated_sqlite_app(Path(tmp), SUBMISSION_WORKER_THREADS=workers)
        load_question_bank(app)
        server = LiveServer(app)
        try:
            return time_forty(server.url)
        finally:
            server.stop()
            jobs.shutdown(app)


def redis_postgres(workers: int) -> tuple[float, Counter[str]]:
    name, url = create_database("quizapp_bench")
    queue = f"bench-grade-{uuid.uuid4().hex[:8]}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        migrate(url)
        app = make_app(
            url,
            QUEUE_URL=QUEUE_URL,
            GRADING_QUEUE_NAME=queue,
            FIT_QUEUE_NAME=queue + "-fit",
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=True,
        )
        load_question_bank(app)
        env = {**os.environ, "DATABASE_URL": url, "QUEUE_URL": QUEUE_URL, "SECRET_KEY": "bench"}
        for _ in range(workers):
            command = [str(QUIZAPP), "worker", "--queue", queue, "--fit-queue", queue + "-fit"]
            processes.append(
                subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        server = LiveServer(app)
        try:
            return time_forty(server.url)
        finally:
            server.stop()
            with app.app_context():
                from quizapp.extensions import db

                db.engine.dispose()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        drop_database(name)


def run(workers: int = 2) -> dict[str, float]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    figures = {}
    for label, setup in (
        ("SQLite + in-process pool", in_process_sqlite),
        ("PostgreSQL + Redis/RQ", redis_postgres),
    ):
        elapsed, outcomes = setup(workers)
        finished = sum(count for outcome, count in outcomes.items() if not outcome.startswith("status"))
        print(
            f"{label:26s} {workers} workers: 40 submissions → {finished} verdicts in {elapsed:.1f} s "
            f"{dict(outcomes)}"
        )
        figures[label] = elapsed
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
