"""What the pages need from a deployment's probe history, kept at a constant size however long it runs.

`history.jsonl` grows by one line per claim per run, for ever; reading it whole made every build's time and
memory grow with the calendar (issue 22: a year of 4-hourly runs of 300 deployments took a warm build from
2.7 s to 256 s). Everything the verdicts, the cards and the MCP tools read from the past fits in a bounded
summary instead, one per deployment (`DeploymentHistory`):

* per claim (`ClaimHistory`): the newest `LINES_KEPT` lines (the card's history list), the current streak
  of passes or of non-passes and the day it began (the card's "since"), the last day it passed, and the
  newest `CHANGES_KEPT` days its outcome flipped (MCP's `changes_since`);
* per run: the newest `RUNS_KEPT` run points (the card's run chart), and for each of the last
  `DAYS_KEPT` days how many runs checked the server and how many it answered (availability).

`fold` adds one run's lines in constant time; `summarize` folds a whole history. Folding a history in any
split of runs gives the same summary as folding it at once (tests/catalog/test_history.py), so a summary
can always be rebuilt from the raw lines, and is, whenever a line arrives older than what was folded
(`fold` returns `False`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import Field

from catalog.evidence import RUN_CRASHED, Contract, HistoryLine, Status

#: Newest lines kept per claim: the card shows ten.
LINES_KEPT = 10
#: Newest runs kept per deployment for the run chart.
RUNS_KEPT = 10
#: Days of per-day run counts: the longest availability window (30 days) plus a day of clock skew.
DAYS_KEPT = 31
#: Newest outcome changes kept per claim; a claim that flips more often than this is reported as changed
#: from the oldest kept change on.
CHANGES_KEPT = 50


def passing(status: Status) -> bool:
    return status == "pass"


class OutcomeChange(Contract):
    """The first line of a run of one outcome (passing, or not passing)."""

    date: dt.datetime
    passing: bool
    reason: str | None = None


class ClaimHistory(Contract):
    """One claim of one deployment, summarised."""

    lines: list[HistoryLine] = Field(default_factory=list)
    """The newest `LINES_KEPT` lines, oldest first."""
    changes: list[OutcomeChange] = Field(default_factory=list)
    """The newest `CHANGES_KEPT` outcome changes, oldest first; the last one starts the current streak."""
    last_passed: dt.date | None = None
    """The newest day a line passed."""
    first: dt.datetime | None = None
    """When the oldest line was dated: before it the claim was never probed."""
    count: int = 0
    """Every line ever folded, for the record."""

    @property
    def newest(self) -> HistoryLine | None:
        return self.lines[-1] if self.lines else None

    def since(self, passing: bool, latest: dt.date | None) -> dt.date | None:
        """First day of the newest unbroken streak of passes (`passing`) or of non-passes; `latest` (the day of
        the latest check) when the newest line already breaks that streak, as when the latest run's line was
        never appended."""
        if not self.changes or self.changes[-1].passing != passing:
            return latest
        return self.changes[-1].date.date()

    def passing_on(self, day: dt.date) -> bool | None:
        """Whether the claim passed at the end of `day`; None when it had never been probed by then."""
        if self.first is None or self.first.date() > day:
            return None
        before = [change for change in self.changes if change.date.date() <= day]
        if before:
            return before[-1].passing
        # Every kept change is later: the outcome before the oldest kept one was its opposite.
        return not self.changes[0].passing

    def changed_after(self, day: dt.date) -> OutcomeChange | None:
        """The first change after `day` to the claim's current outcome, when its outcome differs from `day`'s."""
        if not self.changes or self.lines[-1].date.date() <= day:
            return None
        now = self.changes[-1].passing
        if self.passing_on(day) == now:
            return None
        return next(change for change in self.changes if change.date.date() > day and change.passing == now)


class RunSummary(Contract):
    """One probe run of one deployment, from its history lines."""

    run_id: str
    date: dt.datetime
    """When its earliest line was dated."""
    passed: int = 0
    failed: int = 0
    """Lines that failed or could not be checked."""
    ttft_p95_ms: float | None = None
    answered: bool = False
    """At least one check got an HTTP answer (passed or failed)."""
    checked: bool = False
    """At least one check ran at all; False for a run whose probing crashed before any (our bug)."""


class DayCount(Contract):
    runs: int = 0
    """Runs that checked the server this day."""
    answered: int = 0
    """Of those, runs the server answered."""


class DeploymentHistory(Contract):
    """One deployment's probe history, summarised; its size does not grow with time."""

    claims: dict[str, ClaimHistory] = Field(default_factory=dict)
    runs: list[RunSummary] = Field(default_factory=list)
    """The newest `RUNS_KEPT` runs, oldest first."""
    days: dict[dt.date, DayCount] = Field(default_factory=dict)
    """Per day, for the newest `DAYS_KEPT` days that had runs."""


def _run_of(run_id: str, lines: Sequence[HistoryLine]) -> RunSummary:
    probed = [line for line in lines if line.claim != RUN_CRASHED]
    return RunSummary(
        run_id=run_id,
        date=min(line.date for line in lines),
        passed=sum(line.status == "pass" for line in lines),
        failed=sum(line.status in ("fail", "error") for line in lines),
        ttft_p95_ms=next((line.ttft_p95_ms for line in lines if line.ttft_p95_ms is not None), None),
        answered=any(line.status in ("pass", "fail") for line in probed),
        checked=bool(probed),
    )


def _fold_claim(found: ClaimHistory | None, lines: Sequence[HistoryLine]) -> ClaimHistory:
    kept = list(found.lines) if found else []
    changes = list(found.changes) if found else []
    last_passed = found.last_passed if found else None
    first = found.first if found else lines[0].date
    for line in lines:
        now = passing(line.status)
        if not changes or changes[-1].passing != now:
            changes.append(OutcomeChange(date=line.date, passing=now, reason=line.reason))
        if now:
            last_passed = max(filter(None, [last_passed, line.date.date()]))
        kept.append(line)
    return ClaimHistory(
        lines=kept[-LINES_KEPT:],
        changes=changes[-CHANGES_KEPT:],
        last_passed=last_passed,
        first=first,
        count=(found.count if found else 0) + len(lines),
    )


def _order(line: HistoryLine) -> tuple[dt.datetime, str]:
    return (line.date, line.run_id)


def fold(history: DeploymentHistory, lines: Iterable[HistoryLine]) -> DeploymentHistory | None:
    """`history` with `lines` (whole runs of this deployment) added, or None when they cannot be added in order.

    Lines must be no older than the newest line already folded for their claim, and their runs must be new
    to the summary: a shard's evidence merged late, or a run appended twice, needs `summarize` over the raw
    lines instead (None says so).
    """
    batch = sorted(lines, key=_order)
    if not batch:
        return history
    by_claim: dict[str, list[HistoryLine]] = defaultdict(list)
    by_run: dict[str, list[HistoryLine]] = defaultdict(list)
    for line in batch:
        by_claim[line.claim].append(line)
        by_run[line.run_id].append(line)
    known_runs = {run.run_id for run in history.runs}
    for claim, new in by_claim.items():
        newest = history.claims[claim].newest if claim in history.claims else None
        if newest is not None and _order(new[0]) < _order(newest):
            return None
    if known_runs & by_run.keys() or _older_run(history, by_run):
        return None
    claims = dict(history.claims)
    for claim, new in by_claim.items():
        claims[claim] = _fold_claim(claims.get(claim), new)
    runs = sorted([*history.runs, *(_run_of(run_id, found) for run_id, found in by_run.items())], key=_run_order)
    days = dict(history.days)
    for run in (_run_of(run_id, found) for run_id, found in by_run.items()):
        if not run.checked:
            continue
        day = days.get(run.date.date(), DayCount())
        days[run.date.date()] = DayCount(runs=day.runs + 1, answered=day.answered + run.answered)
    newest_days = sorted(days)[-DAYS_KEPT:]
    return DeploymentHistory(
        claims=dict(sorted(claims.items())),
        runs=runs[-RUNS_KEPT:],
        days={day: days[day] for day in newest_days},
    )


def _run_order(run: RunSummary) -> tuple[dt.datetime, str]:
    return (run.date, run.run_id)


def _older_run(history: DeploymentHistory, by_run: dict[str, list[HistoryLine]]) -> bool:
    """A new run dated before the newest kept run: its place in the run chart is no longer known."""
    if not history.runs:
        return False
    newest = max(history.runs, key=_run_order)
    return any(_run_order(_run_of(run_id, found)) < _run_order(newest) for run_id, found in by_run.items())


def summarize(lines: Iterable[HistoryLine]) -> dict[str, DeploymentHistory]:
    """Deployment -> its summary, from raw lines in any order (the rebuild)."""
    by_deployment: dict[str, list[HistoryLine]] = defaultdict(list)
    for line in lines:
        by_deployment[line.deployment].append(line)
    summaries = {}
    for deployment, found in sorted(by_deployment.items()):
        folded = fold(DeploymentHistory(), found)
        assert folded is not None  # an empty summary takes lines in any order: fold sorts them first
        summaries[deployment] = folded
    return summaries


def availability_counts(history: DeploymentHistory, today: dt.date, days: int) -> DayCount:
    """Runs and answered runs in the `days` days up to and including `today`."""
    window = [count for day, count in history.days.items() if 0 <= (today - day).days < days]
    return DayCount(runs=sum(c.runs for c in window), answered=sum(c.answered for c in window))
