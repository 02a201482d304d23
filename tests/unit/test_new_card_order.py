"""The new-card order (quizapp.srs.new_card_order): mixed interleaves topics and card kinds, keeping each
topic's cards of one kind in bank order; topic by topic is the bank's order unchanged."""

from __future__ import annotations

import random
from fractions import Fraction

from quizapp.srs.new_card_order import (
    KIND_GROUPS,
    MIXED,
    TOPIC_BY_TOPIC,
    NewCard,
    _topics_in_turn,
    kind_group,
    order_new_cards,
)


def bank() -> list[NewCard]:
    """Two topics in bank order, each with six self-rated cards then two typed cards and a drill card."""
    cards = []
    for topic in ("t1", "t2"):
        cards += [NewCard(f"{topic}-basic{i}", topic, "basic") for i in range(6)]
        cards += [NewCard(f"{topic}-num", topic, "numeric"), NewCard(f"{topic}-sym", topic, "symbolic")]
        cards.append(NewCard(f"{topic}-code", topic, "code"))
    return cards


def slugs(cards: list[NewCard]) -> list[str]:
    return [card.slug for card in cards]


def test_topic_by_topic_keeps_the_bank_order() -> None:
    assert order_new_cards(bank(), TOPIC_BY_TOPIC) == bank()


def test_mixed_alternates_topics_and_spreads_kinds_by_their_share() -> None:
    ordered = slugs(order_new_cards(bank(), MIXED))
    # Streams: self-rated t1-b0 t2-b0 t1-b1 ... (12, at (2i+1)/24), typed t1-num t2-num t1-sym t2-sym
    # (4, at (2i+1)/8), code t1-code t2-code (2, at 1/4 and 3/4). Merged by position, ties by kind.
    assert ordered[:9] == [
        "t1-basic0",  # 1/24
        "t2-basic0",  # 3/24
        "t1-num",  # 1/8 = 3/24, after the self-rated card at the same place
        "t1-basic1",  # 5/24
        "t1-code",  # 1/4 = 6/24
        "t2-basic1",  # 7/24
        "t1-basic2",  # 9/24
        "t2-num",  # 3/8 = 9/24
        "t2-basic2",  # 11/24
    ]
    assert sorted(ordered) == sorted(slugs(bank()))


def test_mixed_keeps_each_topic_and_kind_in_bank_order() -> None:
    ordered = order_new_cards(bank(), MIXED)
    for topic in ("t1", "t2"):
        for group in ("self-rated", "typed", "code"):
            picked = [c for c in ordered if c.topic == topic and kind_group(c.kind) == group]
            in_bank = [c for c in bank() if c.topic == topic and kind_group(c.kind) == group]
            assert picked == in_bank


def test_the_first_few_mixed_cards_hold_every_topic_and_a_typed_card() -> None:
    first = order_new_cards(bank(), MIXED)[:4]
    assert {card.topic for card in first} == {"t1", "t2"}
    assert any(kind_group(card.kind) == "typed" for card in first)


def test_an_empty_bank_and_a_single_kind_are_fine() -> None:
    assert order_new_cards([], MIXED) == []
    only_basic = [NewCard("a", "t", "basic"), NewCard("b", "u", "basic"), NewCard("c", "t", "basic")]
    assert slugs(order_new_cards(only_basic, MIXED)) == ["a", "b", "c"]


def _by_fractions(cards: list[NewCard]) -> list[NewCard]:
    """The mixed order by its definition, with exact Fractions: card i of a stream of n at (2i+1)/(2n)."""
    streams = [_topics_in_turn([c for c in cards if kind_group(c.kind) == group]) for group in KIND_GROUPS]
    placed = [
        (Fraction(2 * index + 1, 2 * len(stream)), rank, card)
        for rank, stream in enumerate(streams)
        for index, card in enumerate(stream)
    ]
    return [card for _, _, card in sorted(placed, key=lambda item: item[:2])]


def test_mixed_positions_on_a_common_denominator_order_exactly_as_fractions() -> None:
    kinds = ("basic", "numeric", "symbolic", "code", "concept")
    chooser = random.Random(20261206)
    for size in [*range(0, 40), 97, 274, 1000]:
        topics = chooser.randint(1, 12)
        cards = [
            NewCard(f"c{i}", f"t{chooser.randrange(topics)}", chooser.choice(kinds)) for i in range(size)
        ]
        assert order_new_cards(cards, MIXED) == _by_fractions(cards), size
