"""``python -m probes import-report FILE --deployment ID``: the field's benchmark reports as evidence.

Reads a ``vllm bench serve --save-result`` JSON, a GuideLLM JSON report (``guidellm run --output
kind=json,...``) or an llm-d Benchmark Report 0.2.x (YAML or JSON, written by llm-d-benchmark's harnesses or by
``benchmark-report -b 0.2`` from a tool's own output) and records what it measured in the deployment's evidence
file (``measured``, catalog/evidence.py ``ToolMeasurement``): latency percentiles as the tool reports them,
throughput, goodput where the tool had objectives, the workload, the tool's name and version, the day it ran and
the hardware where the report states it. The card shows it under the tool's name, beside our probe's latency, and
it changes no claim's state (catalog/verdicts.py ``MEASURED_BY_TOOL_RULE``).

A report is hostile input. It is read only up to ``MAX_REPORT_BYTES``; its JSON is parsed without NaN or
Infinity (except an llm-d report's Infinity, the format's "no limit"); what is read from it is checked by strict
pydantic models (no string taken for a number), and an error names the file, the field and a hint. Nothing else is
copied: no URL, no tokenizer path, no request or response text, no header, no label; the model name and the
hardware line must be plain names. The evidence file is replaced atomically (``probes/evidence.py``), so an import
that fails leaves it as it was.

The metrics, in vLLM's definitions (the card's rows), and where each tool has them:

- ``vllm bench serve``: ``{mean,median,pNN}_{ttft,tpot,itl,e2el}_ms`` (``--percentile-metrics ttft,tpot,itl,e2el
  --metric-percentiles 50,95,99`` gives every row). It writes neither its version nor the hardware: pass them as
  ``--metadata vllm_version=0.11.0 hardware="1x L4"`` when running it, or the card says "not recorded".
- GuideLLM: ``time_to_first_token_ms`` (TTFT), ``inter_token_latency_ms`` (per request, (last - first) /
  (tokens - 1): vLLM's TPOT, so it is the TPOT row), ``request_latency`` in seconds (E2E); it pools no gaps, so
  there is no ITL row. One measurement per benchmark in the report (a sweep has several).
- llm-d Benchmark Report 0.2.x: ``results.request_performance.aggregate`` ``latency.time_to_first_token`` (TTFT),
  ``time_per_output_token`` (TPOT), ``inter_token_latency`` (ITL), ``request_latency`` (E2E), each in the units the
  report states (ms or s, ms/token or s/token); ``throughput`` (request, output and total token rates);
  ``requests`` (total, failures, incomplete, input and output lengths); ``scenario.load.standardized`` (rate_qps,
  concurrency; ``.inf`` is no limit); ``run.time`` (the day it ran); the inference engines of ``scenario.stack``
  (model name, accelerator model and count: the hardware). The format has no goodput. One measurement per report,
  recorded as measured by "llm-d Benchmark Report", version the report's ``version``.

An llm-d report is checked by that format's own validator, ``llmd_benchmark_report.load_benchmark_report`` (PyPI
``llmd-benchmark-report``, locks/llmd.txt), before anything is read from it. The validator runs in its own venv
(``.cache/venv-llmd``, ``make llmd-env``), as a subprocess, and not inside this project's .venv: the package imports
numpy at its top (``core.py``), which nothing here needs, and it could only enter .venv through pyproject.toml, so
the site's build would carry a numerical library to check one file format; its pydantic pin (``>=2.0``) would not
conflict today, but its next release could, and a separate lock keeps either side's upgrade from moving the other.
The subprocess gets the report as JSON on stdin, as this module parsed it (not the file: the validator's own YAML
reading would expand aliases and read timestamps differently, and this way it checks exactly what is recorded),
runs under ``python -I`` with a bare environment (PATH and a locale) and a timeout, and answers one line of JSON:
accepted, or the first error's field path and message. Only after it accepts does the strict reading below run.
A YAML report is parsed with the safe loader only (no tag runs code), and refused if it holds an alias (``*name``:
a few lines of aliases expand to gigabytes), nests deeper than ``MAX_YAML_DEPTH``, or holds a NaN or a value
that JSON has none for (binary, a set); a timestamp becomes its ISO 8601 text. ``.inf`` is allowed, where the
format uses it for no limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import yaml
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
    "expected a `vllm bench serve --save-result` JSON (num_prompts, completed, request_throughput, ...), a "
    "GuideLLM JSON report (metadata.guidellm_version, benchmarks) or an llm-d Benchmark Report 0.2 (version, run, "
    "results; YAML or JSON)"
)


GUIDE_HINT = "give the JSON report `guidellm run --output kind=json,path=...` wrote, unedited"

LLMD_TOOL: Final = "llm-d Benchmark Report"
#: The versions of the format read; the validator of locks/llmd.txt (0.2.1) reads both.
LLMD_VERSIONS = ("0.2", "0.2.1")
LLMD_HINT = "give the report llm-d-benchmark or `benchmark-report -b 0.2` (PyPI llmd-benchmark-report) wrote, unedited"
#: The venv `make llmd-env` creates from locks/llmd.txt, whose python runs the format's validator.
LLMD_PYTHON = Path(__file__).resolve().parents[1] / ".cache" / "venv-llmd" / "bin" / "python"
LLMD_TIMEOUT_S = 120
#: Mappings and lists in a YAML report nest no deeper (a real one: about 10).
MAX_YAML_DEPTH = 64
#: What runs in the validator's venv: the report as JSON on stdin, one line of JSON out.
LLMD_VALIDATE = """
import json, sys
from importlib.metadata import version
from llmd_benchmark_report import load_benchmark_report
from pydantic import ValidationError
verdict = {"validator": version("llmd-benchmark-report")}
try:
    load_benchmark_report(json.loads(sys.stdin.read()))
except ValidationError as exc:
    first = exc.errors(include_url=False, include_input=False)[0]
    verdict |= {"ok": False, "count": exc.error_count(), "loc": [str(p) for p in first["loc"]], "msg": first["msg"]}
except Exception as exc:
    verdict |= {"ok": False, "count": 1, "loc": [], "msg": f"{type(exc).__name__}: {exc}"}
else:
    verdict |= {"ok": True}
print(json.dumps(verdict))
"""


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


class _BrStatistics(_Read):
    """The format's `Statistics`: its own units, a mean and the percentiles the card shows."""

    units: str = Field(max_length=20)
    mean: float = Number
    p50: float | None = Field(default=None, ge=0)
    p90: float | None = Field(default=None, ge=0)
    p95: float | None = Field(default=None, ge=0)
    p99: float | None = Field(default=None, ge=0)


class _BrRequests(_Read):
    total: int = Count
    failures: int | None = Field(default=None, ge=0)
    incomplete: int | None = Field(default=None, ge=0)
    input_length: _BrStatistics | None = None
    output_length: _BrStatistics | None = None


class _BrLatency(_Read):
    time_to_first_token: _BrStatistics | None = None
    time_per_output_token: _BrStatistics | None = None
    inter_token_latency: _BrStatistics | None = None
    request_latency: _BrStatistics | None = None


class _BrThroughput(_Read):
    request_rate: _BrStatistics | None = None
    output_token_rate: _BrStatistics | None = None
    total_token_rate: _BrStatistics | None = None


class _BrAggregate(_Read):
    requests: _BrRequests
    latency: _BrLatency | None = None
    throughput: _BrThroughput | None = None


class _BrRequestPerformance(_Read):
    aggregate: _BrAggregate


class _BrResults(_Read):
    request_performance: _BrRequestPerformance


class _BrTime(_Read):
    start: str | None = Field(default=None, max_length=40)
    end: str | None = Field(default=None, max_length=40)


class _BrRun(_Read):
    time: _BrTime | None = None


class _BrLoadStandardized(_Read):
    rate_qps: float | None = Field(default=None, gt=0, allow_inf_nan=True)
    """Requests per second; `.inf` for as fast as the concurrency allows."""
    concurrency: float | None = Field(default=None, ge=1, allow_inf_nan=True)
    """A whole number, or `.inf` for no cap."""


class _BrLoad(_Read):
    standardized: _BrLoadStandardized


class _BrScenario(_Read):
    load: _BrLoad | None = None
    stack: list[dict[str, Any]] | None = Field(default=None, max_length=100)


class _BrEngineModel(_Read):
    name: str = Field(max_length=200)


class _BrAccelerator(_Read):
    model: str = Field(max_length=200)
    count: int = Count


class _BrEngine(_Read):
    """The `standardized` section of a stack component of kind `inference_engine`."""

    model: _BrEngineModel
    accelerator: _BrAccelerator


class LlmdReport(_Read):
    """The fields of an llm-d Benchmark Report 0.2.x that are recorded (llmd_benchmark_report/schema_v0_2.py), read
    only after the format's own validator accepted the report."""

    version: Literal["0.2", "0.2.1"]
    run: _BrRun
    scenario: _BrScenario | None = None
    results: _BrResults


# -- reading ---------------------------------------------------------------------------------------------------
class _Constant(ValueError):
    """NaN or an infinity, which JSON does not allow (Python's json writes them, and reads them back by default)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not a number JSON allows")
        self.name = name


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _infinity_only(name: str) -> float:
    if name != "Infinity":
        raise _Constant(name)
    return math.inf


#: The C parser where PyYAML has it (several times faster), as catalog/yaml_source.py reads the catalog.
_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_bytes(path: Path) -> bytes:
    try:
        if not path.exists():
            raise ReportError(f"{path}: no such file (hint: give the file the tool wrote)")
        if not path.is_file():
            raise ReportError(f"{path}: not a file (hint: give the file the tool wrote)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportError(f"{path}: larger than {MAX_REPORT_BYTES // 1024 // 1024} MiB (hint: {SIZE_HINT})")
    return raw


def _text(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not UTF-8 text: {exc.reason} (hint: give the file the tool wrote)") from None


def _parse_json(path: Path, raw: bytes) -> Any:
    text = _text(path, raw)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; RecursionError: deep nesting
        refused = exc
    if isinstance(refused, _Constant) and refused.name == "Infinity":
        # The llm-d format states no limit as infinity, which its export_json writes as `Infinity`.
        lenient = json.loads(text, parse_constant=_infinity_only)
        if detect(lenient) == LLMD_TOOL:
            return lenient
    what = "nested too deeply" if isinstance(refused, RecursionError) else str(refused)
    raise ReportError(f"{path}: not JSON: {what} (hint: {FORMATS_HINT})") from None


def _parse_yaml(path: Path, raw: bytes) -> Any:
    """A YAML report as JSON's values: safe loader only, no alias, at most ``MAX_YAML_DEPTH`` deep, no NaN."""
    text = _text(path, raw)
    try:
        # The parser keeps its own stack, the composer recurses (in C: a crash, not an error, on deep input), and
        # an alias can expand a few lines into gigabytes: both are refused on the events, before composing.
        depth = 0
        for event in yaml.parse(text, Loader=_YamlLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            if isinstance(event, yaml.AliasEvent):
                raise ReportError(
                    f"{path}: line {line}: an alias (*{event.anchor}) (hint: a report writes its values out; "
                    f"{LLMD_HINT})"
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise ReportError(f"{path}: line {line}: nested too deeply (hint: {LLMD_HINT})")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        data = yaml.load(text, Loader=_YamlLoader)  # the safe loader (C or Python): no tag constructs an object
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ReportError(f"{path}: not YAML{where}: {problem} (hint: {FORMATS_HINT})") from None
    return _plain(path, data, ())


def _plain(path: Path, value: Any, where: tuple[str, ...]) -> Any:
    """``value`` with YAML's dates as ISO text; ``ReportError`` for anything JSON has no value for."""
    if isinstance(value, dict):
        if bad := next((k for k in value if not isinstance(k, str)), None):
            raise ReportError(f"{path}: {'.'.join(where) or '(top)'}: key {bad!r} is not text (hint: {LLMD_HINT})")
        return {k: _plain(path, v, (*where, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(path, v, (*where, str(i))) for i, v in enumerate(value)]
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        raise ReportError(f"{path}: {'.'.join(where)}: NaN is not a number (hint: {LLMD_HINT})")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    names: dict[type, str] = {bytes: "binary data", set: "a set", tuple: "a pair"}
    what = names.get(type(value), type(value).__name__)
    raise ReportError(f"{path}: {'.'.join(where) or '(top)'}: {what} is not a report value (hint: {LLMD_HINT})")


def _read_data(path: Path) -> tuple[Any, str]:
    """The report's values and the sha256 of its bytes; ``ReportError`` for a file too large, unreadable or not
    JSON (or, named ``.yaml``/``.yml``, not YAML)."""
    raw = _read_bytes(path)
    yaml_file = path.suffix.lower() in (".yaml", ".yml")
    data = _parse_yaml(path, raw) if yaml_file else _parse_json(path, raw)
    return data, hashlib.sha256(raw).hexdigest()


def _validated(path: Path, model: type[_Read], data: Any, hint: str, at: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join([at, *(str(p) for p in error["loc"])] if at else [str(p) for p in error["loc"]])
        where = where or "(the whole file)"
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
    """Which tool wrote ``data``: ``vllm bench serve``, ``GuideLLM``, ``llm-d Benchmark Report``, or None."""
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and "guidellm_version" in metadata and "benchmarks" in data:
        return "GuideLLM"
    if {"num_prompts", "completed", "request_throughput"} <= data.keys():
        return "vllm bench serve"
    # 0.2: version, run, scenario, results; 0.1: version, scenario, metrics (refused with its own message).
    if "version" in data and {"run", "results", "scenario", "metrics"} & data.keys():
        return LLMD_TOOL
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


_UNPRINTABLE = re.compile(r"[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]")


def _shown(text: str, limit: int = 200) -> str:
    """Text from a report or its validator, safe in a terminal line: no control characters, at most ``limit``."""
    text = _UNPRINTABLE.sub("?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def llmd_validate(path: Path, data: Any) -> None:
    """Run the llm-d Benchmark Report's own validator (``make llmd-env``) on ``data``, the report as read from
    ``path``; ``ReportError`` with its first error's field and message when it refuses the report."""
    hint = f"run `make llmd-env`, which installs it from locks/llmd.txt into {LLMD_PYTHON.parents[1]}"
    if not LLMD_PYTHON.exists():
        raise ReportError(
            f"{path}: cannot check it: the llm-d Benchmark Report validator is not installed (hint: {hint})"
        )
    try:
        done = subprocess.run(
            [str(LLMD_PYTHON), "-I", "-c", LLMD_VALIDATE],
            input=json.dumps(data, allow_nan=True),
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
            cwd=LLMD_PYTHON.parents[1],
            capture_output=True,
            text=True,
            timeout=LLMD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReportError(
            f"{path}: the llm-d Benchmark Report validator took longer than {LLMD_TIMEOUT_S} s (hint: import a "
            "smaller report)"
        ) from None
    except OSError as exc:
        raise ReportError(
            f"{path}: cannot run the llm-d Benchmark Report validator: {exc.strerror} (hint: {hint})"
        ) from None
    try:
        verdict = json.loads(done.stdout.strip().splitlines()[-1])
        accepted = verdict["ok"] is True
        validator = f"llmd-benchmark-report {_shown(str(verdict['validator']), 40)}"
    except (IndexError, ValueError, KeyError, TypeError):
        said = _shown(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
        raise ReportError(f"{path}: the llm-d Benchmark Report validator failed: {said} (hint: {hint})") from None
    if accepted:
        return
    where = ".".join(_shown(str(p), 60) for p in verdict.get("loc") or []) or "(the whole file)"
    count = verdict.get("count")
    more = f" (and {count - 1} more)" if isinstance(count, int) and count > 1 else ""
    message = _shown(str(verdict.get("msg", "is not valid"))).removeprefix("Value error, ")
    raise ReportError(
        f"{path}: {where}: {message}{more} (hint: the format's validator, {validator}, refused it; {LLMD_HINT})"
    )


#: The format's latency fields and the card's row each is; then the factor to ms of each unit the format allows.
LLMD_LATENCY: tuple[tuple[str, ToolMetric], ...] = (
    ("time_to_first_token", "ttft"),
    ("time_per_output_token", "tpot"),
    ("inter_token_latency", "itl"),
    ("request_latency", "e2e"),
)
LLMD_TIME_UNITS = {"ttft": {"ms": 1.0, "s": 1000.0}, "e2e": {"ms": 1.0, "s": 1000.0}}
LLMD_PER_TOKEN_UNITS = {"ms/token": 1.0, "s/token": 1000.0}
LLMD_AGGREGATE = "results.request_performance.aggregate"


def _llmd_engines(path: Path, report: LlmdReport) -> tuple[str | None, str | None]:
    """The model name and the hardware line the report's inference engines state (``scenario.stack``)."""
    models: list[str] = []
    hardware: list[str] = []
    for index, component in enumerate((report.scenario.stack or []) if report.scenario else []):
        standardized = component.get("standardized")
        if not isinstance(standardized, dict) or standardized.get("kind") != "inference_engine":
            continue
        at = f"scenario.stack.{index}.standardized"
        engine: _BrEngine = _validated(path, _BrEngine, standardized, LLMD_HINT, at)
        if engine.model.name and engine.model.name not in models:
            models.append(engine.model.name)
        accelerator = engine.accelerator
        line = f"{accelerator.count}x {accelerator.model}" if accelerator.count else accelerator.model
        if accelerator.model and line not in hardware:
            hardware.append(line)
    return ", ".join(models) or None, " + ".join(hardware) or None


def _llmd_stats(path: Path, field: str, metric: ToolMetric, stats: _BrStatistics) -> ToolStats:
    units = LLMD_TIME_UNITS.get(metric, LLMD_PER_TOKEN_UNITS)
    scale = units.get(stats.units)
    if scale is None:
        raise ReportError(
            f"{path}: {LLMD_AGGREGATE}.latency.{field}.units: {_shown(stats.units, 20)!r} is not one of "
            f"{', '.join(units)} (hint: {LLMD_HINT})"
        )

    def ms(value: float | None) -> float | None:
        return None if value is None else value * scale

    return ToolStats(
        metric=metric,
        tool_metric=field,
        mean=ms(stats.mean),
        p50=ms(stats.p50),
        p90=ms(stats.p90),
        p95=ms(stats.p95),
        p99=ms(stats.p99),
    )


def _llmd_rate(path: Path, name: str, stats: _BrStatistics | None, units: str) -> float | None:
    if stats is None:
        return None
    if stats.units != units:
        raise ReportError(
            f"{path}: {LLMD_AGGREGATE}.throughput.{name}.units: {_shown(stats.units, 20)!r} is not {units} "
            f"(hint: {LLMD_HINT})"
        )
    return stats.mean


def _llmd_ran(path: Path, report: LlmdReport) -> tuple[dt.date, float | None]:
    """The day the run ended (or started), in the offset the report states it; and its duration where both are."""
    time = report.run.time or _BrTime()
    moments: dict[str, dt.datetime] = {}
    for name, text in (("start", time.start), ("end", time.end)):
        if text is None:
            continue
        try:
            moments[name] = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ReportError(
                f"{path}: run.time.{name}: {_shown(text, 40)!r} is not an ISO 8601 time (hint: {LLMD_HINT})"
            ) from None
    if not moments:
        raise ReportError(
            f"{path}: run.time: neither start nor end, so the day it ran is unknown (hint: {LLMD_HINT}; "
            "`benchmark-report -w vllm-benchmark` takes it from the result's date)"
        )
    ran = moments.get("end") or moments["start"]
    duration = None
    if len(moments) == 2 and (moments["start"].tzinfo is None) == (moments["end"].tzinfo is None):
        seconds = (moments["end"] - moments["start"]).total_seconds()
        duration = seconds if seconds >= 0 else None
    return ran.date(), duration


def _llmd(path: Path, data: Any, sha256: str, now: dt.datetime) -> list[ToolMeasurement]:
    version = data.get("version")
    if version not in LLMD_VERSIONS:
        raise ReportError(
            f"{path}: version: {_shown(repr(version), 40)} is not a version this command reads ("
            f"{', '.join(LLMD_VERSIONS)}) (hint: convert the tool's own output with `benchmark-report -b 0.2`)"
        )
    llmd_validate(path, data)
    report: LlmdReport = _validated(path, LlmdReport, data, LLMD_HINT)
    aggregate = report.results.request_performance.aggregate
    requests = aggregate.requests
    failed = (requests.failures or 0) + (requests.incomplete or 0)
    if failed > requests.total:
        raise ReportError(
            f"{path}: {LLMD_AGGREGATE}.requests: failures and incomplete add up to more than total: "
            f"{requests.total} (hint: {LLMD_HINT})"
        )
    completed = requests.total - failed
    if completed == 0:
        raise ReportError(
            f"{path}: {LLMD_AGGREGATE}.requests: no request completed, so nothing was measured (hint: {LLMD_HINT})"
        )
    ran_on, duration = _llmd_ran(path, report)
    latency = [
        _llmd_stats(path, field, metric, stats)
        for field, metric in LLMD_LATENCY
        if aggregate.latency is not None and (stats := getattr(aggregate.latency, field)) is not None
    ]
    if not latency:
        raise ReportError(
            f"{path}: {LLMD_AGGREGATE}.latency: no latency figure (time_to_first_token, request_latency, ...) "
            f"(hint: {LLMD_HINT})"
        )
    load = report.scenario.load.standardized if report.scenario and report.scenario.load else None
    rate = load.rate_qps if load and load.rate_qps is not None and math.isfinite(load.rate_qps) else None
    concurrency = load.concurrency if load and load.concurrency is not None else None
    if concurrency is not None and math.isfinite(concurrency) and not concurrency.is_integer():
        raise ReportError(
            f"{path}: scenario.load.standardized.concurrency: {concurrency} is not a whole number (hint: {LLMD_HINT})"
        )
    model, hardware = _llmd_engines(path, report)
    throughput = aggregate.throughput or _BrThroughput()

    def mean_count(stats: _BrStatistics | None) -> float | None:
        return stats.mean if stats is not None and stats.units == "count" else None

    measurement: ToolMeasurement = _measured(
        path,
        "scenario.stack",
        lambda: ToolMeasurement(
            tool=LLMD_TOOL,
            tool_version=report.version,
            ran_on=ran_on,
            imported_at=now,
            report_sha256=sha256,
            model=model,
            hardware=hardware,
            workload=ToolWorkload(
                requests=requests.total,
                completed=completed,
                failed=failed,
                concurrency=int(concurrency) if concurrency is not None and math.isfinite(concurrency) else None,
                request_rate=rate,
                profile=None,
                prompt_tokens=mean_count(requests.input_length),
                output_tokens=mean_count(requests.output_length),
                duration_s=duration,
            ),
            latency=latency,
            request_throughput=_llmd_rate(path, "request_rate", throughput.request_rate, "queries/s"),
            output_throughput=_llmd_rate(path, "output_token_rate", throughput.output_token_rate, "tokens/s"),
            total_token_throughput=_llmd_rate(path, "total_token_rate", throughput.total_token_rate, "tokens/s"),
        ),
    )
    return [measurement]


def read_report(path: Path, now: dt.datetime) -> list[ToolMeasurement]:
    """What a report measured, one ``ToolMeasurement`` per benchmark in it; ``ReportError`` says why not."""
    data, sha256 = _read_data(path)
    tool = detect(data)
    if tool is None:
        raise ReportError(f"{path}: not a report this command reads (hint: {FORMATS_HINT})")
    readers = {"vllm bench serve": _vllm, "GuideLLM": _guidellm, LLMD_TOOL: _llmd}
    found = readers[tool](path, data, sha256, now)
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
