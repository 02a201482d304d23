"""The side-by-side diff of a person's code and the reference: every line of each appears once, in order,
with its own line number, and each row says whether it is the same, changed, only yours or only theirs."""

from __future__ import annotations

from quizapp.services.solutions import DiffLine, DiffRow, side_by_side_diff


def test_equal_changed_removed_and_added_lines_become_their_rows() -> None:
    yours = "a = 1\nb = 2\nprint(b)\nc = 3\n"
    reference = "a = 1\nb = 20\nc = 3\nd = 4\n"

    rows = side_by_side_diff(yours, reference)

    assert rows == [
        DiffRow("same", DiffLine(1, "a = 1"), DiffLine(1, "a = 1")),
        DiffRow("changed", DiffLine(2, "b = 2"), DiffLine(2, "b = 20")),
        DiffRow("removed", DiffLine(3, "print(b)"), None),
        DiffRow("same", DiffLine(4, "c = 3"), DiffLine(3, "c = 3")),
        DiffRow("added", None, DiffLine(4, "d = 4")),
    ]


def test_no_code_of_yours_shows_the_whole_reference_as_added() -> None:
    rows = side_by_side_diff("", "x = 1\ny = 2")
    assert [row.kind for row in rows] == ["added", "added"]
    assert [row.reference.number for row in rows if row.reference] == [1, 2]


def test_markup_in_code_is_kept_as_text_for_the_template_to_escape() -> None:
    rows = side_by_side_diff("<script>alert(1)</script>", "x = '<b>'")
    assert rows[0].yours == DiffLine(1, "<script>alert(1)</script>")
