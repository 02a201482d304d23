"""Test data for the review tests: a tiny bank of two topics and seven cards, one of them retired."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient

from quizapp.extensions import db
from quizapp.models import Card, Topic, User
from support.accounts import login, make_user

MATH_FRONT = r"What does Adam divide $\hat m_t$ by?"
MATH_BACK = r"$$\sqrt{\hat v_t} + \epsilon$$"

# (slug, topic, kind, front, back)
CARDS = [
    ("adam-epsilon-placement", "adam-family", "basic", MATH_FRONT, MATH_BACK),
    (
        "adam-beta-roles",
        "adam-family",
        "basic",
        r"What do $\beta_1$ and $\beta_2$ set?",
        "The two EMA decays.",
    ),
    ("ema-window", "adam-family", "numeric", r"Effective window of an EMA with $\beta=0.9$?", "$10$ steps."),
    ("ema-window-formula", "adam-family", "symbolic", r"EMA window for decay $\beta$?", r"$1/(1-\beta)$"),
    ("code-adam", "adam-family", "code", "Write Adam from scratch.", "See the drill."),
    (
        "gd-update-direction",
        "gd-basics",
        "basic",
        "Which way does gradient descent step?",
        "Against the gradient.",
    ),
    ("gd-retired", "gd-basics", "basic", "An old card", "Retired."),
]


ANSWERS = {
    "numeric": {"value": 10, "tolerance": 0.01},
    "symbolic": {"expr": "1/(1-beta)", "symbols": ["beta"]},
}


def make_bank() -> None:
    db.session.add_all(
        [
            Topic(slug="gd-basics", title="Gradient descent basics", position=0),
            Topic(slug="adam-family", title="The Adam family", position=1),
        ]
    )
    db.session.flush()
    for position, (slug, topic, kind, front, back) in enumerate(CARDS):
        db.session.add(
            Card(
                slug=slug,
                topic_slug=topic,
                kind=kind,
                front=front,
                back=back,
                answer=ANSWERS.get(kind),
                drill_slug="adam" if kind == "code" else None,
                source_seed="001_seed.txt",
                source_section="Adam",
                position=position,
                retired=slug == "gd-retired",
            )
        )
    db.session.commit()


LIVE_CARDS = [slug for slug, *_ in CARDS if slug != "gd-retired"]


def new_key() -> str:
    return str(uuid.uuid4())


def bank_with_logged_in_user(client: FlaskClient) -> User:
    """The tiny bank, and a user `ada` logged in on `client` (the `user` fixture of the review API tests)."""
    make_bank()
    person = make_user()
    login(client, person)
    return person
