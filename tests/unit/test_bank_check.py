"""The bank check: each mistake in a tiny bank is reported with file and line; the real bank passes."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from quizapp.bank import BankError, check_bank, checked_bank, latex, read_bank, yamlfile
from quizapp.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]

SEED = """\
A study note
Heading One
Some text under it.
  Second heading
More text.
"""

TOPIC = """\
topic:
  slug: basics
  title: Basics
  description: The first topic.
  position: 1
cards:
  - slug: step-direction
    kind: basic
    front: |
      Which way does $\\theta$ move?
    back: |
      Against the gradient: $\\theta - \\eta g$.
    source: {seed: 000_note.txt, section: Heading One}
    tags: [concept]

  - slug: ema-window
    kind: numeric
    front: |
      Effective window of an EMA with $\\beta = 0.9$?
    back: |
      $$\\frac{1}{1-\\beta} = 10$$
    answer: {value: 10, tolerance: 0.01}
    unit: steps
    accept: ["10", "10 steps", 10.0]
    reject: ["9", "0.1"]
    source: {seed: 000_note.txt, section: Second heading}
    tags: [practice]

  - slug: ema-window-formula
    kind: symbolic
    front: |
      Type the EMA window in terms of `beta`.
    back: |
      $1/(1-\\beta)$
    answer: {expr: "1/(1 - beta)", symbols: [beta]}
    accept: ["1/(1 - beta)", "-1/(beta - 1)"]
    reject: ["1/beta"]
    source: {seed: 000_note.txt, section: Heading One}
    tags: [update-rule]

  - slug: code-sgd
    kind: code
    front: |
      Write the SGD step.
    back: |
      $\\theta \\leftarrow \\theta - \\eta g$
    drill: sgd
    source: {seed: 000_note.txt, section: Heading One}
    tags: [update-rule]
"""

DRILL = """\
slug: sgd
topic: basics
title: Plain SGD step
position: 1
prompt: |
  Take one step against the gradient:

  $$\\theta_{t+1} = \\theta_t - \\eta\\, g_t$$
hyperparameters: {lr: 0.01}
conventions:
  plain: "theta <- theta - lr g"
cards: [code-sgd, step-direction]
hints:
  - The step is subtracted.
starter:
  numpy: |
    def step(x, grad, lr=0.01):
        return x
source: {seed: 000_note.txt, section: Heading One}
grading:
  problems: [bowl]
  steps: 5
"""

COVERAGE = """\
000_note.txt:
  - item: Which way gradient descent moves
    kind: interview-question
    cards: [step-direction]
  - item: EMA window
    kind: practice
    cards: [ema-window, ema-window-formula]
"""


@pytest.fixture
def bank_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A small valid bank: one topic with one card of each kind, one drill, coverage, one seed file."""
    seeds, questions = tmp_path / "seeds", tmp_path / "questions"
    (questions / "drills").mkdir(parents=True)
    seeds.mkdir()
    (seeds / "000_note.txt").write_text(SEED)
    (questions / "basics.yaml").write_text(TOPIC)
    (questions / "drills" / "sgd.yaml").write_text(DRILL)
    (questions / "coverage.yaml").write_text(COVERAGE)
    return questions, seeds


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in `path` with `new`; returns the 1-based line where it was."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def only_errors(questions: Path, seeds: Path) -> list[BankError]:
    return [problem for problem in check_bank(questions, seeds) if problem.is_error]


def assert_reported(errors: list[BankError], file: str, line: int, words: str) -> None:
    matches = [e for e in errors if e.file == file and e.line == line and words in e.message]
    assert matches, f"no error {file}:{line} mentioning {words!r} in:\n" + "\n".join(map(str, errors))


def test_valid_tiny_bank_passes(bank_dirs: tuple[Path, Path]) -> None:
    assert check_bank(*bank_dirs) == []
    bank, _ = checked_bank(*bank_dirs)
    assert bank.counts() == {
        "topics": 1,
        "cards": 4,
        "basic": 1,
        "numeric": 1,
        "symbolic": 1,
        "code": 1,
        "drills": 1,
        "coverage items": 2,
    }


def test_cards_keep_their_text_answer_and_line(bank_dirs: tuple[Path, Path]) -> None:
    bank, errors = read_bank(bank_dirs[0])
    assert errors == []
    window = next(card for card in bank.cards if card.slug == "ema-window")
    assert window.answer_for_storage() == {"value": 10, "tolerance": 0.01, "unit": "steps"}
    assert window.where.file == "basics.yaml"
    assert window.where.line == 16
    assert window.front.where.line == 19  # the line after `front: |`
    assert window.source.section == "Second heading"
    assert [example.text for example in window.accept] == ["10", "10 steps", "10.0"]
    assert [example.text for example in window.reject] == ["9", "0.1"]
    assert {example.where.line for example in window.accept} == {window.answer_where.line + 2}
    assert [card.position for card in bank.cards] == [0, 1, 2, 3]


def test_real_bank_passes_the_check(tmp_path: Path) -> None:
    questions, seeds = REPO_ROOT / "questions", Path(Config(str(tmp_path)).SEEDS_DIR)
    problems = check_bank(questions, seeds)
    assert [str(p) for p in problems] == []
    bank, _ = checked_bank(questions, seeds)
    assert len(bank.cards) >= 150


Breaker = Callable[[Path], tuple[str, int, str]]


def _malformed_yaml(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "    kind: numeric", "   kind: numeric")
    return "basics.yaml", line, "not valid YAML"


def _missing_back(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "    back: |\n      Against the gradient: $\\theta - \\eta g$.\n", "")
    return "basics.yaml", line - 4, "`back` must be non-empty text"


def _unknown_kind(q: Path) -> tuple[str, int, str]:
    return "basics.yaml", edit(q / "basics.yaml", "kind: basic", "kind: essay"), "`kind` must be one of"


def _unknown_tag(q: Path) -> tuple[str, int, str]:
    return (
        "basics.yaml",
        edit(q / "basics.yaml", "tags: [concept]", "tags: [trivia]"),
        "unknown tag(s) 'trivia'",
    )


def _bad_slug(q: Path) -> tuple[str, int, str]:
    return (
        "basics.yaml",
        edit(q / "basics.yaml", "slug: step-direction", "slug: Step_Direction"),
        "`slug` must be",
    )


def _topic_slug_not_file_name(q: Path) -> tuple[str, int, str]:
    return "basics.yaml", edit(q / "basics.yaml", "slug: basics", "slug: basic"), "must equal the file name"


def _duplicate_card_slug(q: Path) -> tuple[str, int, str]:
    other = TOPIC.replace("slug: basics", "slug: more").replace("position: 1", "position: 2")
    other = other.replace("slug: ema-window\n", "slug: ema-window-copy\n").replace("code-sgd", "code-sgd-2")
    (q / "more.yaml").write_text(other)
    line = other[: other.index("slug: step-direction")].count("\n") + 1
    return "more.yaml", line, "card slug 'step-direction' is already used at basics.yaml:7"


def _unknown_key(q: Path) -> tuple[str, int, str]:
    return (
        "basics.yaml",
        edit(q / "basics.yaml", "    unit: steps", "    units: steps"),
        "unknown key 'units'",
    )


def _duplicate_key(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "    unit: steps\n", "    unit: steps\n    unit: tokens\n")
    return "basics.yaml", line + 1, "key 'unit' appears twice"


def _missing_seed(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "basics.yaml",
        "source: {seed: 000_note.txt, section: Second heading}",
        "source: {seed: 009.txt, section: X}",
    )
    return "basics.yaml", line, "seed file '009.txt' not found"


def _section_not_a_line(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "section: Second heading", "section: Second head")
    return "basics.yaml", line, "section 'Second head' is not a line of 000_note.txt"


def _katex_rejects(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "basics.yaml", "      Against the gradient", "      Against the gradient $\\frac{1}{$ and"
    )
    return "basics.yaml", line, "KaTeX cannot parse"


def _unclosed_dollar(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "Which way does $\\theta$ move?", "Which way does $\\theta move?")
    return "basics.yaml", line, "never closed"


def _numeric_value_read_as_text(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "basics.yaml", "answer: {value: 10, tolerance: 0.01}", "answer: {value: 1.0e18, tolerance: 1}"
    )
    return "basics.yaml", line, "was read as text"


def _numeric_without_tolerance(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "answer: {value: 10, tolerance: 0.01}", "answer: {value: 10}")
    return "basics.yaml", line, "needs `tolerance`"


def _symbolic_does_not_parse(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'expr: "1/(1 - beta)"', 'expr: "1/(1 - beta"')
    return "basics.yaml", line, "`expr` does not parse"


def _symbolic_undeclared_symbol(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'expr: "1/(1 - beta)"', 'expr: "1/(1 - rho)"')
    return "basics.yaml", line, "Unknown name 'rho'"


def _code_card_unknown_drill(q: Path) -> tuple[str, int, str]:
    edit(q / "basics.yaml", "drill: sgd", "drill: adam")
    return "basics.yaml", TOPIC.count("\n", 0, TOPIC.index("  - slug: code-sgd")) + 1, "unknown drill 'adam'"


def _drill_lists_unknown_card(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "drills" / "sgd.yaml", "cards: [code-sgd, step-direction]", "cards: [code-sgd, no-such-card]"
    )
    return "drills/sgd.yaml", line, "lists unknown card 'no-such-card'"


def _drill_without_code_card(q: Path) -> tuple[str, int, str]:
    edit(q / "basics.yaml", "drill: sgd", "drill: sgd-two")
    (q / "drills" / "sgd-two.yaml").write_text(DRILL.replace("slug: sgd", "slug: sgd-two"))
    return "drills/sgd.yaml", 1, "drill 'sgd' has no code card"


def _drill_unknown_topic(q: Path) -> tuple[str, int, str]:
    edit(q / "drills" / "sgd.yaml", "topic: basics", "topic: nowhere")
    return "drills/sgd.yaml", 1, "names unknown topic 'nowhere'"


def _coverage_item_without_cards(q: Path) -> tuple[str, int, str]:
    line = edit(q / "coverage.yaml", "cards: [step-direction]", "cards: []")
    return "coverage.yaml", line, "lists no card"


def _coverage_unknown_card(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "coverage.yaml", "cards: [ema-window, ema-window-formula]", "cards: [ema-window, ema-windw]"
    )
    return "coverage.yaml", line, "lists unknown card 'ema-windw'"


def _coverage_unknown_seed(q: Path) -> tuple[str, int, str]:
    edit(q / "coverage.yaml", "000_note.txt:", "001_gone.txt:")
    return "coverage.yaml", 2, "seed file '001_gone.txt'"


def _top_level_not_a_mapping(q: Path) -> tuple[str, int, str]:
    (q / "basics.yaml").write_text("- just\n- a list\n")
    return "basics.yaml", 1, "must hold a mapping"


def _empty_file(q: Path) -> tuple[str, int, str]:
    (q / "drills" / "sgd.yaml").write_text("# nothing here yet\n")
    return "drills/sgd.yaml", 1, "the file is empty"


def _linked_to_a_device(q: Path) -> tuple[str, int, str]:
    (q / "endless.yaml").symlink_to("/dev/zero")  # read whole, it would fill the memory
    return "endless.yaml", 1, "not a regular file"


def _a_fifo(q: Path) -> tuple[str, int, str]:
    os.mkfifo(q / "pipe.yaml")  # opened for reading, it would wait for a writer forever
    return "pipe.yaml", 1, "not a regular file"


def _over_the_size_limit(q: Path) -> tuple[str, int, str]:
    (q / "huge.yaml").write_text("# padding\n" * (yamlfile.MAX_FILE_BYTES // 10 + 1))
    return "huge.yaml", 1, "the most a bank file may hold"


def _not_utf8(q: Path) -> tuple[str, int, str]:
    (q / "basics.yaml").write_bytes(b"topic: \xff\xfe\n")
    return "basics.yaml", 1, "cannot read the file"


def _accept_judged_wrong(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'accept: ["10", "10 steps", 10.0]', 'accept: ["10", "11 steps"]')
    return "basics.yaml", line, "accept '11 steps' is judged wrong: Not quite"


def _accept_in_another_unit(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'accept: ["10", "10 steps", 10.0]', 'accept: ["10", "10 epochs"]')
    return (
        "basics.yaml",
        line,
        "accept '10 epochs' is judged wrong: This card's answer is in steps, not epochs",
    )


def _reject_judged_right(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'reject: ["9", "0.1"]', 'reject: ["9", "10.005"]')
    return "basics.yaml", line, "reject '10.005' is judged right"


def _symbolic_accept_judged_wrong(q: Path) -> tuple[str, int, str]:
    line = edit(
        q / "basics.yaml", 'accept: ["1/(1 - beta)", "-1/(beta - 1)"]', 'accept: ["1/(1-beta)", "1/(1+beta)"]'
    )
    return "basics.yaml", line, "accept '1/(1+beta)' is judged wrong: Not equivalent"


def _symbolic_reject_judged_right(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'reject: ["1/beta"]', 'reject: ["1/beta", "(1 - beta)^(-1)"]')
    return "basics.yaml", line, "reject '(1 - beta)^(-1)' is judged right"


def _too_few_accepts(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", 'accept: ["10", "10 steps", 10.0]', 'accept: ["10"]')
    return "basics.yaml", line, "`accept` needs at least 2 typed answer(s), not 1"


def _missing_reject(q: Path) -> tuple[str, int, str]:
    edit(q / "basics.yaml", '    reject: ["1/beta"]\n', "")
    line = (q / "basics.yaml").read_text().split("\n").index("  - slug: ema-window-formula") + 1
    return "basics.yaml", line, "a symbolic card needs `reject:`"


def _examples_on_a_basic_card(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "    tags: [concept]", '    accept: ["down"]\n    tags: [concept]')
    return "basics.yaml", line, "a basic card takes no `accept`"


def _assumption_on_an_undeclared_symbol(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "symbols: [beta]}", "symbols: [beta], assume: {g: positive}}")
    return "basics.yaml", line, "`assume` names 'g'"


def _section_too_long(q: Path) -> tuple[str, int, str]:
    line = edit(q / "basics.yaml", "section: Second heading}", f"section: '{'x' * 201}'}}")
    return "basics.yaml", line, "fit in 200 characters"


BREAKERS: list[Breaker] = [
    _section_too_long,
    _accept_judged_wrong,
    _accept_in_another_unit,
    _reject_judged_right,
    _symbolic_accept_judged_wrong,
    _symbolic_reject_judged_right,
    _too_few_accepts,
    _missing_reject,
    _examples_on_a_basic_card,
    _assumption_on_an_undeclared_symbol,
    _malformed_yaml,
    _missing_back,
    _unknown_kind,
    _unknown_tag,
    _bad_slug,
    _topic_slug_not_file_name,
    _duplicate_card_slug,
    _unknown_key,
    _duplicate_key,
    _missing_seed,
    _section_not_a_line,
    _katex_rejects,
    _unclosed_dollar,
    _numeric_value_read_as_text,
    _numeric_without_tolerance,
    _symbolic_does_not_parse,
    _symbolic_undeclared_symbol,
    _code_card_unknown_drill,
    _drill_lists_unknown_card,
    _drill_without_code_card,
    _drill_unknown_topic,
    _coverage_item_without_cards,
    _coverage_unknown_card,
    _coverage_unknown_seed,
    _top_level_not_a_mapping,
    _empty_file,
    _not_utf8,
    _linked_to_a_device,
    _a_fifo,
    _over_the_size_limit,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=[b.__name__.strip("_") for b in BREAKERS])
def test_each_mistake_is_reported_with_file_and_line(bank_dirs: tuple[Path, Path], breaker: Breaker) -> None:
    questions, seeds = bank_dirs
    file, line, words = breaker(questions)
    assert_reported(only_errors(questions, seeds), file, line, words)


def test_error_prints_as_file_colon_line() -> None:
    assert str(BankError("basics.yaml", 12, "boom")) == "basics.yaml:12: boom"
    assert str(BankError("<latex>", 1, "careful", "warning")) == "<latex>:1: warning: careful"


def test_formula_line_counts_lines_inside_a_block(bank_dirs: tuple[Path, Path]) -> None:
    questions, seeds = bank_dirs
    edit(questions / "drills" / "sgd.yaml", "$$\\theta_{t+1}", "$$\\theta_{t+1} \\badmacro")
    prompt_line = DRILL.count("\n", 0, DRILL.index("$$")) + 1
    assert_reported(only_errors(questions, seeds), "drills/sgd.yaml", prompt_line, "KaTeX cannot parse")


def test_escaped_dollar_is_not_math(bank_dirs: tuple[Path, Path]) -> None:
    questions, seeds = bank_dirs
    edit(questions / "basics.yaml", "Which way does", "For \\$5, which way does")
    assert check_bank(questions, seeds) == []


def test_without_node_only_balanced_braces_are_checked(
    bank_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    questions, seeds = bank_dirs
    monkeypatch.setattr(latex.shutil, "which", lambda name: None)
    edit(questions / "basics.yaml", "Against the gradient", "Against $\\frac{1}{2$ the gradient")
    problems = check_bank(questions, seeds)
    assert problems[0].severity == "warning"
    assert "node not found" in problems[0].message
    assert any("a `{` is never closed" in p.message for p in problems if p.is_error)


def test_balanced_fallback_accepts_good_latex() -> None:
    formulas = [latex.Formula("\\left(\\frac{a}{b}\\right) \\rightarrow \\{x\\}", False, "f.yaml", 3)]
    assert latex.balanced_delimiter_errors(formulas) == []
    unbalanced = [latex.Formula("\\left( x", False, "f.yaml", 3)]
    assert "\\left and \\right" in latex.balanced_delimiter_errors(unbalanced)[0].message


def test_missing_coverage_file_is_an_error(bank_dirs: tuple[Path, Path]) -> None:
    questions, seeds = bank_dirs
    (questions / "coverage.yaml").unlink()
    assert_reported(only_errors(questions, seeds), "coverage.yaml", 1, "coverage file is missing")


def test_many_errors_never_raise(bank_dirs: tuple[Path, Path]) -> None:
    questions, seeds = bank_dirs
    (questions / "basics.yaml").write_text(
        textwrap.dedent("""\
        topic: {slug: 7, title: [], position: x}
        cards:
          - 12
          - {slug: a, kind: numeric, front: "", back: x, source: 5, tags: nope, answer: [1]}
          - {slug: b, kind: symbolic, front: f, back: b, source: {seed: 000_note.txt, section: Heading One},
             answer: {expr: "__import__('os')", symbols: [beta]}}
        """)
    )
    problems = check_bank(questions, seeds)
    assert len([p for p in problems if p.is_error]) >= 8
    assert all(p.file and p.line >= 1 for p in problems)


def test_missing_seeds_folder_is_one_warning_and_sources_are_not_checked(
    bank_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    questions, _ = bank_dirs
    edit(questions / "basics.yaml", "section: Second heading", "section: No such heading")
    problems = check_bank(questions, tmp_path / "absent")
    assert [(p.file, p.severity) for p in problems] == [("<seeds>", "warning")]
    assert f"seed sources not verified: {tmp_path / 'absent'} not found; set SEEDS_DIR" in str(problems[0])


def test_missing_seeds_folder_is_an_error_when_seeds_are_required(
    bank_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    questions, _ = bank_dirs
    problems = check_bank(questions, tmp_path / "absent", require_seeds=True)
    assert [(p.file, p.is_error) for p in problems] == [("<seeds>", True)]
    assert "seed sources not verified" in problems[0].message


def test_missing_seed_file_stays_an_error_when_the_folder_exists(bank_dirs: tuple[Path, Path]) -> None:
    questions, seeds = bank_dirs
    (seeds / "000_note.txt").rename(seeds / "000_renamed.txt")
    errors = only_errors(questions, seeds)
    assert errors and all("000_note.txt" in e.message for e in errors)
    assert any("seed file '000_note.txt' not found" in e.message for e in errors)
