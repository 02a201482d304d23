"""Progress-page charts as data: the server says what each chart shows, the browser draws it.

Bar and column charts become a `Chart` that the page embeds as JSON and static/charts.js draws with uPlot
(every value printed as text, emphasis hatched as well as shaded). The calendar heatmap is an HTML table
(templates/progress/_macros.html) built from `calendar_grid`. No drawing happens on the server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from quizapp.srs.dashboard import DayCount, DrillAttempts, TopicStats


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # printed at the bar, and in the chart's table
    emphasis: bool = False  # drawn hatched (e.g. below the desired retention)


@dataclass(frozen=True)
class Marker:
    """A labelled rule across the bars at `value` (the desired retention)."""

    value: float
    label: str


@dataclass(frozen=True)
class Chart:
    """One chart for static/charts.js: vertical `columns` or horizontal `bars`, one per `Bar`.

    `title` is the chart's accessible name; the value axis runs from 0 to `maximum`; columns label every
    `tick_every`-th bar on their axis.
    """

    kind: Literal["columns", "bars"]
    title: str
    bars: tuple[Bar, ...]
    maximum: float
    tick_every: int = 1
    marker: Marker | None = None

    def to_json(self) -> dict[str, Any]:
        """What the page embeds (`|tojson`) for charts.js: parallel lists, one entry per bar."""
        return {
            "kind": self.kind,
            "title": self.title,
            "labels": [bar.label for bar in self.bars],
            "values": [bar.value for bar in self.bars],
            "texts": [bar.text for bar in self.bars],
            "emphasis": [bar.emphasis for bar in self.bars],
            "maximum": self.maximum,
            "tickEvery": self.tick_every,
            "marker": None
            if self.marker is None
            else {"value": self.marker.value, "label": self.marker.label},
        }


def column_chart(title: str, bars: Sequence[Bar], *, tick_every: int = 5) -> Chart:
    """Vertical bars with the value printed above each non-empty bar and every `tick_every`-th label below."""
    peak = max((bar.value for bar in bars), default=0) or 1
    return Chart("columns", title, tuple(bars), maximum=peak, tick_every=max(tick_every, 1))


def bar_chart(title: str, bars: Sequence[Bar], *, maximum: float, marker: Marker | None = None) -> Chart:
    """Horizontal bars, one row per label, value text at the bar's end; `marker` draws a labelled rule."""
    return Chart("bars", title, tuple(bars), maximum=maximum or 1, marker=marker)


def forecast_chart(forecast: Sequence[DayCount]) -> Chart:
    bars = [Bar(day.day.strftime("%b %-d"), day.count, str(day.count)) for day in forecast]
    return column_chart("Cards due on each of the next 30 days (overdue cards count today)", bars)


def interview_score_chart(interviews: Sequence[Any]) -> Chart:
    """Mock interview scores in the order taken (the trend), each labelled with its day."""
    bars = [
        Bar(
            interview.started_at.strftime("%b %-d"),
            (interview.score or 0) * 100,
            f"{(interview.score or 0):.0%}",
        )
        for interview in interviews
    ]
    return column_chart("Mock interview scores, oldest first (percent of points)", bars, tick_every=1)


def _target(desired_retention: float) -> Marker:
    return Marker(desired_retention, f"target {desired_retention:.0%}")


def _recall_bar(title: str, recall: float | None, desired_retention: float) -> Bar:
    """A topic's recall; below the desired retention it is hatched and says so."""
    if recall is None:
        return Bar(title, 0, "not started")
    low = recall < desired_retention
    return Bar(title, recall, f"{recall:.0%}" + (" (below target)" if low else ""), emphasis=low)


def retrievability_chart(topics: Sequence[TopicStats], desired_retention: float) -> Chart:
    """Mean recall now per topic; topics below the desired retention are hatched and say so."""
    bars = [_recall_bar(topic.title, topic.retrievability_now, desired_retention) for topic in topics]
    title = "Predicted recall now, per topic"
    return bar_chart(title, bars, maximum=1.0, marker=_target(desired_retention))


def projection_chart(topics: Sequence[TopicStats], desired_retention: float, when: dt.date) -> Chart:
    bars = [
        _recall_bar(
            topic.title, topic.projection.mean_recall if topic.projection else None, desired_retention
        )
        for topic in topics
    ]
    title = f"Predicted recall per topic on {when.isoformat()} without further reviews"
    return bar_chart(title, bars, maximum=1.0, marker=_target(desired_retention))


def drill_chart(drills: Sequence[DrillAttempts]) -> Chart:
    """Attempts per drill; passed drills are solid, drills tried but not passed are hatched."""
    peak = max((drill.attempts for drill in drills), default=0) or 1
    bars = [
        Bar(
            drill.title or drill.slug,
            drill.attempts,
            _drill_text(drill),
            emphasis=bool(drill.attempts) and not drill.passed,
        )
        for drill in drills
    ]
    return bar_chart("Attempts per drill", bars, maximum=peak)


def _drill_text(drill: DrillAttempts) -> str:
    if not drill.attempts:
        return "not tried"
    plural = "s" if drill.attempts != 1 else ""
    outcome = f"passed {drill.passed_attempts}×" if drill.passed else "not passed yet"
    return f"{drill.attempts} attempt{plural}, {outcome}"


# ------------------------------------------------------------------------------------- calendar heatmap

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heat_level(count: int) -> int:
    """Shade 0–4 for a day's reviews (1–9, 10–29, 30–59, 60+)."""
    return 0 if count == 0 else 1 if count < 10 else 2 if count < 30 else 3 if count < 60 else 4


@dataclass(frozen=True)
class HeatDay:
    """One square of the heatmap: its shade, the count printed in it and its tooltip."""

    day: dt.date
    count: int

    @property
    def level(self) -> int:
        return heat_level(self.count)

    @property
    def text(self) -> str:
        return "" if self.count == 0 else str(self.count) if self.count < 100 else "99+"

    @property
    def title(self) -> str:
        return f"{self.day.isoformat()}: {self.count} review{'' if self.count == 1 else 's'}"


@dataclass(frozen=True)
class Week:
    """One column: its Monday, the month name when a month begins in it, and Monday-to-Sunday squares
    (None for days outside the calendar's range)."""

    monday: dt.date
    month: str
    days: tuple[HeatDay | None, ...]


@dataclass(frozen=True)
class CalendarGrid:
    weeks: tuple[Week, ...]

    @property
    def rows(self) -> list[tuple[str, list[HeatDay | None]]]:
        """The table's rows: each weekday's name and its square in every week."""
        return [(name, [week.days[index] for week in self.weeks]) for index, name in enumerate(WEEKDAYS)]


def calendar_grid(days: Sequence[DayCount]) -> CalendarGrid:
    """Consecutive days as weeks (Monday first). A week in which a month begins is named by that month, and
    so is the first week when it holds the first half of its month (else two names would crowd together)."""
    if not days:
        return CalendarGrid(())
    first = days[0].day
    monday = first - dt.timedelta(days=first.weekday())
    by_day = {entry.day: HeatDay(entry.day, entry.count) for entry in days}
    weeks = []
    while monday <= days[-1].day:
        week = [monday + dt.timedelta(days=offset) for offset in range(7)]
        starts = [
            day for day in week if day in by_day and (day.day == 1 or (day == first and first.day <= 14))
        ]
        month = starts[-1].strftime("%b") if starts else ""
        weeks.append(Week(monday, month, tuple(by_day.get(day) for day in week)))
        monday += dt.timedelta(days=7)
    return CalendarGrid(tuple(weeks))
