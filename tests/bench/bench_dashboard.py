"""Benchmark (not a timed test): eight concurrent progress dashboards against one, on the production shape.

Builds a throwaway PostgreSQL database on 127.0.0.1:5432 with the real question bank and one learner per
client, each with a year of history made by the review service itself (ten new cards a day in bank order
until all ~270 are in, every due card rated: about 3,900 reviews), two dozen graded drill attempts, a dozen
finished mock interviews and an interview date a month ahead, so every chart of the dashboard has data.
Serves the app with gunicorn and the app's own configuration (`-c python:quizapp.gunicorn_conf`, gthread,
`--workers` × `--threads`, default 4 × 2: eight requests can run at once), logs each client in through the
login page, warms every worker up, then in alternating rounds times

  one:    a single GET /progress while nothing else is asked of the server;
  N at once: `--concurrency` clients (different learners, or with `--same-person` one learner's tabs)
          sending GET /progress at the same moment, until the last page is in.

Prints the medians and their ratio (goal: ≤ 1.5), the per-round ratios, the server CPU per dashboard
(gunicorn's workers plus the database's backends, read from /proc) and from it the least ratio the machine's
cores allow when nothing is shared between the requests: N requests of C CPU seconds each need at least
N·C ÷ cores of wall time, however the server is built. The load average is printed before and after.
`--compare PATH` also serves another checkout (say a worktree of an older commit) on the same database and
measures both in the same rounds. Takes two to five minutes.

    .venv/bin/python tests/bench/bench_dashboard.py [--rounds 7] [--concurrency 8] [--workers 4]
        [--threads 2] [--same-person] [--compare PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.apps import load_question_bank, make_app, migrate
from support.postgres import create_database, drop_database
from support.procs import free_port, server_cpu_seconds, wait_for_port
from support.web_client import KeepAliveClient

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "bench password 123"
HISTORY_DAYS = 365
NEW_PER_DAY = 10
TIMEZONE = "Europe/Berlin"
# Ratings of a card that is due: mostly Good, a lapse one time in eight (about a 0.9 desired retention).
RATINGS, RATING_WEIGHTS = (1, 2, 3, 4), (12, 8, 70, 10)


# ------------------------------------------------------------------------------------------- the history


def seed_people(url: str, people: int) -> None:
    """The bank, one learner's year of history through the review service, then copies for the others."""
    migrate(url)
    app = make_app(url)
    load_question_bank(app)
    with app.app_context():
        from quizapp.extensions import db

        first = _simulated_learner("bench-1")
        for number in range(2, people + 1):
            _copy_learner(first, f"bench-{number}")
        db.session.commit()
        db.engine.dispose()


def _simulated_learner(username: str) -> int:
    """A learner who studied every day for HISTORY_DAYS: new cards in bank order, every due card rated."""
    from quizapp.extensions import db
    from quizapp.models import Card, utcnow
    from quizapp.services import accounts

    user = accounts.register_user(username, PASSWORD, timezone=TIMEZONE)
    db.session.commit()
    user_id = user.id
    slugs = list(
        db.session.scalars(sa.select(Card.slug).where(Card.retired.is_(False)).order_by(Card.position))
    )
    rng = random.Random(11)
    now = utcnow()
    start = (now - dt.timedelta(days=HISTORY_DAYS)).replace(hour=7, minute=0, second=0, microsecond=0)
    due: dict[str, dt.datetime] = {}
    for day in range(HISTORY_DAYS):
        morning = start + dt.timedelta(days=day, minutes=rng.randint(0, 240))
        for slug in slugs[day * NEW_PER_DAY : (day + 1) * NEW_PER_DAY]:
            due[slug] = morning
        _study_day(user_id, due, morning, min(morning + dt.timedelta(hours=14), now), rng, day)
    _add_drills_and_interviews(user_id, now, rng)
    db.session.commit()
    return user_id


def _study_day(
    user_id: int,
    due: dict[str, dt.datetime],
    at: dt.datetime,
    until: dt.datetime,
    rng: random.Random,
    day: int,
) -> None:
    """Rate the card due soonest until none is due before `until` (learning steps come back the same day)."""
    from quizapp.extensions import db
    from quizapp.models import User
    from quizapp.services.review import review_card

    user = db.session.get(User, user_id)
    count = 0
    while due:
        slug = min(due, key=due.__getitem__)
        at = max(at, due[slug]) + dt.timedelta(seconds=rng.randint(5, 40))
        if at >= until:
            return
        rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        result = review_card(
            user, slug, rating, f"sim-{day}-{count}-{slug}", rng.randint(2000, 15000), now=at
        )
        db.session.commit()  # the review service may leave the transaction to its caller
        count += 1
        if result.state is None or result.leech:
            del due[slug]  # a leech is suspended: it leaves the queue
        else:
            due[slug] = result.state.due


def _add_drills_and_interviews(user_id: int, now: dt.datetime, rng: random.Random) -> None:
    from quizapp.extensions import db
    from quizapp.models import Drill, MockInterview, Submission, User

    drills = list(db.session.scalars(sa.select(Drill.slug).order_by(Drill.position)))
    for number in range(24):
        created = now - dt.timedelta(days=rng.randint(1, 300), minutes=number)
        passed = rng.random() < 0.55
        db.session.add(
            Submission(
                user_id=user_id,
                drill_slug=drills[number % max(len(drills) - 3, 1)],
                code="def step(params, grads, state):\n    return params\n",
                status="done",
                verdict={"verdict": "passed" if passed else "failed"},
                outcome="passed" if passed else "failed",
                created_at=created,
                finished_at=created + dt.timedelta(seconds=20),
            )
        )
    for number in range(12):
        started = now - dt.timedelta(days=360 - 28 * number)
        db.session.add(
            MockInterview(
                user_id=user_id,
                minutes=30,
                started_at=started,
                ends_at=started + dt.timedelta(minutes=30),
                finished_at=started + dt.timedelta(minutes=27),
                score=min(1.0, 0.3 + 0.05 * number + rng.uniform(-0.1, 0.1)),
            )
        )
    db.session.get(User, user_id).interview_date = (now + dt.timedelta(days=30)).date()


COPIED = {
    "card_states": "user_id",
    "reviews": "user_id",
    "card_flags": "user_id",
    "submissions": "user_id",
    "mock_interviews": "user_id",
}


def _copy_learner(source: int, username: str) -> None:
    """Another learner with the same history: every row of `source` in COPIED, under a new user id."""
    from quizapp.extensions import db
    from quizapp.models import User
    from quizapp.services import accounts

    user = accounts.register_user(username, PASSWORD, timezone=TIMEZONE)
    original = db.session.get(User, source)
    user.interview_date = original.interview_date
    db.session.flush()
    for name, owner in COPIED.items():
        table = db.metadata.tables[name]
        columns = [column.name for column in table.columns if column.name not in ("id", owner)]
        listed = ", ".join(columns)
        db.session.execute(
            sa.text(
                f"INSERT INTO {name} ({owner}, {listed}) "
                f"SELECT :new, {listed} FROM {name} WHERE {owner} = :old ORDER BY id"
            ),
            {"new": user.id, "old": source},
        )
    db.session.commit()


# ---------------------------------------------------------------------------------------------- servers


@dataclass
class Server:
    """One gunicorn serving one checkout, and the database its PostgreSQL backends serve."""

    name: str
    process: subprocess.Popen[bytes]
    host: str
    database: str

    def cpu_seconds(self) -> float:
        """CPU (user + system) used so far by this gunicorn's workers and every backend of the database."""
        return server_cpu_seconds(self.process.pid, self.database)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, root: Path, url: str, database: str, workers: int, threads: int) -> Server:
    """gunicorn on a free port, from `root`, with the app's own gunicorn configuration."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "RATELIMIT_ENABLED": "0",
        "PYTHONPATH": str(root),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "python:quizapp.gunicorn_conf",
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
        "wsgi:app",
    ]
    process = subprocess.Popen(command, env=env, cwd=root)
    return Server(name, process, wait_for_port(process, port, 60, f"{name}: gunicorn"), database)


# ---------------------------------------------------------------------------------------------- clients


class Client(KeepAliveClient):
    """A keep-alive connection with a logged-in learner's session cookie, like one browser tab."""

    def __init__(self, host: str) -> None:
        super().__init__(host, timeout=120)

    def log_in(self, username: str) -> None:
        _, page = self.request("GET", "/auth/login")
        token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the login page")
        form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1).decode()}
        body = urllib.parse.urlencode(form).encode()
        status, _ = self.request(
            "POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status not in (302, 303):
            raise SystemExit(f"could not log in as {username}: HTTP {status}")

    def dashboard(self) -> int:
        status, page = self.request("GET", "/progress")
        if status != 200:
            raise SystemExit(f"GET /progress answered HTTP {status}")
        return len(page)


def concurrently(clients: list[Client]) -> float:
    """Seconds from a common start until every client has its dashboard."""
    barrier = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def fetch(client: Client) -> None:
        barrier.wait()
        try:
            client.dashboard()
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=fetch, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a concurrent request failed: {errors[0]}")
    return time.perf_counter() - started


def alone(client: Client) -> float:
    started = time.perf_counter()
    client.dashboard()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------- measuring


@dataclass
class Figures:
    """One server's timings: single dashboards and concurrent batches, in seconds, and its CPU use."""

    server: Server
    clients: list[Client]
    one: list[float] = field(default_factory=list)
    many: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # gunicorn workers + database backends, over every measured page
    pages: int = 0
    page_bytes: int = 0

    def round(self) -> None:
        """One dashboard alone, then every client's at once; the server's CPU for all of them."""
        before = self.server.cpu_seconds()
        self.one.append(alone(self.clients[0]))
        self.many.append(concurrently(self.clients))
        self.cpu_seconds += self.server.cpu_seconds() - before
        self.pages += 1 + len(self.clients)


def prepare(server: Server, people: list[str]) -> Figures:
    """Clients logged in as `people`, and a warm server: every worker has served dashboards already."""
    clients = [Client(server.host) for _ in people]
    for client, username in zip(clients, people, strict=True):
        client.log_in(username)
    for _ in range(2):
        concurrently(clients)
    return Figures(server, clients, page_bytes=clients[0].dashboard())


def report(all_figures: list[Figures], cores: int) -> None:
    """Medians, their ratio, the per-round ratios, and what the machine's cores allow at best."""
    concurrency = len(all_figures[0].clients)
    head = f"{'':15} {'one':>9} {f'{concurrency} at once':>11} {'ratio':>6} {'CPU/page':>9} {'least':>6}"
    print(head + "  per-round ratios")
    for figures in all_figures:
        one, many = statistics.median(figures.one), statistics.median(figures.many)
        cpu = figures.cpu_seconds / figures.pages
        least = max(1.0, concurrency * cpu / min(cores, concurrency) / one)
        rounds = " ".join(f"{m / o:.2f}" for o, m in zip(figures.one, figures.many, strict=True))
        print(
            f"{figures.server.name:15} {one * 1000:6.0f} ms {many * 1000:8.0f} ms {many / one:6.2f}"
            f" {cpu * 1000:6.0f} ms {least:6.2f}  {rounds}"
        )
    print(
        f"(medians of {len(all_figures[0].one)} rounds; goal: ratio ≤ 1.5. CPU/page: gunicorn workers + "
        f"PostgreSQL backends per dashboard. least: the smallest ratio {cores} cores allow without shared "
        f"work, {concurrency} × CPU/page ÷ {min(cores, concurrency)} cores ÷ one; a busy machine lowers it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--same-person", action="store_true", help="every client is the same learner")
    parser.add_argument("--compare", type=Path, help="another checkout to serve and measure alongside")
    args = parser.parse_args()
    people = [f"bench-{1 if args.same_person else n + 1}" for n in range(args.concurrency)]
    database, url = create_database("bench_dashboard")
    servers: list[Server] = []
    try:
        _without_fsync(database, url)
        seeding = time.perf_counter()
        seed_people(url, len(set(people)))
        seconds = time.perf_counter() - seeding
        print(f"seeded {len(set(people))} learner(s) in {seconds:.0f} s: {_history_size(url)}")
        roots = [("this checkout", REPO)] + ([("compared", args.compare.resolve())] if args.compare else [])
        for name, root in roots:
            servers.append(start_server(name, root, url, database, args.workers, args.threads))
        all_figures = [prepare(server, people) for server in servers]
        cores = os.cpu_count() or 1
        who = "one learner in every tab" if args.same_person else "a different learner each"
        print(
            f"GET /progress: one alone, then {args.concurrency} at once ({who}); gunicorn gthread "
            f"{args.workers} workers × {args.threads} threads; {cores} CPU cores"
        )
        print(f"load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
        for number in range(args.rounds):  # servers in turn, so drifting load falls on all alike
            for figures in all_figures if number % 2 == 0 else all_figures[::-1]:
                figures.round()
        report(all_figures, cores)
        for figures in all_figures:
            print(f"{figures.server.name}: page {figures.page_bytes / 1024:.0f} KiB")
        print(f"load average after:  {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    finally:
        for server in servers:
            server.stop()
        drop_database(database)


def _without_fsync(database: str, url: str) -> None:
    """Commits of this throwaway database skip the wait for the disk: seeding is thousands of them."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
    engine.dispose()


def _history_size(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        user = conn.execute(sa.text("SELECT id FROM users WHERE username = 'bench-1'")).scalar_one()
        counts = {
            what: conn.execute(sa.text(query), {"u": user}).scalar_one()
            for what, query in (
                ("cards", "SELECT count(*) FROM card_states WHERE user_id = :u"),
                ("reviews", "SELECT count(*) FROM reviews WHERE user_id = :u"),
                ("drill attempts", "SELECT count(*) FROM submissions WHERE user_id = :u"),
                ("mock interviews", "SELECT count(*) FROM mock_interviews WHERE user_id = :u"),
            )
        }
    engine.dispose()
    return ", ".join(f"{count} {what}" for what, count in counts.items()) + " each"


if __name__ == "__main__":
    main()
