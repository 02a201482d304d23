"""Progress charts: what each chart shows (bars, printed values, emphasis, target), the calendar heatmap's
weeks, and no drawing on the server (the Anki export's formulas are tested in test_prose.py)."""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading

import pytest

from quizapp.progress import charts
from quizapp.srs.dashboard import (
    CardCounts,
    DayCount,
    DrillAttempts,
    InterviewProjection,
    Retention,
    TopicStats,
)


def test_heat_levels_step_at_ten_thirty_and_sixty() -> None:
    assert [charts.heat_level(n) for n in (0, 1, 9, 10, 29, 30, 59, 60, 500)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_calendar_grid_lays_days_out_in_weeks_from_monday() -> None:
    start = dt.date(2026, 3, 4)  # a Wednesday
    days = [DayCount(start + dt.timedelta(days=i), n) for i, n in enumerate([0, 3, 0, 120, 0, 1])]
    grid = charts.calendar_grid(days)
    assert [week.monday for week in grid.weeks] == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    first, second = (week.days for week in grid.weeks)
    assert first[:2] == (None, None)  # Monday and Tuesday come before the calendar's first day
    assert [day.day for day in first[2:]] == [start + dt.timedelta(days=i) for i in range(5)]
    assert second[0] is not None and second[0].count == 1 and second[1:] == (None,) * 6
    assert [name for name, _ in grid.rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [day.day.isoformat() if day else None for day in grid.rows[2][1]] == ["2026-03-04", None]


def test_heat_days_print_their_count_and_name_it_in_full() -> None:
    quiet, one, busy, huge = (charts.HeatDay(dt.date(2026, 3, 3), n) for n in (0, 1, 45, 120))
    assert [day.text for day in (quiet, one, busy, huge)] == ["", "1", "45", "99+"]
    assert [day.level for day in (quiet, one, busy, huge)] == [0, 1, 3, 4]
    assert one.title == "2026-03-03: 1 review" and huge.title == "2026-03-03: 120 reviews"


def test_calendar_weeks_are_named_by_the_month_that_begins_in_them() -> None:
    start = dt.date(2026, 1, 20)  # the 20th: too late in January to name the first week
    grid = charts.calendar_grid([DayCount(start + dt.timedelta(days=i), 0) for i in range(20)])
    assert [week.month for week in grid.weeks] == ["", "Feb", ""]  # 1 February is a Sunday
    early = charts.calendar_grid([DayCount(dt.date(2026, 1, 5), 2)])
    assert [week.month for week in early.weeks] == ["Jan"]


def test_calendar_grid_without_days_has_no_weeks() -> None:
    assert charts.calendar_grid([]).weeks == ()


def test_forecast_chart_has_a_column_per_day_with_its_count() -> None:
    days = [DayCount(dt.date(2026, 3, 1) + dt.timedelta(days=i), n) for i, n in enumerate([4, 0, 2])]
    data = charts.forecast_chart(days).to_json()
    assert data["kind"] == "columns"
    assert data["title"].startswith("Cards due on each of the next 30 days")
    assert data["labels"] == ["Mar 1", "Mar 2", "Mar 3"]
    assert (data["values"], data["texts"]) == ([4, 0, 2], ["4", "0", "2"])
    assert (data["maximum"], data["tickEvery"], data["marker"]) == (4, 5, None)


def test_a_chart_of_zeros_still_has_a_value_axis() -> None:
    days = [DayCount(dt.date(2026, 3, 1), 0)]
    assert charts.forecast_chart(days).maximum == 1
    assert charts.drill_chart([DrillAttempts("adam", "t", "Adam", 0, 0)]).maximum == 1


def test_drill_chart_hatches_drills_tried_but_not_passed() -> None:
    drills = [
        DrillAttempts("adam", "t", "Adam", 3, 1),
        DrillAttempts("lion", "t", "Lion & co", 2, 0),
        DrillAttempts("sgd", "t", "", 0, 0),
    ]
    data = charts.drill_chart(drills).to_json()
    assert data["kind"] == "bars" and data["title"] == "Attempts per drill"
    assert data["labels"] == ["Adam", "Lion & co", "sgd"]  # a drill without a title goes by its slug
    assert data["texts"] == ["3 attempts, passed 1×", "2 attempts, not passed yet", "not tried"]
    assert data["emphasis"] == [False, True, False]
    assert data["maximum"] == 3


def test_retrievability_chart_marks_the_target_and_hatches_topics_below_it() -> None:
    topics = [_topic("Adam", 0.95), _topic("Momentum", 0.7), _topic("Lion", None)]
    data = charts.retrievability_chart(topics, 0.9).to_json()
    assert data["marker"] == {"value": 0.9, "label": "target 90%"}
    assert data["texts"] == ["95%", "70% (below target)", "not started"]
    assert data["values"] == [0.95, 0.7, 0]
    assert data["emphasis"] == [False, True, False]
    assert data["labels"] == ["Adam", "Momentum", "Lion"]
    assert (data["title"], data["maximum"]) == ("Predicted recall now, per topic", 1.0)


def test_projection_chart_names_the_interview_day() -> None:
    topics = [_topic("Adam", 0.95, projected=0.8), _topic("Lion", None)]
    data = charts.projection_chart(topics, 0.9, dt.date(2026, 12, 1)).to_json()
    assert "2026-12-01" in data["title"]
    assert data["texts"] == ["80% (below target)", "not started"]


def test_interview_score_chart_labels_every_interview_by_its_day() -> None:
    class Taken:
        def __init__(self, day: int, score: float | None) -> None:
            self.started_at = dt.datetime(2026, 3, day, 10)
            self.score = score

    data = charts.interview_score_chart([Taken(2, 0.5), Taken(9, None)]).to_json()
    assert (data["labels"], data["values"], data["texts"]) == (["Mar 2", "Mar 9"], [50.0, 0], ["50%", "0%"])
    assert data["tickEvery"] == 1


def test_chart_data_is_plain_json_with_labels_kept_verbatim() -> None:
    title = 'Scale $\\beta$ by id="x" </script><b>'
    data = charts.drill_chart([DrillAttempts("odd", "t", title, 1, 0)]).to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["labels"] == [title]  # escaping is the template's |tojson, not the data's


def test_charts_draw_nothing_on_the_server_and_take_no_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it now fails
    assert charts.forecast_chart([DayCount(dt.date(2026, 3, 1), 1)]).to_json()["texts"] == ["1"]
    assert charts.calendar_grid([DayCount(dt.date(2026, 3, 1), 1)]).weeks
    lock_types = (type(threading.Lock()), type(threading.RLock()))
    assert not [name for name, value in vars(charts).items() if isinstance(value, lock_types)]


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
