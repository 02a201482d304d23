"""Shared by the drills tests: submissions with known verdicts and a bounded wait for grading to finish."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from quizapp.extensions import db
from quizapp.models import Submission

# Seed 001's Adam, as written there: passes the `adam` drill.
ADAM_CORRECT = """\
import numpy as np

def adam(grad_fn, theta, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, steps=1000):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta
"""

# The classic mistake: no bias correction. Diagnosed as `no-bias-correction`.
ADAM_NO_BIAS_CORRECTION = """\
import numpy as np

def adam(grad_fn, theta, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, steps=1000):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad_fn(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * m / (np.sqrt(v) + eps)
    return theta
"""

# The same Adam in the PyTorch shape of the drill's starter: updates the params in place.
ADAM_TORCH_CORRECT = """\
import torch


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i].mul_(self.b1).add_(g, alpha=1 - self.b1)
            self.v[i].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            m_hat = self.m[i] / (1 - self.b1**self.t)
            v_hat = self.v[i] / (1 - self.b2**self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))
"""

SGD_CORRECT = """\
def sgd(grad_fn, theta, lr=0.1, steps=100):
    for _ in range(steps):
        theta = theta - lr * grad_fn(theta)
    return theta
"""

SGD_WRONG_SIGN = """\
def sgd(grad_fn, theta, lr=0.1, steps=100):
    for _ in range(steps):
        theta = theta + lr * grad_fn(theta)
    return theta
"""

RMSPROP_CORRECT = """\
import numpy as np

def rmsprop(grad_fn, theta, lr=1e-2, alpha=0.99, eps=1e-8, steps=100):
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = grad_fn(theta)
        v = alpha * v + (1 - alpha) * g * g
        theta = theta - lr * g / (np.sqrt(v) + eps)
    return theta
"""

MOMENTUM_CORRECT = """\
import numpy as np

def momentum(grad_fn, theta, lr=1e-2, momentum=0.9, steps=100):
    v = np.zeros_like(theta)
    for _ in range(steps):
        g = grad_fn(theta)
        v = momentum * v + g
        theta = theta - lr * v
    return theta
"""

FINISHED = ("done", "error")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds, failing with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def wait_for_submission(submission_id: int, timeout: float = 120.0) -> Submission:
    """Wait (inside an app context) until the grading queue has finished the submission."""

    def finished() -> bool:
        db.session.expire_all()
        row = db.session.get(Submission, submission_id)
        return row is not None and row.status in FINISHED

    wait_until(finished, timeout, f"submission {submission_id} to finish")
    submission = db.session.get(Submission, submission_id)
    assert submission is not None
    return submission


class LiveServer:
    """The app served over real HTTP from a background thread (for the browser test and the benchmark)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def migrated_sqlite_app(directory: Path, **overrides: object) -> Flask:
    """A fresh app on its own migrated SQLite file with the bank loaded: what `scripts/run` builds."""
    from flask_migrate import upgrade

    from quizapp import create_app

    config: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'quizapp.sqlite3'}",
        "SECRET_KEY": "live-server-secret",
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["questions", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    return app


def app_for(database_url: str, **overrides: object) -> Flask:
    """An app like the `app` fixture's (tests/conftest.py `make_app`), with different settings.

    Kept here because `from conftest import ...` is ambiguous once tests/browser/conftest.py is loaded too.
    """
    from quizapp import create_app

    config: dict[str, object] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret",
    }
    config.update(overrides)
    return create_app(config)


def empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def sign_up(client: FlaskClient, username: str, password: str = "correct horse battery") -> None:
    """Register (which also logs in) through the real auth pages."""
    response = client.post(
        "/auth/register", data={"username": username, "password": password, "confirm": password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
