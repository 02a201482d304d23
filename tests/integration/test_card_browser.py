"""The card browser on both databases: full-text search (words in front or back, prefixes, ranking),
filters, sorts, paging; suspend / unsuspend / bury / reset one card or several; the study queues never
showing a suspended or buried card; leeches suspended after the learner's lapse threshold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.charts import page_charts, printed
from support.review_cards import LIVE_CARDS, bank_with_logged_in_user, new_key
from support.transactions import committed

from quizapp.extensions import db
from quizapp.models import Card, CardState, User
from quizapp.services import card_browser, progress, review
from quizapp.services.card_browser import CardQuery
from quizapp.services.errors import ServiceError


@pytest.fixture
def user(app: Flask, client: FlaskClient) -> User:
    return bank_with_logged_in_user(client)


def found(client: FlaskClient, **args: object) -> list[str]:
    response = client.get("/api/cards", query_string=args)
    assert response.status_code == 200, response.get_json()
    return [card["slug"] for card in response.get_json()["cards"]]


def test_search_finds_words_in_front_or_back_by_prefix(client: FlaskClient, user: User) -> None:
    assert found(client, q="gradient") == ["gd-update-direction"]  # front
    assert found(client, q="two EMA decays") == ["adam-beta-roles"]  # back, every word
    assert set(found(client, q="window")) == {"ema-window", "ema-window-formula"}
    assert found(client, q="drill") == ["code-adam"]
    assert found(client, q="grad") == ["gd-update-direction"]  # prefix
    assert found(client, q="nothing-like-this") == []


def test_search_leaves_out_retired_cards_and_survives_query_syntax(client: FlaskClient, user: User) -> None:
    assert found(client, q="old card") == []
    for hostile in ['"', "AND OR NOT", "front:adam", "adam*) NEAR(", "'; DROP TABLE cards; --", "!!!"]:
        assert client.get("/api/cards", query_string={"q": hostile}).status_code == 200


def test_search_ranks_a_match_in_the_front_first(client: FlaskClient, user: User) -> None:
    db.session.get(Card, "gd-update-direction").back = "Against the gradient, not along the EMA window."
    db.session.commit()
    ranked = found(client, q="window")
    assert ranked[-1] == "gd-update-direction"
    assert set(ranked[:2]) == {"ema-window", "ema-window-formula"}


def test_text_changes_reach_the_index(client: FlaskClient, user: User) -> None:
    db.session.get(Card, "adam-beta-roles").front = "What do the two betas control in Nesterov?"
    db.session.commit()
    assert found(client, q="nesterov") == ["adam-beta-roles"]


def test_filters_by_topic_kind_tag_and_state(client: FlaskClient, user: User) -> None:
    assert found(client, topic="gd-basics") == ["gd-update-direction"]
    assert found(client, kind="numeric") == ["ema-window"]
    db.session.get(Card, "ema-window").tags = ["ema", "100%_sure"]
    db.session.commit()
    assert found(client, tag="ema") == ["ema-window"]
    assert found(client, tag="100%_sure") == ["ema-window"]
    assert found(client, tag="em") == []
    committed(review.review_card, user, "ema-window", 3, new_key(), None)
    assert found(client, state="learning") == ["ema-window"]
    assert "ema-window" not in found(client, state="new")
    assert len(found(client, state="new")) == len(LIVE_CARDS) - 1


def in_review(user: User, slug: str, due: dt.datetime, *, lapses: int = 0, difficulty: float = 5.0) -> None:
    """Store a review-state card for `user` (as if studied before), due at `due`."""
    db.session.add(
        CardState(
            user_id=user.id,
            card_slug=slug,
            state=2,
            stability=3.0,
            difficulty=difficulty,
            due=due,
            reps=lapses + 1,
            lapses=lapses,
        )
    )
    db.session.commit()


def test_sorts_by_lapses_difficulty_and_due(client: FlaskClient, user: User) -> None:
    now = dt.datetime.now(dt.UTC)
    in_review(user, "ema-window", now + dt.timedelta(days=3), lapses=2, difficulty=7.0)
    in_review(user, "adam-beta-roles", now + dt.timedelta(days=1), lapses=5, difficulty=3.0)
    assert found(client, sort="lapses")[:2] == ["adam-beta-roles", "ema-window"]
    assert found(client, sort="difficulty")[:2] == ["ema-window", "adam-beta-roles"]
    assert found(client, sort="due")[:2] == ["adam-beta-roles", "ema-window"]


def test_pages_hold_page_size_cards(client: FlaskClient, user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card_browser, "PAGE_SIZE", 4)
    first = client.get("/api/cards").get_json()
    second = client.get("/api/cards?page=2").get_json()
    assert (first["total"], first["pages"], len(first["cards"]), len(second["cards"])) == (6, 2, 4, 2)
    assert not {c["slug"] for c in first["cards"]} & {c["slug"] for c in second["cards"]}
    # Past the last page there are no rows to carry the total, which is still counted.
    beyond = client.get("/api/cards?page=9").get_json()
    assert (beyond["total"], beyond["cards"]) == (6, [])


BAD_ARGUMENTS = [
    {"state": "sleeping"},
    {"sort": "random"},
    {"page": "0"},
    {"page": "x"},
    {"page": "²"},  # a digit to str.isdigit(), not to int()
    {"page": "1" * 5000},  # more digits than int() reads
    {"topic": "no-such"},
]


@pytest.mark.parametrize("args", BAD_ARGUMENTS)
def test_bad_arguments_are_refused_with_400(client: FlaskClient, user: User, args: dict[str, str]) -> None:
    response = client.get("/api/cards", query_string=args)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]
    page = client.get("/cards", query_string=args)
    assert page.status_code == 400 and "text/html" in page.content_type


def test_suspended_and_buried_cards_never_come_next(client: FlaskClient, user: User) -> None:
    shown = client.get("/api/review/next").get_json()["card"]["slug"]
    assert client.post(f"/api/cards/{shown}/suspend").get_json()["card"]["suspended"] is True
    after = client.get("/api/review/next").get_json()
    assert after["card"]["slug"] != shown
    assert client.post(f"/api/cards/{after['card']['slug']}/bury").get_json()["card"]["buried_until"]
    seen = set()
    for _ in range(len(LIVE_CARDS)):
        card = client.get("/api/review/next").get_json()["card"]
        if card is None:
            break
        seen.add(card["slug"])
        committed(review.review_card, user, card["slug"], 4, new_key(), None)
    assert shown not in seen and after["card"]["slug"] not in seen
    assert client.get(f"/api/review/next?card={shown}").status_code == 409


def test_a_suspended_review_card_is_not_due_and_returns_when_unsuspended(user: User) -> None:
    now = dt.datetime.now(dt.UTC)
    in_review(user, "ema-window", now - dt.timedelta(hours=1))
    assert review.due_queue(user, now=now).counts.review == 1
    committed(card_browser.act_on_cards, user, "suspend", ["ema-window"])
    assert review.due_queue(user, now=now).counts.review == 0
    assert card_browser.search_cards(user, CardQuery(state="due"), now).total == 0
    committed(card_browser.act_on_cards, user, "unsuspend", ["ema-window"])
    assert review.due_queue(user, now=now).counts.review == 1


def test_bury_lasts_until_the_learners_next_midnight(user: User) -> None:
    user.timezone = "America/New_York"
    db.session.commit()
    now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
    committed(card_browser.act_on_cards, user, "bury", LIVE_CARDS, now=now)
    assert review.due_queue(user, now=now).next is None
    midnight = dt.datetime(2026, 3, 3, 5, 0, tzinfo=dt.UTC)
    assert review.due_queue(user, now=midnight - dt.timedelta(minutes=1)).next is None
    assert review.due_queue(user, now=midnight).next is not None


def test_bulk_actions_change_every_card_or_none(user: User) -> None:
    assert committed(card_browser.act_on_cards, user, "suspend", ["ema-window", "adam-beta-roles"]) == [
        "ema-window",
        "adam-beta-roles",
    ]
    assert {c.card.slug for c in card_browser.search_cards(user, CardQuery(state="suspended")).cards} == {
        "ema-window",
        "adam-beta-roles",
    }
    with pytest.raises(ServiceError) as refused:
        committed(card_browser.act_on_cards, user, "unsuspend", ["ema-window", "no-such-card"])
    assert refused.value.status == 404
    db.session.rollback()
    assert card_browser.search_cards(user, CardQuery(state="suspended")).total == 2
    for bad in [[], "ema-window", [1], ["x"] * 0, ["gd-retired"]]:
        with pytest.raises(ServiceError):
            committed(card_browser.act_on_cards, user, "suspend", bad)


def test_reset_makes_a_card_new_and_keeps_its_history(client: FlaskClient, user: User) -> None:
    committed(review.review_card, user, "ema-window", 1, new_key(), None)
    assert client.post("/api/cards/ema-window/reset").get_json()["card"]["state"] == "new"
    assert db.session.scalar(db.select(CardState).where(CardState.card_slug == "ema-window")) is None
    assert len(card_browser.review_history(user, "ema-window")) == 1


def test_actions_on_unknown_cards_answer_404(client: FlaskClient, user: User) -> None:
    assert client.post("/api/cards/no-such-card/suspend").status_code == 404
    assert client.post("/api/cards/gd-retired/bury").status_code == 404


def lapse(user: User, slug: str, times: int) -> list[bool]:
    """Rate the card Good then Again `times` times (each Again on a review card is a lapse)."""
    marks = []
    now = dt.datetime.now(dt.UTC)
    for _ in range(times):
        committed(review.review_card, user, slug, 4, new_key(), None, now=now)
        now += dt.timedelta(days=30)
        marks.append(committed(review.review_card, user, slug, 1, new_key(), None, now=now).leech)
        now += dt.timedelta(days=1)
    return marks


def test_a_card_becomes_a_leech_at_the_threshold_and_is_suspended(client: FlaskClient, user: User) -> None:
    user.leech_threshold = 3
    db.session.commit()
    assert lapse(user, "ema-window", 3) == [False, False, True]
    card = client.get("/api/cards?state=leech").get_json()["cards"]
    assert [(c["slug"], c["lapses"], c["suspended"]) for c in card] == [("ema-window", 3, True)]
    assert "ema-window" not in {c.slug for c in review.next_new_cards(user, limit=10)}
    dashboard = client.get("/progress").get_data(as_text=True)
    assert 'href="/cards/ema-window"' in dashboard and "3 lapses" in dashboard
    focus = client.get("/progress/focus?leeches=1")
    assert focus.status_code == 200 and "ema-window" in focus.get_data(as_text=True)
    assert "ema-window" not in progress.weakest_card_slugs(user)


def test_below_the_threshold_no_card_is_a_leech(user: User) -> None:
    assert lapse(user, "ema-window", 2) == [False, False]
    assert card_browser.leeches(user) == []


def test_the_browser_page_searches_and_acts_on_several_cards(client: FlaskClient, user: User) -> None:
    page = client.get("/cards?q=window").get_data(as_text=True)
    assert 'data-card="ema-window"' in page and 'data-card="gd-update-direction"' not in page
    response = client.post(
        "/cards", data={"action": "suspend", "card": ["ema-window", "ema-window-formula"], "q": "window"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/cards?q=window")
    assert found(client, state="suspended") == ["ema-window", "ema-window-formula"]
    assert client.post("/cards", data={"action": "explode", "card": ["ema-window"]}).status_code == 400
    assert client.get("/cards?state=nonsense").status_code == 400


def test_the_card_page_shows_state_flags_and_review_history(client: FlaskClient, user: User) -> None:
    rated = committed(review.review_card, user, "ema-window", 3, new_key(), 4200)
    committed(card_browser.act_on_cards, user, "suspend", ["ema-window"])
    page = client.get("/cards/ema-window").get_data(as_text=True)
    assert "Suspended." in page and "Good" in page and "4.2 s" in page
    assert printed(page_charts(page)["Your ratings of this card (1 Again … 4 Easy)"]) == {
        rated.reviewed_at.strftime("%m-%d"): "Good"
    }


def test_the_leech_threshold_is_a_checked_setting(user: User) -> None:
    from quizapp.services import accounts

    settings = accounts.settings_of(user)
    assert settings.leech_threshold == 8
    for bad in (0, 100, -3):
        with pytest.raises(accounts.AccountError) as refused:
            committed(accounts.update_settings, user, dataclasses.replace(settings, leech_threshold=bad))
        assert "leech_threshold" in refused.value.errors
    committed(accounts.update_settings, user, dataclasses.replace(settings, leech_threshold=4))
    assert user.leech_threshold == 4


def test_the_settings_page_saves_the_leech_threshold(client: FlaskClient, user: User) -> None:
    form = {"desired_retention": "0.9", "new_cards_per_day": "20", "timezone": "UTC", "minutes_per_day": "30"}
    form["new_card_order"] = "mixed"
    assert client.post("/auth/settings", data={**form, "leech_threshold": "5"}).status_code == 302
    assert db.session.get(User, user.id).leech_threshold == 5
    assert client.post("/auth/settings", data=form).status_code == 302  # an older form: kept
    assert db.session.get(User, user.id).leech_threshold == 5
    refused = client.post("/auth/settings", data={**form, "leech_threshold": "0"})
    assert refused.status_code == 200 and "Choose a number of lapses from 1 to 99." in refused.get_data(
        as_text=True
    )
    assert client.post("/auth/settings", data={**form, "leech_threshold": "many"}).status_code == 200
    assert db.session.get(User, user.id).leech_threshold == 5
