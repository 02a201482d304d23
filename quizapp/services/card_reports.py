"""Problem reports on cards: a learner says a card is wrong, maintainers list and resolve the reports.

A report keeps the card's content version at the time, so a later fix of the card can be told apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from quizapp import srs
from quizapp.bank.model import content_version
from quizapp.extensions import db
from quizapp.models import Card, CardReport, CardState, User, utcnow
from quizapp.services.errors import ServiceError

MAX_REASON_CHARS = 2000
OPEN, RESOLVED = "open", "resolved"


@dataclass(frozen=True)
class CardPage:
    """What a learner's page for one card shows: the card, their memory state (None while new) and the
    reports they made about it, newest first."""

    card: Card
    state: CardState | None
    reports: list[CardReport]

    @property
    def version(self) -> str:
        return card_version(self.card)

    @property
    def state_name(self) -> str:
        return srs.state_name(self.state.state if self.state else None)


def card_version(card: Card) -> str:
    """The card's content version: the one the bank sync stored, or computed the same way from the row."""
    return card.content_version or content_version(card.kind, card.front, card.back, card.answer)


def report_card(user: User, card_slug: str, reason: object) -> CardReport:
    """Record `user`'s report on a live card; the reason is trimmed and must be 1–2000 characters."""
    text = _checked_reason(reason)
    card = live_card(card_slug)
    report = CardReport(user_id=user.id, card_slug=card.slug, reason=text, card_version=card_version(card))
    db.session.add(report)
    db.session.flush()
    return report


def _checked_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ServiceError(400, 'Say what is wrong with the card: send {"reason": "..."} with some text.')
    text = reason.strip()
    if len(text) > MAX_REASON_CHARS:
        raise ServiceError(
            400, f"The reason is {len(text)} characters long; keep it to {MAX_REASON_CHARS} at most."
        )
    return text


def live_card(card_slug: str) -> Card:
    card = db.session.get(Card, card_slug)
    if card is None or card.retired:
        raise ServiceError(404, f"There is no card {card_slug!r}.")
    return card


def card_page(user: User, card_slug: str) -> CardPage:
    """The card (retired ones too, so old links and reports still resolve), the user's state and reports."""
    card = db.session.get(Card, card_slug)
    if card is None:
        raise ServiceError(404, f"There is no card {card_slug!r}.")
    state = db.session.scalars(
        select(CardState).where(CardState.user_id == user.id, CardState.card_slug == card_slug)
    ).first()
    reports = db.session.scalars(
        select(CardReport)
        .where(CardReport.user_id == user.id, CardReport.card_slug == card_slug)
        .order_by(CardReport.created_at.desc(), CardReport.id.desc())
    ).all()
    return CardPage(card, state, list(reports))


def list_reports(open_only: bool = False) -> list[CardReport]:
    """Every report (or only the open ones), oldest first, with its card and reporter loaded."""
    query = select(CardReport).order_by(CardReport.created_at, CardReport.id)
    if open_only:
        query = query.where(CardReport.status == OPEN)
    return list(db.session.scalars(query).all())


def resolve_report(report_id: int, now: dt.datetime | None = None) -> tuple[CardReport, bool]:
    """Close report `report_id`; returns it and whether it was open (resolving twice changes nothing)."""
    report = db.session.get(CardReport, report_id)
    if report is None:
        raise ServiceError(404, f"There is no report #{report_id}.")
    if report.status == RESOLVED:
        return report, False
    report.status = RESOLVED
    report.resolved_at = now or utcnow()
    db.session.flush()
    return report, True
