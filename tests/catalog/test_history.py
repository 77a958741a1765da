"""The bounded history summary says what the whole raw history says, at a size that does not grow with time."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.evidence import RUN_CRASHED, HistoryLine, Status, history_text, read_history
from catalog.evidence_folder import load_evidence
from catalog.history import (
    CHANGES_KEPT,
    RUNS_KEPT,
    DeploymentHistory,
    SummaryFile,
    _pretty,
    archives,
    availability_counts,
    fold,
    history_digest,
    read_index,
    summarize,
    summary_text,
)
from catalog.verdicts import RunPoint
from probes.evidence import append_history, rebuild_summaries, rotate_history, update_summaries

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLAIMS = ("endpoint:chat", "context-length", "latency")


def _history(seed: int, runs: int, deployments: tuple[str, ...] = ("a", "b")) -> list[HistoryLine]:
    """Runs every few hours, each checking every claim; some runs crash, some find the server down."""
    rng = random.Random(seed)
    lines = []
    moment = START
    for number in range(runs):
        moment += dt.timedelta(hours=rng.choice([1, 4, 4, 13, 49]))
        for deployment in deployments:
            run_id = f"r{number:05d}-{deployment}"
            if rng.random() < 0.05:
                lines.append(
                    HistoryLine(
                        run_id=run_id,
                        deployment=deployment,
                        claim=RUN_CRASHED,
                        status="error",
                        date=moment,
                        reason="probe crashed",
                    )
                )
                continue
            down = rng.random() < 0.1
            for offset, claim in enumerate(CLAIMS):
                status: Status = "error" if down else rng.choice(["pass", "pass", "pass", "fail"])
                lines.append(
                    HistoryLine(
                        run_id=run_id,
                        deployment=deployment,
                        claim=claim,
                        status=status,
                        date=moment + dt.timedelta(seconds=offset),
                        reason=None if status == "pass" else f"reason {number}",
                        ttft_p95_ms=float(rng.randint(50, 900)) if claim == "latency" and not down else None,
                    )
                )
    return lines


# The oracle: how the verdicts read the raw history before the summary (catalog/verdicts.py until issue 22).


def _runs(history: dict[str, list[HistoryLine]]) -> list[RunPoint]:
    by_run: dict[str, list[HistoryLine]] = {}
    for lines in history.values():
        for line in lines:
            by_run.setdefault(line.run_id, []).append(line)
    points = [
        RunPoint(
            run_id=run_id,
            date=min(line.date for line in lines).date(),
            passed=sum(line.status == "pass" for line in lines),
            failed=sum(line.status in ("fail", "error") for line in lines),
            ttft_p95_ms=next((line.ttft_p95_ms for line in lines if line.ttft_p95_ms is not None), None),
            answered=any(line.status in ("pass", "fail") for line in lines if line.claim != RUN_CRASHED),
            checked=any(line.claim != RUN_CRASHED for line in lines),
        )
        for run_id, lines in by_run.items()
    ]
    points.sort(key=lambda p: (min(line.date for line in by_run[p.run_id]), p.run_id))
    return points


def _availability(points: list[RunPoint], today: dt.date, days: int) -> tuple[int, int]:
    window = [p for p in points if p.checked and 0 <= (today - p.date).days < days]
    return len(window), sum(p.answered for p in window)


def _streak_start(lines: list[HistoryLine], passing: bool, latest: dt.date | None) -> dt.date | None:
    start = latest
    for line in reversed(lines):
        if (line.status == "pass") != passing:
            break
        start = line.date.date()
    return start


def _by_run(lines: list[HistoryLine]) -> list[list[HistoryLine]]:
    runs: dict[str, list[HistoryLine]] = {}
    for line in lines:
        runs.setdefault(line.run_id, []).append(line)
    return list(runs.values())


@pytest.mark.parametrize("seed", range(6))
def test_folding_run_by_run_gives_the_rebuild(seed: int) -> None:
    lines = _history(seed, 300)
    rebuilt = summarize(lines)
    folded: dict[str, DeploymentHistory] = {}
    for run in _by_run(lines):
        deployment = run[0].deployment
        result = fold(folded.get(deployment, DeploymentHistory()), run)
        assert result is not None
        folded[deployment] = result
    assert folded == rebuilt


@pytest.mark.parametrize("seed", range(6))
def test_the_summary_answers_what_the_raw_history_answers(seed: int) -> None:
    """The verdicts' own functions over every raw line are the oracle."""
    lines = _history(seed, 400)
    summary = summarize(lines)["a"]
    raw: dict[str, list[HistoryLine]] = {}
    for line in sorted((line for line in lines if line.deployment == "a"), key=lambda line: (line.date, line.run_id)):
        raw.setdefault(line.claim, []).append(line)
    points = _runs(raw)
    assert [
        (r.run_id, r.date.date(), r.passed, r.failed, r.ttft_p95_ms, r.answered, r.checked) for r in summary.runs
    ] == [(p.run_id, p.date, p.passed, p.failed, p.ttft_p95_ms, p.answered, p.checked) for p in points[-RUNS_KEPT:]]
    newest = max(line.date for line in lines).date()
    for today in (newest, newest + dt.timedelta(days=1), newest + dt.timedelta(days=9)):
        for days in (7, 30):
            counted = availability_counts(summary, today, days)
            assert (counted.runs, counted.answered) == _availability(points, today, days)
    for claim, claim_lines in raw.items():
        kept = summary.claims[claim]
        # What a kept line keeps of a raw line: everything the pages show (the card's ticks, MCP's reason).
        assert [(k.run_id, k.status, k.date, k.reason) for k in kept.lines] == [
            (line.run_id, line.status, line.date, line.reason) for line in claim_lines[-10:]
        ]
        assert kept.last_passed == max(
            (line.date.date() for line in claim_lines if line.status == "pass"), default=None
        )
        latest = claim_lines[-1].date.date()
        for state_passing in (True, False):
            assert kept.since(state_passing, latest) == _streak_start(claim_lines, state_passing, latest)


def _changes_since_raw(claim_lines: list[HistoryLine], day: dt.date) -> tuple[bool | None, bool, dt.date] | None:
    """The MCP tool's algorithm over raw lines (mcp_server/server.py `changes_since`)."""
    before = [line for line in claim_lines if line.date.date() <= day]
    after = [line for line in claim_lines if line.date.date() > day]
    if not after:
        return None
    was = before[-1].status == "pass" if before else None
    now = after[-1].status == "pass"
    if was == now:
        return None
    changed = next(line for line in after if (line.status == "pass") == now)
    return was, now, changed.date.date()


@pytest.mark.parametrize("seed", range(12))
def test_changes_since_agree_while_the_changes_are_kept(seed: int) -> None:
    lines = [line for line in _history(seed, CHANGES_KEPT - 1, ("a",)) if line.claim == "endpoint:chat"]
    kept = summarize(lines)["a"].claims["endpoint:chat"]
    assert len(kept.changes) < CHANGES_KEPT  # all kept: the answer must be exact
    first = lines[0].date.date()
    for offset in range(-2, (lines[-1].date.date() - first).days + 2):
        day = first + dt.timedelta(days=offset)
        change = kept.changed_after(day)
        found = (kept.passing_on(day), change.passing, change.date.date()) if change else None
        assert found == _changes_since_raw(lines, day), day


def test_the_summary_does_not_grow_with_time() -> None:
    month = summarize(_history(1, 180))["a"].model_dump_json()
    year = summarize(_history(1, 2190))["a"].model_dump_json()
    assert len(year) < 1.25 * len(month)


def test_a_line_older_than_the_summary_asks_for_a_rebuild() -> None:
    lines = _history(2, 50, ("a",))
    runs = _by_run(lines)
    summary = summarize([line for run in runs[:-2] for line in run])["a"]
    assert fold(summary, runs[-2]) is not None
    late = fold(summary, runs[-1])
    assert late is not None
    assert fold(late, runs[-2]) is None, "a run folded after a newer one cannot be placed"
    assert fold(summary, runs[-3]) is None, "a run folded twice would count twice"


def test_a_claim_that_flips_daily_keeps_the_newest_changes_exact() -> None:
    lines = [
        HistoryLine(
            run_id=f"r{day:03d}",
            deployment="a",
            claim="endpoint:chat",
            status="pass" if day % 2 else "fail",
            date=START + dt.timedelta(days=day),
        )
        for day in range(120)
    ]
    kept = summarize(lines)["a"].claims["endpoint:chat"]
    assert len(kept.changes) == CHANGES_KEPT
    oldest_kept = kept.changes[0]["date"].date()
    for day in range(int((oldest_kept - START.date()).days) - 1, 121):
        on = START.date() + dt.timedelta(days=day)
        raw = [line for line in lines if line.date.date() <= on][-1].status == "pass"
        assert kept.passing_on(on) == raw, on
    assert kept.passing_on(START.date() - dt.timedelta(days=1)) is None


# --------------------------------------------------------------------------- on disk: written by the prober


def _write_runs(evidence_dir: Path, runs: list[list[HistoryLine]]) -> None:
    for run in runs:
        append_history(evidence_dir, run)


def test_what_the_prober_writes_reads_back_as_the_whole_history(tmp_path: Path) -> None:
    lines = _history(3, 50)
    _write_runs(tmp_path, _by_run(lines))
    assert (tmp_path / "history" / "a.json").exists() and (tmp_path / "history" / "_folded.json").exists()
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.problems == []
    assert evidence.history == summarize(lines)


def test_the_reader_never_rereads_what_the_summaries_hold(tmp_path: Path) -> None:
    """The start of history.jsonl is overwritten with damage: a reader that re-read it would lose runs."""
    lines = _history(4, 60)
    _write_runs(tmp_path, _by_run(lines))
    raw = tmp_path / "history.jsonl"
    data = bytearray(raw.read_bytes())
    data[: len(data) // 2] = b"x" * (len(data) // 2)
    raw.write_bytes(bytes(data))
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.problems == []
    assert evidence.history == summarize(lines)


def test_lines_written_after_the_last_fold_are_folded_by_the_reader(tmp_path: Path) -> None:
    """A run killed between its append and its summary (or a hand-merged history) loses nothing."""
    lines = _history(5, 40)
    runs = _by_run(lines)
    _write_runs(tmp_path, runs[:-6])
    with (tmp_path / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(history_text([line for run in runs[-6:] for line in run]))
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)).history == summarize(lines)
    late = HistoryLine(run_id="late", deployment="a", claim="health", status="pass", date=lines[-1].date)
    append_history(tmp_path, [late])
    assert read_index(tmp_path) is not None
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)).history == summarize([*lines, late])


def test_a_replaced_history_is_read_whole_and_said(tmp_path: Path) -> None:
    lines = _history(6, 40)
    _write_runs(tmp_path, _by_run(lines))
    kept = lines[: len(lines) // 2]
    (tmp_path / "history.jsonl").write_text(history_text(kept), encoding="utf-8")
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.history == summarize(kept)
    assert len(evidence.problems) == 1 and "read whole" in evidence.problems[0]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "{not json",
        lambda text: text.replace('"deployment": "a"', '"deployment": "b"'),
        lambda text: text.replace('"format_version": 3', '"format_version": 9', 1),
        lambda text: text.replace('"format_version": 3', '"format_version": 2', 1),
        lambda text: text.replace('"date": "2026-', '"date": "2026-13-', 1),
        lambda text: text.replace('Z"', '"', 1),
        lambda text: text.replace('Z"', '+05:00"', 1),
        lambda text: text.replace('"passing": ', '"x": 1, "passing": ', 1),
        lambda text: text.replace('{"answered": ', '{"x": 1, "answered": ', 1),
        lambda text: text.replace('"passing": true', '"passing": true, "reason": null', 1),
        lambda text: text.replace('"lines": [', '"lines": [' + '{"x": 1},' * 3, 1),
        lambda text: text + " " * (5 * 1024 * 1024),
    ],
    ids=[
        "not-json",
        "other-deployment",
        "other-version",
        "old-version",
        "bad-date",
        "naive-date",
        "offset-date",
        "change-extra-field",
        "day-extra-field",
        "null-reason",
        "bad-field",
        "huge",
    ],
)
def test_a_damaged_summary_is_named_and_the_history_read_whole(tmp_path: Path, damage: Callable[[str], str]) -> None:
    lines = _history(7, 40)
    _write_runs(tmp_path, _by_run(lines))
    summary = tmp_path / "history" / "a.json"
    summary.write_text(damage(summary.read_text(encoding="utf-8")), encoding="utf-8")
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.history == summarize(lines)
    assert len(evidence.problems) == 1 and str(summary) in evidence.problems[0]


def test_a_summary_from_the_future_is_named_and_left_out(tmp_path: Path) -> None:
    lines = _history(8, 40)
    _write_runs(tmp_path, _by_run(lines))
    newest = max(line.date for line in lines).date()
    evidence = load_evidence(tmp_path, today=newest - dt.timedelta(days=5))
    assert evidence.history == {}
    assert sorted(problem.split(":")[0] for problem in evidence.problems) == [
        str(tmp_path / "history" / "a.json"),
        str(tmp_path / "history" / "b.json"),
    ]


def test_rotation_moves_past_months_out_and_changes_nothing_shown(tmp_path: Path) -> None:
    lines = _history(9, 60)  # about two months of runs from 2026-01-01
    _write_runs(tmp_path, _by_run(lines))
    before = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    newest = max(line.date for line in lines).date()
    rotated = rotate_history(tmp_path, today=newest, keep_months=120)
    months = sorted({line.date.strftime("%Y-%m") for line in lines})
    assert sorted(rotated.archived) == [f"{month}.jsonl" for month in months[:-1]]
    assert sum(rotated.archived.values()) == sum(line.date.strftime("%Y-%m") < months[-1] for line in lines)
    assert read_history(tmp_path / "history.jsonl").lines == [
        line for line in lines if line.date.strftime("%Y-%m") == months[-1]
    ]
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)) == before
    # The next run folds on from the rotated file; a rebuild from the archives agrees with it.
    late = HistoryLine(run_id="late", deployment="a", claim="health", status="pass", date=lines[-1].date)
    append_history(tmp_path, [late])
    after = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert after.history == summarize([*lines, late]) and after.problems == []
    rebuild_summaries(tmp_path)
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)) == after


def test_retention_drops_old_archives_but_not_what_the_site_shows(tmp_path: Path) -> None:
    lines = _history(10, 60)
    _write_runs(tmp_path, _by_run(lines))
    before = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    newest = max(line.date for line in lines).date()
    rotated = rotate_history(tmp_path, today=newest, keep_months=0)
    assert rotated.removed == sorted(rotated.archived)
    assert archives(tmp_path) == []
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)) == before


# --------------------------------------------------------------------------- the summary file's text


@pytest.mark.parametrize("seed", range(3))
def test_a_summary_file_reads_back_as_written_in_the_one_layout(seed: int) -> None:
    """The prober writes the text by hand for speed; it must be what the generic layout gives, and read back."""
    lines = _history(seed, 200)
    lines.append(lines[-1].model_copy(update={"run_id": "quote", "reason": 'a "quoted" reason, with ü', "claim": "x"}))
    for deployment, summary in summarize(lines).items():
        text = summary_text(SummaryFile(deployment=deployment, history=summary))
        assert text == _pretty(json.loads(text), "") + "\n"
        assert SummaryFile.model_validate_json(text).history == summary
        assert "null" not in text and '"count"' not in text
        assert text.count(f'"{deployment}"') == 1, "the deployment is not repeated on every line"


def test_one_run_changes_a_few_short_lines_of_a_summary(tmp_path: Path) -> None:
    """What a reviewer reads per run: per claim the line that left and the one that came (and a comma)."""
    runs = _by_run(_history(11, 40, ("a",)))
    _write_runs(tmp_path, runs[:-1])
    path = tmp_path / "history" / "a.json"
    before = path.read_text(encoding="utf-8").splitlines(keepends=True)
    append_history(tmp_path, runs[-1])
    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [
        line
        for line in difflib.unified_diff(before, after, n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    # per claim: a line out, a line in, the comma of the previous newest; the same for the run; a day's counts;
    # the streak and the last pass may move too
    assert len(changed) <= 4 * (len(CLAIMS) + 1) + 2 + 4 * len(CLAIMS)
    assert all(len(line) < 200 for line in changed), changed


def test_summaries_of_the_old_format_are_named_then_written_anew(tmp_path: Path) -> None:
    """An evidence folder written before format 3: the build names what it cannot read and reads the history
    whole; the prober's next append folds it once and writes every summary anew."""
    lines = _history(12, 40)
    _write_runs(tmp_path, _by_run(lines))
    folder = tmp_path / "history"
    for name in ("a.json", "b.json"):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace('"format_version": 3', '"format_version": 2', 1))
    index = json.loads((folder / "_folded.json").read_text(encoding="utf-8"))
    del index["summary_format_version"]
    (folder / "_folded.json").write_text(json.dumps(index), encoding="utf-8")
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.history == summarize(lines)
    assert len(evidence.problems) == 1 and "read whole" in evidence.problems[0]
    late = HistoryLine(run_id="late", deployment="b", claim="health", status="pass", date=lines[-1].date)
    append_history(tmp_path, [late])
    assert all('"format_version": 3' in (folder / name).read_text(encoding="utf-8") for name in ("a.json", "b.json"))
    after = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert after.problems == [] and after.history == summarize([*lines, late])


def test_one_summary_of_another_format_is_named(tmp_path: Path) -> None:
    lines = _history(14, 20)
    _write_runs(tmp_path, _by_run(lines))
    path = tmp_path / "history" / "a.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"format_version": 3', '"format_version": 2', 1))
    evidence = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert evidence.history == summarize(lines)
    assert evidence.problems[0].startswith(f"{path}: history summary format version 2, but this code reads version 3")


def test_a_fold_that_finds_the_same_summary_does_not_write_it(tmp_path: Path) -> None:
    """A lost fold index makes the prober fold everything anew; unchanged summaries stay untouched (no diff)."""
    lines = _history(13, 40)
    _write_runs(tmp_path, _by_run(lines))
    (tmp_path / "history" / "_folded.json").unlink()
    assert update_summaries(tmp_path) == [tmp_path / "history" / "_folded.json"]
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)).history == summarize(lines)


def test_the_history_key_changes_with_the_summary_and_only_with_it(tmp_path: Path) -> None:
    """The cheap cache key (a hash of the file read) is the hash of the summary's own text."""
    lines = _history(15, 30)
    runs = _by_run(lines)
    _write_runs(tmp_path, runs[:-2])
    first = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    assert first.history_digests.keys() == {"a", "b"}
    for deployment in ("a", "b"):
        assert first.history_key(deployment) == history_digest(deployment, first.history[deployment])
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)).history_key("a") == first.history_key("a")
    assert first.history_key("nobody") == "no history"
    # Lines after the fold point, folded by the reader: no file holds that summary, the key is computed.
    with (tmp_path / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(history_text(runs[-2]))
    later = load_evidence(tmp_path, today=dt.date(2027, 1, 1))
    changed = runs[-2][0].deployment
    assert changed not in later.history_digests
    assert later.history_key(changed) != first.history_key(changed)
    assert later.history_key(changed) == history_digest(changed, later.history[changed])
    append_history(tmp_path, runs[-1])
    assert load_evidence(tmp_path, today=dt.date(2027, 1, 1)).history == summarize(lines)
