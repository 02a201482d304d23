"""The drill catalogue: one YAML file per drill in `questions/drills/`, loaded into typed `DrillSpec`s.

Each spec carries what a person sees (prompt, starters, hints, the reference solution shown after the drill)
and what the grader needs (problems, steps, graded hyper-parameter values, accepted conventions, the library
optimizer that is off limits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DRILLS_DIR = Path(__file__).resolve().parents[2] / "questions" / "drills"
FRAMEWORKS = ("numpy", "torch")
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED = (
    "slug",
    "topic",
    "title",
    "position",
    "prompt",
    "starter",
    "cards",
    "hints",
    "hyperparameters",
    "conventions",
    "source",
    "grading",
)


class DrillFileError(ValueError):
    """A drill file that does not follow the schema; the message names the file and the field."""


class UnknownDrill(KeyError):
    """No drill has this slug."""

    def __str__(self) -> str:
        return f"There is no drill named {self.args[0]!r}."


@dataclass(frozen=True)
class GradingPlan:
    """How a drill is graded: the problems (by name), steps per case and the non-default values used."""

    problems: tuple[str, ...]
    steps: int
    values: dict[str, Any]
    forbidden: tuple[str, ...]
    max_lines: int = 200


@dataclass(frozen=True)
class DrillSpec:
    """One coding drill as written in `questions/drills/<slug>.yaml`."""

    slug: str
    topic: str
    title: str
    position: int
    prompt: str
    starter: dict[str, str]
    frameworks: tuple[str, ...]
    cards: tuple[str, ...]
    hints: tuple[str, ...]
    hyperparameters: dict[str, Any]
    conventions: dict[str, str]
    source: dict[str, str]
    grading: GradingPlan = field(repr=False)
    # A readable from-scratch submission per framework, shown once the person has passed (or asked for it).
    solution: dict[str, str] = field(default_factory=dict, repr=False)


def load_drills(drills_dir: Path | None = None) -> dict[str, DrillSpec]:
    """Every drill in `drills_dir` (default `<repo>/questions/drills`), keyed by slug, in position order."""
    folder = Path(drills_dir) if drills_dir is not None else DEFAULT_DRILLS_DIR
    specs = [load_drill_file(path) for path in sorted(folder.glob("*.yaml"))]
    seen: set[str] = set()
    for spec in specs:
        if spec.slug in seen:
            raise DrillFileError(f"drill slug {spec.slug!r} appears twice in {folder}")
        seen.add(spec.slug)
    return {spec.slug: spec for spec in sorted(specs, key=lambda s: (s.position, s.slug))}


def load_drill_file(path: Path) -> DrillSpec:
    """Parse and validate one drill file; raises DrillFileError naming the file and the field."""
    # PyYAML loads with the first drill file, so `quizapp grade` has started its sandbox by then; libyaml's
    # safe loader, where PyYAML was built with it, parses the drill files about 7× faster.
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise DrillFileError(f"{path.name}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise DrillFileError(f"{path.name}: expected a mapping at the top level")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise DrillFileError(f"{path.name}: missing field(s) {', '.join(missing)}")
    if not isinstance(raw["slug"], str) or not _SLUG.match(raw["slug"]) or raw["slug"] != path.stem:
        raise DrillFileError(f"{path.name}: slug must be lowercase-hyphenated and equal the file name")
    return DrillSpec(
        slug=raw["slug"],
        topic=str(raw["topic"]),
        title=str(raw["title"]),
        position=int(raw["position"]),
        prompt=str(raw["prompt"]).strip(),
        starter=_starters(path, raw["starter"]),
        frameworks=tuple(fw for fw in FRAMEWORKS if fw in raw["starter"]),
        cards=tuple(str(card) for card in raw["cards"]),
        hints=tuple(str(hint).strip() for hint in raw["hints"]),
        hyperparameters=dict(raw["hyperparameters"]),
        conventions={str(k): str(v) for k, v in dict(raw["conventions"]).items()},
        source=_source(path, raw["source"]),
        grading=_grading(path, raw["grading"]),
        solution=_solution(path, raw.get("solution")),
    )


def _starters(path: Path, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw or set(raw) - set(FRAMEWORKS):
        raise DrillFileError(f"{path.name}: starter must map some of {FRAMEWORKS} to code")
    return {fw: str(raw[fw]) for fw in FRAMEWORKS if fw in raw}


def _solution(path: Path, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    valid = isinstance(raw, dict) and not set(raw) - set(FRAMEWORKS)
    if not valid or not all(isinstance(code, str) and code.strip() for code in raw.values()):
        raise DrillFileError(f"{path.name}: solution must map some of {FRAMEWORKS} to code")
    return {fw: raw[fw] for fw in FRAMEWORKS if fw in raw}


def _source(path: Path, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw.get("seed") or not raw.get("section"):
        raise DrillFileError(f"{path.name}: source needs a seed file name and a section heading")
    return {"seed": str(raw["seed"]), "section": str(raw["section"])}


def _grading(path: Path, raw: Any) -> GradingPlan:
    if not isinstance(raw, dict) or not raw.get("problems") or int(raw.get("steps", 0)) < 1:
        raise DrillFileError(f"{path.name}: grading needs problems and a positive number of steps")
    return GradingPlan(
        problems=tuple(str(p) for p in raw["problems"]),
        steps=int(raw["steps"]),
        values=dict(raw.get("values") or {}),
        forbidden=tuple(str(name) for name in raw.get("forbidden") or ()),
        max_lines=int(raw.get("max_lines", 200)),
    )
