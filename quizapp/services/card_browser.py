"""The card browser: find cards by full-text search and filters, and suspend, bury or reset them.

Search uses the database's own full-text index (migration 0005): SQLite's FTS5 table `cards_fts`, ranked by
bm25, or PostgreSQL's `cards.search_vector` (GIN), ranked by ts_rank. Both get the same word list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Select, String, and_, delete, func, or_, select, text

from quizapp import srs
from quizapp.extensions import db
from quizapp.models import Card, CardFlag, CardState, Review, Topic, User, utcnow
from quizapp.services.card_flags import flag_row
from quizapp.services.errors import ServiceError

PAGE_SIZE = 25
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
MAX_BULK = 100
STATES = ("new", "learning", "review", "suspended", "buried", "leech", "due")
SORTS = ("relevance", "bank", "due", "difficulty", "lapses")
KINDS = ("basic", "numeric", "symbolic", "code")
ACTIONS = ("suspend", "unsuspend", "bury", "reset")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class CardQuery:
    """What the browser asks for; every field already checked (card_query builds it from request args)."""

    q: str = ""
    topic: str | None = None
    kind: str | None = None
    tag: str | None = None
    state: str | None = None
    sort: str = "bank"
    page: int = 1


@dataclass(frozen=True)
class BrowsedCard:
    """A card with the person's memory state (None while new) and flags (None: no flag set)."""

    card: Card
    state: CardState | None
    flag: CardFlag | None
    now: dt.datetime

    @property
    def state_name(self) -> str:
        return srs.state_name(self.state.state if self.state else None)

    @property
    def suspended(self) -> bool:
        return bool(self.flag and self.flag.suspended)

    @property
    def leech(self) -> bool:
        return bool(self.flag and self.flag.leech)

    @property
    def buried_until(self) -> dt.datetime | None:
        until = self.flag.buried_until if self.flag else None
        return until if until is not None and until > self.now else None


@dataclass(frozen=True)
class CardResults:
    cards: list[BrowsedCard]
    total: int
    query: CardQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


# ----------------------------------------------------------------------------------------------- query


def card_query(args: Mapping[str, str]) -> CardQuery:
    """Check the browser's request arguments; ServiceError(400) says which one is wrong and how."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise ServiceError(400, f"Keep the search under {MAX_QUERY_CHARS} characters.")
    state = _choice(args, "state", STATES)
    kind = _choice(args, "kind", KINDS)
    sort = _choice(args, "sort", SORTS) or ("relevance" if q else "bank")
    topic = args.get("topic") or None
    if topic is not None and db.session.get(Topic, topic) is None:
        raise ServiceError(400, f"There is no topic named {topic[:64]!r}; GET /api/topics lists them.")
    tag = (args.get("tag") or "").strip() or None
    if tag is not None and len(tag) > 64:
        raise ServiceError(400, "A tag is at most 64 characters.")
    raw_page = args.get("page") or "1"
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and few of them (int() refuses 4,300)
    digits = raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6
    if not (digits and 1 <= int(raw_page) <= MAX_PAGE):
        raise ServiceError(400, f"page must be a whole number from 1 to {MAX_PAGE}.")
    return CardQuery(q, topic, kind, tag, state, sort, int(raw_page))


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = args.get(name) or None
    if value is not None and value not in allowed:
        raise ServiceError(400, f"{name} must be one of {', '.join(allowed)}.")
    return value


def search_words(q: str) -> list[str]:
    """The words of a search (letters and digits; everything else separates), lower-cased, at most 12."""
    return [word.lower() for word in WORD.findall(q)][:MAX_QUERY_WORDS]


# What each filter and sort reads: the person's memory state, their flags, or both.
READS_STATE = ("new", "learning", "review", "due", "difficulty", "lapses")
READS_FLAGS = ("suspended", "buried", "leech", "due")


def search_cards(user: User, query: CardQuery, now: dt.datetime | None = None) -> CardResults:
    """One page of the live cards matching `query`, with the person's state and flags."""
    now = now or utcnow()
    statement = select(Card.slug).where(Card.retired.is_(False), *_filters(user, query, now))
    # Join the person's states and flags only where a filter or the sort reads them: each is a lookup per
    # matching card, and a search can match thousands.
    if query.state in READS_STATE or query.sort in READS_STATE:
        statement = statement.outerjoin(
            CardState, and_(CardState.card_slug == Card.slug, CardState.user_id == user.id)
        )
    if query.state in READS_FLAGS:
        statement = statement.outerjoin(
            CardFlag, and_(CardFlag.card_slug == Card.slug, CardFlag.user_id == user.id)
        )
    rank = None
    if query.q:
        words = search_words(query.q)
        if not words:
            return CardResults([], 0, query)
        matches = _text_matches(words)
        statement = statement.join(matches, matches.c.slug == Card.slug)
        rank = matches.c.rank
    # Order and page over slugs only (narrow rows to sort), then load the page's rows. The total comes with
    # the page (a window count over every match): one pass over the matches instead of two.
    counted = statement.add_columns(func.count().over().label("total"))
    ordered = _ordered(counted.join(Topic, Topic.slug == Card.topic_slug), query.sort, rank)
    found = db.session.execute(ordered.limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)).all()
    page = [slug for slug, _ in found]
    if found:
        total = int(found[0].total)
    else:  # past the last page: the window saw no rows, so count on its own
        total = int(db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    rows = {
        card.slug: (card, state, flag) for card, state, flag in db.session.execute(_with_state(user, page))
    }
    return CardResults([BrowsedCard(*rows[slug], now) for slug in page], total, query)


def _with_state(user: User, slugs: list[str]) -> Select[Any]:
    return (
        select(Card, CardState, CardFlag)
        .outerjoin(CardState, and_(CardState.card_slug == Card.slug, CardState.user_id == user.id))
        .outerjoin(CardFlag, and_(CardFlag.card_slug == Card.slug, CardFlag.user_id == user.id))
        .where(Card.slug.in_(slugs))
    )


def _filters(user: User, query: CardQuery, now: dt.datetime) -> list[Any]:
    where: list[Any] = []
    if query.topic:
        where.append(Card.topic_slug == query.topic)
    if query.kind:
        where.append(Card.kind == query.kind)
    if query.tag:
        # Tags are a JSON list; the quoted tag as json.dumps writes it, with LIKE's wildcards escaped.
        quoted = json.dumps(query.tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(func.cast(Card.tags, String).like(f"%{quoted}%", escape="\\"))
    if query.state:
        where.append(_state_condition(user, query.state, now))
    return where


def _state_condition(user: User, state: str, now: dt.datetime) -> Any:
    conditions = {
        "new": CardState.id.is_(None),
        "learning": CardState.state.in_((1, 3)),
        "review": CardState.state == 2,
        "suspended": CardFlag.suspended.is_(True),
        "buried": CardFlag.buried_until > now,
        "leech": CardFlag.leech.is_(True),
        # The flag row is joined already: no per-row EXISTS (services.card_flags.held_back) needed here.
        "due": and_(
            CardState.due <= now,
            or_(CardFlag.id.is_(None), CardFlag.suspended.is_(False)),
            or_(CardFlag.buried_until.is_(None), CardFlag.buried_until <= now),
        ),
    }
    return conditions[state]


def _text_matches(words: list[str]) -> Any:
    """A (slug, rank) subquery of the cards whose text has every word (as a prefix); lower rank is better."""
    if db.engine.dialect.name == "postgresql":
        sql = (
            "SELECT slug, -ts_rank(search_vector, query) AS rank "
            "FROM cards, to_tsquery('english', :terms) AS query WHERE search_vector @@ query"
        )
        terms = " & ".join(f"{word}:*" for word in words)
    else:
        # Each word quoted: FTS5 query syntax (AND, NEAR, column filters) cannot be injected.
        sql = (
            "SELECT slug, bm25(cards_fts, 0.0, 10.0, 4.0, 2.0) AS rank "
            "FROM cards_fts WHERE cards_fts MATCH :terms"
        )
        terms = " ".join(f'"{word}"*' for word in words)
    return text(sql).bindparams(terms=terms).columns(slug=String, rank=Float).subquery("matches")


def _ordered(statement: Select[Any], sort: str, rank: Any) -> Select[Any]:
    bank = (Topic.position, Topic.slug, Card.position, Card.slug)
    if sort == "relevance" and rank is not None:
        return statement.order_by(rank, *bank)
    if sort == "due":
        return statement.order_by(CardState.due.is_(None), CardState.due, *bank)
    if sort == "difficulty":
        return statement.order_by(CardState.difficulty.is_(None), CardState.difficulty.desc(), *bank)
    if sort == "lapses":
        return statement.order_by(func.coalesce(CardState.lapses, 0).desc(), *bank)
    return statement.order_by(*bank)


# --------------------------------------------------------------------------------------------- actions


def act_on_cards(user: User, action: str, slugs: object, now: dt.datetime | None = None) -> list[str]:
    """Suspend, unsuspend, bury (until the start of the person's next day) or reset (to new) the named
    live cards, all in the caller's unit of work; returns the slugs acted on. Nothing changes if one is
    unknown."""
    if action not in ACTIONS:
        raise ServiceError(400, f"action must be one of {', '.join(ACTIONS)}.")
    wanted = _checked_slugs(slugs)
    now = now or utcnow()
    for slug in wanted:
        _apply(user, action, slug, now)
    db.session.flush()
    return wanted


def act_on_card(user: User, action: str, slug: str, now: dt.datetime | None = None) -> BrowsedCard:
    """One action on one card (as act_on_cards), then the card as the browser shows it now."""
    now = now or utcnow()
    act_on_cards(user, action, [slug], now)
    return browsed_card(user, slug, now)


def _checked_slugs(slugs: object) -> list[str]:
    if not isinstance(slugs, list) or not slugs or not all(isinstance(slug, str) for slug in slugs):
        raise ServiceError(400, "Choose at least one card.")
    wanted = list(dict.fromkeys(slugs))
    if len(wanted) > MAX_BULK:
        raise ServiceError(400, f"Choose at most {MAX_BULK} cards at once.")
    live = set(db.session.scalars(select(Card.slug).where(Card.slug.in_(wanted), Card.retired.is_(False))))
    missing = [slug for slug in wanted if slug not in live]
    if missing:
        raise ServiceError(404, f"There is no card named {missing[0][:100]!r}.")
    return wanted


def _apply(user: User, action: str, slug: str, now: dt.datetime) -> None:
    row = flag_row(user.id, slug)
    if action == "suspend":
        row.suspended = True
    elif action == "unsuspend":
        row.suspended, row.buried_until = False, None
    elif action == "bury":
        row.buried_until = srs.local_day_window(now, user.timezone)[1]
    else:  # reset: new again, no longer a leech; a suspension stays until lifted
        db.session.execute(delete(CardState).where(CardState.user_id == user.id, CardState.card_slug == slug))
        row.leech, row.buried_until = False, None


def browsed_card(user: User, slug: str, now: dt.datetime | None = None) -> BrowsedCard:
    """One live card as the browser shows it (404 for unknown or retired cards)."""
    found = db.session.execute(_with_state(user, [slug])).first()
    if found is None or found[0].retired:
        raise ServiceError(404, f"There is no card named {slug[:100]!r}.")
    return BrowsedCard(*found, now or utcnow())


def review_history(user: User, slug: str, limit: int = 200) -> list[Review]:
    """The person's latest reviews of the card, oldest first."""
    latest = select(Review).where(Review.user_id == user.id, Review.card_slug == slug)
    rows = db.session.scalars(latest.order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(limit))
    return list(reversed(list(rows)))


def leeches(user: User) -> list[BrowsedCard]:
    """The person's leeches, most lapses first (the dashboard's list)."""
    return search_cards(user, CardQuery(state="leech", sort="lapses")).cards


def leech_slugs(user: User) -> list[str]:
    """Slugs of the person's leeches, most lapses first: what a "leeches" focus session shows."""
    found = db.session.execute(
        select(CardFlag.card_slug)
        .join(Card, Card.slug == CardFlag.card_slug)
        .outerjoin(CardState, and_(CardState.card_slug == Card.slug, CardState.user_id == user.id))
        .where(CardFlag.user_id == user.id, CardFlag.leech.is_(True), Card.retired.is_(False))
        .order_by(func.coalesce(CardState.lapses, 0).desc(), Card.slug)
    )
    return [slug for (slug,) in found]
