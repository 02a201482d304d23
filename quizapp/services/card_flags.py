"""A learner's flags on cards (suspended, buried, leech): the query rule that keeps flagged cards out of
every study queue, and the leech marking a rating applies. Imports only the models, so the review queue
(services/review.py) and the card browser (services/card_browser.py) share it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from quizapp.extensions import db, savepoint
from quizapp.models import Card, CardFlag

# The flags a rating that makes a card a leech sets, and records as they were before (`flags_before`).
LEECH_FLAGS = ("suspended", "leech")


def held_back(user_id: int, now: dt.datetime) -> ColumnElement[bool]:
    """True for a card (`Card.slug` in the outer query) the learner suspended, or buried past `now`."""
    # correlate_except: the outer query may join card_flags itself (the browser does).
    return exists().where(CardFlag.card_slug == Card.slug, _holds(user_id, now)).correlate_except(CardFlag)


def held_back_slugs(user_id: int, now: dt.datetime) -> Select[tuple[str]]:
    """The slugs of the cards `held_back` is true for, as one query of the learner's flag rows."""
    return select(CardFlag.card_slug).where(_holds(user_id, now))


def _holds(user_id: int, now: dt.datetime) -> ColumnElement[bool]:
    """The learner's flag rows that keep a card out of the queues: suspended, or buried past `now`."""
    return and_(CardFlag.user_id == user_id, or_(CardFlag.suspended.is_(True), CardFlag.buried_until > now))


def flag_row(user_id: int, card_slug: str) -> CardFlag:
    """The learner's flag row for a card, created (unflagged, flushed) when there is none. Two requests that
    both find none (a double click on Suspend) get the same row: the one whose insert loses to the unique
    key reads the winner's."""
    mine = select(CardFlag).where(CardFlag.user_id == user_id, CardFlag.card_slug == card_slug)
    row = db.session.scalar(mine)
    if row is not None:
        return row
    try:
        with savepoint():
            row = CardFlag(user_id=user_id, card_slug=card_slug, suspended=False, leech=False)
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = db.session.scalar(mine)
        if row is None:  # not a concurrent twin (an unknown card, a user gone): the caller's error
            raise
    return row


def mark_leech(user_id: int, card_slug: str) -> dict[str, bool]:
    """Tag the card a leech and suspend it, inside the caller's transaction. Returns the card's flags before
    (`{"suspended": ..., "leech": ...}`), which the rating stores so that undoing it can clear what it set."""
    row = flag_row(user_id, card_slug)
    before = {"suspended": bool(row.suspended), "leech": bool(row.leech)}
    row.leech = True
    row.suspended = True
    db.session.flush()
    return before


def unmark_leech(user_id: int, card_slug: str, before: dict[str, bool]) -> None:
    """Undo a rating's `mark_leech`: clear the suspension and the leech mark that rating set, keeping those
    the card had before it (`before`, as `mark_leech` returned it).

    Only ever clears a flag, never sets one, in one UPDATE (no read-modify-write a concurrent card-browser
    action could lose): a flag the person cleared since (unsuspended, reset) stays clear, and a flag the
    card already had before the rating stays. A flag the person set again since, by hand, on a flag that
    rating had set, cannot be told apart (the flags keep no history) and is cleared with it."""
    if not isinstance(before, dict):
        return
    cleared = {name: False for name in LEECH_FLAGS if before.get(name) is False}
    if not cleared:
        return
    mine = CardFlag.user_id == user_id, CardFlag.card_slug == card_slug
    db.session.execute(update(CardFlag).where(*mine).values(**cleared))
