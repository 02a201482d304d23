"""What the review page costs in SQL: its topic counts come from grouped queries, so a person with cards in
many topics still gets the page in a handful of statements; and the grouped counts are the counts that
each topic's own due queue gives, with and without an interview date ahead."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.accounts import login, make_user
from support.sql import statements_sent

from quizapp.extensions import db
from quizapp.models import Card, CardFlag, CardState, Topic, User, utcnow
from quizapp.services import review as reviews

TOPICS = 12
CARDS_PER_TOPIC = 5
PAGE_STATEMENTS = 10


def many_topics_bank() -> list[str]:
    """TOPICS topics of CARDS_PER_TOPIC live cards each; returns the card slugs."""
    slugs = []
    for t in range(TOPICS):
        db.session.add(Topic(slug=f"topic-{t:02}", title=f"Topic {t}", position=t))
        for c in range(CARDS_PER_TOPIC):
            slug = f"card-{t:02}-{c}"
            slugs.append(slug)
            db.session.add(
                Card(
                    slug=slug,
                    topic_slug=f"topic-{t:02}",
                    kind="basic",
                    front=f"Front {slug}",
                    back=f"Back {slug}",
                    source_seed="001_seed.txt",
                    source_section="S",
                    position=c,
                )
            )
    db.session.commit()
    return slugs


def studied_in_every_topic(user: User, now: dt.datetime) -> None:
    """In every topic: a learning card due, a review card due, a review card not due for a week, a
    suspended card, and the rest new."""
    for t in range(TOPICS):
        rows = [
            (f"card-{t:02}-0", 1, now - dt.timedelta(minutes=5)),
            (f"card-{t:02}-1", 2, now - dt.timedelta(hours=2)),
            (f"card-{t:02}-2", 2, now + dt.timedelta(days=7)),
        ]
        for slug, state, due in rows:
            db.session.add(
                CardState(
                    user_id=user.id,
                    card_slug=slug,
                    state=state,
                    step=0 if state == 1 else None,
                    stability=0.5 + t,
                    difficulty=5.0,
                    due=due,
                    last_review=now - dt.timedelta(days=3),
                    reps=3,
                    lapses=0,
                    introduced_at=now - dt.timedelta(days=10),
                )
            )
        db.session.add(CardFlag(user_id=user.id, card_slug=f"card-{t:02}-3", suspended=True, leech=False))
    db.session.commit()


@pytest.fixture
def user(app: Flask) -> User:
    many_topics_bank()
    person = make_user(new_cards_per_day=20)
    studied_in_every_topic(person, utcnow())
    return person


def per_topic_due_queues(user: User, now: dt.datetime) -> list[tuple[str, reviews.Counts]]:
    topics = db.session.scalars(db.select(Topic).order_by(Topic.position, Topic.slug))
    return [(topic.slug, reviews.due_queue(user, topic.slug, now).counts) for topic in topics]


def test_topic_counts_are_each_topics_due_queue_counts(user: User) -> None:
    now = utcnow()
    counts = [(topic.slug, found) for topic, found in reviews.topic_counts(user, now)]
    assert counts == per_topic_due_queues(user, now)
    assert counts[0][1] == reviews.Counts(new=1, learning=1, review=1)  # 5 cards: 3 studied, 1 suspended


def test_topic_counts_follow_the_interview_order_and_pull_ahead(user: User) -> None:
    now = utcnow()
    user.interview_date = (now + dt.timedelta(days=20)).date()
    user.pull_ahead_for_interview = True
    db.session.commit()
    counts = [(topic.slug, found) for topic, found in reviews.topic_counts(user, now)]
    assert counts == per_topic_due_queues(user, now)
    # Pulled ahead: the cards not due for a week whose recall falls below the target by the interview.
    assert sum(found.review for _, found in counts) > TOPICS


def test_the_daily_new_card_limit_caps_each_topics_new_count(user: User) -> None:
    user.new_cards_per_day = 0
    db.session.commit()
    now = utcnow()
    counts = reviews.topic_counts(user, now)
    assert all(found.new == 0 for _, found in counts)
    assert [(topic.slug, found) for topic, found in counts] == per_topic_due_queues(user, now)


@pytest.mark.parametrize("path", ["/review", "/review/topic-03", "/review?card=card-05-4", "/api/topics"])
def test_a_review_page_costs_a_few_statements_whatever_the_number_of_topics(
    user: User, client: FlaskClient, path: str
) -> None:
    login(client, user)
    client.get(path)  # warm caches of the first request (e.g. the OpenAPI document)
    with statements_sent(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert "Topic 11" in response.get_data(as_text=True)
    assert len(statements) <= PAGE_STATEMENTS, "\n".join(statements)


@pytest.mark.parametrize(
    ("path", "topic_lookup"), [("/api/review/next", 0), ("/api/review/next?topic=topic-03", 1)]
)
@pytest.mark.parametrize(("studied", "queue", "limit"), [(True, "learning", 3), (False, "new", 4)])
def test_the_next_card_costs_a_few_statements(
    user: User, client: FlaskClient, path: str, topic_lookup: int, studied: bool, queue: str, limit: int
) -> None:
    """The next card's counts come from one statement, a queue its count shows empty is not asked for a
    first card, and the next new card costs the bank's cards in scope, the person's seen or held-back
    cards, and the card: a handful of statements."""
    person = user if studied else make_user("grace", new_cards_per_day=20)
    login(client, person)
    client.get(path)  # warm caches of the first request
    with statements_sent(db.engine) as statements:
        response = client.get(path)
    assert response.status_code == 200
    assert response.get_json()["card"]["queue"] == queue
    assert len(statements) <= limit + topic_lookup, "\n".join(statements)
