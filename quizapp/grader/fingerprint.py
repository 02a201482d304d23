"""What a drill's verdict depends on, as one short digest: the drill's grading plan, hyper-parameters,
conventions and frameworks, and the grader's own source (reference optimizers, test problems, comparison,
diagnosis, sandbox).

The web app stores the digest with each submission; the job that grades it computes its own and refuses to
grade when they differ. So a `quizapp worker` started on another question bank or another release of quizapp
than the web's ends the row with a message, instead of grading code against a drill the person never saw.
The prompt, hints, titles and the reference solution are not part of it: rewording them changes no verdict.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizapp.bank import DrillSpec

GRADER_FOLDER = Path(__file__).parent
# Hex digits kept: 64 bits, far beyond any chance collision between two versions of one drill.
LENGTH = 16


def grading_fingerprint(spec: DrillSpec) -> str:
    """The digest of everything that decides `spec`'s verdicts, `LENGTH` hex digits."""
    plan = spec.grading
    graded = {
        "slug": spec.slug,
        "frameworks": list(spec.frameworks),
        "hyperparameters": spec.hyperparameters,
        "conventions": spec.conventions,
        "grading": {
            "problems": list(plan.problems),
            "steps": plan.steps,
            "values": plan.values,
            "forbidden": list(plan.forbidden),
            "max_lines": plan.max_lines,
        },
        "grader": grader_source_digest(),
    }
    text = json.dumps(graded, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:LENGTH]


def _plain(value: object) -> object:
    """A value JSON has no form for, written the same in every process: a set (YAML's `!!set`) as its
    members in order, not in the per-process hash order that repr() shows; a date as ISO text."""
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(item, sort_keys=True, default=_plain) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return f"{type(value).__name__}:{value!r}"


@lru_cache(maxsize=1)
def grader_source_digest() -> str:
    """sha256 of the grader package's files (its Python modules and generated gradient sources), by name;
    read once per process. Only plain files not named with a leading dot: an editor's lock or backup file
    (Emacs's `.#grading.py`, a dangling link) must neither break grading nor change the digest."""
    digest = hashlib.sha256()
    for path in sorted([*GRADER_FOLDER.glob("*.py"), *GRADER_FOLDER.glob("*.json")]):
        if path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
