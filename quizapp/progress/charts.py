"""Progress-page charts drawn by matplotlib as SVG: bars and a calendar heatmap, readable without colour.

Every bar and cell carries its value as text and in a <title>; emphasis uses hatching as well as shade.
Every drawn part has a CSS class (chart-bar, chart-axis, heat-2, ...): the colours below are what the SVG
shows on its own, and app.css repaints each class from its light or dark scheme's variables.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from quizapp.extras import missing_extra
from quizapp.srs.dashboard import DayCount, DrillAttempts, TopicStats

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CELL = 13  # heatmap cell size in px (including a 2 px gap)
FILL, HATCH_BG, HATCH_EDGE, MARKER, AXIS = "#4a6fbf", "#dfe7f7", "#2457c5", "#9a6700", "#5b6475"
HEAT_GREYS = ("#eeeeee", "#c4c4c4", "#8f8f8f", "#555555", "#1f1f1f")  # light → dark, levels 0–4
STYLE = {
    "svg.fonttype": "none",  # text stays <text>: small, selectable, readable by screen readers
    "svg.hashsalt": "quizapp-progress",  # deterministic ids; each chart's ids are prefixed below
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "hatch.linewidth": 1.5,
    "text.color": "#1d2330",
    "text.parse_math": False,  # a "$" in a topic or drill title is a dollar sign, not mathtext
}
# rc_context swaps matplotlib's process-wide rcParams, so concurrent requests take turns while drawing.
_DRAWING = threading.Lock()
_GID = "qzgid-"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    emphasis: bool = False  # drawn hatched (e.g. below the desired retention)


@dataclass
class _Drawing:
    """A Figure sized in px (1 pt = 1 px at dpi 72) plus the classes and tooltips to attach to artists."""

    width: float
    height: float
    figure: Figure = field(init=False)
    tags: list[tuple[str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # matplotlib loads with the first chart, not with the app: most workers never draw one.
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(self.width / 72, self.height / 72), dpi=72, facecolor="none")

    def axes(self, left: float, top: float, right: float, bottom: float) -> Axes:
        """Axes placed by px margins from the figure's edges."""
        w, h = self.width, self.height
        box = (left / w, bottom / h, (w - left - right) / w, (h - top - bottom) / h)
        return self.figure.add_axes(box, facecolor="none")

    def tag(self, artist: Artist, css_class: str, title: str | None = None) -> None:
        artist.set_gid(f"{_GID}{len(self.tags)}")
        self.tags.append((css_class, title))

    def link(self, css_class: str, title: str) -> str:
        """A marker URL for one item of a collection; the SVG's <a> for it becomes a classed, titled <g>."""
        self.tags.append((css_class, title))
        return f"#{_GID}{len(self.tags) - 1}"


@contextmanager
def _drawing(width: float, height: float) -> Iterator[_Drawing]:
    import matplotlib as mpl

    with _DRAWING, mpl.rc_context(STYLE):
        yield _Drawing(width, height)


def _svg(drawing: _Drawing, label: str) -> Markup:
    """Save the figure as SVG and make it an accessible inline image with page-unique ids."""
    buffer = io.StringIO()
    drawing.figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = re.sub(r"\s*\n\s*", " ", svg[svg.index("<svg") :]).replace("> <", "><")  # unindent: bytes only
    # matplotlib's <style> says *{stroke-linejoin...}: inline, it would apply to the whole page. The root's
    # attributes below set the same defaults for this chart alone.
    svg = re.sub(r'<style type="text/css">\*\{[^}]*\}</style>', "", svg)
    prefix = "c" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]
    referenced = {name for pair in re.findall(_REFERENCE, svg) for name in pair if name}
    # Rewrite inside tags only, never in text content (labels come from the question bank).
    svg = re.sub(r"<[^<>]+>", lambda tag: _rewrite_tag(tag[0], drawing.tags, referenced, prefix), svg)
    root = (
        f'<svg class="chart" width="{drawing.width:g}" height="{drawing.height:g}" '
        f'viewBox="0 0 {drawing.width:g} {drawing.height:g}" role="img" aria-label="{escape(label)}" '
        'stroke-linejoin="round" stroke-linecap="butt" '
        'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1">'
        f"<title>{escape(label)}</title>"
    )
    return Markup(root + svg[svg.index(">") + 1 :])


_REFERENCE = r'url\(#([^)]+)\)|xlink:href="#([^"]+)"'


def _rewrite_tag(tag: str, tags: list[tuple[str, str | None]], referenced: set[str], prefix: str) -> str:
    """Tagged artists' groups get their class and <title>; ids are dropped or made unique to this chart.

    Ids nothing refers to go; the rest (clip paths, hatch patterns) get the chart's prefix, so several
    charts on one page never share an id. Texts lose matplotlib's no-op rotation (bytes only).
    """
    tagged = re.fullmatch(r'<(?:g id|a xlink:href)="#?' + _GID + r'(\d+)"(?: target="_blank")?>', tag)
    if tagged:
        css_class, title = tags[int(tagged[1])]
        return f'<g class="{css_class}">' + (f"<title>{escape(title)}</title>" if title else "")
    if tag == "</a>":
        return "</g>"  # the only links are the collection items' markers above
    tag = re.sub(r' transform="rotate\(-0 [^"]*\)"', "", tag)
    tag = re.sub(r' id="([^"]+)"', lambda m: f' id="{prefix}-{m[1]}"' if m[1] in referenced else "", tag)
    tag = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", tag)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}-{m[1]}"', tag)


def _rectangle(ax: Axes, corner: tuple[float, float], width: float, height: float, **style: Any) -> Artist:
    from matplotlib.patches import Rectangle

    # add_artist, not add_patch or bar(): the limits are set by hand, and updating them per bar is slow.
    return ax.add_artist(Rectangle(corner, width, height, clip_on=False, **style))


def _bare(drawing: _Drawing, ax: Axes, *keep: str) -> None:
    """Only the `keep` spines; spines, ticks and tick labels are classed chart-axis for the page's colours."""
    for side, spine in ax.spines.items():
        spine.set_visible(side in keep)
        spine.set_color(AXIS)
        if side in keep:
            drawing.tag(spine, "chart-axis")
    drawing.tag(ax.xaxis, "chart-axis")
    drawing.tag(ax.yaxis, "chart-axis")


def _drawn(chart: Callable[..., Markup]) -> Callable[..., Markup]:
    """A public chart; on a node installed without quizapp[charts] it is a line of text saying so."""

    @functools.wraps(chart)
    def draw(*args: Any, **kwargs: Any) -> Markup:
        missing = missing_extra("charts")
        if missing is not None:
            return Markup('<p class="chart-missing">{}</p>').format(missing)
        return chart(*args, **kwargs)

    return draw


@_drawn
def column_chart(title: str, bars: Sequence[Bar], *, tick_every: int = 5, height: int = 180) -> Markup:
    """Vertical bars with the value printed above each non-empty bar and every `tick_every`-th label below."""
    slot, top, bottom, side = 22, 18, 34, 8
    width = side * 2 + slot * max(len(bars), 1)
    peak = max((bar.value for bar in bars), default=0) or 1
    with _drawing(width, height) as drawing:
        ax = drawing.axes(side, top, side, bottom)
        ax.set_xlim(-0.5, max(len(bars), 1) - 0.5)
        ax.set_ylim(0, peak)
        _bare(drawing, ax, "bottom")
        ax.yaxis.set_visible(False)
        ax.tick_params(axis="x", colors=AXIS, labelcolor="#1d2330", labelsize=10, length=3)
        ticks = range(0, len(bars), tick_every)
        ax.set_xticks(list(ticks), [bars[index].label for index in ticks])
        for index, bar in enumerate(bars):
            patch = _rectangle(ax, (index - 8 / slot, 0), 16 / slot, bar.value, color=FILL)
            drawing.tag(patch, "chart-bar", f"{bar.label}: {bar.text}")
            if bar.value:
                text = ax.text(index, bar.value, bar.text, ha="center", va="bottom", clip_on=False)
                drawing.tag(text, "chart-value")
        return _svg(drawing, title)


@_drawn
def bar_chart(
    title: str, bars: Sequence[Bar], *, maximum: float, marker: tuple[float, str] | None = None
) -> Markup:
    """Horizontal bars, one row per label, value text at the bar's end; `marker` draws a labelled rule."""
    row, plot_w = 24, 300
    top = 22 if marker is not None else 6  # room above the bars for the marker's label
    # Labels are right-aligned against the bars; size their column to the longest (11px text ≈ 6.5px/char).
    label_w = max(120, 14 + round(6.5 * max((len(bar.label) for bar in bars), default=0)))
    width, height = label_w + plot_w + 180, top + row * max(len(bars), 1) + 8
    scale = maximum or 1
    with _drawing(width, height) as drawing:
        ax = drawing.axes(label_w, top, 180, 8)
        ax.set_xlim(0, scale)
        ax.set_ylim(max(len(bars), 1) - 0.5, -0.5)
        _bare(drawing, ax, "left")
        ax.xaxis.set_visible(False)
        ax.tick_params(axis="y", length=0, labelsize=11, pad=6)
        ax.set_yticks(range(len(bars)), [bar.label for bar in bars])
        for index, bar in enumerate(bars):
            _horizontal_bar(drawing, ax, index, bar, min(bar.value, scale), scale)
        if marker is not None:
            _target_line(drawing, ax, marker)
        return _svg(drawing, title)


def _horizontal_bar(drawing: _Drawing, ax: Axes, index: int, bar: Bar, length: float, scale: float) -> None:
    """One bar from the axis, titled, with its value text at its end; emphasis is hatched."""
    if bar.emphasis:
        style = {"facecolor": HATCH_BG, "edgecolor": HATCH_EDGE, "hatch": "//", "linewidth": 1}
    else:
        style = {"color": FILL}
    patch = _rectangle(ax, (0, index - 1 / 3), length, 2 / 3, **style)
    drawing.tag(patch, "chart-emphasis" if bar.emphasis else "chart-bar", f"{bar.label}: {bar.text}")
    # A page-coloured box behind the value keeps it legible where it crosses the target line.
    box = {"facecolor": "#fafbfc", "edgecolor": "none", "pad": 1}
    text = ax.text(length + scale * 0.015, index, bar.text, va="center", size=11, bbox=box, clip_on=False)
    drawing.tag(text, "chart-value-end")


def _target_line(drawing: _Drawing, ax: Axes, marker: tuple[float, str]) -> None:
    position, label = marker
    line = ax.axvline(position, color=MARKER, linewidth=1.5, linestyle=(0, (4, 3)), clip_on=False)
    drawing.tag(line, "chart-marker", label)
    top = ax.get_ylim()[1]
    text = ax.text(position, top - 0.15, label, ha="center", va="bottom", color=MARKER, clip_on=False)
    drawing.tag(text, "chart-marker-label")


@_drawn
def forecast_chart(forecast: Sequence[DayCount]) -> Markup:
    bars = [Bar(day.day.strftime("%b %-d"), day.count, str(day.count)) for day in forecast]
    return column_chart("Cards due on each of the next 30 days (overdue cards count today)", bars)


@_drawn
def interview_score_chart(interviews: Sequence[Any]) -> Markup:
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


@_drawn
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


@_drawn
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


@_drawn
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


@_drawn
def calendar_heatmap(days: Sequence[DayCount]) -> Markup:
    """Weeks as columns (Monday on top); each day shows its count as text, grey shade and <title>."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    if not days:
        with _drawing(120, 16) as drawing:
            drawing.figure.text(0, 0.5, "No reviews yet", va="center")
            return _svg(drawing, "No reviews yet")
    top, left = 18, 30
    first_weekday = days[0].day.weekday()
    weeks = (len(days) + first_weekday + 6) // 7
    with _drawing(left + weeks * CELL + 4, top + 7 * CELL + 4) as drawing:
        ax = drawing.axes(left, top, 4, 4)
        ax.set_xlim(0, weeks)
        ax.set_ylim(7, 0)
        ax.set_axis_off()
        for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
            weekday = ax.text(-0.2, row + 0.45, name, ha="right", va="center", color=AXIS, clip_on=False)
            drawing.tag(weekday, "chart-axis-label")
        cells, shades, links = [], [], []
        side = (CELL - 2) / CELL
        for index, entry in enumerate(days):
            column, row = divmod(index + first_weekday, 7)
            if entry.day.day == 1 or (index == 0 and entry.day.day <= 14):
                month = entry.day.strftime("%b")
                label = ax.text(column, -0.35, month, va="bottom", size=10, color=AXIS, clip_on=False)
                drawing.tag(label, "chart-axis-label")
            cells.append(Rectangle((column, row), side, side))
            level = heat_level(entry.count)
            shades.append(HEAT_GREYS[level])
            noun = "review" if entry.count == 1 else "reviews"
            title = f"{entry.day.isoformat()}: {entry.count} {noun}"
            links.append(drawing.link(f"heat-cell heat-{level}", title))
            if entry.count:
                _heat_count(drawing, ax, column + side / 2, row + side / 2, entry.count)
        # One collection draws the squares far faster than one patch each; its per-item URLs become the
        # squares' <title>s (see _rewrite_tag).
        squares = PatchCollection(cells, facecolors=shades, linewidths=0, clip_on=False, urls=links)
        ax.add_collection(squares, autolim=False)
        return _svg(drawing, "Reviews per day over the last year")


def _heat_count(drawing: _Drawing, ax: Axes, x: float, y: float, count: int) -> None:
    label = str(count) if count < 100 else "99+"
    strong = heat_level(count) >= 3  # on the two darkest (in dark mode: lightest) shades
    ink = "#ffffff" if strong else "#111111"
    text = ax.text(x, y, label, ha="center", va="center", size=6.5, color=ink, clip_on=False)
    drawing.tag(text, "heat-count heat-count-strong" if strong else "heat-count")
