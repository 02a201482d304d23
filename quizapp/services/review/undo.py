"""Undo: take back the person's last rating, restoring the card's previous state (or making it new again),
and, when that rating made the card a leech, clearing the leech mark and suspension it set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm.exc import StaleDataError

from quizapp.extensions import db
from quizapp.models import Review, User
from quizapp.services.card_flags import unmark_leech
from quizapp.services.errors import ServiceError
from quizapp.services.review.states import apply_state, state_row
from quizapp.srs import MemoryState, Rating

UNDOABLE_ORIGINS = ("review", "focus")


@dataclass(frozen=True)
class UndoResult:
    card_slug: str
    rating: Rating
    restored: MemoryState | None  # None: the card is new again


def undo_last_review(user: User, review_id: int | None = None) -> UndoResult:
    """Take back the person's last rating: restore the card's previous state (or make it new again) and
    delete the review. With `review_id`, only if that review is still the last one (a repeated undo
    request does not take back a second rating). If that rating made the card a leech, the leech mark and
    the suspension it set are cleared (`card_flags.unmark_leech`: flags the card had before stay, and a
    flag the person cleared since stays clear)."""
    last = db.session.scalar(
        select(Review)
        .where(Review.user_id == user.id, Review.origin.in_(UNDOABLE_ORIGINS))
        .order_by(Review.reviewed_at.desc(), Review.id.desc())
        .limit(1)
    )
    if review_id is not None and _own_review(user, review_id) is None:
        raise ServiceError(404, f"You have no rating with id {review_id} (undone already?).")
    if last is None:
        raise ServiceError(409, "There is no rating to undo.")
    if review_id is not None and last.id != review_id:
        raise ServiceError(409, "That rating is no longer your last one (it was undone already); reload.")
    _require_last_of_card(user, last)
    undone = UndoResult(
        card_slug=last.card_slug,
        rating=Rating(last.rating),
        restored=MemoryState.from_dict(last.previous_state) if last.previous_state else None,
    )
    flags_before = last.flags_before
    _delete_review_once(user.id, last.id)
    row = state_row(user.id, undone.card_slug)
    try:
        if undone.restored is None and row is not None:
            db.session.delete(row)
        elif undone.restored is not None:
            apply_state(user.id, undone.card_slug, row, undone.restored)
        db.session.flush()  # the state's version check, before the caller commits
    except StaleDataError:
        raise ServiceError(409, "The card changed while undoing; reload and try again.") from None
    if flags_before is not None:  # that rating made the card a leech: clear the flags it set
        # After the state, in a rating's order (state, then flags): no lock-order deadlock with a rating.
        unmark_leech(user.id, undone.card_slug, flags_before)
    return undone


def _delete_review_once(user_id: int, review_id: int) -> None:
    """Delete the review first, and only if it is still there: of two undos racing for it, the second
    waits on the first one's row lock (PostgreSQL) or write lock (SQLite), then deletes nothing and is
    refused before it writes anything (the caller's unit of work rolls back)."""
    deleted = db.session.execute(
        delete(Review).where(Review.id == review_id, Review.user_id == user_id),
        execution_options={"synchronize_session": False},
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError(409, "That rating was just undone (another tab or request); reload.")


def _own_review(user: User, review_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.id == review_id, Review.user_id == user.id))


def _require_last_of_card(user: User, review: Review) -> None:
    later = db.session.scalar(
        select(func.count(Review.id)).where(
            Review.user_id == user.id,
            Review.card_slug == review.card_slug,
            Review.id != review.id,
            Review.reviewed_at >= review.reviewed_at,
        )
    )
    if later:
        raise ServiceError(409, "This card was reviewed again since (e.g. by a drill); it cannot be undone.")
