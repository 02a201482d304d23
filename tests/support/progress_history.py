"""Test data for the progress tests: a tiny bank (two topics, four cards, two drills) and review histories."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from quizapp.extensions import db
from quizapp.models import Card, CardState, Drill, Review, Submission, Topic, User, utcnow
from quizapp.srs.scheduling import MemoryState

FORMULA_FRONT = r"Write Adam's bias-corrected first moment $\hat m_t$."
FORMULA_BACK = r"$$\hat m_t = \frac{m_t}{1-\beta_1^t}$$ with price \$5 and a < b"


def make_bank() -> None:
    db.session.add_all(
        [
            Topic(slug="adam-family", title="The Adam family", position=1),
            Topic(slug="gd-basics", title="Gradient descent basics", position=0),
        ]
    )
    db.session.flush()  # drills have no relationship to topics, so insert the topics first explicitly
    cards = [
        ("adam-bias-correction-why", "adam-family", FORMULA_FRONT, FORMULA_BACK),
        ("adam-epsilon-placement", "adam-family", "Where does $\\epsilon$ go?", "Outside the square root."),
        ("adam-beta-roles", "adam-family", "What do $\\beta_1$ and $\\beta_2$ control?", "The two EMAs."),
        ("gd-update-direction", "gd-basics", "Which way does GD step?", "Against the gradient."),
    ]
    for position, (slug, topic, front, back) in enumerate(cards):
        db.session.add(
            Card(
                slug=slug,
                topic_slug=topic,
                front=front,
                back=back,
                source_seed="001_eacbfddb2911ebfc.txt",
                source_section="Adam",
                position=position,
                tags=["concept"],
            )
        )
    db.session.add(Drill(slug="adam", topic_slug="adam-family", title="Adam from scratch"))
    db.session.add(Drill(slug="sgd", topic_slug="gd-basics", title="SGD"))
    db.session.commit()


def state_dict(due: dt.datetime, last: dt.datetime, stability: float) -> dict[str, object]:
    """A review's `previous_state` as the review service stores it."""
    return MemoryState(
        state=2, step=None, stability=stability, difficulty=5.0, due=due, last_review=last
    ).to_dict()


def seed_history(user: User, now: dt.datetime | None = None) -> dt.datetime:
    """A small history whose dashboard numbers are worked out in test_progress.py.

    adam-bias-correction-why: review state, S=10, last reviewed 10 days ago → recall 90 %, due in 2 h.
    adam-epsilon-placement: review state, S=5, reviewed an hour ago → recall 100 %, due in 5 days.
    adam-beta-roles and gd-update-direction: never reviewed.
    Reviews: two of mature cards in the last 30 days (Good, Again) → true retention 50 %; one young review.
    Submissions: adam failed then passed; none for sgd.
    """
    now = now or utcnow()
    ten_days = now - dt.timedelta(days=10)
    # "Due in 2 h" and "an hour ago" stay inside today (UTC, the seeded person's zone) at any time of day:
    # late in the evening the due time is halfway to midnight, just after midnight the review is nearer.
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    later_today = now + min(dt.timedelta(hours=2), (day_start + dt.timedelta(days=1) - now) / 2)
    earlier = min(dt.timedelta(hours=1), (now - day_start) * 0.8)
    hour = now - earlier
    db.session.add_all(
        [
            CardState(
                user_id=user.id,
                card_slug="adam-bias-correction-why",
                state=2,
                stability=10.0,
                difficulty=5.0,
                due=later_today,
                last_review=ten_days,
                reps=3,
            ),
            CardState(
                user_id=user.id,
                card_slug="adam-epsilon-placement",
                state=2,
                stability=5.0,
                difficulty=6.5,
                due=now + dt.timedelta(days=5),
                last_review=hour,
                reps=4,
                lapses=1,
            ),
        ]
    )
    old = now - dt.timedelta(days=40)
    reviews = [
        ("adam-bias-correction-why", 3, old, 0, None),
        (
            "adam-bias-correction-why",
            3,
            ten_days,
            2,
            state_dict(ten_days, ten_days - dt.timedelta(days=30), 30.0),
        ),
        ("adam-epsilon-placement", 3, old, 0, None),
        ("adam-epsilon-placement", 1, hour, 2, state_dict(hour, hour - dt.timedelta(days=25), 25.0)),
        (
            "adam-epsilon-placement",
            3,
            hour + earlier / 6,
            3,
            state_dict(hour + earlier / 6, hour, 1.0),
        ),
    ]
    for index, (slug, rating, at, before, previous) in enumerate(reviews):
        db.session.add(
            Review(
                user_id=user.id,
                card_slug=slug,
                rating=rating,
                reviewed_at=at,
                duration_ms=4000 + index,
                idempotency_key=f"seed-{index}",
                state_before=before,
                previous_state=previous,
            )
        )
    db.session.add_all(
        [
            Submission(
                user_id=user.id,
                drill_slug="adam",
                code="def adam(): pass",
                status="done",
                grader_fingerprint="0123456789abcdef",
                verdict={"verdict": "failed"},
                created_at=now - dt.timedelta(days=2),
            ),
            Submission(
                user_id=user.id,
                drill_slug="adam",
                code="def adam(): return 1",
                status="done",
                verdict={"verdict": "passed"},
                created_at=now - dt.timedelta(days=1),
            ),
        ]
    )
    db.session.commit()
    return now


LONG_HISTORY_CARDS = [
    "adam-bias-correction-why",
    "adam-epsilon-placement",
    "adam-beta-roles",
    "gd-update-direction",
]


def seed_long_history(
    user: User, cards: int = 4, per_card: int = 160, slugs: list[str] = LONG_HISTORY_CARDS
) -> int:
    """Many day-spaced reviews (enough for fsrs's optimiser) of `slugs` (default: this module's bank);
    returns how many are a day or more apart."""
    rng = random.Random(7)
    start = utcnow() - dt.timedelta(days=per_card * 2 + 5)
    index = 0
    for slug in slugs[:cards]:
        at = start
        for _ in range(per_card):
            rating = 1 if rng.random() < 0.2 else 3
            db.session.add(
                Review(
                    user_id=user.id,
                    card_slug=slug,
                    rating=rating,
                    reviewed_at=at,
                    idempotency_key=f"long-{index}",
                    state_before=2,
                )
            )
            index += 1
            at += dt.timedelta(days=rng.choice([1, 1, 2, 3]), minutes=rng.randint(0, 90))
    db.session.commit()
    return cards * (per_card - 1)


def exported_json(user: User) -> dict[str, Any]:
    """`user`'s history export as an import reads it: through real JSON text (times as strings)."""
    from quizapp.services import history

    return json.loads(json.dumps(history.export_history(user)))
