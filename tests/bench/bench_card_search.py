"""Benchmark (not a timed test): card-browser search on PostgreSQL with 10k cards and 1M reviews.

Builds a throwaway PostgreSQL database (tests/support/postgres.py), migrates it, bulk-loads CARDS cards
with varied text, USERS people each with a memory state for every card, and REVIEWS reviews (COPY), then
times `card_browser.search_cards` — the one service the page and GET /api/cards call — for several
searches, filters and sorts. Prints the median and p95 of each and the ratio to the 50 ms goal.

    .venv/bin/python tests/bench/bench_card_search.py [REVIEWS]
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.apps import migrate
from support.postgres import create_database, drop_database

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import User
from quizapp.services import card_browser

CARDS = 10_000
USERS = 10
DEFAULT_REVIEWS = 1_000_000
GOAL_MS = 50.0
RUNS = 25
TERMS = [
    "adam",
    "momentum",
    "gradient",
    "descent",
    "learning",
    "rate",
    "warmup",
    "schedule",
    "decay",
    "nesterov",
    "rmsprop",
    "adagrad",
    "epsilon",
    "bias",
    "correction",
    "second",
    "moment",
    "first",
    "moment",
    "variance",
    "batch",
    "normalization",
    "weight",
    "decay",
    "regularization",
    "loss",
    "curvature",
    "hessian",
    "saddle",
    "point",
    "convergence",
    "stochastic",
    "minibatch",
    "noise",
    "clipping",
    "norm",
    "optimizer",
    "step",
    "size",
    "lookahead",
    "ravine",
    "conditioning",
    "eigenvalue",
    "lipschitz",
    "smooth",
    "convex",
    "plateau",
]
QUERIES = [
    {"q": "adam"},
    {"q": "bias correction"},
    {"q": "learning rate warmup", "sort": "due"},
    {"q": "nesterov", "state": "due"},
    {"q": "grad"},  # a prefix
    {"q": "zzqx"},  # no match
    {"state": "leech", "sort": "lapses"},
    {"sort": "difficulty", "page": "40"},
    {"q": "momentum", "topic": "topic-3", "kind": "basic"},
]


def copy_rows(table: str, columns: list[str], rows: list[tuple[object, ...]]) -> None:
    """Bulk-insert with PostgreSQL's COPY (tab-separated text)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        raw.commit()
    finally:
        raw.close()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(
        rng.choice(TERMS) if rng.random() < 0.3 else f"w{rng.randrange(50_000)}" for _ in range(words)
    )


def seed(reviews: int) -> int:
    rng = random.Random(13)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    copy_rows(
        "topics",
        ["slug", "title", "description", "position"],
        [(f"topic-{i}", f"T{i}", "", i) for i in range(20)],
    )
    kinds = ["basic", "numeric", "symbolic", "basic"]
    copy_rows(
        "cards",
        [
            "slug",
            "topic_slug",
            "kind",
            "front",
            "back",
            "source_seed",
            "source_section",
            "tags",
            "position",
            "retired",
            "updated_at",
        ],
        [
            (
                f"card-{i}",
                f"topic-{i % 20}",
                kinds[i % 4],
                sentence(rng, 14) + "?",
                sentence(rng, 40),
                "s.txt",
                "S",
                f'["t{i % 50}"]',
                i,
                "f",
                now,
            )
            for i in range(CARDS)
        ],
    )
    user_columns = [
        "username",
        "password_hash",
        "created_at",
        "timezone",
        "desired_retention",
        "new_cards_per_day",
        "pull_ahead_for_interview",
        "minutes_per_day",
        "new_card_order",
        "known_topics",
        "leech_threshold",
    ]
    copy_rows(
        "users",
        user_columns,
        [(f"u{i}", "x", now, "UTC", 0.9, 20, "f", 30, "mixed", "[]", 8) for i in range(USERS)],
    )
    user_ids = [row[0] for row in db.session.execute(db.text("SELECT id FROM users ORDER BY id"))]
    states = []
    for user_id in user_ids:
        for i in range(CARDS):
            due = now + dt.timedelta(days=rng.randint(-10, 60))
            lapses = rng.choice([0, 0, 0, 1, 2, 9])
            states.append(
                (
                    user_id,
                    f"card-{i}",
                    2,
                    rng.uniform(1, 90),
                    rng.uniform(1, 10),
                    due,
                    now,
                    lapses + 3,
                    lapses,
                    now,
                    1,
                )
            )
    copy_rows(
        "card_states",
        [
            "user_id",
            "card_slug",
            "state",
            "stability",
            "difficulty",
            "due",
            "last_review",
            "reps",
            "lapses",
            "introduced_at",
            "version",
        ],
        states,
    )
    flags = [(user_ids[0], f"card-{i}", "t", None, "t") for i in range(0, CARDS, 97)]
    copy_rows("card_flags", ["user_id", "card_slug", "suspended", "buried_until", "leech"], flags)
    start = now - dt.timedelta(days=700)
    copy_rows(
        "reviews",
        [
            "user_id",
            "card_slug",
            "rating",
            "reviewed_at",
            "duration_ms",
            "idempotency_key",
            "state_before",
            "origin",
        ],
        [
            (
                user_ids[n % USERS],
                f"card-{rng.randrange(CARDS)}",
                rng.choice((1, 3, 3, 3, 4)),
                start + dt.timedelta(minutes=n % 1_000_000),
                4000,
                f"k{n}",
                2,
                "review",
            )
            for n in range(reviews)
        ],
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(db.text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
    return user_ids[0]


def round_trip_ms() -> float:
    start = time.perf_counter()
    db.session.execute(db.text("SELECT 1"))
    db.session.rollback()
    return (time.perf_counter() - start) * 1000


def time_query(user: User, args: dict[str, str]) -> tuple[float, float, int]:
    query = card_browser.card_query(args)
    card_browser.search_cards(user, query)  # warm the plan and the cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        results = card_browser.search_cards(user, query)
        times.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], results.total


def main(reviews: int = DEFAULT_REVIEWS) -> None:
    name, url = create_database("quizapp_bench_search")
    try:
        migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            started = time.perf_counter()
            user_id = seed(reviews)
            loaded = time.perf_counter() - started
            counts = db.session.execute(
                db.text("SELECT (SELECT count(*) FROM cards), (SELECT count(*) FROM reviews)")
            ).one()
            print(
                f"PostgreSQL: {counts[0]} cards, {counts[1]} reviews; {USERS} people ({loaded:.0f} s to load)"
            )
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            baseline = sorted(round_trip_ms() for _ in range(RUNS))
            print(f"baseline: one SELECT 1 round trip, median {statistics.median(baseline):.2f} ms")
            print(f"{'query':58} {'median':>8} {'p95':>8} {'goal ratio':>10} {'matches':>8}")
            worst = 0.0
            user = db.session.get(User, user_id)
            for args in QUERIES:
                median, p95, total = time_query(user, args)
                worst = max(worst, p95)
                label = "&".join(f"{key}={value}" for key, value in args.items())
                print(f"{label:58} {median:7.1f}ms {p95:7.1f}ms {p95 / GOAL_MS:9.2f}× {total:8}")
            print(f"worst p95 {worst:.1f} ms = {worst / GOAL_MS:.2f}× the {GOAL_MS:.0f} ms goal")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_database(name)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REVIEWS)
