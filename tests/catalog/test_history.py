"""The bounded history summary says what the whole raw history says, at a size that does not grow with time."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from catalog.evidence import RUN_CRASHED, HistoryLine, Status
from catalog.history import CHANGES_KEPT, RUNS_KEPT, DeploymentHistory, availability_counts, fold, summarize
from catalog.verdicts import _runs, _streak_start, availability

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLAIMS = ("endpoint:chat", "context-length", "latency")


def _history(seed: int, runs: int, deployments: tuple[str, ...] = ("a", "b")) -> list[HistoryLine]:
    """Runs every few hours, each checking every claim; some runs crash, some find the server down."""
    rng = random.Random(seed)
    lines = []
    moment = START
    for number in range(runs):
        moment += dt.timedelta(hours=rng.choice([1, 4, 4, 13, 49]))
        for deployment in deployments:
            run_id = f"r{number:05d}-{deployment}"
            if rng.random() < 0.05:
                lines.append(
                    HistoryLine(
                        run_id=run_id,
                        deployment=deployment,
                        claim=RUN_CRASHED,
                        status="error",
                        date=moment,
                        reason="probe crashed",
                    )
                )
                continue
            down = rng.random() < 0.1
            for offset, claim in enumerate(CLAIMS):
                status: Status = "error" if down else rng.choice(["pass", "pass", "pass", "fail"])
                lines.append(
                    HistoryLine(
                        run_id=run_id,
                        deployment=deployment,
                        claim=claim,
                        status=status,
                        date=moment + dt.timedelta(seconds=offset),
                        reason=None if status == "pass" else f"reason {number}",
                        ttft_p95_ms=float(rng.randint(50, 900)) if claim == "latency" and not down else None,
                    )
                )
    return lines


def _by_run(lines: list[HistoryLine]) -> list[list[HistoryLine]]:
    runs: dict[str, list[HistoryLine]] = {}
    for line in lines:
        runs.setdefault(line.run_id, []).append(line)
    return list(runs.values())


@pytest.mark.parametrize("seed", range(6))
def test_folding_run_by_run_gives_the_rebuild(seed: int) -> None:
    lines = _history(seed, 300)
    rebuilt = summarize(lines)
    folded: dict[str, DeploymentHistory] = {}
    for run in _by_run(lines):
        deployment = run[0].deployment
        result = fold(folded.get(deployment, DeploymentHistory()), run)
        assert result is not None
        folded[deployment] = result
    assert folded == rebuilt


@pytest.mark.parametrize("seed", range(6))
def test_the_summary_answers_what_the_raw_history_answers(seed: int) -> None:
    """The verdicts' own functions over every raw line are the oracle."""
    lines = _history(seed, 400)
    summary = summarize(lines)["a"]
    raw: dict[str, list[HistoryLine]] = {}
    for line in sorted((line for line in lines if line.deployment == "a"), key=lambda line: (line.date, line.run_id)):
        raw.setdefault(line.claim, []).append(line)
    points = _runs(raw)
    assert [
        (r.run_id, r.date.date(), r.passed, r.failed, r.ttft_p95_ms, r.answered, r.checked) for r in summary.runs
    ] == [(p.run_id, p.date, p.passed, p.failed, p.ttft_p95_ms, p.answered, p.checked) for p in points[-RUNS_KEPT:]]
    newest = max(line.date for line in lines).date()
    for today in (newest, newest + dt.timedelta(days=1), newest + dt.timedelta(days=9)):
        for days in (7, 30):
            expected = availability(points, today, days)
            counted = availability_counts(summary, today, days)
            assert (counted.runs, counted.answered) == (expected.runs, expected.answered)
    for claim, claim_lines in raw.items():
        kept = summary.claims[claim]
        assert kept.lines == claim_lines[-10:]
        assert kept.last_passed == max(
            (line.date.date() for line in claim_lines if line.status == "pass"), default=None
        )
        latest = claim_lines[-1].date.date()
        for state_passing in (True, False):
            assert kept.since(state_passing, latest) == _streak_start(claim_lines, state_passing, latest)


def _changes_since_raw(claim_lines: list[HistoryLine], day: dt.date) -> tuple[bool | None, bool, dt.date] | None:
    """The MCP tool's algorithm over raw lines (catalog/mcp_server.py `changes_since`)."""
    before = [line for line in claim_lines if line.date.date() <= day]
    after = [line for line in claim_lines if line.date.date() > day]
    if not after:
        return None
    was = before[-1].status == "pass" if before else None
    now = after[-1].status == "pass"
    if was == now:
        return None
    changed = next(line for line in after if (line.status == "pass") == now)
    return was, now, changed.date.date()


@pytest.mark.parametrize("seed", range(4))
def test_changes_since_agree_while_the_changes_are_kept(seed: int) -> None:
    lines = [line for line in _history(seed, 60, ("a",)) if line.claim == "endpoint:chat"]
    kept = summarize(lines)["a"].claims["endpoint:chat"]
    assert len(kept.changes) < CHANGES_KEPT  # all kept: the answer must be exact
    first = lines[0].date.date()
    for offset in range(-2, (lines[-1].date.date() - first).days + 2):
        day = first + dt.timedelta(days=offset)
        change = kept.changed_after(day)
        found = (kept.passing_on(day), change.passing, change.date.date()) if change else None
        assert found == _changes_since_raw(lines, day), day


def test_the_summary_does_not_grow_with_time() -> None:
    month = summarize(_history(1, 180))["a"].model_dump_json()
    year = summarize(_history(1, 2190))["a"].model_dump_json()
    assert len(year) < 1.25 * len(month)


def test_a_line_older_than_the_summary_asks_for_a_rebuild() -> None:
    lines = _history(2, 50, ("a",))
    runs = _by_run(lines)
    summary = summarize([line for run in runs[:-2] for line in run])["a"]
    assert fold(summary, runs[-2]) is not None
    late = fold(summary, runs[-1])
    assert late is not None
    assert fold(late, runs[-2]) is None, "a run folded after a newer one cannot be placed"
    assert fold(summary, runs[-3]) is None, "a run folded twice would count twice"


def test_a_claim_that_flips_daily_keeps_the_newest_changes_exact() -> None:
    lines = [
        HistoryLine(
            run_id=f"r{day:03d}",
            deployment="a",
            claim="endpoint:chat",
            status="pass" if day % 2 else "fail",
            date=START + dt.timedelta(days=day),
        )
        for day in range(120)
    ]
    kept = summarize(lines)["a"].claims["endpoint:chat"]
    assert len(kept.changes) == CHANGES_KEPT
    oldest_kept = kept.changes[0].date.date()
    for day in range(int((oldest_kept - START.date()).days) - 1, 121):
        on = START.date() + dt.timedelta(days=day)
        raw = [line for line in lines if line.date.date() <= on][-1].status == "pass"
        assert kept.passing_on(on) == raw, on
    assert kept.passing_on(START.date() - dt.timedelta(days=1)) is None
