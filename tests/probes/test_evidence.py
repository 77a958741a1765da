"""Writing evidence: the contract's shape on disk, atomic replacement, and a history that survives a torn write."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from catalog.evidence import (
    FORMAT_VERSION,
    HISTORY_FILE,
    ClaimRecord,
    EvalResult,
    EvidenceFile,
    HistoryLine,
    ServerInfo,
    read_evidence_file,
    read_history,
)
from probes.evidence import append_history, history_lines, write_evidence


def _at(second: int) -> dt.datetime:
    return dt.datetime(2026, 11, 23, 1, 30, second, tzinfo=dt.UTC)


def _evidence(records: list[ClaimRecord] | None = None) -> EvidenceFile:
    return EvidenceFile(
        deployment="coder-chat",
        run_id="2026-11-23T01:30:00Z-a1b2c3",
        started_at=_at(0),
        finished_at=_at(41),
        server=ServerInfo(version="vllm-0.32.0-e5a339f3", max_model_len=1024),
        records=records
        if records is not None
        else [
            ClaimRecord(claim="endpoint:chat", status="pass", date=_at(2), duration_ms=12.345),
            ClaimRecord(
                claim="endpoint:embeddings", status="fail", date=_at(3), reason="HTTP 404 from POST /v1/embeddings"
            ),
            ClaimRecord(
                claim="latency",
                status="info",
                date=_at(20),
                value=30.2,
                unit="ms",
                workload={"requests": 2, "prompt_tokens": 8, "output_tokens": 4, "concurrency": 1},
            ),
        ],
        evals=[EvalResult(task="json-format", version="1", n=10, score=0.3, gate=0.7, date=_at(30))],
    )


def test_evidence_file_has_the_documented_shape_and_reads_back_equal(tmp_path: Path) -> None:
    written = _evidence()
    path = write_evidence(tmp_path, written)
    text = path.read_text()
    assert path.name == "coder-chat.json"
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION
    assert data["started_at"] == "2026-11-23T01:30:00Z" and data["finished_at"] == "2026-11-23T01:30:41Z"
    assert data["server"] == {"version": "vllm-0.32.0-e5a339f3", "max_model_len": 1024}
    chat, embeddings, _latency = data["records"]
    assert chat["date"] == "2026-11-23T01:30:02Z" and chat["status"] == "pass"
    assert "details" not in chat, "in-memory details are never written"
    assert embeddings["reason"].startswith("HTTP 404")
    assert data["evals"] == [
        {"task": "json-format", "version": "1", "n": 10, "score": 0.3, "gate": 0.7, "date": "2026-11-23T01:30:30Z"}
    ]
    assert read_evidence_file(path) == written, "the reader returns exactly what the writer was given"


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_evidence(tmp_path, _evidence())
    before = (tmp_path / "coder-chat.json").read_bytes()

    def broken_replace(self: Path, target: Path) -> Path:
        raise OSError("disk went away")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OSError, match="disk went away"):
        write_evidence(tmp_path, _evidence(records=[]))
    assert (tmp_path / "coder-chat.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coder-chat.json"]


def test_history_lines_carry_ttft_only_on_latency() -> None:
    lines = history_lines(_evidence())
    assert [line.claim for line in lines] == ["endpoint:chat", "endpoint:embeddings", "latency"]
    assert lines[0].ttft_p95_ms is None
    assert lines[2].ttft_p95_ms == 30.2
    assert {line.run_id for line in lines} == {"2026-11-23T01:30:00Z-a1b2c3"}


def test_history_reader_skips_a_torn_line_and_appends_after_it(tmp_path: Path) -> None:
    append_history(tmp_path, history_lines(_evidence()))
    history = tmp_path / HISTORY_FILE
    # What a run killed in the middle of a write (without our single-write discipline) would leave.
    with history.open("a") as handle:
        handle.write('{"run_id": "torn", "claim": "endpoint:ch')
    read = read_history(history)
    assert [line.claim for line in read.lines] == ["endpoint:chat", "endpoint:embeddings", "latency"]
    assert read.damaged == 1 and read.problems == []

    later = HistoryLine(run_id="next", deployment="coder-chat", claim="health", status="pass", date=_at(50))
    append_history(tmp_path, [later])
    read = read_history(history)
    assert read.lines[-1].run_id == "next", "the new line must not be glued to the torn one"
    assert len(read.lines) == 4 and read.damaged == 1
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
    leaky = ClaimRecord(claim="capability:tools", status="pass", date=_at(5), value={"echo": secret})
    write_evidence(tmp_path, _evidence(records=[leaky]), (secret,))
    line = HistoryLine(
        run_id="r", deployment="coder-chat", claim="health", status="fail", date=_at(6), reason=f"bad key {secret}"
    )
    append_history(tmp_path, [line], (secret,))
    written = {str(path.relative_to(tmp_path)): path.read_text() for path in tmp_path.rglob("*") if path.is_file()}
    assert sorted(written) == ["coder-chat.json", "history.jsonl", "history/_folded.json", "history/coder-chat.json"]

    assert not [name for name, text in written.items() if secret in text]
    assert sorted(name for name, text in written.items() if "[REDACTED]" in text) == [
        "coder-chat.json",
        "history.jsonl",
        "history/coder-chat.json",
    ]
