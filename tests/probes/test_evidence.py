"""Evidence files: exact shape, atomic replacement, and a history that survives a torn write."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from probes import evidence as ev
from probes.evidence import (
    DeploymentEvidence,
    EvalResult,
    Record,
    append_history,
    history_lines,
    read_history,
    write_evidence,
)


def _evidence() -> DeploymentEvidence:
    return DeploymentEvidence(
        deployment="coder-chat",
        run_id="2026-11-23T01:30:00Z",
        started_at="2026-11-23T01:30:00Z",
        finished_at="2026-11-23T01:30:41Z",
        server_version="vllm-0.32.0-e5a339f3",
        max_model_len=1024,
        records=[
            Record("endpoint:chat", "pass", "2026-11-23T01:30:02Z", duration_ms=12.345),
            Record("endpoint:embeddings", "fail", "2026-11-23T01:30:03Z", reason="HTTP 404 from POST /v1/embeddings"),
            Record(
                "latency",
                "info",
                "2026-11-23T01:30:20Z",
                value=30.2,
                unit="ms",
                workload={"requests": 2, "prompt_tokens": 8, "output_tokens": 4, "concurrency": 1},
            ),
        ],
        latency=None,
        evals=[EvalResult("json-format", "1", 10, 0.3, 0.7, "2026-11-23T01:30:30Z")],
    )


def test_evidence_file_has_the_documented_shape(tmp_path: Path) -> None:
    path = write_evidence(tmp_path, _evidence())
    text = path.read_text()
    assert path.name == "coder-chat.json"
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    data = json.loads(text)
    assert set(data) == {
        "schema_version",
        "deployment",
        "run_id",
        "started_at",
        "finished_at",
        "server",
        "records",
        "latency",
        "evals",
    }
    assert data["schema_version"] == 1
    assert data["server"] == {"version": "vllm-0.32.0-e5a339f3", "max_model_len": 1024}
    chat, embeddings, latency = data["records"]
    assert set(chat) == {
        "claim",
        "status",
        "verified",
        "date",
        "source",
        "reason",
        "value",
        "unit",
        "workload",
        "duration_ms",
    }
    assert chat["verified"] is True and chat["duration_ms"] == 12.3
    assert embeddings["verified"] is False and embeddings["reason"].startswith("HTTP 404")
    assert latency["verified"] is False, "info is not a verified claim"
    assert data["evals"] == [
        {
            "task": "json-format",
            "version": "1",
            "n": 10,
            "score": 0.3,
            "gate": 0.7,
            "passed": False,
            "date": "2026-11-23T01:30:30Z",
        }
    ]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_evidence(tmp_path, _evidence())
    before = (tmp_path / "coder-chat.json").read_bytes()

    def broken_replace(self: Path, target: Path) -> Path:
        raise OSError("disk went away")

    monkeypatch.setattr(Path, "replace", broken_replace)
    changed = _evidence()
    changed.records = []
    with pytest.raises(OSError, match="disk went away"):
        write_evidence(tmp_path, changed)
    assert (tmp_path / "coder-chat.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coder-chat.json"]


def test_history_lines_carry_ttft_only_on_latency() -> None:
    lines = history_lines(_evidence())
    assert [line["claim"] for line in lines] == ["endpoint:chat", "endpoint:embeddings", "latency"]
    assert "ttft_p95_ms" not in lines[0]
    assert lines[2]["ttft_p95_ms"] == 30.2
    assert set(lines[1]) == {"run_id", "deployment", "claim", "status", "date", "reason"}


def test_history_reader_skips_a_torn_line_and_appends_after_it(tmp_path: Path) -> None:
    append_history(tmp_path, history_lines(_evidence()))
    history = tmp_path / ev.HISTORY_FILE
    # What a run killed in the middle of a write (without our single-write discipline) would leave.
    with history.open("a") as handle:
        handle.write('{"run_id": "torn", "claim": "endpoint:ch')
    assert [e["claim"] for e in read_history(history)] == ["endpoint:chat", "endpoint:embeddings", "latency"]

    append_history(tmp_path, [{"run_id": "next", "claim": "health", "status": "pass"}])
    entries = list(read_history(history))
    assert [e["run_id"] for e in entries][-1] == "next", "the new line must not be glued to the torn one"
    assert len(entries) == 4
    assert history.read_text().endswith("\n")


def test_append_is_one_write_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[bytes] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        writes.append(data)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    append_history(tmp_path, history_lines(_evidence()))
    assert len(writes) == 1 and writes[0].count(b"\n") == 3


def test_scrubs_secrets_from_everything_written(tmp_path: Path) -> None:
    secret = "sk-very-secret-123"
    data = _evidence()
    data.records.append(Record("capability:tools", "pass", "2026-11-23T01:30:05Z", value={"echo": secret}))
    write_evidence(tmp_path, data, (secret,))
    append_history(tmp_path, [{"reason": f"bad key {secret}"}], (secret,))
    for path in tmp_path.iterdir():
        assert secret not in path.read_text()
        assert "[REDACTED]" in path.read_text()
