"""The layers' import rules, checked on the source (every import, at the top or inside functions).

The pure libraries (bank, grader, srs, answers) import nothing from Flask, the database or the web layer,
so they can be used from a notebook and tested without an app (DESIGN.md, STYLE.md rule 1). Above them,
dependencies go one way: views and API → jobs → services → models. Services import neither the job layer
nor views, blueprints or the request, and leave the transaction to their caller (no commit, no rollback).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
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


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Every module a file imports, at the top or inside functions; `from a import b` counts as `a` and
    `a.b` (b may be a module or a name, e.g. `flask.request`); relative imports are resolved against
    `package` (by default the file's own package)."""
    names = set()
    package = package or ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


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


# ------------------------------------------------------------------------------ services and jobs: one way

SERVICES = PACKAGE / "services"
JOBS = PACKAGE / "jobs"


def blueprint_packages() -> set[str]:
    """Packages whose `__init__` imports their views at module level: importing one registers routes."""
    found = set()
    for init in PACKAGE.glob("*/__init__.py"):
        name = f"quizapp.{init.parent.name}"
        tree = ast.parse(init.read_text(), str(init))
        top_level = {
            f"{_absolute(node, name)}.{alias.name}"
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        if f"{name}.views" in top_level:
            found.add(name)
    return found


def is_view_layer(module: str) -> bool:
    """Views, blueprints and the JSON API: what services and jobs must not depend on."""
    parts = module.split(".")
    return (
        module == "quizapp.api"
        or module.startswith("quizapp.api.")
        or (parts[0] == "quizapp" and parts[-1] == "views")
        or any(module == bp or module.startswith(bp + ".") for bp in blueprint_packages())
    )


REQUEST = {"flask.request", "flask.session"}
# The request's id for log lines (None outside a request): the job layer stamps it on what a request starts.
REQUEST_ID = "quizapp.monitoring.request_log"


def is_job_layer(module: str) -> bool:
    return module == "quizapp.jobs" or module.startswith("quizapp.jobs.")


def offending_imports(folder: Path, rule: Callable[[str], bool]) -> list[str]:
    files = sorted(folder.rglob("*.py"))
    assert files
    return sorted(
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in files
        for module in imported_modules(path)
        if rule(module)
    )


def test_services_import_neither_the_job_layer_nor_views_blueprints_or_the_request() -> None:
    def forbidden(module: str) -> bool:
        return is_job_layer(module) or is_view_layer(module) or module in {*REQUEST, REQUEST_ID}

    assert not offending_imports(SERVICES, forbidden)


def test_jobs_import_no_views_blueprints_or_request() -> None:
    assert not offending_imports(JOBS, lambda module: is_view_layer(module) or module in REQUEST)


def transaction_calls(path: Path) -> list[str]:
    """`<anything>.commit()` and `<anything>.rollback()` calls in a file, as `file:line call()`."""
    return [
        f"{path.name}:{node.lineno} {node.func.attr}()"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"commit", "rollback"}
    ]


def test_services_leave_the_transaction_to_their_caller() -> None:
    """One unit of work per request, command or job: its caller commits (quizapp.extensions.unit_of_work)."""
    assert not [call for path in sorted(SERVICES.rglob("*.py")) for call in transaction_calls(path)]


def test_the_layer_checks_see_through_every_way_of_importing(tmp_path: Path) -> None:
    assert is_view_layer("quizapp.review.views") and is_view_layer("quizapp.progress.api")
    assert is_view_layer("quizapp.api.review") and is_view_layer("quizapp.review")
    assert is_view_layer("quizapp.monitoring.views") and not is_view_layer("quizapp.monitoring.metrics")
    assert not is_view_layer("quizapp.services.review") and not is_view_layer("flask")
    assert is_job_layer("quizapp.jobs.grading") and not is_job_layer("quizapp.jobsite")
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .review import queue\n"
        "def later():\n"
        "    from quizapp import jobs\n"
        "    from flask import request\n"
        "    from ..jobs import grading\n"
        "    db.session.commit()\n"
    )
    found = imported_modules(sample, package="quizapp.services")
    assert {"quizapp.services.review.queue", "quizapp.jobs", "flask.request", "quizapp.jobs.grading"} <= found
    assert transaction_calls(sample) == ["sample.py:6 commit()"]
