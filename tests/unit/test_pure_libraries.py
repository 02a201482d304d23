"""The pure libraries (bank, grader, srs, answers) import nothing from Flask, the database or the web layer,
so they can be used from a notebook and tested without an app (DESIGN.md, STYLE.md rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "quizapp"
PURE = ("bank", "grader", "srs", "answers")
WEB_SIDE = (
    "flask",
    "flask_",
    "werkzeug",
    "sqlalchemy",
    "quizapp.extensions",
    "quizapp.models",
    "quizapp.services",
    "quizapp.api",
    "quizapp.review",
    "quizapp.drills",
    "quizapp.progress",
    "quizapp.auth",
    "quizapp.jobs",
    "quizapp.pages",
)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def is_web_side(module: str) -> bool:
    return any(
        module == name or module.startswith(name if name.endswith("_") else name + ".") for name in WEB_SIDE
    )


@pytest.mark.parametrize("library", PURE)
def test_pure_library_imports_nothing_from_the_web_layer(library: str) -> None:
    files = sorted((PACKAGE / library).rglob("*.py"))
    assert files
    offending = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in files
        for module in imported_modules(path)
        if is_web_side(module)
    }
    assert not offending, sorted(offending)


def test_the_layering_check_recognises_web_imports() -> None:
    assert is_web_side("flask") and is_web_side("flask_login") and is_web_side("sqlalchemy.orm")
    assert is_web_side("quizapp.models") and not is_web_side("quizapp.bank.model")
    assert not is_web_side("numpy") and not is_web_side("flaskless")
