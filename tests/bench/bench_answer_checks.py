"""Benchmark (not a timed test): /healthz latency while four people have hostile typed answers checked.

Serves the real app and question bank under gunicorn (4 single-threaded workers, as the README's production
line) on a throwaway PostgreSQL database, signs people up through the real pages (CSRF on), then measures
GET /healthz latency side by side in one run: idle, while four people post the issue's expression
`1/(1-beta1**t) + (beta1^3+...)^300 - (beta1+t)^900` to the check endpoint in a loop, and while four others
post an expression that passes the cost screen but keeps SymPy busy until the checker's time limit (there
the host-wide checking slots and the "busy" answer protect the server). The per-person check budget is on,
as in production; `--no-rate-limit` switches it off to show the screen and the slots alone. Prints medians,
maxima and ratios to idle, and what the checks were answered.

    .venv/bin/python tests/bench/bench_answer_checks.py [--seconds 8] [--no-rate-limit]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_review import Client, _start_gunicorn
from support.apps import load_question_bank, make_app, migrate
from support.postgres import create_database, drop_database

CARD = "adam-bias-factor-symbolic"  # expects 1/(1 - beta1**t)
HOSTILE = "1/(1-beta1**t) + (beta1^3+3*beta1^2*t+3*beta1*t^2+t^3)^300 - (beta1+t)^900"
# Within every screen limit (degree 64), equal to the card's answer, and slow for simplify().
SLOW_BUT_ALLOWED = "1/(1-beta1**t) + (beta1+t)^32*(beta1-t)^32 - (beta1^2-t^2)^32"
PEOPLE = 4


def _wait_until_serving(host: str) -> None:
    """The port opens before the workers have imported the app: wait for /healthz itself."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(host, timeout=180)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)  # bounded polling while gunicorn's workers start
    raise SystemExit("gunicorn did not answer /healthz within 180 s")


def _healthz_ms(host: str, seconds: float) -> list[float]:
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection(host, timeout=60)
        started = time.perf_counter()
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        connection.close()
        if response.status != 200:
            raise SystemExit(f"/healthz answered {response.status}")
        time.sleep(0.05)  # a probe every 50 ms, not a flood of our own
    return times


def _check_loop(client: Client, answer: str, stop: threading.Event, outcomes: Counter[str]) -> None:
    body = json.dumps({"answer": answer}).encode()
    headers = {"Content-Type": "application/json", "X-CSRFToken": client.token}
    while not stop.is_set():
        status, data = client.request("POST", f"/api/cards/{CARD}/check", body, headers)
        message = json.loads(data).get("message", "") if status == 200 else f"HTTP {status}"
        outcomes[f"{status} {message[:60]}"] += 1


def _under_load(
    host: str, clients: list[Client], answer: str | None, seconds: float
) -> tuple[list[float], Counter]:
    outcomes: Counter[str] = Counter()
    if answer is None:
        return _healthz_ms(host, seconds), outcomes
    stop = threading.Event()
    threads = [threading.Thread(target=_check_loop, args=(c, answer, stop, outcomes)) for c in clients]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let the four checks reach the server before the first probe
    try:
        return _healthz_ms(host, seconds), outcomes
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="probing time per scenario")
    parser.add_argument("--no-rate-limit", action="store_true", help="switch the per-person budget off")
    args = parser.parse_args()
    settings = {"RATELIMIT_ENABLED": "0" if args.no_rate_limit else "1"}
    name, url = create_database("quizapp_bench_answers")
    process = None
    try:
        migrate(url)
        app = make_app(url)
        load_question_bank(app)
        process, host = _start_gunicorn(url, workers=4, threads=1, settings=settings)
        _wait_until_serving(host)
        _healthz_ms(host, 2.0)  # warm-up: every worker has served a request
        scenarios = {
            "idle": None,
            "4 hostile checks (the issue's)": HOSTILE,
            "4 slow allowed checks": SLOW_BUT_ALLOWED,
        }
        results: dict[str, tuple[list[float], Counter[str]]] = {}
        for number, (label, answer) in enumerate(scenarios.items()):
            clients = [Client(host) for _ in range(PEOPLE)]
            for index, client in enumerate(clients):
                client.sign_up(f"bench-{number}-{index}")  # fresh people: a fresh budget each
            results[label] = _under_load(host, clients, answer, args.seconds)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drop_database(name)
    idle = statistics.median(results["idle"][0])
    budget = "off" if args.no_rate_limit else "on"
    print(f"gunicorn, 4 single-threaded workers, PostgreSQL, per-person check budget {budget}")
    for label, (times, outcomes) in results.items():
        median = statistics.median(times)
        print(
            f"{label:34s} /healthz median {median:7.1f} ms  max {max(times):7.1f} ms  "
            f"({median / idle:5.2f}× idle median, {len(times)} probes)"
        )
        for outcome, count in outcomes.most_common():
            print(f"    {count:4d} × {outcome}")


if __name__ == "__main__":
    main()
