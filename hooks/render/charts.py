"""The card's pictures: latency per probe run against its SLO target, and which days the server answered.

Pure data preparation for `_charts.svg.j2`, which only lays the numbers out as inline SVG. Everything here
comes from what the build already holds: the verdict's run points (`RunPoint`, the newest `RUNS_KEPT` runs
of the bounded history summary) and the summary's per-day run counts (`DeploymentHistory.days`); the raw
history is never read. Every number a picture shows (a run's p95, a day's runs and answered runs, the SLO
target) is one the evidence or the catalog has; the scales only place them.

Scales, in the SVG's own units (its `viewBox`; CSS stretches it to the column's width):

* Latency chart (`CHART_WIDTH` x `CHART_HEIGHT`): run `i` of `n` (oldest first) sits at
  `x = PLOT_LEFT + i * (PLOT_RIGHT - PLOT_LEFT) / (n - 1)` (the middle when `n == 1`): runs are evenly
  spaced, not by date. A p95 of `v` ms sits at `y = PLOT_TOP + (PLOT_BOTTOM - PLOT_TOP) * (1 - v / top)`,
  where `top` (`nice_top`) is the smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above 1.05 times
  the largest value or target shown. The SLO line is drawn at the target's `y`. Coordinates are rounded to
  0.1. A run that measured no p95 is left out of the line (and listed as not measured).
* Availability strip (`STRIP_DAYS` days up to and including the newest day with a run, oldest left; see
  `window_days` for why not the build's day): day `j` is a
  `DAY_WIDTH` wide cell at `x = j * (DAY_WIDTH + DAY_GAP)`, one state per day: answered (every run that
  checked the server got an answer), partly answered, failed (none did) or not probed (no run checked it).
* Long strip (`LONG_DAYS` days to the same newest day, drawn only when the history reaches past the strip's
  30): day `j` is `LONG_DAY - 1` units wide at `x = j * LONG_DAY`, `LONG_HEIGHT` high. Compact on purpose: one
  `<path>` per state (as the catalog table's `mini_strip`), no element per day, and its table lists weeks
  (counted back from the newest day; the oldest has the 6 days left over), not days: the 30-day strip's
  table already lists the newest 30 days one by one. It adds about 2.5 KB to a card; a 90-row table and a
  cell per day would add about 20 KB.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from catalog.history import DayRuns, DeploymentHistory
from catalog.schema import SloTargets
from catalog.verdicts import RunPoint

CHART_WIDTH = 480
CHART_HEIGHT = 180
PLOT_LEFT = 56.0
PLOT_RIGHT = 468.0
PLOT_TOP = 14.0
PLOT_BOTTOM = 150.0

STRIP_DAYS = 30
DAY_WIDTH = 12
DAY_GAP = 2
DAY_HEIGHT = 20
STRIP_WIDTH = STRIP_DAYS * (DAY_WIDTH + DAY_GAP) - DAY_GAP
STRIP_HEIGHT = 38


@dataclass(frozen=True)
class Frame:
    """A picture's geometry, in its `viewBox` units, for the template."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    label_y: float
    """Baseline of the date labels under the picture."""
    cell_width: int = 0
    cell_height: int = 0

    @property
    def axis_x(self) -> float:
        """Right edge of the value-axis labels."""
        return self.left - 6


CHART_FRAME = Frame(CHART_WIDTH, CHART_HEIGHT, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM, CHART_HEIGHT - 8)
STRIP_FRAME = Frame(STRIP_WIDTH, STRIP_HEIGHT, 0, STRIP_WIDTH, 0, DAY_HEIGHT, STRIP_HEIGHT - 4, DAY_WIDTH, DAY_HEIGHT)

#: The charted metrics: (key, label, field of `RunPoint`, field of `SloTargets`). A metric whose runs hold no
#: value gets no chart: runs recorded before the summary kept ITL p95 (`RunSummary.itl_p95_ms`) have TTFT only.
METRICS = (
    ("ttft", "TTFT p95", "ttft_p95_ms", "ttft_p95_ms"),
    ("itl", "ITL p95", "itl_p95_ms", "itl_p95_ms"),
)

_STEPS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_top(peak: float) -> float:
    """The top of the value axis: the smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above 1.05 x `peak`."""
    wanted = peak * 1.05
    if wanted <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(wanted))
    return next(step * power for step in _STEPS if step * power >= wanted)


def ms_text(value: float) -> str:
    """A measured p95 as the card's tables write it: `260.4 ms`."""
    return f"{value:.1f} ms"


def target_text(value: float) -> str:
    """A target as the card writes it (catalog/display.py `slo_target_ms`): `250 ms`."""
    return f"{int(value)} ms"


@dataclass(frozen=True)
class ChartPoint:
    """One run on the chart: its value and where it sits (None when the run measured none)."""

    run_id: str
    date: dt.date
    value: float | None
    x: float
    y: float | None


@dataclass(frozen=True)
class AxisTick:
    """One value-axis label and its grid line."""

    y: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """One metric's p95 per probe run, with its SLO target line when the catalog states one."""

    key: str
    label: str
    points: tuple[ChartPoint, ...]
    polyline: str
    """The drawn points, `x,y x,y ...`, oldest first."""
    target: float | None
    target_y: float | None
    target_label: str | None
    ticks: tuple[AxisTick, ...]
    first_label: str
    last_label: str
    title: str
    desc: str
    target_label_y: float | None = None
    frame: Frame = CHART_FRAME


#: The longest value-axis label that fits left of the plot at the phone's larger type (`300 ms`).
TICK_CHARS = 6


def tick_text(value: float) -> str:
    """A value-axis label: `150 ms`; a longer one (`12.5`, `1500`) without its unit, which the other labels give,
    so it stays inside the picture at 390 px."""
    text = f"{value:g} ms"
    return text if len(text) <= TICK_CHARS else f"{value:g}"


def _coord(value: float) -> float:
    return round(value, 1)


def value_y(value: float, top: float) -> float:
    return _coord(PLOT_TOP + (PLOT_BOTTOM - PLOT_TOP) * (1 - value / top))


def run_x(index: int, count: int) -> float:
    if count == 1:
        return _coord((PLOT_LEFT + PLOT_RIGHT) / 2)
    return _coord(PLOT_LEFT + index * (PLOT_RIGHT - PLOT_LEFT) / (count - 1))


def line_chart(
    key: str, label: str, runs: Sequence[RunPoint], values: Sequence[float | None], target: float | None
) -> LineChart | None:
    """The chart of `values` (one per run, oldest first) against `target`; None when no run measured one."""
    measured = [v for v in values if v is not None]
    if not measured:
        return None
    top = nice_top(max([*measured, *([target] if target else [])]))
    points = tuple(
        ChartPoint(run.run_id, run.date, value, run_x(i, len(runs)), value_y(value, top) if value is not None else None)
        for i, (run, value) in enumerate(zip(runs, values, strict=True))
    )
    over = sum(v > target for v in measured) if target else 0
    unmeasured = len(values) - len(measured)
    first, last = runs[0].date.isoformat(), runs[-1].date.isoformat()
    span = f"on {first}" if first == last else f"from {first} to {last}"
    parts = [
        f"{label} of the {len(runs)} newest probe run{'s' if len(runs) != 1 else ''}, {span}, oldest first",
        f"lowest {ms_text(min(measured))}, highest {ms_text(max(measured))}, newest "
        + (ms_text(values[-1]) if values[-1] is not None else "not measured"),
    ]
    if target:
        parts.append(f"SLO target {target_text(target)}: {over} of {len(measured)} above it")
    if unmeasured:
        parts.append(f"{unmeasured} run{'s' if unmeasured != 1 else ''} measured none")
    return LineChart(
        key=key,
        label=label,
        points=points,
        polyline=" ".join(f"{p.x:g},{p.y:g}" for p in points if p.y is not None),
        target=target,
        target_y=value_y(target, top) if target else None,
        target_label=f"SLO {target_text(target)}" if target else None,
        target_label_y=_coord(value_y(target, top) - 4) if target else None,
        ticks=tuple(AxisTick(value_y(v, top), tick_text(v)) for v in (0.0, top / 2, top)),
        first_label=first,
        last_label=last,
        title=f"{label} per probe run" + (f" against the SLO target of {target_text(target)}" if target else ""),
        desc="; ".join(parts) + ". The Recent probe runs table below lists every run.",
    )


def run_charts(runs: Sequence[RunPoint], slo: SloTargets | None) -> tuple[LineChart, ...]:
    """One chart per metric of `METRICS` that any of `runs` measured."""
    if not runs:
        return ()
    charts = []
    for key, label, field, slo_field in METRICS:
        values: list[float | None] = [getattr(run, field, None) for run in runs]
        target: float | None = getattr(slo, slo_field, None) if slo is not None else None
        chart = line_chart(key, label, runs, values, target)
        if chart is not None:
            charts.append(chart)
    return tuple(charts)


DayState = Literal["answered", "partly", "failed", "none"]

#: A day's state -> how the strip's cell and its table say it.
DAY_STATE_TEXT: dict[DayState, str] = {
    "answered": "answered",
    "partly": "partly answered",
    "failed": "failed",
    "none": "not probed",
}


@dataclass(frozen=True)
class DayCell:
    """One day of the strip."""

    day: dt.date
    runs: int
    answered: int
    state: DayState
    x: int
    text: str
    """`2026-11-20: answered, 2 of 2 runs`, or `2026-11-02: not probed`."""
    state_text: str
    runs_text: str
    answered_text: str
    """The day's row in the strip's table: `—` for the answered runs of a day not probed."""


@dataclass(frozen=True)
class WeekRow:
    """One row of the long strip's table: up to 7 days, oldest first."""

    first: dt.date
    last: dt.date
    runs: int
    answered: int
    states_text: str
    """`6 days answered, 1 day not probed`: each state that occurs."""

    @property
    def days_text(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


@dataclass(frozen=True)
class LongStrip:
    """The last `LONG_DAYS` days drawn compactly: one path per state, and a table of weeks."""

    segments: tuple[tuple[DayState, str], ...]
    """(state, SVG path data), in `DAY_STATE_TEXT` order, for the states that occur."""
    weeks: tuple[WeekRow, ...]
    title: str
    desc: str
    first_label: str
    last_label: str
    frame: Frame


@dataclass(frozen=True)
class DayStrip:
    """The last `STRIP_DAYS` days, one cell each, oldest first; with `long`, the last `LONG_DAYS` days too."""

    cells: tuple[DayCell, ...]
    title: str
    desc: str
    first_label: str
    last_label: str
    frame: Frame = STRIP_FRAME
    long: LongStrip | None = None


def day_state(runs: int, answered: int) -> DayState:
    if not runs:
        return "none"
    if answered == runs:
        return "answered"
    return "failed" if not answered else "partly"


def window_days(history: DeploymentHistory | None, days: int = STRIP_DAYS) -> tuple[tuple[dt.date, int, int], ...]:
    """`(day, runs, answered)` for each of the `days` days up to and including the newest day with a run, oldest
    first; empty for a deployment without history.

    The window ends on the newest probed day, not on the build's day: the card's render-cache key holds this
    (hooks/render/deployment_card.py `dated_facts`), so the strip changes when, and only when, the history does,
    and a new day without runs re-renders no card (tests/site/test_card_keys.py). The summary keeps the newest
    `DAYS_KEPT` (91) days that had runs, so every day of a window up to `LONG_DAYS` is known.
    """
    if history is None or not history.days:
        return ()
    counts: Mapping[dt.date, DayRuns] = history.days
    end = max(counts)
    window = [end - dt.timedelta(days=back) for back in range(days - 1, -1, -1)]
    return tuple(
        (day, counts[day]["runs"], counts[day]["answered"]) if day in counts else (day, 0, 0) for day in window
    )


def _day_text(day: dt.date, runs: int, answered: int, state: DayState) -> str:
    if state == "none":
        return f"{day.isoformat()}: not probed"
    counted = f"{runs} run{'s' if runs != 1 else ''}"
    if state == "failed":
        return f"{day.isoformat()}: failed, no answer in {counted}"
    return f"{day.isoformat()}: {DAY_STATE_TEXT[state]}, {answered} of {counted}"


def _tally_text(states: Sequence[DayState]) -> str:
    """`25 days answered, 1 day failed, 4 days not probed` (partly answered only when there was such a day)."""
    tally = {state: sum(s == state for s in states) for state in DAY_STATE_TEXT}
    return ", ".join(
        f"{tally[state]} day{'s' if tally[state] != 1 else ''} {text}"
        for state, text in DAY_STATE_TEXT.items()
        if tally[state] or state != "partly"
    )


def day_strip(
    days: Sequence[tuple[dt.date, int, int]], long_days: Sequence[tuple[dt.date, int, int]] = ()
) -> DayStrip | None:
    """The strip of `days` (from `window_days`), with the long strip of `long_days` (from `long_window`) when it
    has any; None for a deployment without history."""
    if not days:
        return None
    cells = []
    for index, (day, runs, answered) in enumerate(days):
        state = day_state(runs, answered)
        cells.append(
            DayCell(
                day=day,
                runs=runs,
                answered=answered,
                state=state,
                x=index * (DAY_WIDTH + DAY_GAP),
                text=_day_text(day, runs, answered, state),
                state_text=DAY_STATE_TEXT[state],
                runs_text=str(runs),
                answered_text=str(answered) if runs else "—",
            )
        )
    runs_total = sum(c.runs for c in cells)
    answered_total = sum(c.answered for c in cells)
    first, last = cells[0].day.isoformat(), cells[-1].day.isoformat()
    summary = _tally_text([c.state for c in cells])
    return DayStrip(
        cells=tuple(cells),
        title=f"Probe runs answered per day, the {len(cells)} days to the newest run",
        desc=(
            f"From {first} to {last} (the day of the newest run), one cell per day, oldest first: {summary}; "
            f"{answered_total} of {runs_total} runs answered. The table below lists every day."
        ),
        first_label=first,
        last_label=last,
        long=long_strip(long_days),
    )


#: The long strip: `LONG_DAYS` days, each `LONG_DAY` units wide (a unit of gap included), `LONG_HEIGHT` high.
LONG_DAYS = 90
LONG_DAY = 5
LONG_HEIGHT = 16
LONG_WIDTH = LONG_DAYS * LONG_DAY - 1
LONG_FRAME = Frame(LONG_WIDTH, LONG_HEIGHT + 18, 0, LONG_WIDTH, 0, LONG_HEIGHT, LONG_HEIGHT + 14)


def long_window(history: DeploymentHistory | None) -> tuple[tuple[dt.date, int, int], ...]:
    """`window_days` over `LONG_DAYS` days, when some run is older than the `STRIP_DAYS` strip shows; else empty
    (a history of a month or less: the long strip would add only days not probed)."""
    days = window_days(history, LONG_DAYS)
    if not any(runs for _day, runs, _answered in days[: LONG_DAYS - STRIP_DAYS]):
        return ()
    return days


def _segments(states: Sequence[DayState], unit: int, height: int) -> tuple[tuple[DayState, str], ...]:
    """One path per state: the union of that state's runs of consecutive days, each day `unit` wide with a
    unit of gap."""
    paths: dict[DayState, list[str]] = {}
    start = 0
    for index in range(1, len(states) + 1):
        if index == len(states) or states[index] != states[start]:
            width = (index - start) * unit - 1
            paths.setdefault(states[start], []).append(f"M{start * unit} 0h{width}v{height}h-{width}z")
            start = index
    return tuple((state, "".join(paths[state])) for state in DAY_STATE_TEXT if state in paths)


def _states_text(states: Sequence[DayState]) -> str:
    """`6 days answered, 1 day not probed`: the states that occur, in `DAY_STATE_TEXT` order."""
    return ", ".join(
        f"{count} day{'s' if count != 1 else ''} {text}"
        for state, text in DAY_STATE_TEXT.items()
        if (count := sum(s == state for s in states))
    )


def long_strip(days: Sequence[tuple[dt.date, int, int]]) -> LongStrip | None:
    """The long strip of `days` (from `long_window`); None when there are none."""
    if not days:
        return None
    states = [day_state(runs, answered) for _day, runs, answered in days]
    weeks = []
    # Weeks counted back from the newest day, so the newest week is whole; listed oldest first.
    for end in range(len(days), 0, -7):
        start = max(0, end - 7)
        week = days[start:end]
        weeks.append(
            WeekRow(
                first=week[0][0],
                last=week[-1][0],
                runs=sum(runs for _day, runs, _answered in week),
                answered=sum(answered for _day, _runs, answered in week),
                states_text=_states_text(states[start:end]),
            )
        )
    first, last = days[0][0].isoformat(), days[-1][0].isoformat()
    runs_total = sum(runs for _day, runs, _answered in days)
    answered_total = sum(answered for _day, _runs, answered in days)
    return LongStrip(
        segments=_segments(states, LONG_DAY, LONG_HEIGHT),
        weeks=tuple(reversed(weeks)),
        title=f"Probe runs answered per day, the {len(days)} days to the newest run",
        desc=(
            f"From {first} to {last} (the day of the newest run), day by day, oldest first: "
            f"{_tally_text(states)}; {answered_total} of {runs_total} runs answered. "
            "The table below lists them by week."
        ),
        first_label=first,
        last_label=last,
        frame=LONG_FRAME,
    )


#: The catalog table's small strip: each day `MINI_DAY` units wide (a unit of gap included), `MINI_HEIGHT` high.
MINI_DAY = 4
MINI_HEIGHT = 10


@dataclass(frozen=True)
class MiniStrip:
    """The catalog table's strip of the same days, kept small for a table of hundreds of rows: one `<path>` per
    state, each the union of that state's runs of consecutive days, so a row costs a handful of elements."""

    width: int
    height: int
    segments: tuple[tuple[DayState, str], ...]
    """(state, SVG path data), in `DAY_STATE_TEXT` order, for the states that occur."""
    label: str


def mini_strip(days: Sequence[tuple[dt.date, int, int]]) -> MiniStrip | None:
    """The small strip of `days` (from `window_days`); None for a deployment without history."""
    if not days:
        return None
    states = [day_state(runs, answered) for _day, runs, answered in days]
    first, last = days[0][0].isoformat(), days[-1][0].isoformat()
    return MiniStrip(
        width=len(days) * MINI_DAY - 1,
        height=MINI_HEIGHT,
        segments=_segments(states, MINI_DAY, MINI_HEIGHT),
        label=f"Probe runs answered per day, {first} to {last}: {_tally_text(states)}",
    )
