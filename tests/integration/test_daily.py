"""The first day and every day, on both databases: the mixed new-card order on the real bank, topics
marked as known, onboarding after registration, the Today page and its plan, and the plan settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.accounts import make_user
from support.apps import load_question_bank
from support.review_cards import new_key
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import Card, CardFlag, Drill, Submission, Topic, User
from quizapp.services import daily, history
from quizapp.services import review as reviews
from quizapp.srs.new_card_order import TYPED_KINDS, NewCard, mixed_order

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def bank(app: Flask) -> None:
    load_question_bank(app)


def first_day(user: User, count: int = 20) -> list[Card]:
    """The new cards the review queue serves one after another (each rated Easy, so it leaves the day)."""
    shown = []
    for _ in range(count):
        queue = reviews.due_queue(user, now=NOW)
        assert queue.next is not None and queue.next.queue == "new"
        shown.append(queue.next.card)
        committed(reviews.review_card, user, queue.next.card.slug, 4, new_key(), 20_000, now=NOW)
    return shown


def bank_order() -> list[str]:
    query = select(Card.slug).join(Topic).where(Card.retired.is_(False))
    return list(db.session.scalars(query.order_by(Topic.position, Topic.slug, Card.position, Card.slug)))


# ---------------------------------------------------------------------------------------- new-card order


def test_a_new_accounts_first_twenty_cards_mix_topics_and_kinds(bank: None) -> None:
    user = make_user()
    assert user.new_card_order == "mixed"
    cards = first_day(user)
    assert len({card.topic_slug for card in cards}) >= 5
    typed = [card for card in cards if card.kind in TYPED_KINDS]
    assert typed, [card.kind for card in cards]
    # A topic is introduced by one of its self-rated cards before any of its typed cards.
    for card in typed:
        earlier = cards[: cards.index(card)]
        assert any(c.topic_slug == card.topic_slug and c.kind not in TYPED_KINDS for c in earlier)
    # Within a topic, cards of one kind keep the bank's order.
    order = bank_order()
    for topic in {card.topic_slug for card in cards}:
        basics = [order.index(c.slug) for c in cards if c.topic_slug == topic and c.kind == "basic"]
        assert basics == sorted(basics)
    assert reviews.due_queue(user, now=NOW).counts.new == 0  # the daily limit of 20 is used up


def test_the_today_list_is_the_order_the_queue_serves(bank: None) -> None:
    user = make_user()
    listed = [card.slug for card in reviews.next_new_cards(user, limit=20)]
    assert [card.slug for card in first_day(user)] == listed


def test_topic_by_topic_keeps_the_bank_order(bank: None) -> None:
    user = make_user(new_card_order="topic")
    assert [card.slug for card in first_day(user)] == bank_order()[:20]


def test_known_topics_are_left_out_of_new_cards_but_can_be_studied_by_topic(bank: None) -> None:
    first_topic = db.session.scalars(select(Topic.slug).order_by(Topic.position)).first()
    user = make_user(known_topics=[first_topic])
    assert all(card.topic_slug != first_topic for card in first_day(user, 10))
    by_topic = reviews.due_queue(user, topic=first_topic, now=NOW)
    assert by_topic.next is not None and by_topic.next.card.topic_slug == first_topic


def mixed_bank_order() -> list[str]:
    """The mixed order of the live bank as it is now, computed from scratch by the pure ordering."""
    query = select(Card.slug, Card.topic_slug, Card.kind).join(Topic).where(Card.retired.is_(False))
    rows = db.session.execute(query.order_by(Topic.position, Topic.slug, Card.position, Card.slug))
    return [card.slug for card in mixed_order([NewCard(*row) for row in rows])]


def test_the_mixed_order_follows_an_edited_bank_at_once(bank: None) -> None:
    """The mixed order is cached per process; a bank edited in between (a topic moved to the end, a card
    retired) is ordered anew, and the cards the person suspends or studies drop out of it."""
    user = make_user()
    before = [card.slug for card in reviews.next_new_cards(user, limit=5)]
    assert before == mixed_bank_order()[:5]
    moved = db.session.get(Card, before[0])
    assert moved is not None
    moved.topic.position = 10_000
    db.session.get(Card, before[1]).retired = True
    db.session.commit()
    expected = mixed_bank_order()
    assert expected[:5] != before and before[1] not in expected
    assert [card.slug for card in reviews.next_new_cards(user, limit=5)] == expected[:5]
    db.session.add(CardFlag(user_id=user.id, card_slug=expected[0], suspended=True, leech=False))
    db.session.commit()
    committed(reviews.review_card, user, expected[1], 4, new_key(), 20_000, now=NOW)
    assert [card.slug for card in reviews.next_new_cards(user, limit=3, now=NOW)] == expected[2:5]


# ------------------------------------------------------------------------------------------------ plan


def test_timing_comes_from_the_persons_answers_once_there_are_enough(bank: None) -> None:
    user = make_user()
    assert daily.seconds_per_answer(user.id) == (15.0, 45.0)  # the defaults
    for index, card in enumerate(reviews.next_new_cards(user, limit=11)):
        committed(reviews.review_card, user, card.slug, 3, new_key(), 20_000 + 2000 * index, now=NOW)
    # New cards: the median of 20, 22, … 40 s; reviews: none yet, so still the default.
    assert daily.seconds_per_answer(user.id) == (15.0, 30.0)


def test_the_plan_counts_unseen_cards_without_known_topics(bank: None) -> None:
    total = len(bank_order())
    user = make_user(interview_date=dt.date(2026, 12, 27), minutes_per_day=45)
    plan = daily.study_plan(user, NOW)
    assert plan.cards_to_see == total
    # 20 days left, 4 kept to consolidate: ⌈total / 16⌉ a day.
    assert plan.consolidation_days == 4 and plan.needed_per_day == -(-total // 16)
    first_topic, count = daily.plan_inputs(user, NOW).unseen_by_topic[0]
    assert first_topic == "Gradient descent basics"
    user.known_topics = ["gd-basics"]
    db.session.commit()
    assert daily.study_plan(user, NOW).cards_to_see == total - count


def test_adopting_the_plans_pace_sets_the_daily_limit(bank: None) -> None:
    user = make_user(minutes_per_day=30)
    pace = daily.study_plan(user).new_cards_per_day
    assert pace > 0
    assert committed(daily.adopt_plan_pace, user) == pace and user.new_cards_per_day == pace
    user.minutes_per_day = 0
    db.session.commit()
    assert committed(daily.adopt_plan_pace, user) == pace  # no room for new cards: the limit stays


# ------------------------------------------------------------------------------------- suggested drill


def test_a_recent_diagnosis_picks_the_drill_until_it_is_passed(bank: None) -> None:
    user = make_user()
    verdict = {"verdict": "failed", "diagnosis": {"id": "sign", "title": "Gradient added, not subtracted"}}
    failed = Submission(
        user_id=user.id, drill_slug="adam", code="x", status="done", outcome="failed", verdict=verdict
    )
    db.session.add(failed)
    db.session.commit()
    suggestion = daily.suggested_drill(user, dt.datetime.now(dt.UTC))
    assert suggestion is not None and suggestion.drill.slug == "adam"
    assert "Gradient added, not subtracted" in suggestion.reason
    db.session.add(Submission(user_id=user.id, drill_slug="adam", code="y", status="done", outcome="passed"))
    db.session.commit()
    suggestion = daily.suggested_drill(user, dt.datetime.now(dt.UTC))
    assert suggestion is not None and suggestion.drill.slug != "adam"


def test_without_a_diagnosis_the_weakest_topic_picks_the_drill(bank: None) -> None:
    user = make_user()
    first_drill = db.session.scalars(
        select(Drill).join(Topic).order_by(Topic.position, Drill.position)
    ).first()
    assert daily.suggested_drill(user, NOW).drill.slug == first_drill.slug  # nothing studied yet
    # Momentum cards forgotten (Again), gd-basics cards remembered (Easy): momentum is weakest.
    for card in db.session.scalars(select(Card).where(Card.topic_slug == "momentum-nesterov").limit(3)):
        committed(reviews.review_card, user, card.slug, 1, new_key(), None, now=NOW - dt.timedelta(days=3))
    for card in db.session.scalars(select(Card).where(Card.topic_slug == "gd-basics").limit(3)):
        committed(reviews.review_card, user, card.slug, 4, new_key(), None, now=NOW - dt.timedelta(days=3))
    suggestion = daily.suggested_drill(user, NOW)
    assert suggestion is not None and suggestion.drill.topic_slug == "momentum-nesterov"
    assert "weakest topic" in suggestion.reason


# ------------------------------------------------------------------------------------- pages and forms


def onboarding_form(**changes: str) -> dict[str, str]:
    form = {"interview_date": "", "minutes_per_day": "30", "timezone": "Asia/Tokyo"}
    form.update(changes)
    return form


def test_registering_leads_to_onboarding_with_the_detected_time_zone(bank: None, client: FlaskClient) -> None:
    form = {"username": "ada", "password": "correct horse battery", "confirm": "correct horse battery"}
    response = client.post("/auth/register", data={**form, "timezone": "Asia/Tokyo"})
    assert response.status_code == 302 and response.location == "/welcome"
    page = client.get("/welcome").get_data(as_text=True)
    assert 'value="Asia/Tokyo"' in page
    assert "Gradient descent basics" in page  # a topic to mark as known
    assert 'href="/"' in page and "Skip for now" in page


def test_onboarding_saves_the_plan_and_the_today_page_shows_it(bank: None, client: FlaskClient, auth) -> None:
    auth.register("ada")
    when = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    response = client.post(
        "/welcome", data=onboarding_form(interview_date=when, minutes_per_day="45", known_topics="sgd-noise")
    )
    assert response.status_code == 302 and response.location == "/"
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert (user.minutes_per_day, user.timezone, user.known_topics) == (45, "Asia/Tokyo", ["sgd-noise"])
    assert user.interview_date.isoformat() == when
    plan = daily.study_plan(user)
    assert user.new_cards_per_day == plan.new_cards_per_day  # the limit follows the plan
    page = client.get("/").get_data(as_text=True)
    sentence = re.search(r'<p id="plan-sentence">(.*?)</p>', page, re.S).group(1)
    sentence = " ".join(sentence.split())
    assert f"At this pace ({plan.new_cards_per_day} new cards a day" in sentence
    assert f"{plan.days_before_interview} days before your interview." in sentence
    assert 'id="suggested-drill"' in page and 'href="/review"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "Unknown time zone Mars/Olympus"),
        ("timezone", "", "This field is required."),
        ("minutes_per_day", "-5", "Choose a number of minutes from 0 to 600."),
        ("minutes_per_day", "99999999999999999999", "Choose a number of minutes from 0 to 600."),
        ("minutes_per_day", "half an hour", "Enter a whole number such as 20."),
        ("known_topics", "no-such-topic", "&#39;no-such-topic&#39; is not a valid choice"),
        ("interview_date", "2001-01-01", "That date is in the past."),
        ("interview_date", "next week", "Not a valid date value."),
    ],
)
def test_onboarding_refuses_bad_input_and_saves_nothing(
    bank: None, client: FlaskClient, auth, field: str, value: str, message: str
) -> None:
    auth.register("ada")
    response = client.post("/welcome", data=onboarding_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert (user.minutes_per_day, user.timezone, user.known_topics) == (30, "UTC", [])


def test_skipping_onboarding_still_gives_a_plan(bank: None, client: FlaskClient, auth) -> None:
    auth.register("ada")
    page = client.get("/").get_data(as_text=True)
    assert "At this pace (" in page and "before your interview" not in page
    assert 'id="new-count">20<' in page  # the default limit until a plan is adopted
    assert 'id="adopt-pace"' in page


def test_a_plan_that_does_not_fit_warns_and_names_topics_to_drop(
    bank: None, client: FlaskClient, auth
) -> None:
    auth.register("ada")
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    client.post("/welcome", data=onboarding_form(interview_date=tomorrow, minutes_per_day="10"))
    page = client.get("/").get_data(as_text=True)
    warning = " ".join(re.search(r'id="plan-warning"[^>]*>(.*?)</div>', page, re.S).group(1).split())
    assert "The plan does not fit" in warning and "as known would make it fit" in warning
    assert "after your interview." in page


def test_settings_edit_the_plan_later(bank: None, client: FlaskClient, auth) -> None:
    auth.register("ada")
    page = client.get("/auth/settings").get_data(as_text=True)
    assert 'name="minutes_per_day"' in page and 'name="new_card_order"' in page
    form = {
        "desired_retention": "0.9",
        "new_cards_per_day": "20",
        "timezone": "Europe/Paris",
        "interview_date": "",
        "minutes_per_day": "15",
        "new_card_order": "topic",
        "known_topics": ["gd-basics", "adam-family"],
    }
    assert client.post("/auth/settings", data=form).status_code == 302
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert (user.minutes_per_day, user.new_card_order) == (15, "topic")
    assert user.known_topics == ["gd-basics", "adam-family"]
    bad = client.post("/auth/settings", data={**form, "new_card_order": "random"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)


def test_export_and_import_carry_the_plan_settings(bank: None) -> None:
    ada = make_user("ada", minutes_per_day=50, new_card_order="topic", known_topics=["gd-basics"])
    exported = history.export_history(ada)
    assert exported["settings"]["known_topics"] == ["gd-basics"]
    grace = make_user("grace")
    committed(history.import_history, grace, exported)
    db.session.refresh(grace)
    assert (grace.minutes_per_day, grace.new_card_order, grace.known_topics) == (50, "topic", ["gd-basics"])
    exported["settings"].update(minutes_per_day=-1, new_card_order="random", known_topics="gd-basics")
    with pytest.raises(history.HistoryImportError) as caught:
        committed(history.import_history, make_user("joan"), exported)
    problems = "\n".join(caught.value.problems)
    # The settings form's own rules, shared with the importer (accounts.settings_errors).
    assert "settings.minutes_per_day: Choose a number of minutes from 0 to 600." in problems
    assert "settings.new_card_order: Choose one of the listed orders." in problems
    assert "settings.known_topics: expected a list of topic slugs" in problems


def test_the_pace_button_adopts_the_plan(bank: None, client: FlaskClient, auth) -> None:
    auth.register("ada")
    assert client.post("/plan/pace").status_code == 302
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert user.new_cards_per_day == daily.study_plan(user).new_cards_per_day
    assert 'id="adopt-pace"' not in client.get("/").get_data(as_text=True)
