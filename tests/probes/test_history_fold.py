"""A run may append every deployment's lines first and fold them into the summaries once, at its end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from catalog.evidence import HistoryLine, Status
from catalog.evidence_folder import load_evidence
from catalog.history import read_index, summarize
from probes.evidence import append_history, fold_history

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CLAIMS = ("health", "endpoint:chat", "latency")


def _run(number: int, deployment: str) -> list[HistoryLine]:
    status: Status = "fail" if number % 3 == 0 else "pass"
    return [
        HistoryLine(
            run_id=f"run-{number:03d}",
            deployment=deployment,
            claim=claim,
            status=status,
            date=START + dt.timedelta(hours=4 * number, seconds=offset),
            reason=None if status == "pass" else "expected 200, got 500",
            ttft_p95_ms=120.0 if claim == "latency" else None,
        )
        for offset, claim in enumerate(CLAIMS)
    ]


def _state(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "history").glob("*.json"))}


def test_appends_without_folding_then_one_fold_give_the_same_summaries(tmp_path: Path) -> None:
    folded, once = tmp_path / "each", tmp_path / "once"
    lines = []
    for number in range(12):
        for deployment in ("a", "b", "c"):
            run = _run(number, deployment)
            lines += run
            append_history(folded, run)
            append_history(once, run, fold=False)
        if number % 4 == 3:
            fold_history(once)
    assert _state(once) == _state(folded)
    today = dt.date(2027, 1, 1)
    assert load_evidence(once, today) == load_evidence(folded, today)
    assert load_evidence(once, today).history == summarize(lines)


def test_unfolded_lines_are_read_by_the_build_and_folded_by_the_next_fold(tmp_path: Path) -> None:
    """A run killed before its fold loses nothing, and the summaries it did not write stay as they were."""
    append_history(tmp_path, _run(0, "a"))
    before = _state(tmp_path)
    append_history(tmp_path, _run(1, "a"), fold=False)
    append_history(tmp_path, _run(1, "b"), fold=False)
    assert _state(tmp_path) == before, "no summary and no fold point moved"
    lines = [*_run(0, "a"), *_run(1, "a"), *_run(1, "b")]
    evidence = load_evidence(tmp_path, dt.date(2027, 1, 1))
    assert evidence.history == summarize(lines) and evidence.problems == []
    written = fold_history(tmp_path)
    assert sorted(path.name for path in written) == ["_folded.json", "a.json", "b.json"]
    assert read_index(tmp_path) is not None
    assert load_evidence(tmp_path, dt.date(2027, 1, 1)).history == summarize(lines)


def test_a_fold_with_nothing_new_writes_nothing(tmp_path: Path) -> None:
    append_history(tmp_path, _run(0, "a"))
    before = {path: path.stat().st_mtime_ns for path in (tmp_path / "history").iterdir()}
    assert fold_history(tmp_path) == []
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "history").iterdir()} == before


def test_a_fold_where_nothing_was_ever_written_creates_nothing(tmp_path: Path) -> None:
    assert fold_history(tmp_path / "evidence") == []
    assert not (tmp_path / "evidence").exists()
