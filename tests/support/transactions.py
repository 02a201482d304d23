"""Services called as their callers call them: each call in its own unit of work, committed when it returns
and rolled back when it raises (services leave the transaction to their caller)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from quizapp.extensions import unit_of_work

P = ParamSpec("P")
T = TypeVar("T")


def committed(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` in one unit of work, as a view or a CLI command makes it."""
    with unit_of_work():
        return call(*args, **kwargs)
