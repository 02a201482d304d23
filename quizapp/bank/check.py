"""check_bank(): everything that must hold across the bank's files before it may be loaded.

Schema (via parse), unique slugs, cited seeds and sections, KaTeX-parsable math, typed answers that can be
checked (and judge each card's `accept:` / `reject:` examples as the review page would), code cards and
drills that point at each other, and coverage of every seed item.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from quizapp.answers import AnswerError, check_answer, parse_expression
from quizapp.answers.numeric import NumericSpec
from quizapp.answers.symbolic import symbol_assumptions
from quizapp.bank.latex import Formula, check_formulas, extract_formulas
from quizapp.bank.model import Bank, BankError, CardSpec, Located, MathText, SourceRef
from quizapp.bank.parse import read_bank

# Where problems with the seeds folder as a whole are reported (like "<latex>" for the KaTeX run).
SEEDS_PLACE = "<seeds>"
# The review page gives an expression 3 s; judging the bank's examples on a busy CI machine may take longer,
# and a verdict that depends on the machine's load would make the check flaky.
EXAMPLE_TIME_LIMIT_S = 30.0


def check_bank(questions_dir: Path, seeds_dir: Path, *, require_seeds: bool = False) -> list[BankError]:
    """Every error (and warning) in the bank under `questions_dir`, citing seeds in `seeds_dir`."""
    return checked_bank(questions_dir, seeds_dir, require_seeds=require_seeds)[1]


def checked_bank(
    questions_dir: Path, seeds_dir: Path, *, require_seeds: bool = False, judge_examples: bool = True
) -> tuple[Bank, list[BankError]]:
    """The parsed bank and all its problems, sorted by file and line.

    A missing seeds *folder* is one warning (sources are then not verified), or one error with
    `require_seeds`; a missing seed file or section, when the folder exists, is always an error.
    `judge_examples=False` skips running the accept/reject examples through the checker (seconds of
    SymPy): loading leaves that to `quizapp questions check`, which CI runs.
    """
    questions_dir, seeds_dir = Path(questions_dir), Path(seeds_dir)
    bank, errors = read_bank(questions_dir)
    errors += duplicate_slug_errors(bank)
    errors += source_errors(bank, seeds_dir, require_seeds=require_seeds)
    errors += answer_errors(bank)
    errors += example_errors(bank) if judge_examples else []
    errors += link_errors(bank)
    errors += math_errors(bank)
    return bank, sorted(set(errors), key=lambda e: (e.severity != "warning", e.file, e.line, e.message))


def duplicate_slug_errors(bank: Bank) -> list[BankError]:
    errors = []
    first: dict[str, CardSpec] = {}
    for card in bank.cards:
        earlier = first.setdefault(card.slug, card)
        if earlier is not card:
            where = f"{earlier.where.file}:{earlier.where.line}"
            errors.append(_error(card.where, f"card slug {card.slug!r} is already used at {where}"))
    topics: dict[str, str] = {}
    for topic in bank.topics:
        if topics.setdefault(topic.slug, topic.where.file) != topic.where.file:
            errors.append(_error(topic.where, f"topic slug {topic.slug!r} is already used"))
    drills: dict[str, str] = {}
    for drill in bank.drills:
        if drills.setdefault(drill.slug, drill.where.file) != drill.where.file:
            errors.append(_error(drill.where, f"drill slug {drill.slug!r} is already used"))
    return errors


class SeedIndex:
    """The seed files' lines, read once: a section must be one whole (stripped) line of its seed."""

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        self._lines: dict[str, frozenset[str] | None] = {}

    def lines(self, seed: str) -> frozenset[str] | None:
        if seed not in self._lines:
            path = self.seeds_dir / seed
            safe = "/" not in seed and "\\" not in seed and path.is_file()
            text = path.read_text(encoding="utf-8", errors="replace") if safe else None
            self._lines[seed] = (
                frozenset(line.strip() for line in text.splitlines()) if text is not None else None
            )
        return self._lines[seed]

    def errors(self, sources: Iterator[SourceRef]) -> list[BankError]:
        errors = []
        for source in sources:
            lines = self.lines(source.seed)
            if lines is None:
                errors.append(
                    _error(source.where, f"seed file {source.seed!r} not found in {self.seeds_dir}")
                )
            elif source.section.strip() not in lines:
                errors.append(
                    _error(source.where, f"section {source.section!r} is not a line of {source.seed}")
                )
        return errors


def source_errors(bank: Bank, seeds_dir: Path, *, require_seeds: bool = False) -> list[BankError]:
    """Every cited seed file and section must exist in `seeds_dir`.

    The seeds are the authors' sources, kept beside the repository (CI has them); a clone without them
    can still load the bank, so a missing folder is reported once instead of once per citation.
    """
    if not seeds_dir.is_dir():
        severity = "error" if require_seeds else "warning"
        message = f"seed sources not verified: {seeds_dir} not found; set SEEDS_DIR"
        return [BankError(SEEDS_PLACE, 1, message, severity)]
    seeds = SeedIndex(seeds_dir)
    return seeds.errors(_sources(bank)) + coverage_seed_errors(bank, seeds)


def _sources(bank: Bank) -> Iterator[SourceRef]:
    yield from (card.source for card in bank.cards)
    yield from (drill.source for drill in bank.drills if drill.source is not None)


def coverage_seed_errors(bank: Bank, seeds: SeedIndex) -> list[BankError]:
    return [
        _error(item.where, f"coverage names seed file {item.seed!r}, which is not in {seeds.seeds_dir}")
        for item in bank.coverage
        if seeds.lines(item.seed) is None
    ]


def answer_errors(bank: Bank) -> list[BankError]:
    """Numeric answers must be numbers with a tolerance; symbolic answers must parse in their symbols."""
    errors = []
    for card in bank.cards:
        if card.answer is None or card.answer_where is None:
            continue
        problem = _answer_problem(card)
        if problem:
            errors.append(_error(card.answer_where, f"card {card.slug!r}: {problem}"))
    return errors


def _answer_problem(card: CardSpec) -> str:
    return _numeric_problem(card) if card.kind == "numeric" else _symbolic_problem(card)


def _numeric_problem(card: CardSpec) -> str:
    answer = card.answer or {}
    value = answer.get("value")
    if isinstance(value, str):
        return f"`value` {value!r} was read as text; write a plain number (YAML needs 1.0e+18, not 1.0e18)"
    for key in ("value", "tolerance", "rel_tolerance"):
        number = answer.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            return f"`{key}` must be a number, not {number!r}"
    if value is None:
        return "a numeric answer needs `value`"
    if answer.get("tolerance") is None and answer.get("rel_tolerance") is None:
        return "a numeric answer needs `tolerance` (absolute) or `rel_tolerance`"
    if any((answer.get(key) or 0) < 0 for key in ("tolerance", "rel_tolerance")):
        return "tolerances cannot be negative"
    try:
        NumericSpec.from_dict(answer)
    except AnswerError as error:
        return str(error)
    return ""


def _symbolic_problem(card: CardSpec) -> str:
    answer = card.answer or {}
    expr, symbols = answer.get("expr"), answer.get("symbols")
    if not isinstance(expr, str) or not expr.strip():
        return "a symbolic answer needs `expr`, a SymPy expression as text"
    if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
        return "a symbolic answer needs `symbols`, a non-empty list of names"
    try:
        parsed = parse_expression(expr, symbols, symbol_assumptions(answer))
    except AnswerError as error:
        return f"`expr` does not parse: {error}"
    used = {str(symbol) for symbol in parsed.free_symbols}
    unused = [name for name in symbols if name.rstrip("_") not in used]
    if unused:
        return f"symbol(s) {', '.join(unused)} are declared but not used in `expr`"
    return ""


def example_errors(bank: Bank) -> list[BankError]:
    """Each `accept:` example must be judged right and each `reject:` example wrong by check_answer, the
    function the review page calls, so the bank proves its own answers and tolerances. A card whose answer
    spec is broken is left out (answer_errors reports it)."""
    errors = []
    for card in bank.cards:
        if card.answer is None or _answer_problem(card):
            continue
        spec = card.answer_for_storage() or {}
        for example, wanted in [(e, True) for e in card.accept] + [(e, False) for e in card.reject]:
            check = check_answer(card.kind, spec, example.text, EXAMPLE_TIME_LIMIT_S)
            if check.correct != wanted:
                listed, judged = ("accept", "wrong") if wanted else ("reject", "right")
                message = f"card {card.slug!r}: {listed} {example.text!r} is judged {judged}: {check.message}"
                errors.append(_error(example.where, message))
    return errors


def link_errors(bank: Bank) -> list[BankError]:
    """Code cards ↔ drills, drill topics, drill card lists and coverage card lists must all resolve."""
    cards = {card.slug for card in bank.cards}
    drills = {drill.slug for drill in bank.drills}
    topics = {topic.slug for topic in bank.topics}
    errors = []
    for card in bank.cards:
        if card.kind == "code" and card.drill and card.drill not in drills:
            errors.append(
                _error(card.where, f"code card {card.slug!r} links to unknown drill {card.drill!r}")
            )
    linked = {card.drill for card in bank.cards if card.kind == "code"}
    for drill in bank.drills:
        if drill.topic not in topics:
            errors.append(_error(drill.where, f"drill {drill.slug!r} names unknown topic {drill.topic!r}"))
        if drill.slug not in linked:
            errors.append(
                _error(drill.where, f"drill {drill.slug!r} has no code card (kind: code, drill: ...)")
            )
        errors += _unknown_cards(drill.cards, cards, f"drill {drill.slug!r}")
    for item in bank.coverage:
        errors += _unknown_cards(item.cards, cards, f"coverage item {item.item!r}")
    return errors


def _unknown_cards(listed: tuple[tuple[str, Located], ...], cards: set[str], owner: str) -> list[BankError]:
    return [
        _error(where, f"{owner} lists unknown card {slug!r}") for slug, where in listed if slug not in cards
    ]


def math_errors(bank: Bank) -> list[BankError]:
    """KaTeX must parse every formula of every card and drill text (unclosed delimiters reported too)."""
    errors: list[BankError] = []
    formulas: list[Formula] = []
    for text in _math_texts(bank):
        formulas += extract_formulas(text, errors)
    return errors + check_formulas(formulas)


def _math_texts(bank: Bank) -> Iterator[MathText]:
    for card in bank.cards:
        yield card.front
        yield card.back
    for drill in bank.drills:
        yield from drill.texts


def _error(where: Located, message: str) -> BankError:
    return BankError(where.file, where.line, message)
