"""Benchmark (not a timed test): the progress dashboard, export/import and the FSRS fit on a big history.

Builds a SQLite database with CARDS cards and about REVIEWS reviews for one person, then times
`user_progress` (queries + statistics), `/api/progress` through the test client, the JSON export and its
import into a fresh account, and the pure statistics alone. Prints medians and ratios.

    .venv/bin/python tests/bench/bench_progress.py [REVIEWS]
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from support.transactions import committed

from quizapp import create_app
from quizapp.extensions import db
from quizapp.models import Card, CardState, Review, Topic, User, utcnow
from quizapp.services import accounts, history, progress
from quizapp.srs import dashboard

CARDS = 400
DEFAULT_REVIEWS = 20_000


def seed(reviews: int) -> int:
    rng = random.Random(3)
    now = utcnow()
    topics = [Topic(slug=f"topic-{i}", title=f"Topic {i}", position=i) for i in range(10)]
    db.session.add_all(topics)
    db.session.flush()
    db.session.add_all(
        Card(
            slug=f"card-{i}",
            topic_slug=f"topic-{i % 10}",
            front=f"Front {i} $x^{i}$",
            back="Back",
            source_seed="000.txt",
            source_section="S",
            position=i,
        )
        for i in range(CARDS)
    )
    user = User(username="bench", password_hash="x")
    db.session.add(user)
    db.session.flush()
    per_card = reviews // CARDS
    for i in range(CARDS):
        at = now - dt.timedelta(days=per_card * 4 + 1)  # reviews 1-4 days apart end before now
        for j in range(per_card):
            db.session.add(
                Review(
                    user_id=user.id,
                    card_slug=f"card-{i}",
                    rating=rng.choice([1, 3, 3, 3, 4]),
                    reviewed_at=at,
                    idempotency_key=f"{i}-{j}",
                    state_before=2 if j else 0,
                )
            )
            at += dt.timedelta(days=rng.randint(1, 4), minutes=rng.randint(0, 300))
        db.session.add(
            CardState(
                user_id=user.id,
                card_slug=f"card-{i}",
                state=2,
                stability=rng.uniform(1, 60),
                difficulty=5.0,
                due=now + dt.timedelta(days=rng.randint(-5, 30)),
                last_review=at - dt.timedelta(days=2),
                reps=per_card,
            )
        )
    db.session.commit()
    return user.id


def median_ms(action: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(reviews: int = DEFAULT_REVIEWS) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            user_id = seed(reviews)
            user = db.session.get(User, user_id)
            total = db.session.query(Review).count()
            inputs = progress.progress_inputs(user, utcnow())
            pure = median_ms(lambda: dashboard.build_report(inputs))
            service = median_ms(lambda: progress.user_progress(user))
            export = median_ms(lambda: history.export_history(user), runs=3)
            data = history.export_history(user)

            def import_once() -> None:
                fresh = User(username=f"copy-{time.perf_counter_ns()}", password_hash="x")
                db.session.add(fresh)
                db.session.commit()
                committed(history.import_history, fresh, data)

            imported = median_ms(import_once, runs=1)
            client = app.test_client()
            login_id = committed(accounts.start_login, db.session.get(User, user_id)).get_id()
            with client.session_transaction() as session:
                session["_user_id"] = login_id
            api = median_ms(lambda: client.get("/api/progress"))
            page = median_ms(lambda: client.get("/progress"))  # the same report as HTML, charts as JSON
            db.engine.dispose()
    print(f"history: {CARDS} cards, {total} reviews (SQLite)")
    print(f"statistics alone (build_report):   {pure:8.1f} ms")
    print(f"user_progress (queries + stats):   {service:8.1f} ms  ({service / pure:.1f}× the statistics)")
    print(f"GET /api/progress:                 {api:8.1f} ms  ({api / service:.2f}× user_progress)")
    print(f"GET /progress (the dashboard):     {page:8.1f} ms  ({page / api:.2f}× GET /api/progress)")
    print(f"JSON export:                       {export:8.1f} ms")
    print(f"JSON import (validate + insert):   {imported:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REVIEWS)
