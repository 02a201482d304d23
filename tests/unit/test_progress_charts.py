"""Progress charts: matplotlib SVG with every number as text."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from quizapp.progress import charts
from quizapp.srs.dashboard import (
    CardCounts,
    DayCount,
    DrillAttempts,
    InterviewProjection,
    Retention,
    TopicStats,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def _groups(svg: ET.Element, css_class: str) -> list[ET.Element]:
    return [group for group in svg.iter(f"{SVG}g") if css_class in (group.get("class") or "").split()]


def _texts(svg: ET.Element, css_class: str) -> list[str]:
    return ["".join(group.itertext()) for group in _groups(svg, css_class)]


def test_heat_levels_step_at_ten_thirty_and_sixty() -> None:
    assert [charts.heat_level(n) for n in (0, 1, 9, 10, 29, 30, 59, 60, 500)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_calendar_heatmap_names_every_day_and_prints_counts() -> None:
    start = dt.date(2026, 3, 2)  # a Monday
    days = [
        DayCount(start + dt.timedelta(days=i), count) for i, count in enumerate([0, 3, 0, 120, 0, 0, 0, 1])
    ]
    svg = _parse(charts.calendar_heatmap(days))
    cells = _groups(svg, "heat-cell")
    assert len(cells) == 8
    titles = [cell.findtext(f"{SVG}title") for cell in cells]
    assert titles[1] == "2026-03-03: 3 reviews" and titles[7] == "2026-03-09: 1 review"
    assert _texts(svg, "heat-count") == ["3", "99+", "1"]
    assert svg.find(f".//{SVG}a") is None  # the collection's marker links became the titled groups
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == svg.get("aria-label") == "Reviews per day over the last year"


def test_calendar_heatmap_shades_more_reviews_darker_grey() -> None:
    days = [DayCount(dt.date(2026, 3, 2) + dt.timedelta(days=i), n) for i, n in enumerate([0, 5, 20, 40, 90])]
    markup = str(charts.calendar_heatmap(days))
    fills = [markup.index(f"fill: {grey}") for grey in charts.HEAT_GREYS]
    assert fills == sorted(fills)  # one shade per level, in the order of the days


def test_calendar_heatmap_without_days_says_so() -> None:
    svg = _parse(charts.calendar_heatmap([]))
    assert svg.get("aria-label") == "No reviews yet" and "No reviews yet" in "".join(svg.itertext())


def test_forecast_chart_labels_non_empty_bars_with_their_value() -> None:
    days = [DayCount(dt.date(2026, 3, 1) + dt.timedelta(days=i), n) for i, n in enumerate([4, 0, 2])]
    svg = _parse(charts.forecast_chart(days))
    assert _texts(svg, "chart-value") == ["4", "2"]
    assert [bar.findtext(f"{SVG}title") for bar in _groups(svg, "chart-bar")] == [
        "Mar 1: 4",
        "Mar 2: 0",
        "Mar 3: 2",
    ]
    assert "Mar 1" in "".join(svg.itertext())  # the first day is labelled on the axis
    assert svg.get("role") == "img" and svg.get("aria-label").startswith("Cards due on each of the next 30")


def test_drill_chart_hatches_drills_tried_but_not_passed() -> None:
    drills = [DrillAttempts("adam", "t", "Adam", 3, 1), DrillAttempts("lion", "t", "Lion & co", 2, 0)]
    markup = str(charts.drill_chart(drills))
    svg = _parse(markup)
    (hatched,) = _groups(svg, "chart-emphasis")
    assert hatched.findtext(f"{SVG}title") == "Lion & co: 2 attempts, not passed yet"
    fill = hatched.find(f"{SVG}path").get("style")
    pattern_id = fill.split("url(#")[1].split(")")[0]
    patterns = {pattern.get("id"): pattern for pattern in svg.iter(f"{SVG}pattern")}
    assert patterns[pattern_id].find(f"{SVG}path") is not None  # the hatch strokes
    (solid,) = _groups(svg, "chart-bar")
    assert "url(" not in solid.find(f"{SVG}path").get("style")
    assert _texts(svg, "chart-value-end") == ["3 attempts, passed 1×", "2 attempts, not passed yet"]
    assert "Lion &amp; co" in markup


def test_retrievability_chart_marks_the_target_and_hatches_topics_below_it() -> None:
    topics = [_topic("Adam", 0.95), _topic("Momentum", 0.7), _topic("Lion", None)]
    svg = _parse(charts.retrievability_chart(topics, 0.9))
    assert _texts(svg, "chart-marker-label") == ["target 90%"]
    assert _texts(svg, "chart-value-end") == ["95%", "70% (below target)", "not started"]
    assert [group.findtext(f"{SVG}title") for group in _groups(svg, "chart-emphasis")] == [
        "Momentum: 70% (below target)"
    ]
    labels = "".join(svg.itertext())
    assert "Adam" in labels and "Momentum" in labels and "Lion" in labels
    assert svg.get("aria-label") == "Predicted recall now, per topic"


def test_projection_chart_names_the_interview_day() -> None:
    topics = [_topic("Adam", 0.95, projected=0.8)]
    svg = _parse(charts.projection_chart(topics, 0.9, dt.date(2026, 12, 1)))
    assert "2026-12-01" in svg.get("aria-label")
    assert _texts(svg, "chart-value-end") == ["80% (below target)"]


def test_charts_on_one_page_share_no_ids() -> None:
    drills = [DrillAttempts("lion", "t", "Lion", 2, 0)]
    pages = [charts.drill_chart(drills), charts.retrievability_chart([_topic("Adam", 0.5)], 0.9)]
    ids = [element.get("id") for page in pages for element in _parse(page).iter() if element.get("id")]
    assert ids and len(ids) == len(set(ids))


def test_bar_labels_are_drawn_verbatim_without_mathtext_or_id_rewriting() -> None:
    title = 'Scale $\\beta$ by id="x" url(#y) <fast>'
    svg = _parse(charts.drill_chart([DrillAttempts("odd", "t", title, 1, 0)]))
    assert title in list(svg.itertext())
    assert (
        svg.find(f".//{SVG}g[@class='chart-emphasis']/{SVG}title").text
        == f"{title}: 1 attempt, not passed yet"
    )


def test_charts_are_drawn_by_matplotlib() -> None:
    markup = str(charts.forecast_chart([DayCount(dt.date(2026, 3, 1), 1)]))
    assert "Matplotlib v" in markup and "https://matplotlib.org/" in markup  # its generator metadata
    assert "<text" in markup  # fonts left to the browser: text stays text, not glyph paths
    assert "<style" not in markup  # matplotlib's *{...} rule would style the whole page once inlined


def _topic(title: str, recall: float | None, projected: float | None = None) -> TopicStats:
    projection = (
        None
        if projected is None
        else InterviewProjection(dt.datetime(2026, 12, 1, 9), projected, projected * 10, 10)
    )
    return TopicStats(
        slug=title.lower(),
        title=title,
        counts=CardCounts(total=10, seen=10, new=0, due_today=0, overdue=0),
        retrievability_now=recall,
        true_retention=Retention(recalled=0, total=0),
        average_stability=None,
        drills_passed=0,
        drills_tried=0,
        drills_total=0,
        projection=projection,
    )
