"""The bank's light markup, one grammar for the site's HTML and the Anki export: escaped first, math kept."""

from __future__ import annotations

import time

import pytest

from quizapp.prose import anki_html, render_prose


def test_site_html_escapes_tags_inside_and_outside_math() -> None:
    html = str(render_prose('<script>alert(1)</script> $<img src=x onerror="alert(1)">$ **<b>**'))
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; $&lt;img src=x onerror=&#34;alert(1)&#34;&gt;$ "
        "<strong>&lt;b&gt;</strong></p>"
    )


def test_site_html_makes_paragraphs_of_blank_line_separated_text() -> None:
    assert str(render_prose("  one\nline\n \n\ntwo  ")) == "<p>one\nline</p>\n<p>two</p>"


def test_markup_inside_math_is_left_for_katex() -> None:
    html = str(render_prose("Keep $a*b*c$ and $$x^{**}_`t`$$ as written, but *this* is emphasis"))
    assert html == "<p>Keep $a*b*c$ and $$x^{**}_`t`$$ as written, but <em>this</em> is emphasis</p>"


@pytest.mark.parametrize(
    "text", ["2 * 3 * 4", "beta1*m + (1 - beta1)*g/(1 - beta1**(t + 1))", "a ** b ** c", "* not a list *"]
)
def test_asterisks_that_do_not_hug_words_are_arithmetic(text: str) -> None:
    assert str(render_prose(text)) == f"<p>{text}</p>"
    assert anki_html(text) == text


def test_an_escaped_dollar_is_a_dollar_not_a_formula() -> None:
    assert str(render_prose(r"It costs \$5 and $x$ more")) == r"<p>It costs \$5 and $x$ more</p>"
    assert anki_html(r"It costs \$5 and $x$ more") == r"It costs $5 and \(x\) more"


def test_anki_math_converts_delimiters_and_escapes_the_rest() -> None:
    text = "Update $\\theta_{t+1}$ when a<b:\n$$m_t = \\beta m_{t-1} + (1-\\beta) g_t$$ costs \\$3"
    assert anki_html(text) == (
        "Update \\(\\theta_{t+1}\\) when a&lt;b:<br>\\[m_t = \\beta m_{t-1} + (1-\\beta) g_t\\] costs $3"
    )


def test_anki_math_leaves_text_without_formulas_alone() -> None:
    assert anki_html("Plain & simple\n") == "Plain &amp; simple"


def test_anki_text_turns_the_banks_markdown_into_html_outside_formulas() -> None:
    text = "Set `lr` to **16** times, *on average*; keep $a*b*c$ and 2 * 3 as typed"
    assert anki_html(text) == (
        "Set <code>lr</code> to <b>16</b> times, <i>on average</i>; keep \\(a*b*c\\) and 2 * 3 as typed"
    )


def test_formulas_inside_formulas_do_not_overlap() -> None:
    assert anki_html("$a $$b$$") == "\\(a \\)$b$$"
    assert anki_html("$$a$b$$ and $c$") == "\\[a$b\\] and \\(c\\)"


@pytest.mark.parametrize(
    "text", ["$a " * 20_000, "*a " * 20_000, "**" + "a" * 100_000, "$$" + "\\$$" * 20_000]
)
def test_long_unclosed_markup_renders_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    render_prose(text)
    anki_html(text)
    assert time.perf_counter() - started < 2.0
