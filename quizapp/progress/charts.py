"""Server-drawn SVG charts for the progress pages: bars and a calendar heatmap, readable without colour.

Every bar and cell carries its value as text and in a <title>; emphasis uses hatching as well as shade.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from quizapp.srs.stats import DayCount, DrillAttempts, TopicStats

CELL = 13  # heatmap cell size in px (including a 2 px gap)
HATCH = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="chart-hatch-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="chart-hatch"/>'
    "</pattern></defs>"
)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    emphasis: bool = False  # drawn hatched (e.g. below the desired retention)


def _svg(width: int, height: int, label: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        f"{body}</svg>"
    )


def column_chart(title: str, bars: Sequence[Bar], *, tick_every: int = 5, height: int = 180) -> Markup:
    """Vertical bars with the value printed above each non-empty bar and every `tick_every`-th label below."""
    slot, top, bottom, left = 22, 18, 34, 8
    width = left * 2 + slot * max(len(bars), 1)
    peak = max((bar.value for bar in bars), default=0) or 1
    plot = height - top - bottom
    parts = []
    for index, bar in enumerate(bars):
        x = left + index * slot
        h = round(plot * bar.value / peak)
        y = top + plot - h
        parts.append(
            f'<g class="chart-bar"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<rect x="{x + 3}" y="{y}" width="{slot - 6}" height="{h}" class="chart-fill"/>'
        )
        if bar.value:
            parts.append(
                f'<text x="{x + slot / 2}" y="{y - 4}" class="chart-value">{escape(bar.text)}</text>'
            )
        if index % tick_every == 0:
            parts.append(
                f'<text x="{x + slot / 2}" y="{height - bottom + 14}" class="chart-tick">'
                f"{escape(bar.label)}</text>"
            )
        parts.append("</g>")
    parts.append(
        f'<line x1="{left}" y1="{top + plot}" x2="{width - left}" y2="{top + plot}" class="chart-axis"/>'
    )
    return _svg(width, height, title, "".join(parts))


def bar_chart(
    title: str, bars: Sequence[Bar], *, maximum: float, marker: tuple[float, str] | None = None
) -> Markup:
    """Horizontal bars, one row per label, value text at the bar's end; `marker` draws a labelled rule."""
    row, plot_w, top = 24, 300, 22
    # Labels are right-aligned against the bars; size their column to the longest (11px text ≈ 6.5px/char).
    label_w = max(120, 14 + round(6.5 * max((len(bar.label) for bar in bars), default=0)))
    width, height = label_w + plot_w + 180, top + row * max(len(bars), 1) + 8
    pattern = "hatch-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    parts = [HATCH.format(id=pattern)]
    for index, bar in enumerate(bars):
        y = top + index * row
        w = round(plot_w * min(bar.value, maximum) / maximum) if maximum else 0
        fill = (
            f'style="fill:url(#{pattern})" class="chart-emphasis"' if bar.emphasis else 'class="chart-fill"'
        )
        parts.append(
            f'<g class="chart-bar"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
            f'<text x="{label_w - 6}" y="{y + 15}" class="chart-label">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" {fill}/>'
            f'<text x="{label_w + w + 5}" y="{y + 15}" class="chart-value-end">{escape(bar.text)}</text></g>'
        )
    if marker is not None:
        x = label_w + round(plot_w * marker[0] / maximum)
        parts.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{height - 4}" class="chart-marker"/>'
            f'<text x="{x}" y="{top - 8}" class="chart-marker-label">{escape(marker[1])}</text>'
        )
    return _svg(width, height, title, "".join(parts))


def forecast_chart(forecast: Sequence[DayCount]) -> Markup:
    bars = [Bar(day.day.strftime("%b %-d"), day.count, str(day.count)) for day in forecast]
    return column_chart("Cards due on each of the next 30 days (overdue cards count today)", bars)


def retrievability_chart(topics: Sequence[TopicStats], desired_retention: float) -> Markup:
    """Mean recall now per topic; topics below the desired retention are hatched and say so."""
    bars = []
    for topic in topics:
        value = topic.retrievability_now
        if value is None:
            bars.append(Bar(topic.title, 0, "not started"))
            continue
        low = value < desired_retention
        bars.append(
            Bar(topic.title, value, f"{value:.0%}" + (" (below target)" if low else ""), emphasis=low)
        )
    marker = (desired_retention, f"target {desired_retention:.0%}")
    return bar_chart("Predicted recall now, per topic", bars, maximum=1.0, marker=marker)


def projection_chart(topics: Sequence[TopicStats], desired_retention: float, when: dt.date) -> Markup:
    bars = []
    for topic in topics:
        projection = topic.projection
        if projection is None or projection.mean_recall is None:
            bars.append(Bar(topic.title, 0, "not started"))
            continue
        low = projection.mean_recall < desired_retention
        text = f"{projection.mean_recall:.0%}" + (" (below target)" if low else "")
        bars.append(Bar(topic.title, projection.mean_recall, text, emphasis=low))
    title = f"Predicted recall per topic on {when.isoformat()} without further reviews"
    return bar_chart(title, bars, maximum=1.0, marker=(desired_retention, f"target {desired_retention:.0%}"))


def drill_chart(drills: Sequence[DrillAttempts]) -> Markup:
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


def heat_level(count: int) -> int:
    """Shade 0–4 for a day's reviews (1–9, 10–29, 30–59, 60+)."""
    return 0 if count == 0 else 1 if count < 10 else 2 if count < 30 else 3 if count < 60 else 4


def calendar_heatmap(days: Sequence[DayCount]) -> Markup:
    """Weeks as columns (Monday on top); each day shows its count as text, shade and <title>."""
    if not days:
        return _svg(10, 10, "No reviews yet", "")
    top, left = 18, 30
    weeks = (len(days) + days[0].day.weekday() + 6) // 7
    width, height = left + weeks * CELL + 4, top + 7 * CELL + 4
    parts = [
        f'<text x="0" y="{top + row * CELL + 10}" class="chart-tick-left">{name}</text>'
        for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun"))
    ]
    first_weekday = days[0].day.weekday()
    for index, entry in enumerate(days):
        column, row = divmod(index + first_weekday, 7)
        x, y = left + column * CELL, top + row * CELL
        if entry.day.day == 1 or (index == 0 and entry.day.day <= 14):
            parts.append(
                f'<text x="{x}" y="{top - 6}" class="chart-tick-month">{entry.day.strftime("%b")}</text>'
            )
        noun = "review" if entry.count == 1 else "reviews"
        parts.append(
            f'<g class="heat-cell"><title>{entry.day.isoformat()}: {entry.count} {noun}</title>'
            f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" '
            f'class="heat-{heat_level(entry.count)}"/>'
        )
        if entry.count:
            label = str(entry.count) if entry.count < 100 else "99+"
            parts.append(f'<text x="{x + (CELL - 2) / 2}" y="{y + 8.5}" class="heat-count">{label}</text>')
        parts.append("</g>")
    return _svg(width, height, "Reviews per day over the last year", "".join(parts))
