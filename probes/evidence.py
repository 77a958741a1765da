"""Evidence files: what a probe run leaves behind for the site to render as badges.

The site reads these files and never imports this package, so the shapes below are the contract.

``<evidence_dir>/<deployment_id>.json`` is rewritten by every run that finishes the deployment (written to
a temporary file in the same folder, then ``os.replace``; sorted keys, 2-space indent, trailing newline)::

    {
      "schema_version": 1,
      "deployment": "coder-chat",
      "run_id": "2026-11-23T01:30:00Z",           # the run's start, UTC; shared by every deployment in it
      "started_at": "2026-11-23T01:30:00Z",       # this deployment's first check
      "finished_at": "2026-11-23T01:30:41Z",
      "server": {"version": "vllm-0.32.0-e5a339f3" | null,   # system_fingerprint as the server sent it
                 "max_model_len": 1024 | null},               # from GET /v1/models
      "records": [                                # one per probed claim, in probe order
        {"claim": "endpoint:chat",                # see CLAIMS below
         "status": "pass" | "fail" | "error" | "info",
         "verified": true,                        # true only for status "pass" from a probe
         "date": "2026-11-23T01:30:02Z",          # when this check finished
         "source": "probe",
         "reason": null | "HTTP 404 from POST /v1/embeddings: Not Found",
         "value": null | 1024 | 0.3 | {...},      # context-length: max_model_len; eval: score;
                                                  # latency: ttft p95 in ms; tools: {"arguments": {...}}
         "unit": null | "tokens" | "ms",
         "workload": null | {...},                # latency only: same as latency.workload
         "duration_ms": 123.4}
      ],
      "latency": null | {
        "workload": {"requests": 20, "prompt_tokens": 64, "output_tokens": 16, "concurrency": 2},
        "ttft_ms": {"p50": 12.1, "p95": 30.2},    # time to first token
        "itl_ms": {"p50": 3.0, "p95": 4.1},       # inter-token latency: (last - first token) / (tokens - 1)
        "e2e_ms": {"p50": 80.0, "p95": 95.5},     # request sent -> stream finished
        "attainment": {"ttft_p95_ms": 0.95},      # fraction of requests within each SLO target
        "targets": {"ttft_p95_ms": 250.0}         # the catalog's SLO targets ({} when none)
      },
      "evals": [{"task": "json-format", "version": "1", "n": 10, "score": 0.3, "gate": 0.7,
                 "passed": false, "date": "2026-11-23T01:30:30Z"}]
    }

Statuses: ``pass`` the claim holds; ``fail`` the server answered but the claim does not hold (an HTTP
error status, a wrong shape, a missed target); ``error`` the claim could not be checked because the
server could not be reached or stopped answering (refused, DNS, timeouts, truncated response, dead
server); ``info`` measured but nothing to hold it against (latency without SLO targets).

``<evidence_dir>/history.jsonl`` gets one line per record per run, appended with a single write of
complete lines followed by fsync, so an aborted run never leaves half a line behind (and
``read_history`` skips a damaged line rather than failing)::

    {"run_id": "...", "deployment": "...", "claim": "...", "status": "...", "date": "...",
     "reason": null | "...", "ttft_p95_ms": 30.2}   # ttft_p95_ms only on latency lines

A deployment whose probing crashed (a bug in the probes, not a server fault) keeps its previous JSON
file untouched; the crash is recorded as a history line with claim ``run`` and status ``error``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

SCHEMA_VERSION = 1
HISTORY_FILE = "history.jsonl"

Status = Literal["pass", "fail", "error", "info"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "info")

# The claim keys the site renders; eval claims are "eval:<task>".
CLAIMS = (
    "health",
    "served-name",
    "context-length",
    "endpoint:chat",
    "endpoint:completions",
    "endpoint:responses",
    "endpoint:embeddings",
    "endpoint:fim",
    "capability:streaming",
    "capability:tools",
    "capability:structured-output",
    "capability:vision",
    "capability:reasoning",
    "latency",
)


def utc_now() -> datetime:
    """Now, in UTC, to the second (evidence dates carry no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """``2026-11-23T01:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Record:
    """The outcome of one check of one claim."""

    claim: str
    status: Status
    date: str
    reason: str | None = None
    value: float | int | dict[str, Any] | None = None
    unit: str | None = None
    workload: dict[str, Any] | None = None
    duration_ms: float = 0.0
    source: str = "probe"
    details: dict[str, Any] | None = field(default=None, compare=False)
    """In memory only (summary table, tests): extra facts a check measured; never written to files."""

    @property
    def verified(self) -> bool:
        return self.status == "pass" and self.source == "probe"

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "status": self.status,
            "verified": self.verified,
            "date": self.date,
            "source": self.source,
            "reason": self.reason,
            "value": self.value,
            "unit": self.unit,
            "workload": self.workload,
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class EvalResult:
    task: str
    version: str
    n: int
    score: float
    gate: float
    date: str

    @property
    def passed(self) -> bool:
        return self.score >= self.gate

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "version": self.version,
            "n": self.n,
            "score": round(self.score, 4),
            "gate": self.gate,
            "passed": self.passed,
            "date": self.date,
        }


@dataclass
class DeploymentEvidence:
    """Everything one run learned about one deployment; ``to_json`` is the file's content."""

    deployment: str
    run_id: str
    started_at: str
    finished_at: str = ""
    server_version: str | None = None
    max_model_len: int | None = None
    records: list[Record] = field(default_factory=list)
    latency: dict[str, Any] | None = None
    evals: list[EvalResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "deployment": self.deployment,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "server": {"version": self.server_version, "max_model_len": self.max_model_len},
            "records": [r.to_json() for r in self.records],
            "latency": self.latency,
            "evals": [e.to_json() for e in self.evals],
        }


def dumps(data: Mapping[str, Any]) -> str:
    """The canonical text of an evidence file."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def evidence_path(evidence_dir: Path, deployment_id: str) -> Path:
    return evidence_dir / f"{deployment_id}.json"


def _scrub(text: str, secrets: Sequence[str]) -> str:
    # Reasons are scrubbed where they are made; this second pass covers values and anything added later.
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    return text


def write_evidence(evidence_dir: Path, evidence: DeploymentEvidence, secrets: Sequence[str] = ()) -> Path:
    """Replace ``<deployment>.json`` atomically: readers see the old file or the new one, never a mix."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_path(evidence_dir, evidence.deployment)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{evidence.deployment}.", suffix=".tmp", dir=evidence_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_scrub(dumps(evidence.to_json()), secrets))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def history_lines(evidence: DeploymentEvidence) -> list[dict[str, Any]]:
    """One history entry per record."""
    lines = []
    for record in evidence.records:
        line: dict[str, Any] = {
            "run_id": evidence.run_id,
            "deployment": evidence.deployment,
            "claim": record.claim,
            "status": record.status,
            "date": record.date,
            "reason": record.reason,
        }
        if record.claim == "latency":
            line["ttft_p95_ms"] = record.value
        lines.append(line)
    return lines


def append_history(evidence_dir: Path, entries: Sequence[Mapping[str, Any]], secrets: Sequence[str] = ()) -> None:
    """Append complete lines to history.jsonl in one write, then fsync."""
    if not entries:
        return
    evidence_dir.mkdir(parents=True, exist_ok=True)
    path = evidence_dir / HISTORY_FILE
    payload = _scrub("".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in entries), secrets)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        # A run killed mid-write in the past may have left a line without its newline; start on a
        # fresh line so that damage stays confined to the one line readers already skip.
        size = os.fstat(fd).st_size
        if size:
            with path.open("rb") as reader:
                reader.seek(size - 1)
                if reader.read(1) != b"\n":
                    payload = "\n" + payload
        os.write(fd, payload.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_history(path: Path) -> Iterator[dict[str, Any]]:
    """Entries of a history file, skipping lines that are not complete JSON objects."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.endswith("\n"):
                return
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                yield entry
