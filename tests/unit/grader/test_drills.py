"""The drill catalogue: 15 drills, each with topic, cards, conventions, starters and a real seed section; the
one drill reader reports each schema error at its line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support.drills import QUESTIONS_DIR

from quizapp.bank import DrillFileError, load_drills, read_bank
from quizapp.grader.mistakes import CONVENTION_FLAGS
from quizapp.grader.problems import LANDSCAPES, OTHER_PROBLEMS

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
SGD_TEXT = (QUESTIONS_DIR / "drills" / "sgd.yaml").read_text(encoding="utf-8")
TOPICS = {
    "sgd": "gd-basics",
    "momentum": "momentum-nesterov",
    "nesterov": "momentum-nesterov",
    "adagrad": "adaptive-methods",
    "rmsprop": "adaptive-methods",
    "adadelta": "adaptive-methods",
    "adam": "adam-family",
    "amsgrad": "adam-family",
    "adamw": "adam-family",
    "nadam": "adam-family",
    "lion": "modern-optimizers",
    "lamb": "modern-optimizers",
    "muon": "modern-optimizers",
    "warmup-cosine": "schedules-warmup",
    "clip-grad-norm": "clipping-stability",
}


def test_all_fifteen_drills_load_in_position_order(drills) -> None:
    assert list(drills) == list(TOPICS)
    assert [spec.position for spec in drills.values()] == list(range(1, 16))


@pytest.mark.parametrize("slug", list(TOPICS))
def test_drill_is_complete_and_consistent(drills, slug: str) -> None:
    spec = drills[slug]
    assert spec.topic == TOPICS[slug]
    assert spec.card_slugs[0] == f"code-{slug}"
    assert "$" in spec.prompt and spec.hints and spec.hyperparameters
    assert spec.frameworks == ("numpy", "torch")
    for code in spec.starter.values():
        ast.parse(code)
    assert set(spec.conventions) <= set(CONVENTION_FLAGS[slug])
    assert set(spec.grading.problems) <= set(LANDSCAPES) | OTHER_PROBLEMS
    graded = {k: v for k, v in spec.grading.values.items() if k in spec.hyperparameters}
    assert any(spec.hyperparameters[k] != v for k, v in graded.items()), (
        "graded values must differ from defaults"
    )


@pytest.mark.parametrize("slug", list(TOPICS))
def test_drill_cites_a_whole_line_heading_of_its_seed(drills, slug: str) -> None:
    source = drills[slug].source
    lines = {line.strip() for line in (SEEDS / source.seed).read_text(encoding="utf-8").splitlines()}
    assert source.section in lines


def _bank_with(tmp_path: Path, **files: str) -> Path:
    """A questions folder whose drills/ holds `files` (file stem → YAML text)."""
    (tmp_path / "drills").mkdir()
    for stem, text in files.items():
        (tmp_path / "drills" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(questions: Path) -> list[str]:
    with pytest.raises(DrillFileError) as caught:
        load_drills(questions)
    return [str(error) for error in caught.value.errors]


def test_bad_drill_file_names_the_file_line_and_field(tmp_path: Path) -> None:
    questions = _bank_with(tmp_path, broken="slug: broken\ntopic: gd-basics\n")
    errors = _errors(questions)
    assert "drills/broken.yaml:1: `title` must be non-empty text" in errors
    assert "drills/broken.yaml:1: `grading` must be a mapping" in errors


def test_a_slug_that_differs_from_its_file_name_is_refused(tmp_path: Path) -> None:
    questions = _bank_with(tmp_path, sgd=SGD_TEXT)
    assert list(load_drills(questions)) == ["sgd"]
    (questions / "drills" / "copy.yaml").write_text(SGD_TEXT, encoding="utf-8")
    assert _errors(questions) == ["drills/copy.yaml:1: drill slug 'sgd' must equal the file name 'copy'"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  - The gradient points uphill", "  - Note: the gradient points uphill", "each hint must be text"),
        ("  steps: 25", "  steps: 100000", "`steps` must be from 1 to 1000"),
        ("  steps: 25", "  steps: 0", "`steps` must be from 1 to 1000"),
        (
            "  problems: [bowl, ravine, noisy-least-squares]",
            "  problems: []",
            "`problems` must be a non-empty",
        ),
        ("hyperparameters: {lr: 0.01}", "hyperparameters: [lr]", "`hyperparameters` must be a mapping"),
        (
            "  forbidden: [torch.optim.SGD]",
            "  forbiden: [torch.optim.SGD]",
            "unknown key 'forbiden' in grading",
        ),
        ("position: 1", "position: 1\nhint: one", "unknown key 'hint' in a drill"),
        ("  numpy: |\n    import numpy", "  jax: |\n    import numpy", "unknown key 'jax' in starter"),
        (
            "            self.lr = lr\n",
            "            self.lr = (lr\n",
            "the numpy starter is not valid Python",
        ),
    ],
    ids=[
        "hint-read-as-mapping",
        "too-many-steps",
        "no-steps",
        "no-problems",
        "values",
        "grading-key",
        "drill-key",
        "framework",
        "starter-syntax",
    ],
)
def test_each_schema_error_is_reported_at_its_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SGD_TEXT
    edited = SGD_TEXT.replace(old, new, 1)
    line = SGD_TEXT[: SGD_TEXT.index(old)].count("\n") + 1
    questions = _bank_with(tmp_path, sgd=edited)

    errors = _errors(questions)

    assert any(e.startswith("drills/sgd.yaml:") and message in e for e in errors), errors
    lines = {int(e.split(":")[1]) for e in errors if message in e}
    assert lines & set(range(line, line + 3)), (errors, line)


def test_a_changed_drill_file_is_read_again(tmp_path: Path) -> None:
    questions = _bank_with(tmp_path, sgd=SGD_TEXT)
    assert load_drills(questions)["sgd"].grading.steps == 25
    assert load_drills(questions) is load_drills(questions)  # unchanged files are not read again
    (questions / "drills" / "sgd.yaml").write_text(
        SGD_TEXT.replace("steps: 25", "steps: 7"), encoding="utf-8"
    )
    assert load_drills(questions)["sgd"].grading.steps == 7


def test_a_bank_without_drills_has_none(tmp_path: Path) -> None:
    assert load_drills(tmp_path) == {}
    assert load_drills(tmp_path / "nowhere") == {}


def test_the_bank_check_and_the_grader_read_drills_with_one_reader(drills) -> None:
    bank, errors = read_bank(QUESTIONS_DIR)
    assert errors == []
    assert {spec.slug: spec for spec in bank.drills} == drills


def test_linked_concept_cards_are_the_ones_the_diagnoses_teach(drills) -> None:
    from quizapp.grader.mistakes import MISTAKES

    taught = {mistake.card for mistake in MISTAKES.values()}
    for spec in drills.values():
        assert set(spec.card_slugs[1:]) <= taught, spec.slug
