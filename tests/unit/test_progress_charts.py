"""The progress page's SVG charts carry their numbers as text, and the Anki export keeps formulas intact."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from quizapp.progress import charts
from quizapp.services.history import anki_math
from quizapp.srs.stats import DayCount, DrillAttempts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_heat_levels_step_at_ten_thirty_and_sixty() -> None:
    assert [charts.heat_level(n) for n in (0, 1, 9, 10, 29, 30, 59, 60, 500)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_calendar_heatmap_names_every_day_and_prints_counts() -> None:
    start = dt.date(2026, 3, 2)  # a Monday
    days = [
        DayCount(start + dt.timedelta(days=i), count) for i, count in enumerate([0, 3, 0, 120, 0, 0, 0, 1])
    ]
    svg = _parse(charts.calendar_heatmap(days))
    titles = [title.text for title in svg.iter(f"{SVG}title")]
    assert "2026-03-03: 3 reviews" in titles and "2026-03-09: 1 review" in titles
    counts = [text.text for text in svg.iter(f"{SVG}text") if text.get("class") == "heat-count"]
    assert counts == ["3", "99+", "1"]
    assert len(svg.findall(f".//{SVG}rect")) == 8
    assert svg.get("role") == "img"


def test_forecast_chart_labels_non_empty_bars_with_their_value() -> None:
    days = [DayCount(dt.date(2026, 3, 1) + dt.timedelta(days=i), n) for i, n in enumerate([4, 0, 2])]
    svg = _parse(charts.forecast_chart(days))
    values = [text.text for text in svg.iter(f"{SVG}text") if text.get("class") == "chart-value"]
    assert values == ["4", "2"]


def test_drill_chart_hatches_drills_tried_but_not_passed() -> None:
    drills = [DrillAttempts("adam", "t", "Adam", 3, 1), DrillAttempts("lion", "t", "Lion & co", 2, 0)]
    markup = str(charts.drill_chart(drills))
    svg = _parse(markup)
    rects = {
        rect.get("class"): rect
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("class", "").startswith("chart")
    }
    assert "url(#hatch-attempts-per-drill)" in rects["chart-emphasis"].get("style")
    assert "Lion &amp; co" in markup and "2 attempts, not passed yet" in markup
    assert "3 attempts, passed 1×" in markup


def test_anki_math_converts_delimiters_and_escapes_the_rest() -> None:
    text = "Update $\\theta_{t+1}$ when a<b:\n$$m_t = \\beta m_{t-1} + (1-\\beta) g_t$$ costs \\$3"
    assert anki_math(text) == (
        "Update \\(\\theta_{t+1}\\) when a&lt;b:<br>\\[m_t = \\beta m_{t-1} + (1-\\beta) g_t\\] costs $3"
    )


def test_anki_math_leaves_text_without_formulas_alone() -> None:
    assert anki_math("Plain & simple\n") == "Plain &amp; simple"


def test_anki_text_turns_the_banks_markdown_into_html_outside_formulas() -> None:
    text = "Set `lr` to **16** times, *on average*; keep $a*b*c$ and 2 * 3 as typed"
    assert anki_math(text) == (
        "Set <code>lr</code> to <b>16</b> times, <i>on average</i>; keep \\(a*b*c\\) and 2 * 3 as typed"
    )
