"""What a page's charts show, read from its HTML: the JSON each chart embeds for static/charts.js, and the
calendar heatmap's squares."""

from __future__ import annotations

import html
import json
import re
from typing import Any

CHART_DATA = re.compile(r'<script type="application/json" class="chart-data">(.*?)</script>', re.S)
HEAT_CELL = re.compile(r'<td class="heat-cell heat-(\d)" title="([^"]*)">([^<]*)</td>')


def page_charts(page: str) -> dict[str, dict[str, Any]]:
    """Every chart the page embeds, by its title (its accessible name)."""
    charts = [json.loads(found) for found in CHART_DATA.findall(page)]
    return {chart["title"]: chart for chart in charts}


def printed(chart: dict[str, Any]) -> dict[str, str]:
    """Each bar's label and the text printed at it."""
    return dict(zip(chart["labels"], chart["texts"], strict=True))


def heat_cells(page: str) -> list[tuple[int, str, str]]:
    """The heatmap's squares in table order (weekday rows): shade level, tooltip and printed count."""
    return [(int(level), html.unescape(title), text) for level, title, text in HEAT_CELL.findall(page)]
