"""Reference solutions after a drill: who may see one (passed, or failed three times and asked), and the
solution itself beside the person's latest code as a side-by-side line diff.

Views and the API call these; the rule and the diff live here so that both give the same answer.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest

from sqlalchemy.exc import IntegrityError

from quizapp.extensions import db, savepoint
from quizapp.models import SolutionRequest, Submission, User
from quizapp.services.errors import ServiceError
from quizapp.services.submissions import drill_with_spec

FAILURES_BEFORE_ASKING = 3


@dataclass(frozen=True)
class SolutionAccess:
    """Where a person stands on one drill's reference solution."""

    drill: str
    passed: bool
    failures: int
    asked: bool

    @property
    def unlocked(self) -> bool:
        return self.passed or (self.asked and self.failures >= FAILURES_BEFORE_ASKING)

    @property
    def can_ask(self) -> bool:
        """The "show the solution" button: three failures, no pass, not asked yet."""
        return not self.unlocked and self.failures >= FAILURES_BEFORE_ASKING

    @property
    def refusal(self) -> str:
        """Why the solution is still closed, in words that say what to do about it."""
        if self.can_ask:
            return (
                "You have failed this drill three times: ask for the reference solution with the "
                "“Show the solution” button on the drill page first."
            )
        left = FAILURES_BEFORE_ASKING - self.failures
        return (
            "The reference solution opens once you pass this drill, or after three failed attempts when you "
            f"ask for it; pass it, or fail {left} more time{'s' if left != 1 else ''} and then ask."
        )


@dataclass(frozen=True)
class DiffLine:
    """One side of a diff row: the line number in its file and the text (None on the empty side)."""

    number: int
    text: str


@dataclass(frozen=True)
class DiffRow:
    """One row of the side-by-side table.

    kind: same | changed | removed (a line of yours only) | added (a line of the reference only)."""

    kind: str
    yours: DiffLine | None
    reference: DiffLine | None


@dataclass(frozen=True)
class ReferenceSolution:
    drill: str
    title: str
    framework: str
    code: str
    conventions: dict[str, str]
    latest: Submission | None
    diff: list[DiffRow]
    access: SolutionAccess


def solution_access(user: User, drill_slug: str) -> SolutionAccess:
    """The person's standing on a live drill (404 for an unknown one), counting graded attempts only."""
    drill_with_spec(drill_slug)
    outcomes = db.session.scalars(
        db.select(Submission.outcome).where(
            Submission.user_id == user.id, Submission.drill_slug == drill_slug, Submission.status == "done"
        )
    ).all()
    asked = db.session.get(SolutionRequest, (user.id, drill_slug)) is not None
    failures = sum(1 for outcome in outcomes if outcome != "passed")
    return SolutionAccess(drill_slug, "passed" in outcomes, failures, asked)


def ask_for_solution(user: User, drill_slug: str) -> SolutionAccess:
    """Record the explicit ask (once) when the person has failed three times; 403 before that."""
    access = solution_access(user, drill_slug)
    if access.unlocked:
        return access
    if not access.can_ask:
        raise ServiceError(403, access.refusal)
    try:
        with savepoint():
            db.session.add(SolutionRequest(user_id=user.id, drill_slug=drill_slug))
            db.session.flush()
    except IntegrityError:  # the same ask from another tab got there first: it is recorded either way
        pass
    return SolutionAccess(drill_slug, access.passed, access.failures, asked=True)


def reference_solution(user: User, drill_slug: str) -> ReferenceSolution:
    """The reference solution beside the person's latest code; ServiceError(403) while closed."""
    access = solution_access(user, drill_slug)
    if not access.unlocked:
        raise ServiceError(403, access.refusal)
    _, spec = drill_with_spec(drill_slug)
    latest = db.session.scalar(
        db.select(Submission)
        .where(Submission.user_id == user.id, Submission.drill_slug == drill_slug)
        .order_by(Submission.id.desc())
        .limit(1)
    )
    framework = latest.framework if latest is not None and latest.framework in spec.solution else "numpy"
    code = spec.solution.get(framework)
    if code is None:
        raise ServiceError(404, f"The drill {drill_slug!r} has no reference solution yet.")
    diff = side_by_side_diff(latest.code if latest is not None else "", code)
    return ReferenceSolution(drill_slug, spec.title, framework, code, spec.conventions, latest, diff, access)


def side_by_side_diff(yours: str, reference: str) -> list[DiffRow]:
    """Line diff of two sources as table rows: equal runs side by side, replaced runs paired line by line."""
    left, right = yours.splitlines(), reference.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = zip_longest(range(i1, i2), range(j1, j2))
        for i, j in pairs:
            mine = DiffLine(i + 1, left[i]) if i is not None else None
            theirs = DiffLine(j + 1, right[j]) if j is not None else None
            rows.append(DiffRow(_row_kind(tag, mine, theirs), mine, theirs))
    return rows


def _row_kind(tag: str, mine: DiffLine | None, theirs: DiffLine | None) -> str:
    if tag == "equal":
        return "same"
    if mine is None:
        return "added"
    return "removed" if theirs is None else "changed"
