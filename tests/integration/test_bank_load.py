"""`load_bank` and `quizapp questions load|check` on SQLite and PostgreSQL: idempotent upserts by slug,
edits in place, retirement that keeps history, and a bank with errors that writes nothing."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.transactions import committed

from quizapp.bank.model import content_version
from quizapp.extensions import db
from quizapp.models import Card, CardState, Drill, Review, Topic, User
from quizapp.services.bank_sync import BankCheckFailed, load_bank

REPO = Path(__file__).resolve().parents[2]
SEED = "000_tiny.txt"
SEED_TEXT = "A tiny seed\n\nMomentum\nText about momentum.\n\n  Adam  \nText about Adam.\n"


def card_yaml(slug: str, front: str = "What does momentum add?", kind: str = "basic", extra: str = "") -> str:
    lines = [
        f"  - slug: {slug}",
        f"    kind: {kind}",
        "    front: |",
        f"      {front}",
        "    back: |",
        "      A running average of past gradients, $v_t = \\beta v_{t-1} + g_t$.",
        f"    source: {{seed: {SEED}, section: Momentum}}",
        "    tags: [concept]",
    ]
    return "\n".join(lines) + "\n" + textwrap.indent(extra, "    ")


NUMERIC = 'answer: {value: 10, tolerance: 0.5}\nunit: steps\naccept: ["10", "10 steps"]\nreject: ["9"]\n'


def write_bank(folder: Path, cards: list[str], covered: list[str] | None = None) -> Path:
    """A one-topic bank in `folder`/questions with its seed in `folder`/seeds; returns the questions dir."""
    questions, seeds = folder / "questions", folder / "seeds"
    questions.mkdir(parents=True, exist_ok=True)
    seeds.mkdir(exist_ok=True)
    (seeds / SEED).write_text(SEED_TEXT)
    header = "topic:\n  slug: tiny\n  title: A tiny topic\n  description: For tests.\n  position: 1\ncards:\n"
    (questions / "tiny.yaml").write_text(header + "".join(cards))
    slugs = ", ".join(covered if covered is not None else ["tiny-one"])
    (questions / "coverage.yaml").write_text(
        f"{SEED}:\n  - item: What momentum adds\n    kind: interview-question\n    cards: [{slugs}]\n"
    )
    return questions


def load(questions: Path):
    return committed(load_bank, questions, questions.parent / "seeds")


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_loading_twice_creates_then_changes_nothing(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(
        tmp_path, [card_yaml("tiny-one"), card_yaml("tiny-two", kind="numeric", extra=NUMERIC)]
    )

    first = load(questions)
    second = load(questions)

    assert (first.topics.created, first.cards.created) == (1, 2)
    assert not second.changed
    assert (second.topics.unchanged, second.cards.unchanged) == (1, 2)
    numeric = db.session.get(Card, "tiny-two")
    assert numeric.answer == {"value": 10, "tolerance": 0.5, "unit": "steps"}
    assert numeric.source_section == "Momentum" and numeric.tags == ["concept"]


def test_edited_text_updates_the_card_in_place(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one")])
    load(questions)
    first_version = db.session.get(Card, "tiny-one").content_version

    write_bank(tmp_path, [card_yaml("tiny-one", front="What does heavy-ball momentum add to SGD?")])
    report = load(questions)

    assert (report.cards.updated, report.cards.created) == (1, 0)
    card = db.session.get(Card, "tiny-one")
    assert card.front == "What does heavy-ball momentum add to SGD?"
    assert count(Card) == 1
    # The content version follows the text, so a problem report can tell it was about the old wording.
    assert card.content_version == content_version(card.kind, card.front, card.back, card.answer)
    assert card.content_version != first_version and len(first_version) == 16


def add_history(card_slug: str) -> User:
    user = User(username="ada", password_hash="x")
    db.session.add(user)
    db.session.flush()
    now = dt.datetime.now(dt.UTC)
    db.session.add(
        CardState(user_id=user.id, card_slug=card_slug, state=2, due=now, stability=3.0, difficulty=5.0)
    )
    db.session.add(
        Review(user_id=user.id, card_slug=card_slug, rating=3, reviewed_at=now, idempotency_key="k1")
    )
    db.session.commit()
    return user


def test_removed_card_is_retired_with_its_history_kept(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one"), card_yaml("tiny-two")])
    load(questions)
    user = add_history("tiny-two")

    write_bank(tmp_path, [card_yaml("tiny-one")])
    report = load(questions)

    assert report.cards.retired == 1
    db.session.expire_all()
    assert db.session.get(Card, "tiny-two").retired is True
    state = db.session.scalar(select(CardState).where(CardState.card_slug == "tiny-two"))
    assert state is not None and state.user_id == user.id and state.stability == 3.0
    assert db.session.scalar(select(Review.rating).where(Review.card_slug == "tiny-two")) == 3


def test_a_retired_card_that_returns_is_restored(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one"), card_yaml("tiny-two")])
    load(questions)
    write_bank(tmp_path, [card_yaml("tiny-one")])
    load(questions)

    write_bank(tmp_path, [card_yaml("tiny-one"), card_yaml("tiny-two")])
    report = load(questions)

    assert report.cards.restored == 1
    assert db.session.get(Card, "tiny-two").retired is False


def test_malformed_bank_loads_nothing(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one"), card_yaml("tiny-two")], covered=["no-such-card"])

    with pytest.raises(BankCheckFailed) as failure:
        load(questions)

    assert any(
        "no-such-card" in str(error) and error.file.endswith("coverage.yaml")
        for error in failure.value.errors
    )
    assert (count(Topic), count(Card)) == (0, 0)


def test_an_edit_that_breaks_the_bank_leaves_the_loaded_bank_untouched(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one")])
    load(questions)

    (questions / "tiny.yaml").write_text((questions / "tiny.yaml").read_text() + "  - slug: [unclosed\n")
    with pytest.raises(BankCheckFailed):
        load(questions)

    db.session.expire_all()
    assert db.session.get(Card, "tiny-one").front == "What does momentum add?"
    assert db.session.get(Card, "tiny-one").retired is False


def test_load_command_reports_counts_and_check_command_lists_errors(app: Flask, tmp_path: Path) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one")])
    folders = ["--questions-dir", str(questions), "--seeds-dir", str(tmp_path / "seeds")]
    runner = app.test_cli_runner()

    loaded = runner.invoke(args=["questions", "load", *folders])
    assert loaded.exit_code == 0, loaded.output
    assert "cards:  1 created" in loaded.output

    (questions / "coverage.yaml").write_text(f"{SEED}:\n  - item: X\n    kind: trap\n    cards: [ghost]\n")
    checked = runner.invoke(args=["questions", "check", *folders])
    assert checked.exit_code == 1
    assert "coverage.yaml:4:" in checked.output and "ghost" in checked.output


def test_without_the_seeds_folder_load_warns_once_and_strict_check_fails(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = write_bank(tmp_path, [card_yaml("tiny-one")])
    monkeypatch.setitem(app.config, "SEEDS_DIR", str(tmp_path / "no-seeds"))
    runner = app.test_cli_runner()
    folders = ["--questions-dir", str(questions)]
    warning = f"seed sources not verified: {tmp_path / 'no-seeds'} not found; set SEEDS_DIR"

    loaded = runner.invoke(args=["questions", "load", *folders])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.count("seed sources not verified") == 1 and warning in loaded.output
    assert db.session.get(Card, "tiny-one") is not None

    assert runner.invoke(args=["questions", "check", *folders]).exit_code == 0
    strict = runner.invoke(args=["questions", "check", "--strict", *folders])
    assert strict.exit_code == 1 and warning in strict.output
    assert "1 error(s)" in strict.output


@pytest.mark.slow
def test_real_bank_loads_once_and_reloads_unchanged(app: Flask) -> None:
    first = committed(load_bank, REPO / "questions", app.config["SEEDS_DIR"])
    second = committed(load_bank, REPO / "questions", app.config["SEEDS_DIR"])

    assert first.cards.created >= 150 and first.drills.created == count(Drill) > 0
    assert not second.changed, second.lines()
    code_cards = db.session.scalars(select(Card).where(Card.kind == "code")).all()
    assert all(card.drill_slug and db.session.get(Drill, card.drill_slug) for card in code_cards)
