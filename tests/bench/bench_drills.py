"""Benchmark (not a timed test): submit → verdict shown in the web app, against the grader CLI alone.

Runs the app as `scripts/run` does (SQLite, in-process grading pool, CSRF on) behind a real HTTP server, and a
client that does what static/drills.js does: POST the code, poll the API on lib/poll.js's schedule, fetch the
result panel. Baselines in the same run: `quizapp grade adam FILE --json` as a process, and `grade()` called
in-process. Prints p50/p95 and ratios (goal: web ≤ 1.2× the CLI).

    .venv/bin/python tests/bench/bench_drills.py [N]
    .venv/bin/python -m pytest tests/bench/bench_drills.py -s
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.apps import LiveServer, load_question_bank, migrated_sqlite_app
from support.submissions import ADAM_CORRECT, SAMPLE_SUBMISSIONS

QUIZAPP = Path(sys.executable).with_name("quizapp")
DEFAULT_RUNS = 50


class Browserless:
    """An HTTP client with a cookie jar that behaves like the drill page's JavaScript."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> str:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        with self.opener.open(req) as response:
            return response.read().decode()

    def sign_up(self, username: str, password: str) -> None:
        page = self.request("/auth/register")
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "confirm": password, "csrf_token": self.token}
        ).encode()
        self.request("/auth/register", form)
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": self.token})
        self.request("/auth/login", form.encode())
        self.token = re.search(r'name="csrf-token" content="([^"]+)"', self.request("/drills/adam")).group(1)

    def until_finished(self, submission: dict) -> dict:
        """Poll the submission's API URL like lib/poll.js (100 ms, × 1.5, ≤ 1 s) until it is finished."""
        delay = 0.1
        while submission["status"] in ("queued", "running"):
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
            submission = json.loads(
                self.request(submission["api_url"], headers={"Accept": "application/json"})
            )
        return submission

    def submit_and_show(self, code: str) -> tuple[float, str]:
        """Seconds from POST to the result panel in hand, like the drill page (poll 100 ms × 1.5, ≤ 1 s)."""
        started = time.perf_counter()
        body = json.dumps({"code": code, "framework": "numpy"}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": self.token,
            "Accept": "application/json",
        }
        submission = self.until_finished(
            json.loads(self.request("/api/drills/adam/submissions", body, headers))
        )
        self.request(submission["result_url"])
        return time.perf_counter() - started, (submission["verdict"] or {}).get(
            "verdict", submission["status"]
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_cli(source: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(QUIZAPP), "grade", "adam", str(source), "--json"], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    assert json.loads(result.stdout)["verdict"] == "passed", result.stdout + result.stderr
    return elapsed


def time_library() -> float:
    from quizapp.bank import load_drills
    from quizapp.config import questions_dir
    from quizapp.grader import grade

    adam = load_drills(questions_dir())["adam"]  # the bank the web app and the CLI grade against
    started = time.perf_counter()
    assert grade(adam, ADAM_CORRECT).verdict == "passed"
    return time.perf_counter() - started


def run(runs: int = DEFAULT_RUNS) -> dict[str, float]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per poll is noise here
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        source = SAMPLE_SUBMISSIONS / "adam_numpy.py"
        app = migrated_sqlite_app(directory, SUBMISSIONS_PER_MINUTE=10_000)
        load_question_bank(app)
        server = LiveServer(app)
        try:
            client = Browserless(server.url)
            client.sign_up("bench", "bench-password-1")
            client.submit_and_show(ADAM_CORRECT)  # warm-up: starts the pool, imports the grader
            web, cli, library = [], [], []
            for _ in range(runs):  # interleaved, so load from elsewhere hits all three alike
                seconds, verdict = client.submit_and_show(ADAM_CORRECT)
                assert verdict == "passed", verdict
                web.append(seconds)
                cli.append(time_cli(source))
                library.append(time_library())
        finally:
            server.stop()
            from quizapp import jobs

            jobs.shutdown(app)
    return report(web, cli, library)


def report(web: list[float], cli: list[float], library: list[float]) -> dict[str, float]:
    figures = {
        "web_p50": percentile(web, 0.5),
        "web_p95": percentile(web, 0.95),
        "cli_p50": percentile(cli, 0.5),
        "cli_p95": percentile(cli, 0.95),
        "grade_p50": percentile(library, 0.5),
        "grade_p95": percentile(library, 0.95),
    }
    figures["ratio_web_cli_p50"] = figures["web_p50"] / figures["cli_p50"]
    figures["ratio_web_cli_p95"] = figures["web_p95"] / figures["cli_p95"]
    figures["ratio_web_grade_p50"] = figures["web_p50"] / figures["grade_p50"]
    print(f"\nsubmit → verdict shown, {len(web)} Adam submissions (mean web {statistics.mean(web):.3f} s)")
    for name in ("web", "cli", "grade"):
        print(f"  {name:6s} p50 {figures[name + '_p50']:.3f} s   p95 {figures[name + '_p95']:.3f} s")
    print(
        f"  web / CLI      p50 {figures['ratio_web_cli_p50']:.2f}×   "
        f"p95 {figures['ratio_web_cli_p95']:.2f}×  (goal ≤ 1.2×)"
    )
    print(f"  web / grade()  p50 {figures['ratio_web_grade_p50']:.2f}×")
    return figures


def test_bench_submit_to_verdict_against_the_cli() -> None:
    figures = run(int(os.environ.get("QUIZAPP_BENCH_RUNS", DEFAULT_RUNS)))
    assert figures["web_p50"] > 0


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_RUNS)
