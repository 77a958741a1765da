"""``python -m probes import-report FILE --deployment ID``: the field's benchmark reports as evidence.

Reads a ``vllm bench serve --save-result`` JSON or a GuideLLM JSON report (``guidellm run --output
kind=json,...``) and records what it measured in the deployment's evidence file (``measured``, catalog/evidence.py
``ToolMeasurement``): latency percentiles as the tool reports them, throughput, goodput where the tool had
objectives, the workload, the tool's name and version, the day it ran and the hardware where the report states
it. The card shows it under the tool's name, beside our probe's latency, and it changes no claim's state
(catalog/verdicts.py ``MEASURED_BY_TOOL_RULE``).

A report is hostile input. It is read only up to ``MAX_REPORT_BYTES``; its JSON is parsed without NaN or
Infinity; what is read from it is checked by strict pydantic models (no string taken for a number), and an
error names the file, the field and a hint. Nothing else is copied: no URL, no tokenizer path, no request or
response text, no header, no label; the model name and the hardware line must be plain names. The evidence file
is replaced atomically (``probes/evidence.py``), so an import that fails leaves it as it was.

The metrics, in vLLM's definitions (the card's rows), and where each tool has them:

- ``vllm bench serve``: ``{mean,median,pNN}_{ttft,tpot,itl,e2el}_ms`` (``--percentile-metrics ttft,tpot,itl,e2el
  --metric-percentiles 50,95,99`` gives every row). It writes neither its version nor the hardware: pass them as
  ``--metadata vllm_version=0.11.0 hardware="1x L4"`` when running it, or the card says "not recorded".
- GuideLLM: ``time_to_first_token_ms`` (TTFT), ``inter_token_latency_ms`` (per request, (last - first) /
  (tokens - 1): vLLM's TPOT, so it is the TPOT row), ``request_latency`` in seconds (E2E); it pools no gaps, so
  there is no ITL row. One measurement per benchmark in the report (a sweep has several).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from catalog.errors import schema_message
from catalog.evidence import (
    MEASURED_KEPT,
    EvidenceError,
    EvidenceFile,
    ToolMeasurement,
    ToolMetric,
    ToolStats,
    ToolWorkload,
    read_evidence_file,
)
from catalog.types import EvidenceDeployment
from probes.evidence import evidence_path, write_evidence

#: Larger reports are refused unread: GuideLLM keeps every request's text in its report, so a long run can be
#: hundreds of MB, and nothing this command records needs them.
MAX_REPORT_BYTES = 64 * 1024 * 1024
#: Benchmarks read from one GuideLLM report (a sweep has about ten).
MAX_BENCHMARKS = MEASURED_KEPT
SIZE_HINT = (
    "import the report of a shorter run, or one saved without per-request details "
    "(vllm bench serve without --save-detailed)"
)
FORMATS_HINT = (
    "expected a `vllm bench serve --save-result` JSON (num_prompts, completed, request_throughput, ...) or a "
    "GuideLLM JSON report (metadata.guidellm_version, benchmarks); an llm-d Benchmark Report is not read yet"
)


GUIDE_HINT = "give the JSON report `guidellm run --output kind=json,path=...` wrote, unedited"


class ReportError(Exception):
    """A report this command will not import: the message names the file, the field and a hint."""


# -- what is read from a report: strict, everything else ignored ---------------------------------------------------
class _Read(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


Count = Field(ge=0)
Number = Field(ge=0)
Name = Field(min_length=1, max_length=120)
#: `vllm bench serve`'s per-metric keys: `mean_ttft_ms`, `median_itl_ms`, `p95_e2el_ms`, `p99.9_tpot_ms`.
VLLM_METRIC_KEY = re.compile(r"^(?P<stat>mean|median|std|p\d+(?:\.\d+)?)_(?P<metric>ttft|tpot|itl|e2el)_ms$")
VLLM_METRICS: dict[str, ToolMetric] = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "e2e"}


class VllmBenchResult(_Read):
    """The fields of a `vllm bench serve --save-result` file that are recorded (vllm/benchmarks/serve.py)."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True, allow_inf_nan=False)
    date: str = Field(pattern=r"^\d{8}-\d{6}$")
    """`%Y%m%d-%H%M%S` in the local time of the machine that ran it."""
    model_id: str = Name
    num_prompts: int = Field(ge=1)
    request_rate: float | Literal["inf"] = "inf"
    max_concurrency: int | None = Field(default=None, ge=1)
    duration: float = Number
    completed: int = Count
    failed: int | None = Field(default=None, ge=0)
    total_input_tokens: int = Count
    total_output_tokens: int = Count
    request_throughput: float = Number
    request_goodput: float | None = Field(default=None, ge=0)
    output_throughput: float = Number
    total_token_throughput: float | None = Field(default=None, ge=0)
    vllm_version: str | None = Field(default=None, max_length=40)
    """Not written by vLLM: `--metadata vllm_version=...` adds it."""
    hardware: str | None = Field(default=None, max_length=120)
    """Not written by vLLM: `--metadata hardware=...` adds it."""


class _Percentiles(_Read):
    p50: float = Number
    p90: float = Number
    p95: float = Number
    p99: float = Number


class _Summary(_Read):
    mean: float = Number
    count: int = Count
    percentiles: _Percentiles


class _Distribution(_Read):
    """GuideLLM's StatusDistributionSummary: only the successful requests' figures are recorded."""

    successful: _Summary


class _Totals(_Read):
    successful: int = Count
    errored: int = Count
    incomplete: int = Count
    total: int = Count


class _GuideMetrics(_Read):
    request_totals: _Totals
    requests_per_second: _Distribution
    time_to_first_token_ms: _Distribution
    inter_token_latency_ms: _Distribution
    request_latency: _Distribution
    prompt_token_count: _Distribution
    output_token_count: _Distribution
    output_tokens_per_second: _Distribution
    tokens_per_second: _Distribution
    slo_attainment: float | None = Field(default=None, ge=0, le=1)
    request_goodput: _Distribution | None = None


class _Strategy(_Read):
    type_: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    streams: int | None = Field(default=None, ge=1)
    max_concurrency: int | None = Field(default=None, ge=1)
    rate: float | None = Field(default=None, gt=0)


class _BenchmarkConfig(_Read):
    strategy: _Strategy


class _GuideBenchmark(_Read):
    type_: Literal["generative_benchmark"]
    config: _BenchmarkConfig
    start_time: float = Number
    duration: float = Number
    metrics: _GuideMetrics


class _GuideMetadata(_Read):
    guidellm_version: str = Field(min_length=1, max_length=40)


class GuideLLMReport(_Read):
    """The fields of a GuideLLM JSON report (GenerativeBenchmarksReport) that are recorded."""

    metadata: _GuideMetadata
    benchmarks: list[_GuideBenchmark] = Field(min_length=1, max_length=MAX_BENCHMARKS)


# -- reading ---------------------------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_json(path: Path) -> tuple[Any, str]:
    """The report's JSON and the sha256 of its bytes; ``ReportError`` for a file too large, unreadable or not JSON."""
    try:
        if not path.exists():
            raise ReportError(f"{path}: no such file (hint: give the JSON file the tool wrote)")
        if not path.is_file():
            raise ReportError(f"{path}: not a file (hint: give the JSON file the tool wrote)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportError(f"{path}: larger than {MAX_REPORT_BYTES // 1024 // 1024} MiB (hint: {SIZE_HINT})")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not UTF-8 text: {exc.reason} (hint: give the JSON file the tool wrote)") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; RecursionError: deep nesting
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ReportError(f"{path}: not JSON: {what} (hint: {FORMATS_HINT})") from None
    return data, hashlib.sha256(raw).hexdigest()


def _validated(path: Path, model: type[_Read], data: Any, hint: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(the whole file)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ReportError(f"{path}: {where}: {schema_message(error)}{more} (hint: {hint})") from None
    except RecursionError:
        raise ReportError(f"{path}: nested too deeply (hint: {FORMATS_HINT})") from None


def _measured(path: Path, field: str, build: Callable[[], Any]) -> Any:
    """Build a recorded value; a value the evidence contract refuses (a URL as a model name) is the report's fault."""
    try:
        return build()
    except ValidationError as exc:
        error = exc.errors()[0]
        inner = ".".join(str(p) for p in error["loc"])
        where = field if not inner or inner == field else f"{field} ({inner})"
        raise ReportError(
            f"{path}: {where}: {schema_message(error)} (hint: only plain names and numbers are imported)"
        ) from None


def detect(data: Any) -> str | None:
    """Which tool wrote ``data``: ``vllm bench serve``, ``GuideLLM``, or None."""
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and "guidellm_version" in metadata and "benchmarks" in data:
        return "GuideLLM"
    if {"num_prompts", "completed", "request_throughput"} <= data.keys():
        return "vllm bench serve"
    return None


def _stats(metric: ToolMetric, tool_metric: str, found: dict[str, float]) -> ToolStats | None:
    picked = {k: v for k, v in found.items() if k in ("mean", "p50", "p90", "p95", "p99")}
    return ToolStats(metric=metric, tool_metric=tool_metric, **picked) if picked else None


def _vllm_latency(path: Path, result: VllmBenchResult) -> list[ToolStats]:
    by_metric: dict[str, dict[str, float]] = {}
    for key, value in (result.model_extra or {}).items():
        match = VLLM_METRIC_KEY.match(key)
        if match is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ReportError(
                f"{path}: {key}: {value!r} is not a time in ms (hint: a finite number of 0 or more, as vllm bench "
                "serve writes it)"
            )
        stat = match["stat"]
        name = {"median": "p50"}.get(stat, stat)
        found = by_metric.setdefault(match["metric"], {})
        if stat == "median" and "p50" in found:
            continue  # `p50_*` and `median_*` are the same number; the percentile wins
        found[name] = float(value)
    latency = [_stats(VLLM_METRICS[m], f"{m}_ms", by_metric[m]) for m in VLLM_METRICS if m in by_metric]
    return [s for s in latency if s is not None]


def _vllm(path: Path, data: Any, sha256: str, now: dt.datetime) -> list[ToolMeasurement]:
    hint = "give the file `vllm bench serve --save-result` wrote, unedited"
    result: VllmBenchResult = _validated(path, VllmBenchResult, data, hint)
    failed = result.failed if result.failed is not None else result.num_prompts - result.completed
    if result.completed == 0:
        raise ReportError(f"{path}: completed: 0, so nothing was measured (hint: {hint})")
    if result.completed + failed > result.num_prompts:
        raise ReportError(
            f"{path}: completed: {result.completed} and failed: {failed} add up to more than num_prompts: "
            f"{result.num_prompts} (hint: {hint})"
        )
    try:
        ran_on = dt.datetime.strptime(result.date, "%Y%m%d-%H%M%S").date()
    except ValueError:
        raise ReportError(f"{path}: date: {result.date!r} is not a date (hint: {hint})") from None
    rate = None if result.request_rate == "inf" else result.request_rate
    workload = _measured(
        path,
        "workload",
        lambda: ToolWorkload(
            requests=result.completed + failed,
            completed=result.completed,
            failed=failed,
            concurrency=result.max_concurrency,
            request_rate=rate,
            profile=None,
            prompt_tokens=result.total_input_tokens / result.completed,
            output_tokens=result.total_output_tokens / result.completed,
            duration_s=result.duration,
        ),
    )
    latency = _vllm_latency(path, result)
    if not latency:
        raise ReportError(
            f"{path}: no latency figure (mean_ttft_ms, p95_e2el_ms, ...) (hint: run vllm bench serve with "
            "--percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,95,99)"
        )
    return [
        _measured(
            path,
            "model_id or hardware",
            lambda: ToolMeasurement(
                tool="vllm bench serve",
                tool_version=result.vllm_version,
                ran_on=ran_on,
                imported_at=now,
                report_sha256=sha256,
                model=result.model_id,
                hardware=result.hardware,
                workload=workload,
                latency=latency,
                request_throughput=result.request_throughput,
                output_throughput=result.output_throughput,
                total_token_throughput=result.total_token_throughput,
                goodput_rps=result.request_goodput,
            ),
        )
    ]


def _guidellm_one(
    path: Path, index: int, bench: _GuideBenchmark, version: str, sha256: str, now: dt.datetime
) -> ToolMeasurement:
    m = bench.metrics
    where = f"benchmarks.{index}"
    if m.request_totals.successful == 0:
        raise ReportError(
            f"{path}: {where}.metrics.request_totals.successful: 0, so nothing was measured (hint: {GUIDE_HINT})"
        )
    if m.request_totals.total < m.request_totals.successful + m.request_totals.errored:
        raise ReportError(f"{path}: {where}.metrics.request_totals: total is less than its parts (hint: {GUIDE_HINT})")
    try:
        ran_on = dt.datetime.fromtimestamp(bench.start_time, tz=dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        raise ReportError(
            f"{path}: {where}.start_time: {bench.start_time!r} is not a moment (hint: {GUIDE_HINT})"
        ) from None

    def stats(metric: ToolMetric, name: str, dist: _Distribution, scale: float = 1.0) -> ToolStats:
        s = dist.successful
        p = s.percentiles
        return ToolStats(
            metric=metric,
            tool_metric=name,
            mean=s.mean * scale,
            p50=p.p50 * scale,
            p90=p.p90 * scale,
            p95=p.p95 * scale,
            p99=p.p99 * scale,
        )

    strategy = bench.config.strategy
    concurrency = strategy.streams or strategy.max_concurrency or (1 if strategy.type_ == "synchronous" else None)
    totals = m.request_totals
    measurement: ToolMeasurement = _measured(
        path,
        where,
        lambda: ToolMeasurement(
            tool="GuideLLM",
            tool_version=version,
            ran_on=ran_on,
            imported_at=now,
            report_sha256=sha256,
            workload=ToolWorkload(
                requests=max(totals.total, 1),
                completed=totals.successful,
                failed=totals.errored + totals.incomplete,
                concurrency=concurrency,
                request_rate=strategy.rate,
                profile=strategy.type_,
                prompt_tokens=m.prompt_token_count.successful.mean,
                output_tokens=m.output_token_count.successful.mean,
                duration_s=bench.duration,
            ),
            latency=[
                stats("ttft", "time_to_first_token_ms", m.time_to_first_token_ms),
                stats("tpot", "inter_token_latency_ms", m.inter_token_latency_ms),
                stats("e2e", "request_latency", m.request_latency, 1000.0),
            ],
            request_throughput=m.requests_per_second.successful.mean,
            output_throughput=m.output_tokens_per_second.successful.mean,
            total_token_throughput=m.tokens_per_second.successful.mean,
            goodput_rps=m.request_goodput.successful.mean if m.request_goodput else None,
            slo_attainment=m.slo_attainment,
        ),
    )
    return measurement


def _guidellm(path: Path, data: Any, sha256: str, now: dt.datetime) -> list[ToolMeasurement]:
    hint = GUIDE_HINT
    report: GuideLLMReport = _validated(path, GuideLLMReport, data, hint)
    version = report.metadata.guidellm_version
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}", version):
        raise ReportError(f"{path}: metadata.guidellm_version: {version!r} is not a version (hint: {hint})")
    return [_guidellm_one(path, i, b, version, sha256, now) for i, b in enumerate(report.benchmarks)]


def read_report(path: Path, now: dt.datetime) -> list[ToolMeasurement]:
    """What a report measured, one ``ToolMeasurement`` per benchmark in it; ``ReportError`` says why not."""
    data, sha256 = _read_json(path)
    tool = detect(data)
    if tool is None:
        raise ReportError(f"{path}: not a report this command reads (hint: {FORMATS_HINT})")
    found = _vllm(path, data, sha256, now) if tool == "vllm bench serve" else _guidellm(path, data, sha256, now)
    tomorrow = now.date() + dt.timedelta(days=1)
    if late := [m for m in found if m.ran_on > tomorrow]:
        raise ReportError(
            f"{path}: dated {late[0].ran_on}, after today ({now.date()}) (hint: check the clock of the machine that "
            "ran the tool)"
        )
    return found


_DEPLOYMENT = TypeAdapter(EvidenceDeployment)


def import_report(
    path: Path, deployment: str, evidence_dir: Path, now: dt.datetime
) -> tuple[list[ToolMeasurement], Path]:
    """Record what ``path`` measured in ``deployment``'s evidence file (replaced atomically), keeping its other
    imported measurements except an earlier import of the same report; what was recorded, and the file."""
    try:
        _DEPLOYMENT.validate_python(deployment)
    except ValidationError:
        raise ReportError(f"--deployment: {deployment!r} is not a deployment id (a catalog file's name)") from None
    found = read_report(path, now)
    target = evidence_path(evidence_dir, deployment)
    if not target.exists():
        raise ReportError(
            f"{target}: no probe evidence for {deployment} yet (hint: run `python -m probes run --only {deployment}` "
            "first; an imported report is kept beside the probe's latest run)"
        )
    try:
        evidence = read_evidence_file(target)
    except EvidenceError as exc:
        raise ReportError(f"{exc} (the report was not imported)") from None
    digest = found[0].report_sha256
    kept = [m for m in evidence.measured if m.report_sha256 != digest]
    measured = sorted([*found, *kept], key=lambda m: (m.ran_on, m.imported_at), reverse=True)[:MEASURED_KEPT]
    updated = EvidenceFile.model_validate({**evidence.model_dump(), "measured": measured})
    return found, write_evidence(evidence_dir, updated)


def carried_measurements(evidence_dir: Path, deployment: str) -> list[ToolMeasurement]:
    """The imported measurements of ``deployment``'s current evidence file, for a probe run to carry into the file
    it writes (``probes/runner.py``: ``EvidenceFile(..., measured=carried_measurements(evidence_dir, id))``), so a
    new probe run keeps what other tools measured; none when there is no readable file."""
    try:
        return list(read_evidence_file(evidence_path(evidence_dir, deployment)).measured)
    except (EvidenceError, FileNotFoundError):
        return []
