"""The mock interview's pure rules (quizapp.srs.mock_interview): which cards and drill are asked, weighted
to the weakest topics with every topic represented, typed cards first; how answers score; time per answer."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from quizapp.srs import mock_interview as mi
from quizapp.srs.mock_interview import Answer, Candidate, DrillCandidate

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def bank(topic: str, count: int, recall: float | None, typed: int = 0, lapses: int = 0) -> list[Candidate]:
    return [Candidate(f"{topic}-{index}", topic, index < typed, recall, lapses) for index in range(count)]


def test_the_card_count_follows_the_length_within_bounds() -> None:
    assert mi.card_count(30) == 10
    assert mi.card_count(10) == mi.MIN_CARDS
    assert mi.card_count(120) == 40
    assert mi.card_count(1000) == mi.MAX_CARDS


def test_weakness_grows_as_recall_falls_and_with_lapses() -> None:
    assert Candidate("a", "t", False, 0.95).weakness == pytest.approx(0.05)
    assert Candidate("a", "t", False, 0.5, lapses=2).weakness == pytest.approx(0.6)
    assert Candidate("a", "t", False, None).weakness == mi.NEW_CARD_WEAKNESS
    capped = Candidate("a", "t", False, 1.0, lapses=100).weakness
    assert capped == pytest.approx(mi.LAPSE_WEAKNESS * mi.MAX_COUNTED_LAPSES)


def test_topics_are_ordered_weakest_first() -> None:
    cards = bank("strong", 3, 0.95) + bank("weak", 3, 0.3) + bank("middle", 3, 0.7)
    assert list(mi.topic_weakness(cards)) == ["weak", "middle", "strong"]


def test_every_topic_is_asked_when_there_are_enough_questions() -> None:
    cards = bank("a", 10, 0.9) + bank("b", 10, 0.2) + bank("c", 10, 0.95) + bank("d", 1, 0.99)
    for seed in range(20):
        chosen = mi.select_cards(cards, 6, random.Random(seed))
        assert {card.topic for card in chosen} == {"a", "b", "c", "d"}
        assert len({card.slug for card in chosen}) == 6


def test_the_weakest_topics_get_the_first_questions_when_there_are_fewer_than_topics() -> None:
    cards = bank("a", 5, 0.9) + bank("b", 5, 0.2) + bank("c", 5, 0.5)
    chosen = mi.select_cards(cards, 2, random.Random(1))
    assert sorted(card.topic for card in chosen) == ["b", "c"]


def test_the_extra_questions_go_to_the_weakest_topics() -> None:
    cards = bank("strong", 20, 0.99) + bank("weak", 20, 0.1)
    counts = Counter(card.topic for card in mi.select_cards(cards, 20, random.Random(3)))
    assert counts["weak"] > counts["strong"] >= 1
    assert sum(counts.values()) == 20


def test_a_small_bank_is_asked_whole_and_no_card_twice() -> None:
    cards = bank("a", 2, 0.5) + bank("b", 1, None)
    chosen = mi.select_cards(cards, 10, random.Random(0))
    assert sorted(card.slug for card in chosen) == ["a-0", "a-1", "b-0"]


def test_a_topic_never_gives_more_cards_than_it_has() -> None:
    cards = bank("weak", 2, 0.0) + bank("strong", 30, 0.99)
    counts = Counter(card.topic for card in mi.select_cards(cards, 12, random.Random(5)))
    assert counts == {"weak": 2, "strong": 10}


def test_typed_cards_are_preferred_among_equally_weak_cards_without_crowding_out_the_others() -> None:
    cards = bank("a", 6, 0.6, typed=3)
    picks = Counter(
        card.typed for seed in range(300) for card in mi.select_cards(cards, 3, random.Random(seed))
    )
    # Half the cards are typed: without a preference they would fill half the places.
    assert picks[True] > 0.6 * 900 and picks[False] > 0.1 * 900


def test_a_single_question_from_a_topic_is_a_typed_one_when_it_has_one() -> None:
    cards = [*bank("a", 5, 0.5), Candidate("typed", "a", True, 0.9)]
    for seed in range(20):
        assert [c.slug for c in mi.select_cards(cards, 1, random.Random(seed))] == ["typed"]


def test_typed_and_self_rated_cards_alternate_while_both_are_left() -> None:
    cards = bank("a", 20, None, typed=4) + bank("b", 20, None, typed=10)
    chosen = mi.select_cards(cards, 12, random.Random(4))
    assert sum(card.typed for card in chosen) == 6
    only_self_rated_left = mi.select_cards(bank("a", 20, None, typed=2), 10, random.Random(4))
    assert sum(card.typed for card in only_self_rated_left) == 2


def test_within_a_topic_the_weakest_cards_come_first() -> None:
    # Recall 0.0, 0.1, 0.2 vs 0.7, 0.8, 0.9: further apart than the random spread.
    cards = [Candidate(f"a-{r}", "a", False, r / 10) for r in (0, 1, 2, 7, 8, 9)]
    for seed in range(20):
        chosen = mi.select_cards(cards, 3, random.Random(seed))
        assert sorted(card.slug for card in chosen) == ["a-0", "a-1", "a-2"]


def test_the_same_seed_gives_the_same_interview_and_the_order_mixes_topics() -> None:
    cards = bank("a", 10, 0.5) + bank("b", 10, 0.5)
    first = mi.select_cards(cards, 10, random.Random(7))
    assert first == mi.select_cards(cards, 10, random.Random(7))
    topics = [card.topic for card in first]
    assert topics not in (sorted(topics), sorted(topics, reverse=True))


def test_the_drill_comes_from_the_weakest_topic_and_prefers_drills_not_passed() -> None:
    weakness = {"weak": 0.8, "strong": 0.1}
    drills = [DrillCandidate("adam", "weak", True), DrillCandidate("sgd", "strong", False)]
    assert mi.choose_drill(drills, weakness, random.Random(0)) == "sgd"
    drills = [DrillCandidate("adam", "weak", False), DrillCandidate("sgd", "strong", False)]
    assert mi.choose_drill(drills, weakness, random.Random(0)) == "adam"
    assert mi.choose_drill([], weakness, random.Random(0)) is None


def test_points_typed_right_or_wrong_self_rated_by_rating_unanswered_zero() -> None:
    assert Answer(1, "t", True, 3, True).points == 1.0
    assert Answer(1, "t", True, 1, False).points == 0.0
    assert [Answer(1, "t", False, r).points for r in (1, 2, 3, 4)] == [0.0, 0.5, 1.0, 1.0]
    assert Answer(1, "t", False).points == 0.0


def test_topic_scores_count_unanswered_questions_and_sort_lowest_first() -> None:
    answers = [
        Answer(1, "a", True, 3, True),
        Answer(2, "a", False),
        Answer(3, "b", False, 2),
        Answer(4, "c", False, 4),
    ]
    scores = mi.topic_scores(answers)
    assert [(s.topic, s.questions, s.answered, s.score) for s in scores] == [
        ("a", 2, 1, 0.5),
        ("b", 1, 1, 0.5),
        ("c", 1, 1, 1.0),
    ]
    assert mi.overall_score(answers) == pytest.approx(2.5 / 4)
    assert mi.overall_score([]) == 0.0
    assert mi.study_next(scores) == ["a", "b"]


def test_study_next_lists_at_most_three_topics_below_full_marks() -> None:
    answers = [Answer(n, f"t{n}", False, 1) for n in range(1, 6)] + [Answer(9, "ok", False, 3)]
    assert mi.study_next(mi.topic_scores(answers)) == ["t1", "t2", "t3"]


def test_time_per_question_runs_from_the_previous_answer() -> None:
    answers = [
        Answer(2, "a", False, 3, answered_at=T0 + dt.timedelta(seconds=30)),
        Answer(1, "a", False, 3, answered_at=T0 + dt.timedelta(seconds=100)),
        Answer(3, "a", False),
    ]
    assert mi.seconds_per_question(T0, answers) == {2: 30.0, 1: 70.0}
