"""Display text shared by every surface (catalog/display.py): what a reader of a card's history strip sees."""

from __future__ import annotations

import datetime as dt

from catalog.display import MOST_RUNS_PER_MARK, run_streaks
from catalog.history import KeptLine

DAY = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _runs(*statuses: str) -> list[KeptLine]:
    return [
        KeptLine(run_id=f"run-{i}", status=status, date=DAY + dt.timedelta(hours=8 * i))
        for i, status in enumerate(statuses)
    ]


def test_a_strip_draws_every_run_once_in_order_with_one_mark_per_change_of_result() -> None:
    history = _runs(*["pass"] * 3, "fail", "error", *["pass"] * 13)
    streaks = run_streaks(history)
    drawn = [status for s in streaks for status in [s.status] * s.runs]
    assert drawn == [line.status for line in history]
    assert [(s.status, s.runs) for s in streaks] == [
        ("pass", 3),
        ("fail", 1),
        ("error", 1),
        ("pass", MOST_RUNS_PER_MARK),
        ("pass", 3),
    ]


def test_each_mark_says_when_its_runs_were_and_how_many() -> None:
    streaks = run_streaks(_runs("pass", "pass", "pass", "fail"))
    assert [s.title for s in streaks] == ["2026-11-01: 3 runs, pass", "2026-11-02: fail"]
    streaks = run_streaks(_runs(*["pass"] * 4))
    assert streaks[0].title == "2026-11-01 to 2026-11-02: 4 runs, pass"


def test_no_history_draws_nothing() -> None:
    assert run_streaks([]) == []
