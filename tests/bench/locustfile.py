"""Simulated learners for tests/bench/load.py (Locust): sign up, then review cards, now and then a drill.

A learner signs up through the real pages, then loops: fetch the next card (GET /api/review/next), think,
rate it (POST /api/reviews; where the card takes a typed answer, the answer is checked first with POST
/api/cards/<slug>/check and then sent with the rating, as the review page does); one loop in twenty also
submits a correct drill solution and polls its verdict like the drill page; one in fifty opens the
dashboard (/progress). Each request goes to one of the web processes at random, as behind a load balancer,
so the session has to work on both.

Driven by load.py through environment variables (see there); the crowd follows LOAD_STAGES ("users:seconds"
steps) and each stage's figures, measured after its learners have all arrived and settled, are written as
JSON to LOAD_RESULTS when the run ends.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.submissions import ADAM_CORRECT

HOSTS = os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8000").split(",")
THINK_SCALE = float(os.environ.get("LOAD_THINK_SCALE", "1"))
THINK_SECONDS = (3.0, 8.0)  # a learner reads the card and recalls the answer
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "10"))
SETTLE_SECONDS = float(os.environ.get("LOAD_SETTLE_SECONDS", "5"))
DRILL_EVERY = int(os.environ.get("LOAD_DRILL_EVERY", "20"))
DASHBOARD_EVERY = int(os.environ.get("LOAD_DASHBOARD_EVERY", "50"))
PASSWORD = "load test password 1"
# Ratings as learners give them: mostly Good, some Again (the card comes back within minutes).
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4), (15, 15, 60, 10)
VERDICT = "VERDICT"  # the request type of the submit-to-verdict timings
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _stages() -> list[tuple[int, float]]:
    """[(users, seconds), ...] from LOAD_STAGES, e.g. "100:60,200:60"."""
    steps = []
    for step in os.environ.get("LOAD_STAGES", "20:30").split(","):
        users, seconds = step.split(":")
        steps.append((int(users), float(seconds)))
    return steps


STAGES = _stages()


class Learner(FastHttpUser):
    host = HOSTS[0]

    def on_start(self) -> None:
        self.token = ""
        self.loops = 0
        self._sign_up()

    def _url(self, path: str) -> str:
        return random.choice(HOSTS) + path

    def _sign_up(self) -> None:
        page = self.client.get(self._url("/auth/register"), name="GET /auth/register")
        token = _csrf_token(page.text)
        form = {
            "username": f"learner-{uuid.uuid4().hex[:12]}",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": token,
        }
        with self.client.post(
            self._url("/auth/register"),
            data=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            name="POST /auth/register",
            catch_response=True,
        ) as response:
            if response.status_code not in (302, 303):
                response.failure(f"sign-up answered HTTP {response.status_code}")
        # The review page, from whichever process: the login is on the server, the cookie signed alike.
        self.token = _csrf_token(self.client.get(self._url("/review"), name="GET /review").text)

    def _think(self) -> None:
        time.sleep(random.uniform(*THINK_SECONDS) * THINK_SCALE)  # gevent-patched by Locust

    @task
    def review(self) -> None:
        self.loops += 1
        shown = self.client.get(self._url("/api/review/next"), name="GET /api/review/next").json()
        self._think()
        card = shown.get("card")
        if card is not None:
            self._rate(card)
        if self.loops % DRILL_EVERY == 0:
            self._submit_drill()
        if self.loops % DASHBOARD_EVERY == 0:
            self.client.get(self._url("/progress"), name="GET /progress")

    def _rate(self, card: dict[str, Any]) -> None:
        body: dict[str, Any] = {
            "card": card["slug"],
            "rating": random.choices(RATINGS, RATING_WEIGHTS)[0],
            "idempotency_key": str(uuid.uuid4()),
            "duration_ms": 4000,
            "version": card["version"],
        }
        if card.get("typed"):
            # As the review page does: the answer is checked first (its verdict suggests the rating), then
            # sent again with the rating, where the server checks it once more for the record.
            body["answer"] = _a_guess(card.get("back") or "")
            self.client.post(
                self._url(f"/api/cards/{card['slug']}/check"),
                json={"answer": body["answer"]},
                headers=self._csrf(),
                name="POST /api/cards/<slug>/check",
            )
        self.client.post(self._url("/api/reviews"), json=body, headers=self._csrf(), name="POST /api/reviews")

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.token, "Accept": "application/json"}

    def _submit_drill(self) -> None:
        started = time.perf_counter()
        body = {"code": ADAM_CORRECT, "framework": "numpy"}
        response = self.client.post(
            self._url("/api/drills/adam/submissions"),
            json=body,
            headers=self._csrf(),
            name="POST /api/drills/<slug>/submissions",
        )
        if response.status_code != 202:
            return  # counted as a failure by Locust already
        submission = response.json()
        delay = 0.1
        while submission["status"] in ("queued", "running"):
            time.sleep(delay)  # the drill page's polling: 100 ms, × 1.5, at most 1 s
            delay = min(delay * 1.5, 1.0)
            submission = self.client.get(
                self._url(submission["api_url"]), name="GET /api/submissions/<id>"
            ).json()
        verdict = (submission.get("verdict") or {}).get("verdict")
        events.request.fire(
            request_type=VERDICT,
            name="submission verdict",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if verdict == "passed" else RuntimeError(f"verdict {verdict!r}"),
            context={},
        )


def _csrf_token(page: str) -> str:
    match = _CSRF.search(page or "")
    return match.group(1) if match else ""


def _a_guess(back: str) -> str:
    """What a learner types: the first number of the answer they remember, else a plain guess."""
    match = _NUMBER.search(back)
    return match.group(0) if match else "1"


class Stages(LoadTestShape):
    """The crowd in steps: each stage's users, held for its seconds; then the run stops."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for users, ends_at in _stage_ends():
            if elapsed < ends_at:
                return users, SPAWN_RATE
        return None


def _stage_ends() -> list[tuple[int, float]]:
    ends, total = [], 0.0
    for users, seconds in STAGES:
        total += seconds
        ends.append((users, total))
    return ends


# ------------------------------------------------------------------------------------ per-stage figures


@dataclass
class StageFigures:
    users: int
    measured_from: float  # absolute times (time.time()) of the window measured
    measured_to: float
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Recorder:
    """Every request's time and outcome, kept per stage for the stage's settled window."""

    def __init__(self) -> None:
        self.stages: list[StageFigures] = []
        self.failure_messages: dict[str, int] = defaultdict(int)
        self.failures_outside = 0

    def start(self) -> None:
        now, previous, begins = time.time(), 0, 0.0
        self.stages = []
        for users, seconds in STAGES:
            ramp = abs(users - previous) / SPAWN_RATE
            self.stages.append(
                StageFigures(users, now + begins + ramp + SETTLE_SECONDS, now + begins + seconds)
            )
            previous, begins = users, begins + seconds

    def record(self, request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
        now = time.time()
        label = name if request_type != VERDICT else VERDICT
        if exception is not None:
            self.failure_messages[f"{name}: {str(exception)[:120]}"] += 1
        stage = next((s for s in self.stages if s.measured_from <= now < s.measured_to), None)
        if stage is None:
            self.failures_outside += exception is not None
            return
        stage.timings[label].append(response_time)
        if exception is not None:
            stage.failures[label] += 1

    def write(self, path: str) -> None:
        report = {
            "stages": [
                {
                    "users": s.users,
                    "window": [s.measured_from, s.measured_to],
                    "requests": {
                        name: _summary(times, s.failures.get(name, 0), s.measured_to - s.measured_from)
                        for name, times in s.timings.items()
                    },
                }
                for s in self.stages
            ],
            "failure_messages": dict(self.failure_messages),
            "failures_outside_windows": self.failures_outside,
        }
        Path(path).write_text(json.dumps(report, indent=1))


def _summary(times: list[float], failures: int, seconds: float) -> dict[str, float]:
    ordered = sorted(times)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    per_s = len(ordered) / seconds if seconds > 0 else 0.0
    return {"count": len(ordered), "failures": failures, "per_s": per_s, "p50": pick(0.5), "p95": pick(0.95)}


RECORDER = Recorder()
events.test_start.add_listener(lambda **_: RECORDER.start())
events.request.add_listener(RECORDER.record)


@events.quitting.add_listener
def _write_results(**_: Any) -> None:
    if os.environ.get("LOAD_RESULTS"):
        RECORDER.write(os.environ["LOAD_RESULTS"])
