"""``python -m probes import-report``: reports of `vllm bench serve`, GuideLLM and the llm-d Benchmark Report format as
evidence measured by that tool.

The parser tests read reports the real tools wrote (tests/fixtures/reports/, README there says how); the tests
marked ``vllm`` run both tools against the tiny vLLM on 127.0.0.1 and import what they wrote. Every report is
hostile input: the tests below feed it what a broken or malicious file holds, and check that the error names the
file, the field and a hint, and that the evidence file is left as it was.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.probe_accuracy import GUIDELLM, VLLM_CLI
from catalog import load_catalog
from catalog.evidence import EvidenceFile, ToolMeasurement, read_evidence_file
from catalog.evidence_folder import load_evidence
from catalog.verdicts import MEASURED_BY_TOOL_RULE, judge, rules_json
from hooks.render.deployment_card import render_deployment_card
from hooks.site_context import SiteContext
from probes import import_report as reports
from probes.cli import main
from probes.evidence import evidence_path
from probes.import_report import ReportError, carried_measurements, import_report, read_report
from probes.runner import run_probes
from testbed.tiny_model import VLLM_PYTHON
from testbed.vllm_server import VllmServer
from tests.probes.conftest import API_KEY, target_for

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
VLLM_REPORT = FIXTURES / "reports" / "vllm-bench-serve.json"
GUIDELLM_REPORT = FIXTURES / "reports" / "guidellm.json"
#: Converted from VLLM_REPORT by the format's own converter (tests/fixtures/reports/README.md).
LLMD_REPORT = FIXTURES / "reports" / "llmd-benchmark-report.yaml"
DEPLOYMENT = "coder-chat"
NOW = dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """The small catalog's evidence: coder-chat has a probe run with latency."""
    folder = tmp_path / "evidence"
    shutil.copytree(FIXTURES / "small-evidence", folder)
    return folder


def _stats(m: ToolMeasurement) -> dict[str, dict[str, Any]]:
    return {s.metric: s.model_dump(exclude={"metric"}) for s in m.latency}


def _report(tmp_path: Path, source: Path, change: Any) -> Path:
    if source.suffix == ".yaml":
        data = yaml.safe_load(source.read_text())
        change(data)
        path = tmp_path / "report.yaml"
        path.write_text(yaml.safe_dump(data))
        return path
    data = json.loads(source.read_text())
    change(data)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def llmd() -> None:
    """The llm-d Benchmark Report's own validator, which an llm-d report is checked by first."""
    if not reports.LLMD_PYTHON.exists():
        pytest.fail(f"{reports.LLMD_PYTHON} not found: run `make llmd-env`", pytrace=False)


# -- what each tool's report holds, read from reports the real tools wrote ------------------------------------------
def test_a_vllm_bench_serve_result_is_read_as_the_tool_reports_it() -> None:
    raw = json.loads(VLLM_REPORT.read_text())
    (m,) = read_report(VLLM_REPORT, NOW)
    assert (m.tool, m.tool_version, m.ran_on, m.model, m.hardware) == (
        "vllm bench serve",
        None,
        dt.date(2026, 12, 7),
        "tiny",
        None,
    ), "vllm bench serve writes no version and no hardware: none is made up"
    assert m.workload.model_dump() == {
        "requests": 8,
        "completed": 8,
        "failed": 0,
        "concurrency": 2,
        "request_rate": None,
        "profile": None,
        "prompt_tokens": raw["total_input_tokens"] / 8,
        "output_tokens": 16.0,
        "duration_s": raw["duration"],
    }
    assert _stats(m) == {
        metric: {
            "tool_metric": f"{name}_ms",
            "mean": raw[f"mean_{name}_ms"],
            "p50": raw[f"p50_{name}_ms"],
            "p90": None,
            "p95": raw[f"p95_{name}_ms"],
            "p99": raw[f"p99_{name}_ms"],
        }
        for metric, name in (("ttft", "ttft"), ("tpot", "tpot"), ("itl", "itl"), ("e2e", "e2el"))
    }
    assert (m.request_throughput, m.output_throughput, m.total_token_throughput, m.goodput_rps) == (
        raw["request_throughput"],
        raw["output_throughput"],
        raw["total_token_throughput"],
        raw["request_goodput"],
    )
    assert m.slo_attainment is None and m.imported_at == NOW
    written = m.model_dump_json()
    assert "<repo>" not in written and "tiny-model" not in written, "the tokenizer path is not copied"


def test_a_guidellm_report_is_read_with_its_metrics_named_as_guidellm_names_them() -> None:
    raw = json.loads(GUIDELLM_REPORT.read_text())
    bench = raw["benchmarks"][0]
    metrics = bench["metrics"]
    (m,) = read_report(GUIDELLM_REPORT, NOW)
    assert (m.tool, m.tool_version, m.ran_on, m.model, m.hardware) == (
        "GuideLLM",
        "0.8.1",
        dt.date(2026, 12, 7),
        None,
        None,
    )
    assert m.workload.model_dump() == {
        "requests": 8,
        "completed": 8,
        "failed": 0,
        "concurrency": 2,
        "request_rate": None,
        "profile": "concurrent",
        "prompt_tokens": 32.0,
        "output_tokens": 16.0,
        "duration_s": bench["duration"],
    }

    def summary(name: str, scale: float = 1.0) -> dict[str, Any]:
        s = metrics[name]["successful"]
        return {"tool_metric": name, "mean": s["mean"] * scale} | {
            p: s["percentiles"][p] * scale for p in ("p50", "p90", "p95", "p99")
        }

    # GuideLLM's inter-token latency is per request, (last - first) / (tokens - 1): vLLM's TPOT. It pools no gaps,
    # so there is no ITL; its request latency is in seconds.
    assert _stats(m) == {
        "ttft": summary("time_to_first_token_ms"),
        "tpot": summary("inter_token_latency_ms"),
        "e2e": summary("request_latency", 1000.0),
    }
    assert m.request_throughput == metrics["requests_per_second"]["successful"]["mean"]
    assert m.output_throughput == metrics["output_tokens_per_second"]["successful"]["mean"]
    assert (m.goodput_rps, m.slo_attainment) == (None, None), "no objectives were given"
    written = m.model_dump_json()
    assert "127.0.0.1" not in written and "**********" not in written and "tiny-model" not in written


def test_each_benchmark_of_a_sweep_is_one_measurement_and_goodput_is_read_where_present(tmp_path: Path) -> None:
    def sweep(data: dict[str, Any]) -> None:
        second = json.loads(json.dumps(data["benchmarks"][0]))
        second["config"]["strategy"] = {"type_": "constant", "rate": 4.0}
        metrics = second["metrics"]
        metrics["slo_attainment"] = 0.75
        metrics["request_goodput"] = {"successful": {**metrics["requests_per_second"]["successful"], "mean": 3.0}}
        data["benchmarks"].append(second)

    first, second = read_report(_report(tmp_path, GUIDELLM_REPORT, sweep), NOW)
    assert (first.workload.profile, first.workload.concurrency, first.goodput_rps) == ("concurrent", 2, None)
    assert (second.workload.profile, second.workload.concurrency, second.workload.request_rate) == (
        "constant",
        None,
        4.0,
    )
    assert (second.goodput_rps, second.slo_attainment) == (3.0, 0.75)


def test_the_version_and_hardware_vllm_does_not_write_come_from_its_metadata(tmp_path: Path) -> None:
    def stated(data: dict[str, Any]) -> None:
        data |= {"vllm_version": "0.32.0", "hardware": "1x L4 24 GB"}

    (m,) = read_report(_report(tmp_path, VLLM_REPORT, stated), NOW)
    assert (m.tool_version, m.hardware) == ("0.32.0", "1x L4 24 GB")


# -- into the evidence: beside the probe's run, never as it ------------------------------------------------------------
def test_an_import_keeps_the_probe_run_and_replaces_only_an_earlier_import_of_the_same_report(evidence: Path) -> None:
    path = evidence / f"{DEPLOYMENT}.json"
    before = read_evidence_file(path)
    found, written = import_report(VLLM_REPORT, DEPLOYMENT, evidence, NOW)
    assert written == path
    after = read_evidence_file(path)
    assert after.model_dump(exclude={"measured"}) == before.model_dump(exclude={"measured"}), "the probe run is kept"
    assert after.measured == found
    import_report(GUIDELLM_REPORT, DEPLOYMENT, evidence, NOW)
    later = NOW + dt.timedelta(hours=1)
    import_report(VLLM_REPORT, DEPLOYMENT, evidence, later)
    measured = read_evidence_file(path).measured
    assert [(m.tool, m.imported_at) for m in measured] == [("vllm bench serve", later), ("GuideLLM", NOW)]
    assert not list(evidence.glob(".*.tmp")), "written atomically, nothing left behind"


def test_a_probe_run_can_carry_the_imports_into_the_file_it_writes(evidence: Path) -> None:
    assert carried_measurements(evidence, DEPLOYMENT) == []
    found, _ = import_report(VLLM_REPORT, DEPLOYMENT, evidence, NOW)
    assert carried_measurements(evidence, DEPLOYMENT) == found
    assert carried_measurements(evidence, "old-llama") == [], "no file"
    (evidence / "old-llama.json").write_text("{")
    assert carried_measurements(evidence, "old-llama") == [], "an unreadable file"


def test_a_file_without_imports_keeps_its_shape(evidence: Path) -> None:
    text = (evidence / f"{DEPLOYMENT}.json").read_text()
    assert '"measured"' not in text
    assert '"measured"' not in EvidenceFile.model_validate_json(text).model_dump_json()


def test_imported_latency_is_shown_under_the_tools_name_and_changes_no_claim(evidence: Path) -> None:
    catalog = load_catalog(FIXTURES / "small-catalog")

    def context() -> SiteContext:
        found = load_evidence(evidence, today=NOW.date())
        return SiteContext(catalog=catalog, evidence=found, today=NOW.date(), repo_root=REPO)

    deployment = catalog.deployments[DEPLOYMENT]
    before = context()
    verdict = judge(DEPLOYMENT, deployment, before.evidence, NOW.date())
    import_report(VLLM_REPORT, DEPLOYMENT, evidence, NOW)
    import_report(GUIDELLM_REPORT, DEPLOYMENT, evidence, NOW)
    after = context()
    assert judge(DEPLOYMENT, deployment, after.evidence, NOW.date()) == verdict, "no claim's state changes"
    card = render_deployment_card(after, DEPLOYMENT)
    assert (
        "**Measured by vllm bench serve (version not recorded), 2026-12-07** (imported, not our probe's result)" in card
    )
    assert "**Measured by GuideLLM (0.8.1), 2026-12-07** (imported, not our probe's result)" in card
    assert "| TPOT (`inter_token_latency_ms`) |" in card and "| ITL (`itl_ms`) |" in card
    assert "8 requests (8 completed, 0 failed); concurrency 2; no rate limit" in card
    assert "hardware not stated in the report" in card
    assert "goodput 22.04 requests/s within the run's objectives" in card
    assert MEASURED_BY_TOOL_RULE in card
    assert "reported" not in card.split("**Measured by", 1)[1].split("| Eval |", 1)[0], "never as reported prose"
    assert render_deployment_card(before, DEPLOYMENT).count("Measured by") == 0
    assert rules_json()["measured_by_tool"] == MEASURED_BY_TOOL_RULE


# -- hostile reports: refused with the file, the field and a hint; the evidence left as it was ------------------------
def _set(key: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[key] = value

    return change


@pytest.mark.parametrize(
    ("source", "change", "problem"),
    [
        pytest.param(VLLM_REPORT, _set("completed", "8"), "completed: must be a whole number", id="string-for-number"),
        pytest.param(
            VLLM_REPORT, _set("completed", 0), "completed: 0, so nothing was measured", id="nothing-completed"
        ),
        pytest.param(VLLM_REPORT, _set("completed", 9), "add up to more than num_prompts: 8", id="more-than-sent"),
        pytest.param(VLLM_REPORT, _set("duration", -1), "duration: must be 0 or more", id="negative"),
        pytest.param(
            VLLM_REPORT, _set("p95_ttft_ms", "fast"), "p95_ttft_ms: 'fast' is not a time in ms", id="bad-percentile"
        ),
        pytest.param(
            VLLM_REPORT, _set("p95_ttft_ms", -3.0), "p95_ttft_ms: -3.0 is not a time in ms", id="negative-percentile"
        ),
        pytest.param(VLLM_REPORT, _set("date", "yesterday"), "date: does not match the pattern", id="bad-date"),
        pytest.param(
            VLLM_REPORT, _set("date", "20261399-000000"), "date: '20261399-000000' is not a date", id="no-such-day"
        ),
        pytest.param(VLLM_REPORT, _set("date", "20270101-000000"), "dated 2027-01-01, after today", id="future"),
        pytest.param(
            VLLM_REPORT,
            _set("model_id", "http://10.0.0.5:8000/v1"),
            "model_id or hardware (model): must not hold a URL",
            id="url-as-model",
        ),
        pytest.param(
            VLLM_REPORT,
            _set("hardware", "sk-live-123"),
            "model_id or hardware (hardware): looks like it holds a key",
            id="key-as-hardware",
        ),
        pytest.param(
            GUIDELLM_REPORT,
            lambda d: d["benchmarks"][0]["metrics"]["request_totals"].update(successful=0),
            "benchmarks.0.metrics.request_totals.successful: 0",
            id="guidellm-nothing",
        ),
        pytest.param(
            GUIDELLM_REPORT,
            lambda d: d["benchmarks"][0]["metrics"].pop("time_to_first_token_ms"),
            "benchmarks.0.metrics.time_to_first_token_ms: Field required",
            id="guidellm-missing-metric",
        ),
        pytest.param(
            GUIDELLM_REPORT,
            lambda d: d["metadata"].update(guidellm_version="0.8.1<script>"),
            "metadata.guidellm_version: '0.8.1<script>' is not a version",
            id="guidellm-version-markup",
        ),
        pytest.param(
            GUIDELLM_REPORT,
            lambda d: d.update(benchmarks=d["benchmarks"] * 13),
            "benchmarks: must hold at most 12 item(s)",
            id="guidellm-too-many",
        ),
    ],
)
def test_a_bad_report_is_refused_naming_the_file_the_field_and_a_hint(
    tmp_path: Path, evidence: Path, source: Path, change: Any, problem: str
) -> None:
    bad = _report(tmp_path, source, change)
    path = evidence / f"{DEPLOYMENT}.json"
    before = path.read_bytes()
    with pytest.raises(ReportError) as caught:
        import_report(bad, DEPLOYMENT, evidence, NOW)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ") and problem in message and "(hint: " in message, message
    assert path.read_bytes() == before, "nothing half-written"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b'{"num_prompts": NaN}', "not JSON: NaN is not a number JSON allows", id="nan"),
        pytest.param(b'{"x": Infinity}', "not JSON: Infinity is not a number JSON allows", id="infinity"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deeply", id="deep"),
        pytest.param(b"\xff\xfe", "not UTF-8 text", id="binary"),
        pytest.param(b"{,}", "not JSON: Expecting property name", id="broken"),
        pytest.param(b"[1, 2]", "not a report this command reads", id="a-list"),
        pytest.param(b'{"benchmarks": []}', "not a report this command reads", id="no-metadata"),
        pytest.param(b'{"inputSpec": {}, "version": "0.2"}', "or an llm-d Benchmark Report 0.2", id="not-llm-d"),
    ],
)
def test_what_is_not_a_report_is_refused(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(content)
    with pytest.raises(ReportError) as caught:
        read_report(path, NOW)
    assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value)
    assert "(hint: " in str(caught.value)


def test_a_report_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "MAX_REPORT_BYTES", 1024 * 1024)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(ReportError, match=r"big.json: larger than 1 MiB \(hint: import the report of a shorter run"):
        read_report(big, NOW)
    with pytest.raises(ReportError, match="not a file"):
        read_report(tmp_path, NOW)
    with pytest.raises(ReportError, match=r"missing\.json: no such file"):
        read_report(tmp_path / "missing.json", NOW)


def test_a_deployment_without_probe_evidence_or_with_a_bad_id_is_refused(evidence: Path) -> None:
    with pytest.raises(
        ReportError, match=r"no probe evidence for old-llama yet \(hint: run `python -m probes run --only old-llama`"
    ):
        import_report(VLLM_REPORT, "old-llama", evidence, NOW)
    with pytest.raises(ReportError, match=r"--deployment: '\.\./coder-chat' is not a deployment id"):
        import_report(VLLM_REPORT, "../coder-chat", evidence, NOW)
    assert not (evidence / "old-llama.json").exists()


def test_the_command_line(evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import-report", str(GUIDELLM_REPORT), "--deployment", DEPLOYMENT, "--evidence", str(evidence)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "GuideLLM (0.8.1), ran 2026-12-07: 8 of 8 requests completed" in out
    assert f"recorded as measured by GuideLLM in {evidence}/{DEPLOYMENT}.json" in out
    bad = _report(tmp_path, VLLM_REPORT, _set("completed", "8"))
    assert main([*args[:1], str(bad), *args[2:]]) == 3
    assert capsys.readouterr().err.startswith(f"python -m probes import-report: error: {bad}: completed: ")


# -- the llm-d Benchmark Report: its own validator first, then the same record ----------------------------------------
def _aggregate(data: dict[str, Any]) -> dict[str, Any]:
    aggregate: dict[str, Any] = data["results"]["request_performance"]["aggregate"]
    return aggregate


def _engine(name: str, accelerator: str, count: int) -> dict[str, Any]:
    """One `scenario.stack` component of kind inference_engine, as the format's README example writes it."""
    return {
        "metadata": {"schema_version": "0.0.1", "label": "vllm-svc-0", "cfg_id": "cc73fc6b51a1d3b8128f312d70476d7c"},
        "standardized": {
            "kind": "inference_engine",
            "tool": "vllm",
            "tool_version": "0.11.0",
            "role": "replica",
            "replicas": 1,
            "model": {"name": name},
            "accelerator": {"model": accelerator, "count": count, "parallelism": {"tp": count}},
        },
        "native": {},
    }


def _stack(*components: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["scenario"]["stack"] = list(components)

    return change


@pytest.mark.usefixtures("llmd")
def test_an_llmd_benchmark_report_is_read_as_the_format_states_it() -> None:
    """The fixture is the format's converter's output for VLLM_REPORT: the same numbers come out under the format's
    names, and what the format has no field for (goodput) or the converter did not know (model, hardware) is none."""
    raw = json.loads(VLLM_REPORT.read_text())
    converted = yaml.safe_load(LLMD_REPORT.read_text())
    (m,) = read_report(LLMD_REPORT, NOW)
    assert (m.tool, m.tool_version, m.ran_on, m.model, m.hardware) == (
        "llm-d Benchmark Report",
        "0.2.1",
        dt.date(2026, 12, 7),
        None,
        None,
    )
    assert m.workload.model_dump() == {
        "requests": 8,
        "completed": 8,
        "failed": 0,
        "concurrency": 2,
        "request_rate": None,
        "profile": None,
        "prompt_tokens": raw["total_input_tokens"] / 8,
        "output_tokens": 16.0,
        "duration_s": None,
    }, "rate_qps: .inf is no rate limit; only the end time is stated, so no duration"
    assert _stats(m) == {
        metric: {
            "tool_metric": field,
            "mean": raw[f"mean_{name}_ms"],
            "p50": raw[f"p50_{name}_ms"],
            "p90": None,
            "p95": raw[f"p95_{name}_ms"],
            "p99": raw[f"p99_{name}_ms"],
        }
        for metric, field, name in (
            ("ttft", "time_to_first_token", "ttft"),
            ("tpot", "time_per_output_token", "tpot"),
            ("itl", "inter_token_latency", "itl"),
            ("e2e", "request_latency", "e2el"),
        )
    }
    assert (m.request_throughput, m.output_throughput, m.total_token_throughput) == (
        raw["request_throughput"],
        raw["output_throughput"],
        raw["total_token_throughput"],
    )
    assert (m.goodput_rps, m.slo_attainment) == (None, None), "the format has no goodput"
    assert converted["run"]["uid"] not in m.model_dump_json(), "nothing but names and numbers is copied"


@pytest.mark.usefixtures("llmd")
def test_the_fixture_is_what_the_formats_converter_writes(tmp_path: Path) -> None:
    """tests/fixtures/reports/README.md's command, run again: the same report but for its random run.uid."""
    shutil.copy(VLLM_REPORT, tmp_path / VLLM_REPORT.name)
    converter = reports.LLMD_PYTHON.parent / "benchmark-report"
    argv = [str(converter), "-w", "vllm-benchmark", "-b", "0.2", VLLM_REPORT.name, "converted.yaml"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TZ": "UTC"}
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    converted = yaml.safe_load((tmp_path / "converted.yaml").read_text())
    fixture = yaml.safe_load(LLMD_REPORT.read_text())
    assert converted["run"].pop("uid") != fixture["run"].pop("uid")
    assert converted == fixture
    (new,) = read_report(tmp_path / "converted.yaml", NOW)
    (old,) = read_report(LLMD_REPORT, NOW)
    assert new.model_dump(exclude={"report_sha256"}) == old.model_dump(exclude={"report_sha256"})


@pytest.mark.usefixtures("llmd")
def test_an_llmd_report_in_json_seconds_and_a_stack_reads_the_same(tmp_path: Path) -> None:
    """export_json writes no limit as `Infinity`; inference-perf states latency in s and s/token; the stack's
    inference engines give the model and the hardware."""
    (base,) = read_report(LLMD_REPORT, NOW)
    data = yaml.safe_load(LLMD_REPORT.read_text())
    latency = _aggregate(data)["latency"]
    for stats in latency.values():
        stats["units"] = "s/token" if stats["units"] == "ms/token" else "s"
        for key in ("mean", "p50", "p95", "p99", "stddev"):
            stats[key] /= 1000
    data["scenario"]["stack"] = [_engine("Qwen/Qwen3-0.6B", "NVIDIA-L4", 2), _engine("Qwen/Qwen3-0.6B", "", 0)]
    data["run"]["time"]["start"] = "2026-12-07T23:42:30Z"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    assert "Infinity" in path.read_text()
    (m,) = read_report(path, NOW)
    assert (m.model, m.hardware, m.workload.request_rate, m.workload.duration_s) == (
        "Qwen/Qwen3-0.6B",
        "2x NVIDIA-L4",
        None,
        10.0,
    )
    for got, want in zip(m.latency, base.latency, strict=True):
        assert (got.metric, got.tool_metric) == (want.metric, want.tool_metric)
        assert [got.mean, got.p50, got.p95, got.p99] == pytest.approx([want.mean, want.p50, want.p95, want.p99])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda d: _aggregate(d)["latency"].update(queue_time={"units": "ms", "mean": 1.0}),
            "results.request_performance.aggregate.latency.queue_time: Extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            lambda d: _aggregate(d)["latency"]["time_to_first_token"].update(units="tokens/s"),
            'results.request_performance.aggregate.latency: Invalid units "tokens/s", must be one of: ms s',
            id="wrong-units",
        ),
        pytest.param(lambda d: d["run"].pop("uid"), "run.uid: Field required", id="no-uid"),
        pytest.param(
            lambda d: _aggregate(d)["latency"]["request_latency"].update(mean="fast"),
            "results.request_performance.aggregate.latency.request_latency.mean: Input should be a valid number",
            id="not-a-number",
        ),
    ],
)
@pytest.mark.usefixtures("llmd")
def test_a_report_the_formats_validator_refuses_is_refused_with_its_message(
    tmp_path: Path, evidence: Path, change: Any, problem: str
) -> None:
    bad = _report(tmp_path, LLMD_REPORT, change)
    path = evidence / f"{DEPLOYMENT}.json"
    before = path.read_bytes()
    with pytest.raises(ReportError) as caught:
        import_report(bad, DEPLOYMENT, evidence, NOW)
    message = str(caught.value)
    assert message.startswith(f"{bad}: {problem}"), message
    assert "(hint: the format's validator, llmd-benchmark-report 0.2.1, refused it; " in message
    assert path.read_bytes() == before, "nothing half-written"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda d: _aggregate(d)["requests"].update(total="8"),
            "results.request_performance.aggregate.requests.total: must be a whole number",
            id="string-for-number",
        ),
        pytest.param(
            lambda d: _aggregate(d)["requests"].update(failures=8),
            "results.request_performance.aggregate.requests: no request completed, so nothing was measured",
            id="nothing-completed",
        ),
        pytest.param(
            lambda d: _aggregate(d)["latency"]["time_to_first_token"].update(p95=-1.0),
            "results.request_performance.aggregate.latency.time_to_first_token.p95: must be 0 or more",
            id="negative",
        ),
        pytest.param(lambda d: d.update(version="0.1"), "version: '0.1' is not a version this command reads", id="0.1"),
        pytest.param(
            lambda d: d["run"].pop("time"),
            "run.time: neither start nor end, so the day it ran is unknown",
            id="no-date",
        ),
        pytest.param(
            lambda d: d["run"]["time"].update(end="2027-01-01T00:00:00Z"), "dated 2027-01-01, after today", id="future"
        ),
        pytest.param(
            _stack(_engine("http://10.0.0.5:8000/v1", "NVIDIA-L4", 1)),
            "scenario.stack (model): must not hold a URL or an address",
            id="url-as-model",
        ),
        pytest.param(
            _stack(_engine("tiny", "sk-live-123", 1)),
            "scenario.stack (hardware): looks like it holds a key",
            id="key-as-hardware",
        ),
    ],
)
@pytest.mark.usefixtures("llmd")
def test_a_bad_llmd_report_is_refused_naming_the_file_the_field_and_a_hint(
    tmp_path: Path, evidence: Path, change: Any, problem: str
) -> None:
    bad = _report(tmp_path, LLMD_REPORT, change)
    path = evidence / f"{DEPLOYMENT}.json"
    before = path.read_bytes()
    with pytest.raises(ReportError) as caught:
        import_report(bad, DEPLOYMENT, evidence, NOW)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ") and problem in message and "(hint: " in message, message
    assert path.read_bytes() == before, "nothing half-written"


@pytest.mark.usefixtures("llmd")
def test_only_names_and_numbers_of_an_llmd_report_are_copied(tmp_path: Path, evidence: Path) -> None:
    """The run's description, the harness's arguments and a component's native settings may hold addresses and
    keys; none of them enters the evidence."""
    secret = "https://user:sk-live-123@10.0.0.5:8000/v1"

    def leaky(data: dict[str, Any]) -> None:
        data["run"] |= {"description": secret, "user": "namespace=prod", "keywords": [secret]}
        data["scenario"]["load"]["native"] = {"args": {"base-url": secret}, "envars": {"OPENAI_API_KEY": "sk-x"}}
        data["scenario"]["stack"] = [_engine("tiny", "NVIDIA-L4", 1)]
        data["scenario"]["stack"][0]["native"] = {"args": {"api-key": "sk-x"}, "config": {"url": secret}}

    found, path = import_report(_report(tmp_path, LLMD_REPORT, leaky), DEPLOYMENT, evidence, NOW)
    written = path.read_text()
    for leak in ("10.0.0.5", "sk-live", "sk-x", "namespace=prod"):
        assert leak not in written, leak
    assert (found[0].model, found[0].hardware) == ("tiny", "1x NVIDIA-L4")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("a: &x [1, 2]\nb: *x\n", "line 2: an alias (*x)", id="alias"),
        pytest.param("version: '0.2'\nrun: &a [*a]\n", "line 2: an alias (*a)", id="self-alias"),
        pytest.param("version: '0.2'\nrun: " + "[" * 100 + "]" * 100 + "\n", "line 2: nested too deeply", id="deep"),
        pytest.param("version: '0.2'\nrun: " + "[" * 100_000 + "\n", "not YAML at line 2", id="deeper"),
        pytest.param("version: '0.2'\nrun: .nan\n", "run: NaN is not a number", id="nan"),
        pytest.param("version: '0.2'\nrun: !!binary aGk=\n", "run: binary data is not a report value", id="binary"),
        pytest.param("version: '0.2'\nrun: {1: 2}\n", "run: key 1 is not text", id="number-key"),
        pytest.param("version: '0.2'\nrun: [\n", "not YAML at line 3", id="broken"),
        pytest.param("- 1\n- 2\n", "not a report this command reads", id="a-list"),
        pytest.param("version: '0.2'\n---\nversion: '0.2'\n", "not YAML", id="two-documents"),
        pytest.param("version: 0.2\nrun: {}\nresults: {}\n", "version: 0.2 is not a version", id="unquoted-version"),
    ],
)
def test_what_is_not_a_yaml_report_is_refused_before_anything_reads_it(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "report.yaml"
    path.write_text(content)
    with pytest.raises(ReportError) as caught:
        read_report(path, NOW)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and problem in message and "(hint: " in message, message


def test_no_tag_of_a_yaml_report_runs_code(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    path = tmp_path / "report.yaml"
    path.write_text(f"version: '0.2'\nrun: !!python/object/apply:os.system ['touch {ran}']\nresults: {{}}\n")
    with pytest.raises(ReportError, match=r"not YAML at line 2: could not determine a constructor for the tag"):
        read_report(path, NOW)
    assert not ran.exists()


def test_an_oversize_llmd_report_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "MAX_REPORT_BYTES", 1024 * 1024)
    big = tmp_path / "big.yaml"
    big.write_bytes(LLMD_REPORT.read_bytes() + b"#" * (1024 * 1024))
    with pytest.raises(ReportError, match=r"big.yaml: larger than 1 MiB \(hint: import the report of a shorter run"):
        read_report(big, NOW)


def test_an_llmd_report_is_not_read_without_its_validator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "LLMD_PYTHON", tmp_path / "venv-llmd" / "bin" / "python")
    with pytest.raises(ReportError) as caught:
        read_report(LLMD_REPORT, NOW)
    assert str(caught.value) == (
        f"{LLMD_REPORT}: cannot check it: the llm-d Benchmark Report validator is not installed (hint: run "
        f"`make llmd-env`, which installs it from locks/llmd.txt into {tmp_path / 'venv-llmd'})"
    )


@pytest.mark.usefixtures("llmd")
def test_an_llmd_report_is_shown_under_the_formats_name(evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["import-report", str(LLMD_REPORT), "--deployment", DEPLOYMENT, "--evidence", str(evidence)]
    assert main(args) == 0
    assert "llm-d Benchmark Report (0.2.1), ran 2026-12-07: 8 of 8 requests completed" in capsys.readouterr().out
    ctx = SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=load_evidence(evidence, today=NOW.date()),
        today=NOW.date(),
        repo_root=REPO,
    )
    card = render_deployment_card(ctx, DEPLOYMENT)
    assert "**Measured by llm-d Benchmark Report (0.2.1), 2026-12-07** (imported, not our probe's result)" in card
    assert "| TTFT (`time_to_first_token`) |" in card and "| ITL (`inter_token_latency`) |" in card


# -- the real tools against the tiny vLLM ---------------------------------------------------------------------------
def _run_tool(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _imported(report: Path, evidence: Path) -> ToolMeasurement:
    text = report.read_text()
    assert API_KEY not in text
    found, path = import_report(report, DEPLOYMENT, evidence, dt.datetime.now(dt.UTC))
    written = path.read_text()
    for leak in (API_KEY, "127.0.0.1", str(REPO)):
        assert leak not in written, f"{leak} copied from the report"
    (m,) = found
    return m


@pytest.mark.vllm
def test_a_real_vllm_bench_serve_report_enters_as_evidence_measured_by_it(
    vllm_server: VllmServer, evidence: Path, tmp_path: Path
) -> None:
    report = tmp_path / "vllm-bench.json"
    # fmt: off
    argv = [
        str(VLLM_PYTHON), "-c", VLLM_CLI, "bench", "serve", "--backend", "openai", "--base-url", vllm_server.root_url,
        "--endpoint", "/v1/completions", "--model", vllm_server.served_name, "--tokenizer", str(vllm_server.model_dir),
        "--dataset-name", "random", "--random-input-len", "24", "--random-output-len", "8", "--ignore-eos",
        "--num-prompts", "4", "--max-concurrency", "2", "--seed", "1", "--percentile-metrics", "ttft,tpot,itl,e2el",
        "--metric-percentiles", "50,95,99", "--goodput", "ttft:5000", "--disable-tqdm", "--save-result",
        "--metadata", "hardware=2 CPU cores (test machine)", "--result-dir", str(tmp_path), "--result-filename", report.name,
    ]
    # fmt: on
    _run_tool(argv, {"OPENAI_API_KEY": API_KEY}, tmp_path)
    m = _imported(report, evidence)
    assert (m.tool, m.tool_version, m.model, m.hardware) == (
        "vllm bench serve",
        None,
        "tiny",
        "2 CPU cores (test machine)",
    )
    assert (m.workload.requests, m.workload.completed, m.workload.concurrency) == (4, 4, 2)
    assert m.workload.output_tokens == 8.0
    assert [s.metric for s in m.latency] == ["ttft", "tpot", "itl", "e2e"]
    assert all(s.p50 is not None and s.p95 is not None and s.p99 is not None for s in m.latency)
    assert m.goodput_rps is not None and m.request_throughput is not None
    # The next probe run of the deployment writes a new evidence file, and keeps what the tool measured in it.
    only = {"endpoints": frozenset({"chat"}), "capabilities": frozenset(), "served_context": None}
    target = target_for(vllm_server.base_url, DEPLOYMENT, **only)
    summary = asyncio.run(run_probes([target], evidence_dir=evidence, concurrency=1, workload=None, suites=[]))
    (result,) = summary.results
    assert result.evidence is not None and result.evidence.run_id != "2026-11-20T10:00:00Z"
    kept = read_evidence_file(evidence_path(evidence, DEPLOYMENT))
    assert kept.run_id == result.evidence.run_id, "a new probe run's file"
    assert [(k.tool, k.report_sha256) for k in kept.measured] == [(m.tool, m.report_sha256)], (
        "with the import carried into it"
    )


@pytest.mark.vllm
def test_a_real_guidellm_report_enters_as_evidence_measured_by_it(
    vllm_server: VllmServer, evidence: Path, tmp_path: Path
) -> None:
    if not GUIDELLM.exists():
        pytest.fail(f"{GUIDELLM} not found: run `make guidellm-env`", pytrace=False)
    report = tmp_path / "guidellm.json"
    backend = (
        f"kind=openai_http,target={vllm_server.root_url},model={vllm_server.served_name},"
        f"request_format=/v1/completions,api_key={API_KEY}"
    )
    # fmt: off
    argv = [
        str(GUIDELLM), "run", "--backend", backend, "--profile", "kind=concurrent,streams=2",
        "--constraint", "kind=max_requests,count=4", "--data", "kind=synthetic_text,prompt_tokens=24,output_tokens=8",
        "--tokenizer", f"kind=huggingface_auto,model={vllm_server.model_dir}", "--output", f"kind=json,path={report}",
        "--disable-console-interactive",
    ]
    # fmt: on
    _run_tool(argv, {}, tmp_path)
    m = _imported(report, evidence)
    assert (m.tool, m.model, m.hardware, m.workload.profile) == ("GuideLLM", None, None, "concurrent")
    locked = re.search(r"(?m)^guidellm==(\S+)", (REPO / "locks" / "guidellm.txt").read_text())
    assert locked is not None and m.tool_version == locked[1], "the version GuideLLM wrote into its report"
    assert (m.workload.requests, m.workload.completed, m.workload.concurrency) == (4, 4, 2)
    assert (m.workload.prompt_tokens, m.workload.output_tokens) == (24.0, 8.0)
    assert [s.metric for s in m.latency] == ["ttft", "tpot", "e2e"]


def test_text_from_a_report_is_shown_inert_on_the_card(evidence: Path, tmp_path: Path) -> None:
    """A model name and a hardware line are the only text copied; markup in them shows as text."""
    payload = "<img src=x onerror=alert(1)>"

    def hostile(data: dict[str, Any]) -> None:
        data |= {"model_id": f"tiny{payload}", "hardware": f"`L4` | {payload}"}

    import_report(_report(tmp_path, VLLM_REPORT, hostile), DEPLOYMENT, evidence, NOW)
    ctx = SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=load_evidence(evidence, today=NOW.date()),
        today=NOW.date(),
        repo_root=REPO,
    )
    card = render_deployment_card(ctx, DEPLOYMENT)
    assert "<img" not in card and "&lt;img src=x onerror=alert(1)&gt;" in card
