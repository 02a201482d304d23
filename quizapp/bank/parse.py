"""Turn the bank's YAML files into typed records, collecting schema errors with file and line.

Parsing never raises for content: whatever is wrong becomes a BankError and the record is left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quizapp.bank import fields
from quizapp.bank.drills import read_drills
from quizapp.bank.fields import SLUG, FileErrors
from quizapp.bank.model import (
    CARD_KINDS,
    TAGS,
    AnswerExample,
    Bank,
    BankError,
    CardSpec,
    CoverageItem,
    Topic,
)
from quizapp.bank.yamlfile import LineDict, LineList

COVERAGE_FILE = "coverage.yaml"
CARD_KEYS = {"slug", "kind", "front", "back", "source", "tags", "answer", "unit", "drill", "accept", "reject"}
TOPIC_KEYS = {"slug", "title", "description", "position"}
ANSWER_KEYS = {"numeric": {"value", "tolerance", "rel_tolerance"}, "symbolic": {"expr", "symbols", "assume"}}
# Every typed-answer card tests itself: at least this many natural right answers and common wrong ones.
MIN_EXAMPLES = {"accept": 2, "reject": 1}


def read_bank(questions_dir: Path) -> tuple[Bank, list[BankError]]:
    """Every topic file, drill file and the coverage file under `questions_dir`, with schema errors."""
    errors: list[BankError] = []
    topic_paths = sorted(p for p in questions_dir.glob("*.yaml") if p.name != COVERAGE_FILE)
    if not topic_paths:
        errors.append(BankError(str(questions_dir), 1, "no topic files (*.yaml) in the questions folder"))
    topics = [t for t in (_read_topic_file(p, FileErrors(p.name, errors)) for p in topic_paths) if t]
    drills = read_drills(questions_dir, errors)
    coverage = _read_coverage(questions_dir / COVERAGE_FILE, FileErrors(COVERAGE_FILE, errors))
    bank = Bank(tuple(sorted(topics, key=lambda t: (t.position, t.slug))), tuple(drills), tuple(coverage))
    return bank, errors


# ------------------------------------------------------------------------------------------------- topics


def _read_topic_file(path: Path, errors: FileErrors) -> Topic | None:
    document = fields.load_mapping(path, errors)
    if document is None:
        return None
    fields.unknown_keys(document, {"topic", "cards"}, errors, "a topic file")
    meta = fields.mapping(document, "topic", errors, required=True)
    if meta is None:
        return None
    slug = fields.slug(meta, errors)
    if slug and slug != path.stem:
        errors.at(meta.line_of("slug"), f"topic slug {slug!r} must equal the file name {path.stem!r}")
    fields.unknown_keys(meta, TOPIC_KEYS, errors, "topic")
    title = fields.text(meta, "title", errors)
    description = fields.text(meta, "description", errors, required=False) or ""
    position = fields.integer(meta, "position", errors)
    cards = _read_cards(document, slug or path.stem, errors)
    if not (slug and title is not None and position is not None):
        return None
    return Topic(slug, title, description, position, cards, errors.where(meta.line))


def _read_cards(document: LineDict, topic: str, errors: FileErrors) -> tuple[CardSpec, ...]:
    raw_cards = document.get("cards")
    if not isinstance(raw_cards, LineList) or not raw_cards:
        errors.at(document.line_of("cards"), "`cards` must be a non-empty list of cards")
        return ()
    cards = []
    for index, raw in enumerate(raw_cards):
        if not isinstance(raw, LineDict):
            errors.at(raw_cards.line_of(index), "each card must be a mapping (slug, kind, front, back ...)")
            continue
        card = _read_card(raw, topic, index, errors)
        if card is not None:
            cards.append(card)
    return tuple(cards)


def _read_card(raw: LineDict, topic: str, position: int, errors: FileErrors) -> CardSpec | None:
    fields.unknown_keys(raw, CARD_KEYS, errors, "a card")
    slug = fields.slug(raw, errors)
    kind = fields.choice(raw, "kind", CARD_KINDS, errors)
    front = fields.math_text(raw, "front", errors)
    back = fields.math_text(raw, "back", errors)
    source = fields.source(raw, errors)
    tags = _tags(raw, errors)
    answer = _answer(raw, kind, errors) if kind else None
    drill = _card_drill(raw, kind, errors)
    accept = _answer_examples(raw, kind, "accept", errors)
    reject = _answer_examples(raw, kind, "reject", errors)
    if None in (slug, kind, front, back, source, tags) or answer is False:
        return None
    assert slug and kind and front and back and source and tags is not None
    return CardSpec(
        slug=slug,
        topic=topic,
        kind=kind,
        front=front,
        back=back,
        source=source,
        tags=tags,
        position=position,
        where=errors.where(raw.line),
        answer=answer or None,
        answer_where=errors.where(raw.line_of("answer")) if answer else None,
        drill=drill,
        accept=accept,
        reject=reject,
    )


def _answer_examples(
    raw: LineDict, kind: str | None, key: str, errors: FileErrors
) -> tuple[AnswerExample, ...]:
    """`accept:` / `reject:`: typed answers (text or plain numbers) the checker must judge right / wrong."""
    if kind not in ANSWER_KEYS:
        if key in raw:
            errors.at(
                raw.line_of(key), f"a {kind} card takes no `{key}` (only numeric and symbolic cards do)"
            )
        return ()
    value = raw.get(key)
    wanted = MIN_EXAMPLES[key]
    if value is None:
        kinds = "natural forms of the right answer" if key == "accept" else "common wrong answers"
        errors.at(raw.line, f"a {kind} card needs `{key}:`, a list of at least {wanted} {kinds}")
        return ()
    plain = (str, int, float)
    if not isinstance(value, LineList) or not all(
        isinstance(item, plain) and not isinstance(item, bool) and str(item).strip() for item in value
    ):
        errors.at(raw.line_of(key), f'`{key}` must be a list of typed answers, e.g. ["0.1", "1/10"]')
        return ()
    if len(value) < wanted:
        errors.at(raw.line_of(key), f"`{key}` needs at least {wanted} typed answer(s), not {len(value)}")
    return tuple(AnswerExample(str(item), errors.where(value.line_of(i))) for i, item in enumerate(value))


def _answer(raw: LineDict, kind: str, errors: FileErrors) -> dict[str, Any] | bool:
    """The card's answer spec (False when it is wrong, {} when the kind takes none)."""
    if kind not in ANSWER_KEYS:
        for key in ("answer", "unit"):
            if key in raw:
                errors.at(raw.line_of(key), f"a {kind} card takes no `{key}`")
        return {}
    spec = fields.mapping(raw, "answer", errors, required=True)
    if spec is None:
        return False
    fields.unknown_keys(spec, ANSWER_KEYS[kind], errors, f"a {kind} answer")
    answer = dict(spec)
    if kind == "numeric":
        unit = raw.get("unit")
        if unit is not None and not isinstance(unit, str):
            errors.at(raw.line_of("unit"), "`unit` must be text, e.g. steps")
        elif unit:
            answer["unit"] = unit
    elif "unit" in raw:
        errors.at(raw.line_of("unit"), "only numeric cards take a `unit`")
    return answer


def _card_drill(raw: LineDict, kind: str | None, errors: FileErrors) -> str | None:
    if kind != "code":
        if "drill" in raw:
            errors.at(raw.line_of("drill"), "only code cards link to a drill")
        return None
    drill = raw.get("drill")
    if not isinstance(drill, str) or not SLUG.match(drill):
        errors.at(raw.line_of("drill"), "a code card needs `drill: <drill slug>`")
        return None
    return drill


# ----------------------------------------------------------------------------------------------- coverage


def _read_coverage(path: Path, errors: FileErrors) -> list[CoverageItem]:
    if not path.exists():
        errors.at(1, "the coverage file is missing")
        return []
    document = fields.load_mapping(path, errors)
    if document is None:
        return []
    items = []
    for seed, raw_items in document.items():
        line = document.line_of(seed)
        if not isinstance(seed, str) or not isinstance(raw_items, LineList) or not raw_items:
            errors.at(line, "each seed file name must map to a non-empty list of items")
            continue
        for index, raw in enumerate(raw_items):
            item = _read_coverage_item(seed, raw, raw_items.line_of(index), errors)
            if item is not None:
                items.append(item)
    return items


def _read_coverage_item(seed: str, raw: Any, line: int, errors: FileErrors) -> CoverageItem | None:
    if not isinstance(raw, LineDict):
        errors.at(line, "each coverage item must be a mapping with item, kind and cards")
        return None
    fields.unknown_keys(raw, {"item", "kind", "cards"}, errors, "a coverage item")
    title = fields.text(raw, "item", errors)
    kind = fields.choice(raw, "kind", TAGS, errors)
    cards = fields.slug_list(raw, "cards", errors)
    if cards == ():
        errors.at(raw.line_of("cards"), f"coverage item {title!r} lists no card")
    if title is None or kind is None or cards is None:
        return None
    return CoverageItem(seed, title, kind, cards, errors.where(raw.line))


# ---------------------------------------------------------------------------------------- field readers


def _tags(raw: LineDict, errors: FileErrors) -> tuple[str, ...] | None:
    value = raw.get("tags", [])
    if not isinstance(value, list):
        errors.at(raw.line_of("tags"), "`tags` must be a list")
        return None
    wrong = [tag for tag in value if tag not in TAGS]
    if wrong:
        errors.at(
            raw.line_of("tags"), f"unknown tag(s) {', '.join(map(repr, wrong))} (allowed: {', '.join(TAGS)})"
        )
        return None
    return tuple(value)
