"""Real concurrency in tests: calls released together on separate threads, each with its own session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from quizapp.extensions import db


def race(app: Flask, *calls: Callable[[], object]) -> list[object]:
    """Run the calls at once, each in its own thread with its own session; results or raised errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                outcomes[index] = calls[index]()
            except Exception as error:  # the test inspects whatever came out
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
