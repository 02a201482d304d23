"""load_bank(): sync the checked question bank (topics, cards, drills) into the database in one transaction.

Cards and drills are matched by slug: edited text updates in place, ones gone from the bank are retired
(never deleted, so every review and card state stays), and a retired one that comes back is restored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from quizapp.bank import Bank, BankError, CardSpec, DrillSpec, checked_bank
from quizapp.bank.model import Topic as TopicSpec
from quizapp.bank.model import content_version
from quizapp.extensions import db
from quizapp.models import Card, Drill, Topic


class BankCheckFailed(ValueError):
    """The bank does not pass `quizapp questions check`; nothing was written."""

    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        shown = "\n".join(str(error) for error in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"the question bank has {len(errors)} error(s); nothing was loaded:\n{shown}{more}")


@dataclass
class SyncCounts:
    """What one load did to one kind of row."""

    created: int = 0
    updated: int = 0
    restored: int = 0
    retired: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.restored + self.retired

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.restored} restored, "
            f"{self.retired} retired, {self.unchanged} unchanged"
        )


@dataclass
class LoadReport:
    """Counts per kind of row; `warnings` are check warnings that did not stop the load."""

    topics: SyncCounts = field(default_factory=SyncCounts)
    cards: SyncCounts = field(default_factory=SyncCounts)
    drills: SyncCounts = field(default_factory=SyncCounts)
    warnings: list[BankError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.topics.changed or self.cards.changed or self.drills.changed)

    def lines(self) -> list[str]:
        return [f"topics: {self.topics}", f"cards:  {self.cards}", f"drills: {self.drills}"]


def load_bank(questions_dir: Path | str | None = None, seeds_dir: Path | str | None = None) -> LoadReport:
    """Check the bank, then upsert it (flushed; the caller commits it as one unit of work). Raises
    BankCheckFailed when the check finds errors, before anything is written. Defaults: QUESTIONS_DIR and
    SEEDS_DIR from config."""
    questions_dir = Path(questions_dir or current_app.config["QUESTIONS_DIR"])
    seeds_dir = Path(seeds_dir or current_app.config["SEEDS_DIR"])
    bank, problems = checked_bank(questions_dir, seeds_dir, judge_examples=False)
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise BankCheckFailed(errors)
    report = LoadReport(warnings=[problem for problem in problems if not problem.is_error])
    sync_bank(bank, report)
    return report


def sync_bank(bank: Bank, report: LoadReport) -> None:
    """Apply `bank` to the session (flushed, not committed): topics first, since cards and drills use them."""
    _sync_topics(bank.topics, report.topics)
    db.session.flush()
    _sync_cards(bank.cards, report.cards)
    _sync_drills(bank.drills, report.drills)
    db.session.flush()


def _sync_topics(topics: Iterable[TopicSpec], counts: SyncCounts) -> None:
    # Topics have no retired flag: a topic left without live cards simply shows nothing to study.
    existing = {topic.slug: topic for topic in db.session.scalars(select(Topic))}
    for spec in topics:
        values = {"title": spec.title, "description": spec.description, "position": spec.position}
        _upsert(existing.get(spec.slug), Topic, spec.slug, values, counts)


def _sync_cards(cards: Iterable[CardSpec], counts: SyncCounts) -> None:
    existing = {card.slug: card for card in db.session.scalars(select(Card))}
    seen = set()
    for spec in cards:
        seen.add(spec.slug)
        _upsert(existing.get(spec.slug), Card, spec.slug, card_values(spec), counts)
    counts.retired += _retire(row for slug, row in existing.items() if slug not in seen)


def card_values(spec: CardSpec) -> dict[str, Any]:
    """The Card columns the bank decides, as plain JSON-able values."""
    front, back, answer = spec.front.text.strip(), spec.back.text.strip(), _plain(spec.answer_for_storage())
    return {
        "topic_slug": spec.topic,
        "kind": spec.kind,
        "front": front,
        "back": back,
        "answer": answer,
        "content_version": content_version(spec.kind, front, back, answer),
        "drill_slug": spec.drill,
        "source_seed": spec.source.seed,
        "source_section": spec.source.section,
        "tags": list(spec.tags),
        "position": spec.position,
    }


def _sync_drills(drills: Iterable[DrillSpec], counts: SyncCounts) -> None:
    existing = {drill.slug: drill for drill in db.session.scalars(select(Drill))}
    seen = set()
    for spec in drills:
        seen.add(spec.slug)
        values = {"topic_slug": spec.topic, "title": spec.title, "position": spec.position}
        _upsert(existing.get(spec.slug), Drill, spec.slug, values, counts)
    counts.retired += _retire(row for slug, row in existing.items() if slug not in seen)


def _upsert(row: Any, model: type[Any], slug: str, values: dict[str, Any], counts: SyncCounts) -> None:
    """Create the row, or set only the columns that differ (so an unchanged row is not touched at all)."""
    if row is None:
        row = model(slug=slug)
        _assign(row, values)
        if hasattr(row, "retired"):
            row.retired = False
        db.session.add(row)
        counts.created += 1
        return
    changed = _assign(row, values)
    if getattr(row, "retired", False):
        row.retired = False
        counts.restored += 1
    elif changed:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _retire(rows: Iterable[Card | Drill]) -> int:
    """Mark live rows retired; returns how many. Never deleted: reviews, card states and submissions
    keep pointing at them."""
    retired = 0
    for row in rows:
        if not row.retired:
            row.retired = True
            retired += 1
    return retired


def _plain(value: Any) -> Any:
    """YAML's line-remembering containers as plain dicts and lists (what the JSON column gives back)."""
    return json.loads(json.dumps(value)) if value is not None else None
