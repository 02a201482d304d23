"""Drill texts and results stay readable: numbers to 6 significant digits, long vectors shortened, light
markup in prompts rendered safely around the math."""

from __future__ import annotations

from quizapp.drills.views import format_value
from quizapp.prose import render_prose


def test_numbers_keep_six_significant_digits() -> None:
    assert format_value(0.000123456789) == "0.000123457"
    assert format_value(1234567.0) == "1.23457e+06"
    assert format_value(3) == "3"


def test_long_vectors_are_shortened_and_nested_values_formatted() -> None:
    assert format_value([1.0, 2.5]) == "[1, 2.5]"
    assert format_value(list(range(10))) == "[0, 1, 2, 3, 4, 5, …]"
    assert format_value([[0.1234567, 2.0]]) == "[[0.123457, 2]]"


def test_missing_values_show_a_dash() -> None:
    assert format_value(None) == "—"
    assert format_value(True) == "True"


def test_drill_prose_escapes_html_and_keeps_math_for_katex() -> None:
    html = str(render_prose("Use `m_hat` and *not* <b>this</b>: $a*b < c$ and **bold**.\n\nNext $$x^*$$"))

    assert html == (
        "<p>Use <code>m_hat</code> and <em>not</em> &lt;b&gt;this&lt;/b&gt;: $a*b &lt; c$ and "
        "<strong>bold</strong>.</p>\n<p>Next $$x^*$$</p>"
    )
