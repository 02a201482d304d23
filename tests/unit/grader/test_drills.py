"""The drill catalogue: 15 drills, each with topic, cards, conventions, starters and a real seed section."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from quizapp.grader.drills import DrillFileError, load_drill_file, load_drills
from quizapp.grader.mistakes import CONVENTION_FLAGS
from quizapp.grader.problems import LANDSCAPES, OTHER_PROBLEMS

SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
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
    assert spec.cards[0] == f"code-{slug}"
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
    lines = {line.strip() for line in (SEEDS / source["seed"]).read_text(encoding="utf-8").splitlines()}
    assert source["section"] in lines


def test_bad_drill_file_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("slug: broken\ntopic: gd-basics\n", encoding="utf-8")
    with pytest.raises(DrillFileError, match=r"broken.yaml: missing field\(s\) title"):
        load_drill_file(path)


def test_duplicate_slugs_are_refused(tmp_path: Path) -> None:
    original = (Path(__file__).resolve().parents[3] / "questions" / "drills" / "sgd.yaml").read_text()
    (tmp_path / "sgd.yaml").write_text(original, encoding="utf-8")
    assert list(load_drills(tmp_path)) == ["sgd"]
    (tmp_path / "copy.yaml").write_text(original, encoding="utf-8")
    with pytest.raises(DrillFileError, match="slug must be lowercase-hyphenated and equal the file name"):
        load_drills(tmp_path)


def test_linked_concept_cards_are_the_ones_the_diagnoses_teach(drills) -> None:
    from quizapp.grader.mistakes import MISTAKES

    taught = {mistake.card for mistake in MISTAKES.values()}
    for spec in drills.values():
        assert set(spec.cards[1:]) <= taught, spec.slug
