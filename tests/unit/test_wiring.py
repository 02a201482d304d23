"""Visible wiring: the app factory registers every template helper and app-wide hook, quizapp/errors.py
answers every error, and no code asks whether a blueprint is registered (they all always are)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "quizapp"
FACTORY = PACKAGE / "__init__.py"
ERRORS = PACKAGE / "errors.py"
# Registrations that reach the whole app: only the factory makes them (blueprint modules used to).
APP_WIDE = {
    "app_template_filter",
    "app_template_global",
    "app_template_test",
    "app_context_processor",
    "app_errorhandler",
    "add_template_filter",
    "add_template_global",
    "context_processor",
    "unauthorized_handler",
}
BLUEPRINT_CHECKS = {"view_functions", "blueprints"}


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "static" not in path.parts)


def _attributes(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.attr) for node in ast.walk(tree) if isinstance(node, ast.Attribute)]


def _errorhandler_targets(path: Path) -> list[str]:
    """The exception names given to `<x>.errorhandler(...)` in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        ast.unparse(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "errorhandler"
        and node.args
    ]


def test_only_the_factory_registers_app_wide_helpers() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} {name}"
        for path in _modules()
        if path != FACTORY
        for line, name in _attributes(path)
        if name in APP_WIDE
    ]
    assert found == []
    factory = {name for _, name in _attributes(FACTORY)}
    assert {"add_template_filter", "add_template_global", "unauthorized_handler"} <= factory


def test_no_code_asks_whether_a_blueprint_is_registered() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line} {name}"
        for path in _modules()
        for line, name in _attributes(path)
        if name in BLUEPRINT_CHECKS
    ]
    assert found == []


def test_service_errors_are_answered_in_one_place() -> None:
    handled = {
        str(path.relative_to(PACKAGE.parent)): targets
        for path in _modules()
        if (targets := _errorhandler_targets(path))
    }
    assert "ServiceError" in handled.pop("quizapp/errors.py")
    # What is left are page-specific answers (the import form's own 413), never a service's error.
    assert {target for targets in handled.values() for target in targets} <= {"RequestEntityTooLarge"}


@pytest.mark.parametrize("path", sorted((PACKAGE / "services").glob("*.py")), ids=lambda p: p.name)
def test_services_define_no_error_type_of_their_own_beside_service_error(path: Path) -> None:
    """Another `class XError(Exception)` in a service would need its own handler again."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    direct = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in {"Exception", "LookupError"} for base in node.bases)
    ]
    assert direct == ([] if path.name != "errors.py" else ["ServiceError"])
