"""The default grading queue: a bounded pool of worker threads inside the web process.

Starts with the app's first request (GRADING_POOL_AUTOSTART) and recovers queued and stale rows then, so a
web restart loses nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from flask import Flask

from quizapp.extensions import db
from quizapp.jobs.grading import (
    grade_submission,
    hand_back,
    queued_submission_ids,
    reap_stale_submissions,
)

log = logging.getLogger(__name__)

_STOP = -1  # sentinel id that tells a worker thread to exit


class LocalWorkerPool:
    """`size` threads grading submission ids from an in-memory queue, plus a reaper thread."""

    def __init__(self, app: Flask, size: int, reap_interval: float) -> None:
        self.app = app
        self.size = size
        self.reap_interval = reap_interval
        self._ids: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: set[int] = set()  # ids being graded now, handed back if a stop outlasts them

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> None:
        """Start the threads once; pick up rows left queued (or stale) by a previous process.

        Recovery comes first: if the database cannot be read, nothing starts and the next call tries again.
        """
        with self._lock:
            if self._threads:
                return
            recovered = self._recover()
            for index in range(self.size):
                self._spawn(self._work, f"grader-{index}")
            self._spawn(self._reap_periodically, "grader-reaper")
        for submission_id in recovered:
            self._ids.put(submission_id)

    def submit(self, submission_id: int) -> None:
        self.start()
        self._ids.put(submission_id)

    def stop(self, timeout: float = 30.0) -> None:
        """Let the running jobs finish for up to `timeout` seconds in all, then hand the rows of those still
        running back to the queue, and end the threads (queued rows stay queued in the database)."""
        self._stopping.set()
        for _ in range(self.size):
            self._ids.put(_STOP)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        with self._lock:
            unfinished = list(self._running)
        if unfinished:
            with self.app.app_context():
                try:
                    for submission_id in unfinished:
                        hand_back(submission_id)
                finally:
                    db.session.remove()

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _recover(self) -> list[int]:
        with self.app.app_context():
            try:
                reap_stale_submissions()
                return queued_submission_ids()
            finally:
                db.session.remove()

    def _work(self) -> None:
        while True:
            submission_id = self._ids.get()
            if submission_id == _STOP:
                return
            with self._lock:
                self._running.add(submission_id)
            with self.app.app_context():
                try:
                    grade_submission(submission_id)
                except Exception:  # a worker thread must survive anything a job throws
                    log.exception("grading submission %s failed", submission_id)
                    db.session.rollback()
                finally:
                    db.session.remove()
                    with self._lock:
                        self._running.discard(submission_id)

    def _reap_periodically(self) -> None:
        while not self._stopping.wait(self.reap_interval):
            with self.app.app_context():
                try:
                    for submission_id in reap_stale_submissions():
                        self._ids.put(submission_id)
                except Exception:
                    log.exception("reaping stale submissions failed")
                finally:
                    db.session.remove()
