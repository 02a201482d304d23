"""Optional extras (pyproject's `[project.optional-dependencies]`): what each one makes importable, and the
message a feature gives on a node installed without it. No Flask, no database: the grader uses it too.
"""

from __future__ import annotations

from importlib.util import find_spec

# extra → (what it is for, the modules it brings)
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "torch": ("PyTorch grading", ("torch",)),
    "fit": ("fitting the FSRS scheduler to your reviews", ("torch", "pandas", "tqdm")),
    "postgres": ("a PostgreSQL DATABASE_URL", ("psycopg",)),
    "queue": ("the Redis grading queue (QUEUE_URL)", ("redis", "rq")),
}


class MissingExtra(RuntimeError):
    """A feature was asked for on a node installed without the optional extra it needs."""


def missing_extra(extra: str) -> str | None:
    """None when `extra`'s modules are installed, else a message naming the extra and how to install it."""
    purpose, modules = EXTRAS[extra]
    missing = [module for module in modules if not _installed(module)]
    if not missing:
        return None
    return (
        f"This installation lacks the optional extra quizapp[{extra}] ({', '.join(missing)} not installed), "
        f"needed for {purpose}: pip install 'quizapp[{extra}]'"
    )


def require_extra(extra: str) -> None:
    """Raise MissingExtra with that message when `extra` is not installed."""
    message = missing_extra(extra)
    if message is not None:
        raise MissingExtra(message)


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None  # a top-level name: found without importing it
    except (ImportError, ValueError):  # an import hook that refuses the name, a half-imported module
        return False
