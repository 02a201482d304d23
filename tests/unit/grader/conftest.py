"""Shared fixtures for the grader tests: one sandbox pool for the session, and the drill catalogue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.drills import shipped_drills

from quizapp.grader.sandbox import SandboxPool, bubblewrap_available


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxPool]:
    """Pre-started sandboxes; a plain subprocess only where bubblewrap is missing (isolation is tested in
    tests/security, these tests are about grading)."""
    pool = SandboxPool(size=2, unsafe_no_sandbox=not bubblewrap_available())
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def drills():
    return shipped_drills()


@pytest.fixture(scope="session")
def grade_with(sandbox, drills):
    """`grade()` of the shipped drill named `drill` through the shared pool, with a fixed seed unless one is
    given."""
    from quizapp.grader import grade

    def run(drill: str, code: str, **kwargs):
        kwargs.setdefault("seed", 11)
        return grade(drills[drill], code, sandbox=sandbox, **kwargs)

    return run
