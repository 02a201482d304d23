"""Turn the bank's YAML files into typed records, collecting schema errors with file and line.

Parsing never raises for content: whatever is wrong becomes a BankError and the record is left out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from quizapp.bank.model import (
    CARD_KINDS,
    TAGS,
    AnswerExample,
    Bank,
    BankError,
    CardSpec,
    CoverageItem,
    DrillEntry,
    Located,
    MathText,
    SourceRef,
    Topic,
)
from quizapp.bank.yamlfile import LineDict, LineList, read_yaml
from quizapp.grader.drills import FRAMEWORKS

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COVERAGE_FILE = "coverage.yaml"
DRILLS_FOLDER = "drills"
CARD_KEYS = {"slug", "kind", "front", "back", "source", "tags", "answer", "unit", "drill", "accept", "reject"}
TOPIC_KEYS = {"slug", "title", "description", "position"}
ANSWER_KEYS = {"numeric": {"value", "tolerance", "rel_tolerance"}, "symbolic": {"expr", "symbols", "assume"}}
# The database keeps a card's seed and section in columns of this size (models.Card.source_*).
MAX_SOURCE_CHARS = 200
# Every typed-answer card tests itself: at least this many natural right answers and common wrong ones.
MIN_EXAMPLES = {"accept": 2, "reject": 1}


class FileErrors:
    """Collects errors for one file; `at(line, message)` records one."""

    def __init__(self, name: str, sink: list[BankError]) -> None:
        self.name = name
        self.sink = sink

    def at(self, line: int, message: str) -> None:
        self.sink.append(BankError(self.name, line, message))

    def where(self, line: int) -> Located:
        return Located(self.name, line)


def read_bank(questions_dir: Path) -> tuple[Bank, list[BankError]]:
    """Every topic file, drill file and the coverage file under `questions_dir`, with schema errors."""
    errors: list[BankError] = []
    topic_paths = sorted(p for p in questions_dir.glob("*.yaml") if p.name != COVERAGE_FILE)
    if not topic_paths:
        errors.append(BankError(str(questions_dir), 1, "no topic files (*.yaml) in the questions folder"))
    topics = [t for t in (_read_topic_file(p, FileErrors(p.name, errors)) for p in topic_paths) if t]
    drill_paths = sorted((questions_dir / DRILLS_FOLDER).glob("*.yaml"))
    drills = [d for d in (_read_drill_file(p, FileErrors(_drill_name(p), errors)) for p in drill_paths) if d]
    coverage = _read_coverage(questions_dir / COVERAGE_FILE, FileErrors(COVERAGE_FILE, errors))
    bank = Bank(tuple(sorted(topics, key=lambda t: (t.position, t.slug))), tuple(drills), tuple(coverage))
    return bank, errors


def _drill_name(path: Path) -> str:
    return f"{DRILLS_FOLDER}/{path.name}"


def _load_mapping(path: Path, errors: FileErrors) -> LineDict | None:
    document, problems = read_yaml(path)
    for problem in problems:
        errors.at(problem.line, problem.message)
    if document is None:
        if not problems:
            errors.at(1, "the file is empty")
        return None
    if not isinstance(document, LineDict):
        errors.at(1, "the file must hold a mapping at the top level")
        return None
    return document


# ------------------------------------------------------------------------------------------------- topics


def _read_topic_file(path: Path, errors: FileErrors) -> Topic | None:
    document = _load_mapping(path, errors)
    if document is None:
        return None
    _unknown_keys(document, {"topic", "cards"}, errors, "a topic file")
    meta = _mapping(document, "topic", errors, required=True)
    if meta is None:
        return None
    slug = _slug(meta, errors)
    if slug and slug != path.stem:
        errors.at(meta.line_of("slug"), f"topic slug {slug!r} must equal the file name {path.stem!r}")
    _unknown_keys(meta, TOPIC_KEYS, errors, "topic")
    title = _text(meta, "title", errors)
    description = _text(meta, "description", errors, required=False) or ""
    position = _integer(meta, "position", errors)
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
    _unknown_keys(raw, CARD_KEYS, errors, "a card")
    slug = _slug(raw, errors)
    kind = _choice(raw, "kind", CARD_KINDS, errors)
    front = _math_text(raw, "front", errors)
    back = _math_text(raw, "back", errors)
    source = _source(raw, errors)
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
    spec = _mapping(raw, "answer", errors, required=True)
    if spec is None:
        return False
    _unknown_keys(spec, ANSWER_KEYS[kind], errors, f"a {kind} answer")
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


# ------------------------------------------------------------------------------------------------- drills


def _read_drill_file(path: Path, errors: FileErrors) -> DrillEntry | None:
    document = _load_mapping(path, errors)
    if document is None:
        return None
    slug = _slug(document, errors)
    if slug and slug != path.stem:
        errors.at(document.line_of("slug"), f"drill slug {slug!r} must equal the file name {path.stem!r}")
    topic = _text(document, "topic", errors)
    title = _text(document, "title", errors)
    position = _integer(document, "position", errors)
    cards = _slug_list(document, "cards", errors)
    source = _source(document, errors)
    texts = _drill_texts(document, errors)
    _check_solution(document, errors)
    if None in (slug, topic, title, position, cards):
        return None
    assert slug and topic and title is not None and position is not None and cards is not None
    return DrillEntry(slug, topic, title, position, cards, source, texts, errors.where(document.line))


def _drill_texts(document: LineDict, errors: FileErrors) -> tuple[MathText, ...]:
    """The drill's prompt and hints: the pages render their math with KaTeX too."""
    texts = []
    if isinstance(document.get("prompt"), str):
        texts.append(MathText(document["prompt"], errors.where(document.text_line_of("prompt"))))
    hints = document.get("hints")
    if isinstance(hints, LineList):
        texts.extend(
            MathText(hint, errors.where(hints.line_of(i)))
            for i, hint in enumerate(hints)
            if isinstance(hint, str)
        )
    return tuple(texts)


def _check_solution(document: LineDict, errors: FileErrors) -> None:
    """The optional reference solution: `solution: {numpy: <code>, torch: <code>}`, each valid Python."""
    solution = _mapping(document, "solution", errors, required=False)
    if solution is None:
        return
    _unknown_keys(solution, set(FRAMEWORKS), errors, "solution")
    for framework in FRAMEWORKS:
        code = _text(solution, framework, errors, required=False)
        if code is None:
            continue
        try:
            ast.parse(code)
        except SyntaxError as exc:
            line = solution.text_line_of(framework) + (exc.lineno or 1) - 1  # the offending line itself
            errors.at(line, f"the {framework} solution is not valid Python: {exc.msg}")


# ----------------------------------------------------------------------------------------------- coverage


def _read_coverage(path: Path, errors: FileErrors) -> list[CoverageItem]:
    if not path.exists():
        errors.at(1, "the coverage file is missing")
        return []
    document = _load_mapping(path, errors)
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
    _unknown_keys(raw, {"item", "kind", "cards"}, errors, "a coverage item")
    title = _text(raw, "item", errors)
    kind = _choice(raw, "kind", TAGS, errors)
    cards = _slug_list(raw, "cards", errors)
    if cards == ():
        errors.at(raw.line_of("cards"), f"coverage item {title!r} lists no card")
    if title is None or kind is None or cards is None:
        return None
    return CoverageItem(seed, title, kind, cards, errors.where(raw.line))


# ---------------------------------------------------------------------------------------- field readers


def _unknown_keys(raw: LineDict, allowed: set[str], errors: FileErrors, what: str) -> None:
    for key in raw:
        if key not in allowed:
            errors.at(
                raw.line_of(key), f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})"
            )


def _mapping(raw: LineDict, key: str, errors: FileErrors, *, required: bool) -> LineDict | None:
    value = raw.get(key)
    if isinstance(value, LineDict):
        return value
    if value is not None or required:
        errors.at(raw.line_of(key), f"`{key}` must be a mapping")
    return None


def _text(raw: LineDict, key: str, errors: FileErrors, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is not None or required:
        errors.at(raw.line_of(key), f"`{key}` must be non-empty text")
    return None


def _math_text(raw: LineDict, key: str, errors: FileErrors) -> MathText | None:
    text = _text(raw, key, errors)
    if text is None:
        return None
    return MathText(str(raw[key]), errors.where(raw.text_line_of(key)))


def _integer(raw: LineDict, key: str, errors: FileErrors) -> int | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    errors.at(raw.line_of(key), f"`{key}` must be a whole number")
    return None


def _slug(raw: LineDict, errors: FileErrors) -> str | None:
    value = raw.get("slug")
    if isinstance(value, str) and SLUG.match(value):
        return value
    errors.at(raw.line_of("slug"), f"`slug` must be lowercase letters, digits and hyphens, not {value!r}")
    return None


def _choice(raw: LineDict, key: str, allowed: tuple[str, ...], errors: FileErrors) -> str | None:
    value = raw.get(key)
    if value in allowed:
        return str(value)
    errors.at(raw.line_of(key), f"`{key}` must be one of {', '.join(allowed)}, not {value!r}")
    return None


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


def _slug_list(raw: LineDict, key: str, errors: FileErrors) -> tuple[tuple[str, Located], ...] | None:
    value = raw.get(key)
    if not isinstance(value, LineList) or not all(isinstance(slug, str) for slug in value):
        errors.at(raw.line_of(key), f"`{key}` must be a list of card slugs")
        return None
    return tuple((slug, errors.where(value.line_of(i))) for i, slug in enumerate(value))


def _source(raw: LineDict, errors: FileErrors) -> SourceRef | None:
    value = _mapping(raw, "source", errors, required=True)
    if value is None:
        return None
    _unknown_keys(value, {"seed", "section"}, errors, "source")
    seed = _text(value, "seed", errors)
    section = _text(value, "section", errors)
    if seed is None or section is None:
        return None
    if len(section) > MAX_SOURCE_CHARS or len(seed) > MAX_SOURCE_CHARS:
        errors.at(raw.line_of("source"), f"a source's seed and section fit in {MAX_SOURCE_CHARS} characters")
        return None
    return SourceRef(seed, section, errors.where(raw.line_of("source")))
