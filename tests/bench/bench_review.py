"""Benchmark (not a timed test): rating throughput against its floor and a hello-world route, and due-queue
latency as the reviews table grows from 10k to 1M rows. Prints figures and ratios; asserts nothing on speed.

Starts the app under gunicorn (gthread workers) on a throwaway PostgreSQL database on 127.0.0.1:5432, signs
clients up through the real pages (CSRF on), gives each of them a review state of every bench card, then in
alternating fixed-time slices: GET /bench/hello (a plain Flask route added to the same app), POST /api/reviews
and POST /bench/floor-rating (the durable work of a rating and nothing else: login, CSRF, lock the state row,
update it, insert one review, commit; served because BENCH_FLOOR_ROUTE=1). Goals: ratings/s ÷ floor/s ≥ 0.7
(hello-world is context: ratings/s ÷ hello/s ≥ 0.5); due-queue latency at 1M review rows ÷ at 10k rows ≤ 1.5.
Runs in well under three minutes.

The load comes from `wrk` (C, one connection per thread, each with its own signed-up person's cookie and
CSRF token; `apt-get install wrk`) when it is installed, otherwise from keep-alive http.client threads in
this process, which cost the 2-core machine more CPU than the hello-world route itself. Both routes always
get the same generator, concurrency and cookies.

    .venv/bin/python tests/bench/bench_review.py [--seconds 4] [--rounds 3] [--clients 8] [--generator wrk]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.postgres import create_database, drop_database
from support.procs import free_port, server_cpu_seconds, wait_for_port
from support.web_client import KeepAliveClient

REPO = Path(__file__).resolve().parents[2]
BENCH_CARDS = 200
QUEUE_CALLS = 60
PASSWORD = "bench password 123"


# ------------------------------------------------------------------------------------ the app under test


def bench_app() -> Flask:
    """What gunicorn serves: the real app plus a hello-world route, the baseline for the same server."""
    from quizapp import create_app

    app = create_app()

    @app.get("/bench/hello")
    def hello() -> str:
        return "hello"

    return app


def _start_gunicorn(
    database_url: str, workers: int, threads: int, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret",
        "RATELIMIT_ENABLED": "0",
        "PYTHONPATH": str(REPO),
        **(settings or {}),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--chdir",
        str(Path(__file__).resolve().parent),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        "bench_review:bench_app()",
    ]
    process = subprocess.Popen(command, env=env, cwd=REPO)
    return process, wait_for_port(process, port, 30)


# ----------------------------------------------------------------------------------------------- clients


class Client(KeepAliveClient):
    """A keep-alive HTTP client with a session cookie and the page's CSRF token, like the review page."""

    def __init__(self, host: str) -> None:
        super().__init__(host, timeout=30)
        self.token = ""

    def sign_up(self, username: str) -> None:
        _, page = self.request("GET", "/auth/register")
        self.token = _csrf_token(page)
        form = {"username": username, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": self.token}
        status, _ = self.request(
            "POST",
            "/auth/register",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status not in (302, 303):
            raise SystemExit(f"could not register {username}: HTTP {status}")
        _, page = self.request("GET", "/review")
        self.token = _csrf_token(page)

    def rate(self, card: str, path: str = "/api/reviews") -> int:
        body = {"card": card, "rating": 3, "idempotency_key": str(uuid.uuid4()), "duration_ms": 3000}
        status, _ = self.request(
            "POST",
            path,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.token},
        )
        return status


def _csrf_token(page: bytes) -> str:
    match = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1).decode()


def _throughput(clients: list[Client], seconds: float, call: Callable[[Client, int], int], ok: int) -> float:
    """Requests per second with every client calling in a loop for `seconds`; non-`ok` answers abort."""
    counts = [0] * len(clients)
    failures: list[int] = []
    stop = time.monotonic() + seconds

    def loop(index: int, client: Client) -> None:
        n = 0
        while time.monotonic() < stop:
            status = call(client, n)
            if status != ok:
                failures.append(status)
                return
            n += 1
        counts[index] = n

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"unexpected HTTP status during the run: {failures[:5]}")
    return sum(counts) / (time.monotonic() - started)


WRK_SCRIPT = """
people = {%(people)s}
run = "%(run)s"
method, path = "%(method)s", "%(path)s"
expected = %(expected)d
threads, joined = {}, 0

function setup(thread)
  joined = joined + 1
  thread:set("me", joined)
  table.insert(threads, thread)
end

function init(args)
  cookie, token = people[me][1], people[me][2]
  sent, unexpected = 0, 0
end

function request()
  local headers = {["Cookie"] = cookie}
  if method == "GET" then
    return wrk.format("GET", path, headers)
  end
  sent = sent + 1
  headers["Content-Type"] = "application/json"
  headers["X-CSRFToken"] = token
  local body = string.format(
    '{"card": "card-%%d", "rating": 3, "idempotency_key": "%%s-%%d-%%d", "duration_ms": 3000}',
    1 + sent %% %(cards)d, run, me, sent)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("unexpected=%%d\\n", total))
end
"""


def _wrk_throughput(
    host: str, clients: list[Client], seconds: float, method: str, path: str, ok: int
) -> float:
    """Requests per second from wrk: one connection per thread, thread i speaking as clients[i]."""
    people = ", ".join(f"{{{json.dumps(_cookie_header(c))}, {json.dumps(c.token)}}}" for c in clients)
    script = WRK_SCRIPT % {
        "people": people,
        "run": uuid.uuid4().hex[:12],
        "method": method,
        "path": path,
        "expected": ok,
        "cards": BENCH_CARDS,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        threads = str(len(clients))
        # A long timeout: on a busy shared machine a request can stall for seconds, and wrk would drop it.
        command = ["wrk", "-t", threads, "-c", threads, "-d", f"{seconds:g}s", "--timeout", "30s"]
        output = subprocess.run(
            [*command, "-s", lua.name, f"http://{host}{path}"], capture_output=True, text=True, check=True
        ).stdout
    unexpected = re.search(r"unexpected=(\d+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if unexpected is None or rate is None or "Socket errors" in output:
        raise SystemExit(f"wrk run failed:\n{output}")
    if int(unexpected.group(1)):
        raise SystemExit(f"{unexpected.group(1)} answers other than HTTP {ok} during the run:\n{output}")
    return float(rate.group(1))


def _cookie_header(client: Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# ------------------------------------------------------------------------------------------------- data


def _prepare_schema(url: str) -> Flask:
    from flask_migrate import upgrade

    from quizapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    with app.app_context():
        upgrade()
        _insert_bank()
    return app


def _insert_bank() -> None:
    from quizapp.extensions import db

    db.session.execute(sa.text(INSERT_TOPIC))
    db.session.execute(sa.text(INSERT_CARDS), {"n": BENCH_CARDS})
    db.session.commit()


INSERT_TOPIC = "INSERT INTO topics (slug, title, description, position) VALUES ('t', 'T', '', 0)"
INSERT_CARDS = """
    INSERT INTO cards (slug, topic_slug, kind, front, back, source_seed, source_section, tags, position,
                       retired, updated_at)
    SELECT 'card-' || i, 't', 'basic', 'Front $x_' || i || '$', 'Back', 's.txt', 'S', '[]', i, false, now()
    FROM generate_series(1, CAST(:n AS integer)) AS i
"""
FILLER_USERS = """
    INSERT INTO users (id, username, password_hash, created_at, timezone, desired_retention,
                       new_cards_per_day, pull_ahead_for_interview)
    SELECT u, 'filler-' || u, 'x', now(), 'UTC', 0.9, 20, false
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS u
"""
EVERY_USER_AND_CARD = """
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS u,
         generate_series(1, CAST(:cards AS integer)) AS c
"""
FILLER_REVIEWS = (
    """
    INSERT INTO reviews (user_id, card_slug, rating, reviewed_at, duration_ms, idempotency_key, state_before,
                         origin)
    SELECT u, 'card-' || c, 1 + (u + c) % 4, now() - ((u * 7 + c * 13) % 525600) * interval '1 minute', 3000,
           'k-' || u || '-' || c, 2, 'review'
    """
    + EVERY_USER_AND_CARD
)
FILLER_STATES = (
    """
    INSERT INTO card_states (user_id, card_slug, state, step, stability, difficulty, due, last_review, reps,
                             lapses, introduced_at, version)
    SELECT u, 'card-' || c, 2, NULL, 5.0 + c % 30, 5.0, now() + ((u + c) % 60 - 20) * interval '1 day',
           now() - interval '3 days', 3, 0, now() - interval '30 days', 1
    """
    + EVERY_USER_AND_CARD
)
BENCH_STATES = """
    INSERT INTO card_states (user_id, card_slug, state, step, stability, difficulty, due, last_review, reps,
                             lapses, introduced_at, version)
    SELECT u.id, 'card-' || c, 2, NULL, 5.0, 5.0, now() - interval '1 hour', now() - interval '3 days', 3, 0,
           now() - interval '30 days', 1
    FROM users AS u, generate_series(1, CAST(:cards AS integer)) AS c
    WHERE u.username LIKE 'bench-%'
"""
HALF_OVERDUE = "UPDATE card_states SET due = now() - interval '1 hour' WHERE user_id = :u AND id % 2 = 0"


def _give_bench_states() -> None:
    """Every bench person has a review state of every bench card: the floor route updates existing state
    rows only, and ratings then take the common path (a card seen before) too."""
    from quizapp.extensions import db

    db.session.execute(sa.text(BENCH_STATES), {"cards": BENCH_CARDS})
    db.session.commit()


def _grow_history(total_reviews: int) -> None:
    """Other people's history up to `total_reviews` review rows (and as many card states), bulk-inserted
    with generate_series: one user per BENCH_CARDS rows, each with every card reviewed once, spread over
    the past year."""
    from quizapp.extensions import db

    have = db.session.scalar(sa.text("SELECT count(*) FROM reviews")) or 0
    users_needed = (total_reviews - have) // BENCH_CARDS
    if users_needed <= 0:
        _vacuum_analyze()
        return
    first = (db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM users")) or 0) + 1
    params = {"first": first, "last": first + users_needed - 1, "cards": BENCH_CARDS}
    db.session.execute(sa.text(FILLER_USERS), params)
    db.session.execute(sa.text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
    db.session.execute(sa.text(FILLER_REVIEWS), params)
    db.session.execute(sa.text(FILLER_STATES), params)
    db.session.commit()
    _vacuum_analyze()


def _vacuum_analyze() -> None:
    """Fresh planner statistics and no dead rows left by the rating run, so both sizes are measured alike."""
    from quizapp.extensions import db

    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))


def _queue_latency_ms(app: Flask, username: str) -> float:
    """Median wall time of one due_queue() call for a person with a full history of their own."""
    from quizapp.extensions import db
    from quizapp.models import User
    from quizapp.services.review import due_queue

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        # Half the person's cards overdue, so the queue has learning and review work to find.
        db.session.execute(
            sa.text(
                "UPDATE card_states SET due = now() - interval '1 hour' WHERE user_id = :u AND id % 2 = 0"
            ),
            {"u": user.id},
        )
        db.session.commit()
        for _ in range(5):  # warm the connection pool, statement cache and PostgreSQL's buffers
            due_queue(user)
        timings = []
        for _ in range(QUEUE_CALLS):
            started = time.perf_counter()
            queue = due_queue(user)
            timings.append((time.perf_counter() - started) * 1000)
            db.session.expire_all()
        assert queue.counts.total > 0
        return statistics.median(timings)


def _reviews_in_table(app: Flask) -> int:
    from quizapp.extensions import db

    with app.app_context():
        return int(db.session.scalar(sa.text("SELECT count(*) FROM reviews")) or 0)


# ------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each throughput slice")
    parser.add_argument("--rounds", type=int, default=3, help="hello/ratings slice pairs, alternating")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument(
        "--generator",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (wrk when installed)",
    )
    args = parser.parse_args(argv)
    workers = args.workers
    name, url = create_database("quizapp_bench")
    server: Server | None = None
    try:
        app = _prepare_schema(url)
        process, host = _start_gunicorn(
            url, workers=workers, threads=args.threads, settings={"BENCH_FLOOR_ROUTE": "1"}
        )
        server = Server(process, host, name)
        figures = _measure(app, server, args.seconds, args.rounds, args.clients, args.generator)
        figures["workers"], figures["threads"] = workers, args.threads
        figures["generator"] = args.generator
        _report(figures)
        return figures
    finally:
        if server is not None:
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=30)
        drop_database(name)


@dataclass(frozen=True)
class Slice:
    """One route measured for a fixed time: requests per second, and server CPU per request."""

    per_s: float
    cpu_ms: float


def _slice(server: Server, seconds: float, run: Callable[[], float]) -> Slice:
    cpu_before = server.cpu_seconds()
    per_s = run()
    return Slice(per_s, (server.cpu_seconds() - cpu_before) * 1000 / (per_s * seconds))


# What each slice sends: (method, path, expected status).
ROUTES = (("GET", "/bench/hello", 200), ("POST", "/api/reviews", 201), ("POST", "/bench/floor-rating", 201))


def _throughput_slices(
    server: Server, clients: list[Client], seconds: float, generator: str
) -> tuple[Slice, Slice, Slice]:
    """Hello-world GETs, then ratings, then floor ratings, back to back with the same clients."""
    hello, rate, floor = (
        _slice(server, seconds, _runner(server.host, clients, seconds, generator, method, path, ok))
        for method, path, ok in ROUTES
    )
    return hello, rate, floor


def _runner(
    host: str, clients: list[Client], seconds: float, generator: str, method: str, path: str, ok: int
) -> Callable[[], float]:
    if generator == "wrk":
        return lambda: _wrk_throughput(host, clients, seconds, method, path, ok)
    if method == "GET":
        return lambda: _throughput(clients, seconds, lambda c, n: c.request("GET", path)[0], ok)
    return lambda: _throughput(clients, seconds, lambda c, n: c.rate(f"card-{1 + n % BENCH_CARDS}", path), ok)


@dataclass(frozen=True)
class Server:
    """The gunicorn server under test and the database its PostgreSQL backends serve."""

    process: subprocess.Popen[bytes]
    host: str
    database: str

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's workers and the PostgreSQL backends of the
        bench database: what the requests cost, whatever else runs on a shared machine."""
        return server_cpu_seconds(self.process.pid, self.database)


def _measure(
    app: Flask, server: Server, seconds: float, rounds: int, client_count: int, generator: str
) -> dict[str, Any]:
    """Throughput in alternating rounds (hello, ratings, hello, ratings, ...) so that other load on a
    shared machine, which drifts over seconds, falls on both routes alike; then the due-queue latency."""
    clients = [Client(server.host) for _ in range(client_count)]
    for index, client in enumerate(clients):
        client.sign_up(f"bench-{index}")
    with app.app_context():
        _give_bench_states()
    if generator == "wrk":
        for client in clients:
            client.connection.close()  # wrk opens its own connections; keep gunicorn's threads for them
    slices = [_throughput_slices(server, clients, seconds, generator) for _ in range(rounds)]
    ratios = [ratings.per_s / hello.per_s for hello, ratings, _ in slices]
    floor_ratios = [ratings.per_s / floor.per_s for _, ratings, floor in slices]
    with app.app_context():
        _grow_history(10_000)
    small = _reviews_in_table(app)
    latency_small = _queue_latency_ms(app, "bench-0")
    with app.app_context():
        _grow_history(1_000_000)
    large = _reviews_in_table(app)
    latency_large = _queue_latency_ms(app, "bench-0")
    return {
        "hello_per_s": statistics.median(hello.per_s for hello, _, _ in slices),
        "ratings_per_s": statistics.median(ratings.per_s for _, ratings, _ in slices),
        "floor_per_s": statistics.median(floor.per_s for _, _, floor in slices),
        "hello_cpu_ms": statistics.median(hello.cpu_ms for hello, _, _ in slices),
        "ratings_cpu_ms": statistics.median(ratings.cpu_ms for _, ratings, _ in slices),
        "floor_cpu_ms": statistics.median(floor.cpu_ms for _, _, floor in slices),
        "throughput_ratio": statistics.median(ratios),
        "ratio_spread": (min(ratios), max(ratios)),
        "floor_ratio": statistics.median(floor_ratios),
        "floor_ratio_spread": (min(floor_ratios), max(floor_ratios)),
        "rounds": rounds,
        "seconds": seconds,
        "reviews_small": small,
        "reviews_large": large,
        "queue_ms_small": latency_small,
        "queue_ms_large": latency_large,
        "latency_ratio": latency_large / latency_small,
        "clients": client_count,
    }


def _report(f: dict[str, Any]) -> None:
    print(
        f"gunicorn gthread: {f['workers']:.0f} workers × {f['threads']:.0f} threads; "
        f"{f['clients']:.0f} keep-alive clients ({f['generator']})"
    )
    each = "ms server CPU each"
    print(f"hello-world GET            {f['hello_per_s']:8.1f} req/s   {f['hello_cpu_ms']:.2f} {each}")
    print(f"rating POST /api/reviews   {f['ratings_per_s']:8.1f} req/s   {f['ratings_cpu_ms']:.2f} {each}")
    print(f"floor POST /bench/floor-…  {f['floor_per_s']:8.1f} req/s   {f['floor_cpu_ms']:.2f} {each}")
    low, high = f["floor_ratio_spread"]
    print(
        f"ratio ratings/floor        {f['floor_ratio']:8.2f}   (goal ≥ 0.7; ratio range {low:.2f}–{high:.2f})"
    )
    low, high = f["ratio_spread"]
    print(
        f"ratio ratings/hello        {f['throughput_ratio']:8.2f}   (goal ≥ 0.5; medians of "
        f"{f['rounds']} alternating {f['seconds']:g} s rounds, ratio range {low:.2f}–{high:.2f})"
    )
    print(f"due_queue() with {f['reviews_small']:>9,.0f} review rows: {f['queue_ms_small']:7.2f} ms (median)")
    print(f"due_queue() with {f['reviews_large']:>9,.0f} review rows: {f['queue_ms_large']:7.2f} ms (median)")
    print(f"ratio 1M/10k               {f['latency_ratio']:8.2f}   (goal ≤ 1.5)")
    print(
        "server CPU = gunicorn workers + the PostgreSQL backends of the bench database, from /proc; "
        f"hello/rating CPU ratio {f['hello_cpu_ms'] / f['ratings_cpu_ms']:.2f}"
    )


if __name__ == "__main__":
    main()
