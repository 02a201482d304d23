"""The order in which unseen cards are introduced, like Anki's new-card gather and sort options.

"topic" keeps the bank's order: one topic after another. "mixed" (the default) interleaves topics and card
kinds, so a first day already holds several topics and typed cards; within a topic, cards of one kind keep
the bank's order. Pure: it orders records it is given and knows nothing of the database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIXED = "mixed"
TOPIC_BY_TOPIC = "topic"
NEW_CARD_ORDERS = {
    MIXED: "Mixed: topics and card kinds interleaved",
    TOPIC_BY_TOPIC: "Topic by topic, in the bank's order",
}
# Card kinds grouped by how a person answers them; the groups are interleaved in the mixed order.
TYPED_KINDS = ("numeric", "symbolic")
KIND_GROUPS = ("self-rated", "typed", "code")


@dataclass(frozen=True)
class NewCard:
    slug: str
    topic: str
    kind: str


def kind_group(kind: str) -> str:
    if kind in TYPED_KINDS:
        return "typed"
    return "code" if kind == "code" else "self-rated"


def order_new_cards(cards: Sequence[NewCard], order: str) -> list[NewCard]:
    """`cards` in bank order (topics in their order, cards in theirs), rearranged for `order`."""
    if order == TOPIC_BY_TOPIC:
        return list(cards)
    return mixed_order(cards)


def mixed_order(cards: Sequence[NewCard]) -> list[NewCard]:
    """Each kind group (self-rated, typed, code) becomes one stream that takes its topics in turn; the
    streams are then merged in proportion to their sizes, so that a group making up a quarter of the bank
    makes up about a quarter of every day's new cards. Card i of a stream of n sits at (i + 1/2) / n."""
    streams = [
        _topics_in_turn([card for card in cards if kind_group(card.kind) == group]) for group in KIND_GROUPS
    ]
    # The positions on one common denominator, 2·lcm of the stream sizes: exact integers, so positions that
    # are equal fractions tie exactly as Fractions would, at a fraction of the cost (every GET of the next
    # new card orders the whole bank).
    denominator = 2 * math.lcm(*(len(stream) for stream in streams if stream))
    placed = [
        ((2 * index + 1) * (denominator // (2 * len(stream))), rank, card)
        for rank, stream in enumerate(streams)
        for index, card in enumerate(stream)
    ]
    return [card for _, _, card in sorted(placed, key=lambda item: item[:2])]


def _topics_in_turn(cards: Sequence[NewCard]) -> list[NewCard]:
    """Round robin over the topics (in the order they first appear): the first card of every topic, then
    the second of every topic, and so on; each topic's cards stay in their given order."""
    by_topic: dict[str, list[NewCard]] = {}
    for card in cards:
        by_topic.setdefault(card.topic, []).append(card)
    turns = [
        (index, topic_rank, card)
        for topic_rank, topic_cards in enumerate(by_topic.values())
        for index, card in enumerate(topic_cards)
    ]
    return [card for _, _, card in sorted(turns, key=lambda item: item[:2])]
