"""Mock interviews, the pure part: which cards and drill to ask (weighted to the weakest topics) and how the
answers score. No Flask, no SQL: `services/interviews.py` loads the rows into these records.

A card's weakness is 1 − its predicted recall now (a card never reviewed counts as half known), plus a
little for each lapse; a topic's weakness is the mean over its cards. Every topic gets one question when
there are enough questions, the rest go to topics in proportion to their weakness.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

# Length of an interview, in minutes: the setting's bounds and default.
MINUTES_DEFAULT = 30
MINUTES_MIN = 10
MINUTES_MAX = 120
# Time budgeted for the drill and for each card; they decide how many cards an interview has.
DRILL_MINUTES = 10
CARD_MINUTES = 2
MIN_CARDS = 3
MAX_CARDS = 40
NEW_CARD_WEAKNESS = 0.5
LAPSE_WEAKNESS = 0.05  # per lapse, up to MAX_COUNTED_LAPSES
MAX_COUNTED_LAPSES = 6
# Typed cards test recall exactly, so they come first, but an interview mixes kinds: a typed card is asked
# whenever typed cards make up at most this share of the cards chosen so far (and the topic has one).
TYPED_SHARE = 0.5
JITTER = 0.1  # random spread within a topic, so two interviews do not ask the same cards
# Points per answer: a typed answer is right or wrong; a self-rated one counts by the learner's rating.
POINTS_BY_RATING = {1: 0.0, 2: 0.5, 3: 1.0, 4: 1.0}
STUDY_NEXT_TOPICS = 3
STUDY_NEXT_BELOW = 1.0  # a topic scored below this is worth studying next


@dataclass(frozen=True)
class Candidate:
    """A card that may be asked: its recall now (None when never reviewed) and lapses."""

    slug: str
    topic: str
    typed: bool
    retrievability: float | None = None
    lapses: int = 0

    @property
    def weakness(self) -> float:
        known = NEW_CARD_WEAKNESS if self.retrievability is None else 1.0 - self.retrievability
        return known + LAPSE_WEAKNESS * min(self.lapses, MAX_COUNTED_LAPSES)


@dataclass(frozen=True)
class DrillCandidate:
    slug: str
    topic: str
    passed: bool  # the learner has passed it before


@dataclass(frozen=True)
class Answer:
    """One question's outcome: `rating` 1–4 (typed answers: Good if correct, else Again), None unanswered."""

    number: int
    topic: str
    typed: bool
    rating: int | None = None
    correct: bool | None = None
    answered_at: dt.datetime | None = None

    @property
    def points(self) -> float:
        if self.rating is None:
            return 0.0
        if self.typed:
            return 1.0 if self.correct else 0.0
        return POINTS_BY_RATING.get(self.rating, 0.0)


@dataclass(frozen=True)
class TopicScore:
    topic: str
    questions: int
    answered: int
    points: float

    @property
    def score(self) -> float:
        return self.points / self.questions if self.questions else 0.0


def card_count(minutes: int) -> int:
    """How many cards fit an interview of `minutes` beside its drill."""
    return max(MIN_CARDS, min(MAX_CARDS, (minutes - DRILL_MINUTES) // CARD_MINUTES))


def topic_weakness(candidates: Sequence[Candidate]) -> dict[str, float]:
    """Each topic's mean card weakness, weakest topic first (ties by name)."""
    by_topic: dict[str, list[float]] = defaultdict(list)
    for card in candidates:
        by_topic[card.topic].append(card.weakness)
    means = {topic: sum(values) / len(values) for topic, values in by_topic.items()}
    return dict(sorted(means.items(), key=lambda item: (-item[1], item[0])))


def select_cards(candidates: Sequence[Candidate], count: int, rng: random.Random) -> list[Candidate]:
    """`count` cards (fewer if the bank is smaller): one per topic first, weakest topics first, then the
    rest shared in proportion to topic weakness; within a topic the weakest cards of the kind due next
    (typed while typed cards are at most TYPED_SHARE of those chosen). Shuffled so that topics mix."""
    typed = _ranked_by_topic([card for card in candidates if card.typed], rng)
    rated = _ranked_by_topic([card for card in candidates if not card.typed], rng)
    available = Counter(card.topic for card in candidates)
    chosen: list[Candidate] = []
    typed_count = 0
    for topic, quota in _quotas(topic_weakness(candidates), available, count).items():
        for _ in range(quota):
            want_typed = typed_count <= len(chosen) * TYPED_SHARE
            first, second = (typed, rated) if want_typed else (rated, typed)
            card = (first.get(topic) or second[topic]).pop(0)
            chosen.append(card)
            typed_count += card.typed
    rng.shuffle(chosen)
    return chosen


def _ranked_by_topic(candidates: Sequence[Candidate], rng: random.Random) -> dict[str, list[Candidate]]:
    """Each topic's cards, weakest first (a little random spread breaks ties differently each time)."""
    by_topic: dict[str, list[tuple[float, str, Candidate]]] = defaultdict(list)
    for card in candidates:
        by_topic[card.topic].append((-(card.weakness + rng.uniform(0.0, JITTER)), card.slug, card))
    return {topic: [card for *_, card in sorted(ranked)] for topic, ranked in by_topic.items()}


def _quotas(weakness: dict[str, float], available: Counter[str], count: int) -> dict[str, int]:
    """Cards per topic: one each (weakest first) while `count` lasts, then by weight (1 + weakness),
    never more than a topic has."""
    quotas = dict.fromkeys(weakness, 0)
    left = min(count, sum(available.values()))
    for topic in weakness:
        if left == 0:
            break
        quotas[topic] = 1
        left -= 1
    while left > 0:
        open_topics = [topic for topic in weakness if quotas[topic] < available[topic]]
        # The topic furthest below its weighted share gets the next card.
        topic = min(open_topics, key=lambda t: (quotas[t] / (1.0 + weakness[t]), -weakness[t], t))
        quotas[topic] += 1
        left -= 1
    return quotas


def choose_drill(
    drills: Sequence[DrillCandidate], weakness: dict[str, float], rng: random.Random
) -> str | None:
    """A drill from the weakest topic that has one, preferring drills not passed yet; None without drills."""
    if not drills:
        return None
    order = {topic: position for position, topic in enumerate(weakness)}

    def key(drill: DrillCandidate) -> tuple[bool, int]:
        return drill.passed, order.get(drill.topic, len(order))

    best = min(key(drill) for drill in drills)
    return rng.choice([drill.slug for drill in drills if key(drill) == best])


def topic_scores(answers: Sequence[Answer]) -> list[TopicScore]:
    """Score per topic (points / questions; unanswered questions score 0), lowest score first."""
    by_topic: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_topic[answer.topic].append(answer)
    scores = [
        TopicScore(
            topic=topic,
            questions=len(group),
            answered=sum(answer.rating is not None for answer in group),
            points=sum(answer.points for answer in group),
        )
        for topic, group in by_topic.items()
    ]
    return sorted(scores, key=lambda score: (score.score, score.topic))


def overall_score(answers: Sequence[Answer]) -> float:
    return sum(answer.points for answer in answers) / len(answers) if answers else 0.0


def seconds_per_question(started_at: dt.datetime, answers: Sequence[Answer]) -> dict[int, float]:
    """Time spent on each answered question: from the previous answer (or the start) to its own answer."""
    answered = sorted(
        (a for a in answers if a.answered_at is not None), key=lambda a: (a.answered_at, a.number)
    )
    spent = {}
    previous = started_at
    for answer in answered:
        assert answer.answered_at is not None
        spent[answer.number] = max(0.0, (answer.answered_at - previous).total_seconds())
        previous = answer.answered_at
    return spent


def study_next(scores: Sequence[TopicScore]) -> list[str]:
    """The topics to study next: those scored lowest (below full marks), at most STUDY_NEXT_TOPICS."""
    weakest = sorted((s for s in scores if s.score < STUDY_NEXT_BELOW), key=lambda s: (s.score, s.topic))
    return [score.topic for score in weakest[:STUDY_NEXT_TOPICS]]
