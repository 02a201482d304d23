"""Benchmark (not a timed test): the server CPU each request of the learner loop costs, per route.

What the load test (tests/bench/load.py) is bound by: CPU time, not wall time, so a busy shared machine
changes these figures much less than it changes latencies. Serves the app under gunicorn as in production
(gthread workers, PROMETHEUS_MULTIPROC_DIR set, the event log on), on its own throwaway PostgreSQL database
with the real question bank, with learners signed up through the real pages (CSRF on, server-side logins).
Then, route by route, drives a fixed number of requests from a few keep-alive clients and reads the CPU
(user + system) of gunicorn's workers and their children, and of the database's backends, from /proc
before and after:

    GET  /healthz               no login, no database: gunicorn, Flask and the app-wide hooks
    GET  /bench/signed-in       the login check alone: session cookie, server-side login, request hooks
    GET  /api/review/next       the next card of a learner on their first day (the new-card path)
    POST /api/reviews           ratings walking the bank (first ratings insert; typed answers where asked)
    POST /api/cards/<slug>/check  a typed answer checked, as the review page does before rating a typed
                                card (numeric and symbolic cards in the bank's proportion; a symbolic
                                check runs in the answer checker, a child process: counted as web)
    POST /bench/floor-rating    the rating's floor (BENCH_FLOOR_ROUTE): its durable work and nothing else

With `--baseline PATH` (another checkout of the code, e.g. `git worktree add /tmp/quizapp-main main`) a
second server runs that code side by side, on a database prepared by that code, and the slices alternate
between the two servers (in turn first) so that drifting load on a shared machine falls on both alike.
`--setting` and `--baseline-setting` add environment to one server, so `--baseline .` compares settings of
the same code (e.g. `--baseline-setting DATABASE_PING_IDLE_SECONDS=0`: a check of every pooled connection,
as before). Prints the median over the rounds of CPU ms per request, web and database, and the ratio.

    .venv/bin/python tests/bench/bench_request_cpu.py [--baseline ../main] [--requests 300] [--rounds 3]
        [--clients 4] [--threads 4] [--worker-class gthread] [--setting NAME=VALUE]
        [--baseline-setting NAME=VALUE] [--routes next reviews ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "bench password 123"
TICK = os.sysconf("SC_CLK_TCK")
# Ratings as the load test's learners give them: mostly Good, some Again.
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4), (15, 15, 60, 10)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


# ------------------------------------------------------------------------------------ the app under test


def bench_app() -> Any:
    """What gunicorn serves: the app of whichever tree PYTHONPATH names, plus the signed-in check alone."""
    from flask import jsonify
    from flask_login import current_user

    from quizapp import create_app

    app = create_app()

    @app.get("/bench/signed-in")
    def signed_in() -> Any:
        if not current_user.is_authenticated:
            return jsonify(error="log in"), 401
        return jsonify(signed_in=True)

    return app


@dataclass
class Server:
    """One gunicorn serving one tree's code on its own database."""

    label: str
    tree: Path
    database: str
    url: str
    settings: dict[str, str] = field(default_factory=dict)  # extra environment of this server
    process: subprocess.Popen[bytes] | None = None
    host: str = ""

    def cpu_seconds(self) -> tuple[float, float]:
        """(web, database): CPU used so far by gunicorn's workers (and their children, such as the answer
        checker) and by the PostgreSQL backends of this server's database."""
        assert self.process is not None
        from support.procs import process_table  # tests/ is on sys.path once main() runs

        processes = process_table()
        web = _tree_ticks(_children(processes, self.process.pid), processes)
        marker = f" {self.database} ".encode()
        backends = [t for _, t, cmd in processes.values() if cmd.startswith(b"postgres: ") and marker in cmd]
        database = sum(backends)
        return web / TICK, database / TICK


def _children(processes: dict[int, tuple[int, int, bytes]], parent: int) -> list[int]:
    return [pid for pid, (ppid, _, _) in processes.items() if ppid == parent]


def _tree_ticks(roots: list[int], processes: dict[int, tuple[int, int, bytes]]) -> int:
    total, todo = 0, list(roots)
    while todo:
        pid = todo.pop()
        total += processes[pid][1] if pid in processes else 0
        todo += _children(processes, pid)
    return total


def _environment(server: Server, metrics_dir: str) -> dict[str, str]:
    return os.environ | {
        "PYTHONPATH": str(server.tree),
        "DATABASE_URL": server.url,
        "SECRET_KEY": f"bench-{uuid.uuid4().hex}",
        "RATELIMIT_ENABLED": "0",  # every client comes from 127.0.0.1, as in load.py
        "BENCH_FLOOR_ROUTE": "1",
        "GRADING_POOL_AUTOSTART": "0",
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        **server.settings,
    }


def prepare_database(server: Server) -> None:
    """The schema from the tree's own migrations and the real question bank, by the tree's own CLI."""
    env = _environment(server, tempfile.gettempdir())
    for command in (["db", "upgrade"], ["questions", "load"]):
        subprocess.run(
            [str(BIN / "quizapp"), *command],
            env=env,
            cwd=server.tree,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@contextmanager
def serving(server: Server, args: argparse.Namespace) -> Iterator[Server]:
    """gunicorn with the tree's quizapp.gunicorn_conf, one worker (so CPU per request is one process's)."""
    from support.procs import free_port, wait_for_port  # tests/ is on sys.path once main() runs

    port = free_port()
    with tempfile.TemporaryDirectory() as metrics_dir:
        command = [
            *(str(BIN / "gunicorn"), "-c", "python:quizapp.gunicorn_conf", "--chdir", str(BENCH)),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", args.worker_class),
            *("--threads", str(args.threads), "--keep-alive", "30", "--log-level", "warning"),
            "bench_request_cpu:bench_app()",
        ]
        env = _environment(server, metrics_dir)
        server.process = subprocess.Popen(command, env=env, cwd=server.tree, stderr=subprocess.DEVNULL)
        server.host = f"127.0.0.1:{port}"
        try:
            wait_for_port(server.process, port, 60)
            yield server
        finally:
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=60)


# ----------------------------------------------------------------------------------------------- clients


@dataclass
class Learner:
    """A keep-alive client with a signed-up person's cookies and CSRF token, like the review page."""

    host: str
    token: str = ""
    versions: dict[str, int] = field(default_factory=dict)  # card → the version its last rating returned
    rated: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from support.web_client import KeepAliveClient  # tests/ is on sys.path once main() runs

        self.http = KeepAliveClient(self.host, timeout=60)

    def request(self, method: str, path: str, body: Any = None, form: bool = False) -> tuple[int, bytes]:
        """A JSON body (or a form, `form=True`) with the page's CSRF token, as the pages send them."""
        if body is None:
            return self.http.request(method, path)
        data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded" if form else "application/json",
            "X-CSRFToken": self.token,
        }
        return self.http.request(method, path, data, headers)

    def sign_up(self) -> None:
        _, page = self.request("GET", "/auth/register")
        self.token = _csrf_token(page)
        name = f"bench-{uuid.uuid4().hex[:12]}"
        form = {"username": name, "password": PASSWORD, "confirm": PASSWORD, "csrf_token": self.token}
        status, _ = self.request("POST", "/auth/register", form, form=True)
        if status not in (302, 303):
            raise SystemExit(f"could not sign up: HTTP {status}")
        self.token = _csrf_token(self.request("GET", "/review")[1])


def _csrf_token(page: bytes) -> str:
    match = _CSRF.search(page)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1).decode()


@dataclass(frozen=True)
class BankCard:
    slug: str
    typed: bool
    back: str


def bank_cards(url: str) -> list[BankCard]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT slug, kind, back FROM cards WHERE NOT retired ORDER BY topic_slug, position")
            ).all()
    finally:
        engine.dispose()
    return [BankCard(slug, kind in ("numeric", "symbolic"), back) for slug, kind, back in rows]


# ------------------------------------------------------------------------------------------------ routes


@dataclass
class Crowd:
    """The learners of one server: `readers` only fetch cards (they stay on their first day), `raters`
    rate the bank card after card, `floor_raters` send floor ratings of the cards they rated at the start
    (the floor route changes a state's version, which the raters track)."""

    readers: list[Learner]
    raters: list[Learner]
    floor_raters: list[Learner]
    cards: list[BankCard]


def _expect(status: int, wanted: int, what: str, body: bytes) -> None:
    if status != wanted:
        raise SystemExit(f"{what}: HTTP {status} instead of {wanted}: {body[:300]!r}")


def healthz(crowd: Crowd, index: int, n: int) -> None:
    status, body = crowd.readers[index].request("GET", "/healthz")
    _expect(status, 200, "GET /healthz", body)


def signed_in(crowd: Crowd, index: int, n: int) -> None:
    status, body = crowd.readers[index].request("GET", "/bench/signed-in")
    _expect(status, 200, "GET /bench/signed-in", body)


def next_card(crowd: Crowd, index: int, n: int) -> None:
    status, body = crowd.readers[index].request("GET", "/api/review/next")
    _expect(status, 200, "GET /api/review/next", body)
    if json.loads(body)["card"] is None:
        raise SystemExit("GET /api/review/next showed no card: the reader left the new-card path")


def rating(crowd: Crowd, index: int, n: int) -> None:
    learner = crowd.raters[index]
    card = crowd.cards[len(learner.rated) % len(crowd.cards)]
    payload: dict[str, Any] = {
        "card": card.slug,
        "rating": random.choices(RATINGS, RATING_WEIGHTS)[0],
        "idempotency_key": str(uuid.uuid4()),
        "duration_ms": 4000,
        "version": learner.versions.get(card.slug, 0),
    }
    if card.typed:
        payload["answer"] = _guess(card)
    status, body = learner.request("POST", "/api/reviews", payload)
    _expect(status, 201, "POST /api/reviews", body)
    learner.versions[card.slug] = json.loads(body)["version"]
    learner.rated.append(card.slug)


def typed_check(crowd: Crowd, index: int, n: int) -> None:
    typed = [card for card in crowd.cards if card.typed]
    card = typed[(index + n * len(crowd.readers)) % len(typed)]
    path = f"/api/cards/{card.slug}/check"
    status, body = crowd.readers[index].request("POST", path, {"answer": _guess(card)})
    _expect(status, 200, "POST /api/cards/<slug>/check", body)


def _guess(card: BankCard) -> str:
    """What a learner types: the first number of the answer, else a plain guess."""
    match = _NUMBER.search(card.back)
    return match.group(0) if match else "1"


def floor_rating(crowd: Crowd, index: int, n: int) -> None:
    learner = crowd.floor_raters[index]
    card = learner.rated[n % len(learner.rated)]
    payload = {"card": card, "idempotency_key": str(uuid.uuid4())}
    status, body = learner.request("POST", "/bench/floor-rating", payload)
    _expect(status, 201, "POST /bench/floor-rating", body)


ROUTES: tuple[tuple[str, Callable[[Crowd, int, int], None]], ...] = (
    ("GET /healthz (no login)", healthz),
    ("GET /bench/signed-in", signed_in),
    ("GET /api/review/next", next_card),
    ("POST /api/reviews", rating),
    ("POST /api/cards/<slug>/check", typed_check),
    ("POST /bench/floor-rating", floor_rating),
)


# ------------------------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Cost:
    web_ms: float
    db_ms: float


def measure(server: Server, crowd: Crowd, call: Callable[[Crowd, int, int], None], requests: int) -> Cost:
    """CPU per request while `requests` calls run, spread over the crowd's clients in parallel threads."""
    clients = len(crowd.readers)
    share = [requests // clients + (i < requests % clients) for i in range(clients)]
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for n in range(share[index]):
                call(crowd, index, n)
        except BaseException as error:  # reported after the threads end
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    web0, db0 = server.cpu_seconds()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    web1, db1 = server.cpu_seconds()
    if failures:
        raise failures[0]
    return Cost((web1 - web0) * 1000 / requests, (db1 - db0) * 1000 / requests)


FLOOR_CARDS = 20  # cards each floor rater rates at the start, so that they have state rows


def crowd_of(server: Server, clients: int, cards: list[BankCard]) -> Crowd:
    crowd = Crowd(*([Learner(server.host) for _ in range(clients)] for _ in range(3)), cards=cards)
    for learner in [*crowd.readers, *crowd.raters, *crowd.floor_raters]:
        learner.sign_up()
    starters = Crowd(crowd.readers, crowd.floor_raters, crowd.floor_raters, cards)
    for index in range(clients):
        for n in range(FLOOR_CARDS):
            rating(starters, index, n)
    return crowd


WARM_UP = 40


def chosen_routes(args: argparse.Namespace) -> list[tuple[str, Callable[[Crowd, int, int], None]]]:
    return [(name, call) for name, call in ROUTES if not args.routes or any(t in name for t in args.routes)]


def run_rounds(
    servers: list[Server], crowds: list[Crowd], args: argparse.Namespace
) -> dict[tuple[str, str], list[Cost]]:
    """Every route on every server, `rounds` times, alternating which server goes first; a warm-up pass
    first (WARM_UP requests per route: connections, caches, prepared statements, the answer checker's
    process, which imports SymPy on its first symbolic check)."""
    costs: dict[tuple[str, str], list[Cost]] = {}
    for server, crowd in zip(servers, crowds, strict=True):
        for _, call in chosen_routes(args):
            measure(server, crowd, call, max(WARM_UP, len(crowd.readers)))
    for round_index in range(args.rounds):
        for name, call in chosen_routes(args):
            order = list(zip(servers, crowds, strict=True))
            if round_index % 2:
                order.reverse()
            for server, crowd in order:
                cost = measure(server, crowd, call, args.requests)
                costs.setdefault((name, server.label), []).append(cost)
    return costs


def report(servers: list[Server], costs: dict[tuple[str, str], list[Cost]], args: argparse.Namespace) -> None:
    load = os.getloadavg()
    print(
        f"gunicorn {args.worker_class}: 1 worker × {args.threads} threads per server; {args.clients} "
        f"keep-alive clients; {args.requests} requests per route and round, median of {args.rounds} rounds; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)"
    )
    for server in servers:
        if server.settings:
            print(f"{server.label}: " + " ".join(f"{k}={v!r}" for k, v in server.settings.items()))
    header = f"{'CPU ms per request':30s}" + "".join(f"{s.label[:22]:>24s}" for s in servers)
    print(header + ("   web ratio" if len(servers) == 2 else ""))
    print(f"{'':30s}" + "".join(f"{'web':>12s}{'database':>12s}" for _ in servers))
    for name, _ in chosen_routes(args):
        medians = [_median(costs[(name, s.label)]) for s in servers]
        line = f"{name:30s}" + "".join(f"{m.web_ms:12.2f}{m.db_ms:12.2f}" for m in medians)
        if len(medians) == 2 and medians[1].web_ms > 0:
            line += f"{medians[0].web_ms / medians[1].web_ms:12.2f}"
        print(line)
    print(
        "web = gunicorn's worker and its children; database = the PostgreSQL backends of the server's own "
        "database (utime + stime from /proc, 10 ms ticks)"
    )


def _median(samples: list[Cost]) -> Cost:
    return Cost(statistics.median(c.web_ms for c in samples), statistics.median(c.db_ms for c in samples))


def _settings(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, str]:
    pairs = [item.partition("=") for item in items]
    if any(not name or not equals for name, equals, _ in pairs):
        parser.error("settings take the form NAME=VALUE")
    return {name: value for name, _, value in pairs}


def main(argv: list[str] | None = None) -> dict[tuple[str, str], list[Cost]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to measure side by side")
    parser.add_argument("--requests", type=int, default=300, help="requests per route, server and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every route")
    parser.add_argument("--clients", type=int, default=4, help="keep-alive clients sending in parallel")
    parser.add_argument("--threads", type=int, default=4, help="threads of the gunicorn worker")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument(
        "--setting", action="append", default=[], metavar="NAME=VALUE", help="environment of this tree"
    )
    parser.add_argument(
        "--routes", nargs="+", metavar="TEXT", help="only the routes whose line contains one of these texts"
    )
    parser.add_argument(
        "--baseline-setting", action="append", default=[], metavar="NAME=VALUE", help="of the baseline's"
    )
    args = parser.parse_args(argv)
    if args.requests < args.clients:
        parser.error("--requests must be at least --clients")
    if not chosen_routes(args):
        parser.error("--routes matches none of: " + ", ".join(name for name, _ in ROUTES))
    sys.path.insert(0, str(REPO / "tests"))
    from support.postgres import create_database, drop_database

    trees = [("this tree", REPO, _settings(parser, args.setting))]
    if args.baseline is not None:
        baseline = args.baseline.resolve()
        label = "baseline" + (f" {baseline.name}" if baseline != REPO else "")
        trees.append((label, baseline, _settings(parser, args.baseline_setting)))
    servers = []
    try:
        for label, tree, settings in trees:
            name, url = create_database("quizapp_cpu")
            servers.append(Server(label, tree, name, url, settings))
            prepare_database(servers[-1])
        with ExitStack() as stack:
            for server in servers:
                stack.enter_context(serving(server, args))
            cards = bank_cards(servers[0].url)
            crowds = [crowd_of(server, args.clients, cards) for server in servers]
            costs = run_rounds(servers, crowds, args)
        report(servers, costs, args)
        return costs
    finally:
        for server in servers:
            drop_database(server.database)


if __name__ == "__main__":
    main()
