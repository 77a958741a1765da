"""What the pages need from a deployment's probe history, kept at a constant size however long it runs.

`history.jsonl` grows by one line per claim per run, for ever; reading it whole made every build's time and
memory grow with the calendar (issue 22: a year of 4-hourly runs of 300 deployments took a warm build from
2.7 s to 256 s). Everything the verdicts, the cards and the MCP tools read from the past fits in a bounded
summary instead, one per deployment (`DeploymentHistory`):

* per claim (`ClaimHistory`): the newest `LINES_KEPT` lines (the card's history list), the current streak
  of passes or of non-passes and the day it began (the card's "since"), the last day it passed, and the
  newest `CHANGES_KEPT` days its outcome flipped (MCP's `changes_since`);
* per run: the newest `RUNS_KEPT` run points (the card's run charts: TTFT and ITL p95), and for each of the
  last `DAYS_KEPT` days how many runs checked the server and how many it answered (availability).

`fold` adds one run's lines in constant time; `summarize` folds a whole history. Folding a history in any
split of runs gives the same summary as folding it at once (tests/catalog/test_history.py), so a summary
can always be rebuilt from the raw lines, and is, whenever a line arrives older than what was folded
(`fold` returns `False`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Final, Literal, NotRequired, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, ValidationError, with_config
from typing_extensions import TypedDict

from catalog.evidence import (
    CLOCK_SKEW,
    FORMAT_VERSION,
    HISTORY_FILE,
    RUN_CRASHED,
    Contract,
    HistoryLine,
    HistoryRead,
    Status,
    first_error,
    future_problem,
    read_history,
    utc,
    version_problem,
)

#: Newest lines kept per claim: the card shows ten.
LINES_KEPT = 10
#: Newest runs kept per deployment for the run chart.
RUNS_KEPT = 10
#: Days of per-day run counts: the card's longest availability strip (90 days) plus a day of clock skew.
#: Each kept day is one short line of a summary (about 50 bytes): 91 days add some 3 KB to a summary of a
#: deployment probed every day for three months, and nothing to one probed for less.
DAYS_KEPT = 91
#: Newest outcome changes kept per claim; a claim that flips more often than this is reported as changed
#: from the oldest kept change on.
CHANGES_KEPT = 10


def _stamp(moment: dt.datetime) -> str:
    """`Timestamp`'s text, without strftime (the prober writes a few thousand of these per run)."""
    return moment.isoformat()[:19] + "Z"


def _moment(value: object) -> dt.datetime:
    """A `Timestamp` as a summary holds it, checked in a tenth of the time: a build reads some 50,000 of them.

    The text must be what the prober writes (`2026-11-23T01:30:00Z`, UTC to the second); anything else is refused.
    Built in Python (a fold), a moment goes through the evidence contract's own check.
    """
    if isinstance(value, str):
        if len(value) != 20 or value[10] != "T" or value[19] != "Z":
            raise ValueError("a timestamp must be written in UTC like 2026-11-23T01:30:00Z")
        moment = dt.datetime.fromisoformat(value)  # ValueError for an impossible date
        if moment.tzinfo is not dt.UTC or moment.microsecond:
            raise ValueError("a timestamp must be written in UTC like 2026-11-23T01:30:00Z")
        return moment
    if isinstance(value, dt.datetime):
        return utc(value)
    raise ValueError("a timestamp must be written in UTC like 2026-11-23T01:30:00Z")


#: A moment in UTC to the second, written `2026-11-23T01:30:00Z`: `Timestamp` with a faster check.
Moment = Annotated[dt.datetime, PlainValidator(_moment), PlainSerializer(_stamp, return_type=str)]


def passing(status: Status) -> bool:
    return status == "pass"


class OutcomeChange(Contract):
    """The first line of a run of one outcome (passing, or not passing)."""

    date: Moment
    passing: bool
    reason: str | None = None


@with_config(ConfigDict(extra="forbid"))
class Change(TypedDict):
    """An `OutcomeChange` as a summary keeps it: a plain dict, checked as strictly but about three times
    cheaper to read than a model (a summary keeps up to 10 per claim, a build reads some 25,000)."""

    date: Moment
    passing: bool
    reason: NotRequired[str]


@with_config(ConfigDict(extra="forbid"))
class DayRuns(TypedDict):
    """One day's run counts as a summary keeps them (a plain dict, for the same reason as `Change`)."""

    runs: int
    """Runs that checked the server this day."""
    answered: int
    """Of those, runs the server answered."""


def _change_of(line: HistoryLine, passing: bool) -> Change:
    change = Change(date=line.date, passing=passing)
    if line.reason is not None:
        change["reason"] = line.reason
    return change


def _outcome_change(change: Change) -> OutcomeChange:
    return OutcomeChange.model_construct(date=change["date"], passing=change["passing"], reason=change.get("reason"))


class KeptLine(Contract):
    """One kept result of one claim: what a history line says that the pages show (the card's ticks, the MCP
    tool's reason). The deployment and the claim are the summary's own, so a kept line does not repeat them."""

    run_id: str
    status: Status
    date: Moment
    reason: str | None = None

    @classmethod
    def of(cls, line: HistoryLine) -> KeptLine:
        # The line was checked when it was read: nothing here needs checking again.
        return cls.model_construct(run_id=line.run_id, status=line.status, date=line.date, reason=line.reason)


class ClaimHistory(Contract):
    """One claim of one deployment, summarised."""

    lines: list[KeptLine] = Field(default_factory=list)
    """The newest `LINES_KEPT` lines, oldest first."""
    changes: list[Change] = Field(default_factory=list)
    """The newest `CHANGES_KEPT` outcome changes, oldest first; the last one starts the current streak."""
    last_passed: dt.date | None = None
    """The newest day a line passed."""
    first: Moment | None = None
    """When the oldest line was dated: before it the claim was never probed."""

    @property
    def newest(self) -> KeptLine | None:
        return self.lines[-1] if self.lines else None

    def since(self, passing: bool, latest: dt.date | None) -> dt.date | None:
        """First day of the newest unbroken streak of passes (`passing`) or of non-passes; `latest` (the day of
        the latest check) when the newest line already breaks that streak, as when the latest run's line was
        never appended."""
        if not self.changes or self.changes[-1]["passing"] != passing:
            return latest
        return self.changes[-1]["date"].date()

    def passing_on(self, day: dt.date) -> bool | None:
        """Whether the claim passed at the end of `day`; None when it had never been probed by then."""
        if self.first is None or self.first.date() > day:
            return None
        before = [change for change in self.changes if change["date"].date() <= day]
        if before:
            return before[-1]["passing"]
        # Every kept change is later: the outcome before the oldest kept one was its opposite.
        return not self.changes[0]["passing"]

    def changed_after(self, day: dt.date) -> OutcomeChange | None:
        """The first change after `day` to the claim's current outcome, when its outcome differs from `day`'s."""
        if not self.changes or self.lines[-1].date.date() <= day:
            return None
        now = self.changes[-1]["passing"]
        if self.passing_on(day) == now:
            return None
        return _outcome_change(
            next(change for change in self.changes if change["date"].date() > day and change["passing"] == now)
        )


class RunSummary(Contract):
    """One probe run of one deployment, from its history lines."""

    run_id: str
    date: Moment
    """When its earliest line was dated."""
    passed: int = 0
    failed: int = 0
    """Lines that failed or could not be checked."""
    ttft_p95_ms: float | None = None
    itl_p95_ms: float | None = None
    """The run's pooled ITL p95, from its latency line (`HistoryLine.itl_p95_ms`), so a rebuild from the raw
    lines fills it too. Lines and summaries written before it was recorded have none: not measured."""
    answered: bool = False
    """At least one check got an HTTP answer (passed or failed)."""
    checked: bool = False
    """At least one check ran at all; False for a run whose probing crashed before any (our bug)."""


class DayCount(Contract):
    """Runs and answered runs over a window of days (`availability_counts`)."""

    runs: int = 0
    """Runs that checked the server this day."""
    answered: int = 0
    """Of those, runs the server answered."""


class DeploymentHistory(Contract):
    """One deployment's probe history, summarised; its size does not grow with time."""

    claims: dict[str, ClaimHistory] = Field(default_factory=dict)
    runs: list[RunSummary] = Field(default_factory=list)
    """The newest `RUNS_KEPT` runs, oldest first."""
    days: dict[dt.date, DayRuns] = Field(default_factory=dict)
    """Per day, for the newest `DAYS_KEPT` days that had runs."""

    def newest(self) -> dt.datetime | None:
        """When the newest line was dated."""
        moments = [claim.lines[-1].date for claim in self.claims.values() if claim.lines]
        return max(moments, default=None)


def _run_of(run_id: str, lines: Sequence[HistoryLine]) -> RunSummary:
    probed = [line for line in lines if line.claim != RUN_CRASHED]
    return RunSummary.model_construct(
        run_id=run_id,
        date=min(line.date for line in lines),
        passed=sum(line.status == "pass" for line in lines),
        failed=sum(line.status in ("fail", "error") for line in lines),
        ttft_p95_ms=next((line.ttft_p95_ms for line in lines if line.ttft_p95_ms is not None), None),
        itl_p95_ms=next((line.itl_p95_ms for line in lines if line.itl_p95_ms is not None), None),
        answered=any(line.status in ("pass", "fail") for line in probed),
        checked=bool(probed),
    )


def _fold_claim(found: ClaimHistory | None, lines: Sequence[HistoryLine]) -> ClaimHistory:
    kept = list(found.lines) if found else []
    changes = list(found.changes) if found else []
    last_passed = found.last_passed if found else None
    first = found.first if found and found.first else lines[0].date
    for line in lines:
        now = passing(line.status)
        if not changes or changes[-1]["passing"] != now:
            changes.append(_change_of(line, now))
        if now:
            last_passed = max(filter(None, [last_passed, line.date.date()]))
    kept += [KeptLine.of(line) for line in lines[-LINES_KEPT:]]
    return ClaimHistory.model_construct(
        lines=kept[-LINES_KEPT:], changes=changes[-CHANGES_KEPT:], last_passed=last_passed, first=first
    )


def _order(line: HistoryLine | KeptLine) -> tuple[dt.datetime, str]:
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
    new_runs = [_run_of(run_id, found) for run_id, found in by_run.items()]
    if known_runs & by_run.keys() or _older_run(history, new_runs):
        return None
    claims = dict(history.claims)
    for claim, new in by_claim.items():
        claims[claim] = _fold_claim(claims.get(claim), new)
    runs = sorted([*history.runs, *new_runs], key=_run_order)
    days = dict(history.days)
    for run in new_runs:
        if not run.checked:
            continue
        day = days.get(run.date.date(), DayRuns(runs=0, answered=0))
        days[run.date.date()] = DayRuns(runs=day["runs"] + 1, answered=day["answered"] + run.answered)
    newest_days = sorted(days)[-DAYS_KEPT:]
    # Built from checked parts only (the summary read and the lines folded): nothing to check again.
    return DeploymentHistory.model_construct(
        claims=dict(sorted(claims.items())),
        runs=runs[-RUNS_KEPT:],
        days={day: days[day] for day in newest_days},
    )


def _run_order(run: RunSummary) -> tuple[dt.datetime, str]:
    return (run.date, run.run_id)


def _older_run(history: DeploymentHistory, new_runs: list[RunSummary]) -> bool:
    """A new run dated before the newest kept run: its place in the run chart is no longer known."""
    if not history.runs:
        return False
    newest = max(history.runs, key=_run_order)
    return any(_run_order(run) < _run_order(newest) for run in new_runs)


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
    return DayCount(runs=sum(c["runs"] for c in window), answered=sum(c["answered"] for c in window))


# --------------------------------------------------------------------------- on disk
#
# `<evidence>/history.jsonl` stays the append-only record of every line; `python -m probes history rotate`
# moves the lines of past months into `<evidence>/history/<YYYY-MM>.jsonl` and drops archives past the
# retention (`--keep-months`), which changes nothing the site shows: the summaries hold it. Beside it the prober keeps
# `<evidence>/history/<deployment>.json` (a `SummaryFile`) and `<evidence>/history/_folded.json` (a
# `FoldIndex`: how many bytes of history.jsonl the summaries hold). A reader takes the summaries and folds
# only the bytes after that point, so its cost is the fleet's size plus the lines written since the last
# fold, never the whole past. Without an index (an evidence folder from before the summaries, or one whose
# history.jsonl was replaced) it folds the whole file, and says so.
#
# What a summary costs is what the build pays per deployment and the prober per run, so a summary keeps per
# kept line only its run, status, date and reason (format 3; format 2 repeated the deployment, the claim, the
# format version and every null field on each line: 28 KB a deployment instead of about 17 KB at 8 claims),
# its timestamps are checked by `Moment` (a tenth of the cost of the contract's `Timestamp`), the prober
# writes its text directly (`summary_text`) and leaves a file alone when its text would not change. Every
# byte is still checked on reading (pydantic, `extra="forbid"`); nothing read is trusted for being there.

SUMMARY_DIR = "history"
#: Starts with `_`, which no deployment id can (catalog/types.py `EntityId`), so it never names a summary.
FOLD_INDEX = "_folded.json"
#: Bytes before the fold point whose hash the index keeps: a history.jsonl rewritten underneath is noticed
#: without reading it whole.
TAIL_CHECK_BYTES = 4096
#: Largest summary file read; a bounded summary of the kept sizes is a few tens of KB.
MAX_SUMMARY_BYTES = 4 * 1024 * 1024

#: Problems with history lines an index remembers.
PROBLEMS_KEPT = 20

_M = TypeVar("_M", bound=BaseModel)


#: The summaries' own format version, apart from the evidence contract's: version 3 keeps per line only what
#: the pages show (no deployment, claim or format version repeated on every line, no null fields, no count).
#: A summary of another version is named and the history folded anew from the raw lines, which writes it
#: in this one. A run's `itl_p95_ms` and the 91 kept days (`DAYS_KEPT`, 31 before) came
#: later within version 3: both are optional shapes of the same format, so a summary written before them reads
#: as it was (no ITL; fewer days, which the next runs extend), and no evidence folder has to be rebuilt.
SUMMARY_FORMAT_VERSION: Final = 3


class SummaryFile(Contract):
    """`<evidence>/history/<deployment>.json`."""

    format_version: Literal[3] = SUMMARY_FORMAT_VERSION
    deployment: str
    history: DeploymentHistory


class FoldIndex(Contract):
    """`<evidence>/history/_folded.json`: where in history.jsonl the summaries stop."""

    format_version: Literal[2] = FORMAT_VERSION
    bytes: int = Field(ge=0)
    """Bytes of history.jsonl folded into the summaries."""
    tail_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """sha256 of the `TAIL_CHECK_BYTES` bytes before `bytes` (fewer at the start of the file)."""
    problems: list[str] = Field(default_factory=list, max_length=PROBLEMS_KEPT)
    """Lines the folds left out (another format version, a bad field, dated in the future), newest last: the
    build names them on every run, as it did when it read every line."""
    summary_format_version: Literal[3]
    """The format the summaries beside it were written in (`SUMMARY_FORMAT_VERSION`). An index without it is
    from before that format: it does not count, so the next fold reads the whole history once and writes
    every summary anew, instead of leaving old ones that every build would name."""


#: Months moved out of history.jsonl: `history/<YYYY-MM>.jsonl`, by the month of each line's date.
ARCHIVE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9].jsonl"


def archive_path(evidence_dir: Path, month: str) -> Path:
    return evidence_dir / SUMMARY_DIR / f"{month}.jsonl"


def archives(evidence_dir: Path) -> list[Path]:
    """The monthly archives, oldest first."""
    return sorted((evidence_dir / SUMMARY_DIR).glob(ARCHIVE_GLOB))


def read_every_line(evidence_dir: Path) -> HistoryRead:
    """Every line ever kept: the archives, oldest first, then history.jsonl (`end` is history.jsonl's)."""
    whole = HistoryRead()
    for path in [*archives(evidence_dir), evidence_dir / HISTORY_FILE]:
        read = read_history(path)
        whole.lines += read.lines
        whole.problems += read.problems
        whole.damaged += read.damaged
        whole.end = read.end
    return whole


def summary_text(summary: SummaryFile | FoldIndex) -> str:
    """A summary file's text: keys sorted, and each element of a list (a line, a change, a run) and each day's
    counts on one line, so one probe run changes a few short lines of it in a diff rather than a few screens.
    Fields that are null are left out (their default). The same text as `_pretty` over `model_dump`, written
    directly: the prober writes one per deployment per run."""
    if isinstance(summary, FoldIndex):
        return _pretty(summary.model_dump(mode="json"), "") + "\n"
    history = summary.history
    out = ["{", f'  "deployment": {_string(summary.deployment)},', f'  "format_version": {summary.format_version},']
    parts = []
    if history.claims:
        claims = []
        for name in sorted(history.claims):
            claim = history.claims[name]
            fields = []
            if claim.changes:
                fields.append(_rows("changes", [_change(change) for change in claim.changes], "        "))
            if claim.first is not None:
                fields.append(f'        "first": "{_stamp(claim.first)}"')
            if claim.last_passed is not None:
                fields.append(f'        "last_passed": "{claim.last_passed.isoformat()}"')
            if claim.lines:
                fields.append(_rows("lines", [_kept_line(line) for line in claim.lines], "        "))
            body = "{\n" + ",\n".join(fields) + "\n      }" if fields else "{}"
            claims.append(f"      {_string(name)}: {body}")
        parts.append('    "claims": {\n' + ",\n".join(claims) + "\n    }")
    else:
        parts.append('    "claims": {}')
    if history.days:
        days = [
            f'      "{day.isoformat()}": {{"answered": {count["answered"]}, "runs": {count["runs"]}}}'
            for day, count in sorted(history.days.items())
        ]
        parts.append('    "days": {\n' + ",\n".join(days) + "\n    }")
    else:
        parts.append('    "days": {}')
    parts.append(_rows("runs", [_run(run) for run in history.runs], "    ") if history.runs else '    "runs": []')
    out.append('  "history": {\n' + ",\n".join(parts) + "\n  }")
    return "\n".join(out) + "\n}\n"


def _rows(key: str, rows: list[str], indent: str) -> str:
    inner = indent + "  "
    return f'{indent}"{key}": [\n{inner}' + f",\n{inner}".join(rows) + f"\n{indent}]"


#: JSON's own string quoting (C), as `json.dumps(text, ensure_ascii=False)` writes it.
_string = json.encoder.encode_basestring


def _kept_line(line: KeptLine) -> str:
    reason = f'"reason": {_string(line.reason)}, ' if line.reason is not None else ""
    return f'{{"date": "{_stamp(line.date)}", {reason}"run_id": {_string(line.run_id)}, "status": "{line.status}"}}'


def _change(change: Change) -> str:
    reason = f', "reason": {_string(change["reason"])}' if "reason" in change else ""
    return f'{{"date": "{_stamp(change["date"])}", "passing": {_encode(change["passing"])}{reason}}}'


def _run(run: RunSummary) -> str:
    # Keys in sorted order, as `_pretty` writes them; a null value is left out (an older summary has none).
    ttft = f', "ttft_p95_ms": {_encode(run.ttft_p95_ms)}' if run.ttft_p95_ms is not None else ""
    itl = f'"itl_p95_ms": {_encode(run.itl_p95_ms)}, ' if run.itl_p95_ms is not None else ""
    return (
        f'{{"answered": {_encode(run.answered)}, "checked": {_encode(run.checked)}, "date": "{_stamp(run.date)}", '
        f'"failed": {run.failed}, {itl}"passed": {run.passed}, "run_id": {_string(run.run_id)}{ttft}}}'
    )


#: One encoder for every value: `json.dumps` with options builds a new one per call.
_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def _pretty(value: object, indent: str) -> str:
    """Dicts of containers one key a line; a list one element a line; a dict of plain values on one line."""
    inner = indent + "  "
    if isinstance(value, dict) and value and any(isinstance(item, dict | list) for item in value.values()):
        items = [f"{inner}{_encode(key)}: {_pretty(value[key], inner)}" for key in sorted(value)]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and value:
        items = [inner + _encode(item) for item in value]
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return _encode(value)


def summary_path(evidence_dir: Path, deployment: str) -> Path:
    return evidence_dir / SUMMARY_DIR / f"{deployment}.json"


def tail_sha256(path: Path, end: int) -> str | None:
    """The hash an index keeps for a fold point `end`; None when the file is shorter than `end`."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, end - TAIL_CHECK_BYTES))
            tail = handle.read(min(end, TAIL_CHECK_BYTES))
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest() if end == 0 else None
    return hashlib.sha256(tail).hexdigest() if len(tail) == min(end, TAIL_CHECK_BYTES) else None


@dataclass
class LoadedHistory:
    summaries: dict[str, DeploymentHistory] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    index: FoldIndex | None = None
    """The fold point `summaries` reach: the end of history.jsonl when it was read."""
    changed: set[str] = field(default_factory=set)
    """Deployments whose summary on disk lacks lines that `summaries` hold (what a writer stores back)."""
    digests: dict[str, str] = field(default_factory=dict)
    """Deployment -> sha256 of its summary file, for those whose summary is the file's as read (not `changed`):
    equal digests mean equal summaries (`history_digest`)."""


def _read_model(path: Path, model: type[_M]) -> _M | str:
    return _read_model_bytes(path, model)[0]


def _read_model_bytes(path: Path, model: type[_M]) -> tuple[_M | str, bytes]:
    try:
        if path.stat().st_size > MAX_SUMMARY_BYTES:
            return f"{path}: larger than {MAX_SUMMARY_BYTES} bytes; a summary is far smaller", b""
        data = path.read_bytes()
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}", b""
    return _checked(path, model, data), data


def _checked(path: Path, model: type[_M], data: bytes) -> _M | str:
    try:
        # Parsed and checked in one pass by pydantic-core: a build reads one summary per deployment.
        return model.model_validate_json(data)
    except ValidationError as exc:
        error = exc
    # Only a file that failed: say why in the evidence contract's words.
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{path}: not JSON: {exc}"
    if model is SummaryFile:
        return _summary_version_problem(parsed, path) or f"{path}: {first_error(error)}"
    return version_problem(parsed, str(path)) or f"{path}: {first_error(error)}"


def _summary_version_problem(data: object, path: Path) -> str | None:
    version = data.get("format_version") if isinstance(data, dict) else None
    if version == SUMMARY_FORMAT_VERSION:
        return None
    return (
        f"{path}: history summary format version {version}, but this code reads version {SUMMARY_FORMAT_VERSION}; "
        "the history was folded anew from the raw lines (the next `python -m probes run` writes the summaries "
        "in this version, or run `python -m probes history rebuild`)"
    )


def read_index_file(path: Path) -> FoldIndex | None:
    """A fold index as it is on disk, or None when it is missing or unreadable."""
    if not path.exists():
        return None
    found = _read_model(path, FoldIndex)
    return None if isinstance(found, str) else found


def read_index(evidence_dir: Path) -> FoldIndex | None:
    """The fold index, when it exists, is valid and still matches history.jsonl."""
    found = read_index_file(evidence_dir / SUMMARY_DIR / FOLD_INDEX)
    if found is None:
        return None
    if tail_sha256(evidence_dir / HISTORY_FILE, found.bytes) != found.tail_sha256:
        return None
    return found


def read_summary(evidence_dir: Path, deployment: str) -> DeploymentHistory | str | None:
    """One deployment's summary; None when it has none, a problem when it cannot be read."""
    return _read_summary(evidence_dir, deployment)[0]


def _read_summary(evidence_dir: Path, deployment: str) -> tuple[DeploymentHistory | str | None, str | None]:
    """`read_summary`, and the sha256 of the file it read (`history_digest`)."""
    path = summary_path(evidence_dir, deployment)
    if not path.exists():
        return None, None
    found, data = _read_model_bytes(path, SummaryFile)
    if isinstance(found, str):
        return found, None
    if found.deployment != deployment:
        return f"{path}: holds deployment {found.deployment!r}; the file must be named after it", None
    return found.history, hashlib.sha256(data).hexdigest()


def history_digest(deployment: str, history: DeploymentHistory) -> str:
    """A sha256 that changes when, and only when, a deployment's summary does: a cache key for what a page
    shows from the history, far cheaper than `repr` of the summary. A build gets it from the bytes of the
    summary file it read (`LoadedHistory.digests`); this computes it for a summary held only in memory."""
    return hashlib.sha256(summary_text(SummaryFile(deployment=deployment, history=history)).encode()).hexdigest()


def index_at(raw: Path, end: int, problems: list[str]) -> FoldIndex:
    """The index for a fold point; its problems name files relative to the evidence folder, which is checked
    in and read on other machines (an absolute path would say where the prober ran)."""
    folder = f"{raw.parent}/"
    return FoldIndex(
        bytes=end,
        tail_sha256=tail_sha256(raw, end) or hashlib.sha256(b"").hexdigest(),
        problems=[problem.removeprefix(folder) for problem in problems][-PROBLEMS_KEPT:],
        summary_format_version=SUMMARY_FORMAT_VERSION,
    )


def load_history(evidence_dir: Path, today: dt.date | None, *, every_summary: bool = True) -> LoadedHistory:
    """Summaries brought up to the end of history.jsonl.

    Reads the lines after the fold point and folds them into their deployments' summaries; with
    `every_summary` (the build) it reads every other summary too, without it (the prober) only the ones it
    folds into. With no usable index, an unreadable summary, or lines that cannot be folded in order, it
    folds the whole of history.jsonl instead: slow once, and stored back by the prober's next write.
    Lines dated after `today` plus `CLOCK_SKEW` are problems and left out (None: none is, for the prober).
    """
    raw = evidence_dir / HISTORY_FILE
    index = read_index(evidence_dir)
    if index is None:
        return _rebuilt(evidence_dir, today, [], note=raw.exists() and (evidence_dir / SUMMARY_DIR).is_dir())
    tail = read_history(raw, start=index.bytes)
    tail_problems = list(tail.problems)
    current = _not_future(tail.lines, raw, today, tail_problems)
    loaded = LoadedHistory(problems=[*(f"{evidence_dir}/{problem}" for problem in index.problems), *tail_problems])
    by_deployment: dict[str, list[HistoryLine]] = defaultdict(list)
    for line in current:
        by_deployment[line.deployment].append(line)
    wanted = sorted(by_deployment)
    if every_summary:
        names = {path.stem for path in (evidence_dir / SUMMARY_DIR).glob("*.json") if path.name != FOLD_INDEX}
        wanted = sorted(names | by_deployment.keys())
    for deployment in wanted:
        found, digest = _read_summary(evidence_dir, deployment)
        if isinstance(found, str):
            return _rebuilt(evidence_dir, today, [found], note=False)
        newest = found.newest() if found is not None else None
        if today is not None and newest is not None and newest.date() > today + CLOCK_SKEW:
            where = f"{summary_path(evidence_dir, deployment)}: its newest line"
            loaded.problems.append(future_problem(where, newest, today))
            continue
        summary = found or DeploymentHistory()
        if deployment in by_deployment:
            folded = fold(summary, by_deployment[deployment])
            if folded is None:  # out of order (a merge, a run written twice): only the whole file can place it
                return _rebuilt(evidence_dir, today, [], note=False)
            summary = folded
            loaded.changed.add(deployment)
        elif digest is not None:
            loaded.digests[deployment] = digest
        loaded.summaries[deployment] = summary
    loaded.index = index_at(raw, tail.end, [*index.problems, *tail_problems])
    return loaded


def _not_future(lines: list[HistoryLine], raw: Path, today: dt.date | None, problems: list[str]) -> list[HistoryLine]:
    if today is None:
        return lines
    future = [line for line in lines if line.date.date() > today + CLOCK_SKEW]
    if future:
        first = min(line.date for line in future)
        problems.append(future_problem(f"{raw}: {len(future)} line(s), the first", first, today))
    return [line for line in lines if line.date.date() <= today + CLOCK_SKEW]


def _rebuilt(evidence_dir: Path, today: dt.date | None, problems: list[str], *, note: bool) -> LoadedHistory:
    raw = evidence_dir / HISTORY_FILE
    read = read_every_line(evidence_dir)
    line_problems = list(read.problems)
    current = _not_future(read.lines, raw, today, line_problems)
    loaded = LoadedHistory(problems=[*problems, *line_problems])
    if note:
        loaded.problems.append(
            f"{raw}: the history summaries beside it do not match it, so it was read whole (slow on a long "
            "history); the next `python -m probes run` writes them anew"
        )
    loaded.summaries = summarize(current)
    loaded.index = index_at(raw, read.end, line_problems)
    loaded.changed = set(loaded.summaries)
    return loaded
