"""A run's ITL p95 in the history (`HistoryLine.itl_p95_ms` on its latency line, `RunSummary.itl_p95_ms` in the
summary), and the 91 days kept.

The prober writes each run's pooled ITL p95 on the run's latency line, so the summary folds it from the raw
lines like TTFT and a rebuild from raw history gives the same summary; lines and summaries written before it
was recorded read as they were, with ITL not measured.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from catalog import load_catalog
from catalog.evidence import EvidenceFile, HistoryLine, read_evidence_file, read_history
from catalog.evidence_folder import load_evidence
from catalog.history import DAYS_KEPT, _pretty, read_summary, summarize, summary_path
from catalog.verdicts import RunPoint, judge
from probes.evidence import append_history, history_lines, rebuild_summaries, update_summaries

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MONTH = FIXTURES / "charts-month-evidence"
NEWEST_RUN = "2026-11-20T10:00:00Z"
TODAY = dt.date(2026, 11, 21)


def _month(tmp_path: Path) -> Path:
    """The month fixture: raw lines written before ITL was recorded, and coder-chat's latest evidence file,
    whose ITL p95 is 18.2 ms."""
    folder = tmp_path / "evidence"
    shutil.copytree(MONTH, folder)
    return folder


def _next_run(folder: Path, run_id: str, itl_p95: float) -> EvidenceFile:
    """coder-chat's latest evidence file as a later run with ITL p95 `itl_p95`, its history lines appended as
    the prober appends them (`history_lines`)."""
    latest = read_evidence_file(folder / "coder-chat.json")
    assert latest.latency is not None and latest.latency.itl_ms is not None
    moment = dt.datetime.fromisoformat(run_id.replace("Z", "+00:00"))
    itl = latest.latency.itl_ms.model_copy(update={"p95": itl_p95})
    run = latest.model_copy(
        update={
            "run_id": run_id,
            "started_at": moment,
            "finished_at": moment + dt.timedelta(seconds=20),
            "records": [r.model_copy(update={"date": moment + dt.timedelta(seconds=1)}) for r in latest.records],
            "latency": latest.latency.model_copy(update={"itl_ms": itl}),
        }
    )
    append_history(folder, history_lines(run))
    return run


def test_the_prober_writes_the_runs_itl_on_its_latency_line_only(tmp_path: Path) -> None:
    folder = _month(tmp_path)
    run = _next_run(folder, "2026-11-21T10:00:00Z", 21.5)
    lines = [line for line in read_history(folder / "history.jsonl").lines if line.run_id == run.run_id]
    assert {line.claim: line.itl_p95_ms for line in lines if line.itl_p95_ms is not None} == {"latency": 21.5}
    assert len(lines) == len(run.records) > 1


def test_the_summary_and_the_cards_run_points_carry_it(tmp_path: Path) -> None:
    folder = _month(tmp_path)
    _next_run(folder, "2026-11-21T10:00:00Z", 21.5)
    summary = read_summary(folder, "coder-chat")
    assert not isinstance(summary, str) and summary is not None
    # The fixture's older lines were written before ITL was recorded: not measured, never made up.
    assert [(run.run_id, run.itl_p95_ms) for run in summary.runs[-2:]] == [
        (NEWEST_RUN, None),
        ("2026-11-21T10:00:00Z", 21.5),
    ]
    evidence = load_evidence(folder, today=TODAY)
    assert evidence.history["coder-chat"].runs[-1].itl_p95_ms == 21.5
    # ...and the verdict's run points, which the card's ITL chart draws.
    deployment = load_catalog(FIXTURES / "small-catalog").deployments["coder-chat"]
    points = judge("coder-chat", deployment, evidence, TODAY).runs
    assert [point.itl_p95_ms for point in points[-2:]] == [None, 21.5]
    text = summary_path(folder, "coder-chat").read_text(encoding="utf-8")
    assert text == _pretty(json.loads(text), "") + "\n"
    assert '"itl_p95_ms": 21.5' in text and text.count('"itl_p95_ms"') == 1


def test_a_rebuild_from_the_raw_lines_gives_the_same_summary(tmp_path: Path) -> None:
    folder = _month(tmp_path)
    _next_run(folder, "2026-11-21T10:00:00Z", 21.5)
    written = summary_path(folder, "coder-chat").read_text(encoding="utf-8")
    (folder / "coder-chat.json").unlink()  # nothing but the raw lines to rebuild from
    rebuild_summaries(folder)
    assert summary_path(folder, "coder-chat").read_text(encoding="utf-8") == written
    # A lost fold index: the build and the prober fold every line again, and read the same.
    (folder / "history" / "_folded.json").unlink()
    assert load_evidence(folder, today=TODAY).history["coder-chat"].runs[-1].itl_p95_ms == 21.5
    update_summaries(folder)
    assert summary_path(folder, "coder-chat").read_text(encoding="utf-8") == written


def test_a_summary_written_before_itl_reads_as_it_was(tmp_path: Path) -> None:
    """Same format version (3): a summary without `itl_p95_ms` (and with 31 days) reads, with no ITL."""
    folder = _month(tmp_path)
    update_summaries(folder)
    text = summary_path(folder, "coder-chat").read_text(encoding="utf-8")
    assert "itl_p95_ms" not in text and '"format_version": 3' in text
    evidence = load_evidence(folder, today=TODAY)
    assert evidence.problems == []
    assert [run.itl_p95_ms for run in evidence.history["coder-chat"].runs] == [None] * 10
    assert evidence.history["coder-chat"] == summarize(read_history(folder / "history.jsonl").lines)["coder-chat"]


def test_ninety_one_days_are_kept() -> None:
    """The long strip's 90 days and a day of clock skew; older days leave the summary."""
    assert DAYS_KEPT == 91
    start = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    lines = [
        HistoryLine(
            run_id=f"r{day:03d}", deployment="a", claim="health", status="pass", date=start + dt.timedelta(days=day)
        )
        for day in range(120)
    ]
    days = sorted(summarize(lines)["a"].days)
    assert len(days) == 91 and days[-1] == (start + dt.timedelta(days=119)).date()


def test_run_points_default_to_no_itl() -> None:
    """RunPoint's positional fields are as before; ITL is a keyword with a default."""
    point = RunPoint("r", TODAY, 3, 0, 100.0)
    assert point.itl_p95_ms is None and RunPoint("r", TODAY, 3, 0, 100.0, itl_p95_ms=12.0).itl_p95_ms == 12.0
