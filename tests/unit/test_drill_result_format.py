"""Drill texts and results stay readable: numbers to 6 significant digits (one formatter for the pages and
`quizapp grade`), long vectors shortened on the pages, light markup in prompts rendered safely around the
math."""

from __future__ import annotations

from support.apps import make_app

from quizapp.grader.cli import render_verdict
from quizapp.grader.verdict import format_value
from quizapp.prose import render_prose

# The result pages' filter, as the app factory registers it.
result_value = make_app("sqlite://").jinja_env.filters["drl_value"]


def test_numbers_keep_six_significant_digits() -> None:
    assert format_value(0.000123456789) == "0.000123457"
    assert format_value(1234567.0) == "1.23457e+06"
    assert format_value(3) == "3"


def test_long_vectors_are_shortened_on_the_pages_and_nested_values_formatted() -> None:
    assert result_value([1.0, 2.5]) == "[1, 2.5]"
    assert result_value(list(range(10))) == "[0, 1, 2, 3, 4, 5, …]"
    assert result_value([[0.1234567, 2.0]]) == "[[0.123457, 2]]"
    assert format_value(list(range(10))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"  # no limit: every item


def test_the_terminal_report_prints_a_divergence_with_the_same_formatter() -> None:
    point = {"step": 3, "expected": [0.1234567, 1234567.0], "got": [0.1234561, None]}
    case = {"problem": "bowl", "steps": 5, "max_rel_err": 0.5, "passed": False, "first_divergence": point}
    report = render_verdict({"drill": "sgd", "verdict": "failed", "cases": [case]})
    assert "bowl: first divergence at step 3: expected [0.123457, 1.23457e+06], got [0.123456, —]" in report


def test_missing_values_show_a_dash() -> None:
    assert format_value(None) == result_value(None) == "—"
    assert format_value(True) == "True"


def test_drill_prose_escapes_html_and_keeps_math_for_katex() -> None:
    html = str(render_prose("Use `m_hat` and *not* <b>this</b>: $a*b < c$ and **bold**.\n\nNext $$x^*$$"))

    assert html == (
        "<p>Use <code>m_hat</code> and <em>not</em> &lt;b&gt;this&lt;/b&gt;: $a*b &lt; c$ and "
        "<strong>bold</strong>.</p>\n<p>Next $$x^*$$</p>"
    )
