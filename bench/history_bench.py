"""What a long probe history costs the build and the prober, and two ways of keeping it, compared in one run.

`python -m bench.history_bench [--deployments 300] [--months 0 3 12]` writes, for each length of history, an
evidence folder as a fleet probed every 4 hours would leave it (`RUNS_PER_DAY` runs a day, `CLAIMS` claims
per run) and measures, each in a fresh process:

- **summaries** (the design the build uses, catalog/history.py): `load_evidence` reads one bounded summary
  per deployment and the lines after the fold point;
- **whole file** (the design before it): `load_evidence` with the summaries taken away, which folds every
  line (measured only up to `WHOLE_FILE_MONTHS` months: a year took minutes and GBs);
- **SQLite**: the same lines in one table with an index, and the queries that answer what the pages show
  (newest lines per claim, last pass, current streak, runs per day over 30 days);

and for the summaries, what one more probe run of the whole fleet costs the prober (its 300 appends, in wall
and in CPU seconds: on a shared machine the wall time of 600 small writes is mostly other people's I/O), and
how much of the evidence folder that run changes (what a reviewer reads in the pull request: the unified diff
of the summaries without context, plus the lines appended to history.jsonl). Times and memory are medians
and peaks of fresh processes; `vs_none` compares each length of history with none in the same run.
`--no-sqlite` leaves the SQLite design out (building its database from a year of lines takes minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from catalog.evidence import HISTORY_FILE, HistoryLine, Status, history_text
from catalog.history import (
    FOLD_INDEX,
    SUMMARY_DIR,
    SummaryFile,
    index_at,
    summarize,
    summary_path,
    summary_text,
)

RUNS_PER_DAY = 6
CLAIMS = (
    "health",
    "served-name",
    "endpoint:chat",
    "endpoint:completions",
    "capability:streaming",
    "capability:tools",
    "context-length",
    "latency",
)
WHOLE_FILE_MONTHS = 3
START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def lines_of(deployment: str, days: int, rng: random.Random) -> list[HistoryLine]:
    """`days` of a deployment's history from `START`, a run every 4 hours, as the prober writes it (a latency
    line carries the run's TTFT and ITL p95; ITL from its own random stream, so the other values are as before)."""
    itl = random.Random(f"itl:{deployment}")
    lines = []
    for run in range(days * RUNS_PER_DAY):
        moment = START + dt.timedelta(hours=4 * run)
        down = rng.random() < 0.02
        for offset, claim in enumerate(CLAIMS):
            status: Status = "error" if down else ("pass" if rng.random() < 0.97 else "fail")
            lines.append(
                HistoryLine.model_construct(
                    format_version=2,
                    run_id=f"run-{run:05d}",
                    deployment=deployment,
                    claim=claim,
                    status=status,
                    date=moment + dt.timedelta(seconds=offset),
                    reason=None if status == "pass" else "connection refused" if down else "expected 200, got 500",
                    ttft_p95_ms=float(rng.randint(80, 400)) if claim == "latency" and not down else None,
                    itl_p95_ms=float(itl.randint(8, 40)) if claim == "latency" and not down else None,
                )
            )
    return lines


def generate(evidence: Path, deployments: int, months: int) -> int:
    """An evidence folder with `months` of history (summaries, fold index, raw lines) of `deployments` named
    `dep-00000`...; the raw bytes."""
    names = [f"dep-{number:05d}" for number in range(deployments)]
    return write_history(evidence, names, 30 * months, random.Random(months))


def write_history(evidence: Path, names: list[str], days: int, rng: random.Random) -> int:
    """`days` of history of `names` as the prober leaves it (summaries, fold index, raw lines); the raw bytes."""
    (evidence / SUMMARY_DIR).mkdir(parents=True, exist_ok=True)
    raw = evidence / HISTORY_FILE
    with raw.open("w", encoding="utf-8") as handle:
        for name in names:
            lines = lines_of(name, days, rng)
            handle.write(history_text(lines))
            if lines:
                summary = summarize(lines)[name]
                summary_path(evidence, name).write_text(summary_text(SummaryFile(deployment=name, history=summary)))
    (evidence / SUMMARY_DIR / FOLD_INDEX).write_text(summary_text(index_at(raw, raw.stat().st_size, [])))
    return raw.stat().st_size


# ru_maxrss survives exec on Linux (a child of a large parent reports the parent's size); VmHWM does not.
_PEAK = """
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""

_LOAD = (
    _PEAK
    + """
import sys, time
from pathlib import Path
import datetime as dt
from catalog.evidence_folder import load_evidence  # imported before the clock starts: the build imports it anyway
started = time.perf_counter()
evidence = load_evidence(Path(sys.argv[1]), today=dt.date(2026, 6, 1))
elapsed = time.perf_counter() - started
print(elapsed, peak_kb(), len(evidence.history))
"""
)

_SQLITE = (
    _PEAK
    + """
import sqlite3, sys, time
started = time.perf_counter()
db = sqlite3.connect(sys.argv[1])
answers = 0
for (deployment,) in db.execute("SELECT DISTINCT deployment FROM lines").fetchall():
    for row in db.execute(
        "SELECT claim, status, date FROM (SELECT claim, status, date, row_number() OVER "
        "(PARTITION BY claim ORDER BY date DESC) AS n FROM lines WHERE deployment = ?) WHERE n <= 10",
        (deployment,),
    ):
        answers += 1
    for row in db.execute(
        "SELECT claim, max(date) FROM lines WHERE deployment = ? AND status = 'pass' GROUP BY claim", (deployment,)
    ):
        answers += 1
    for row in db.execute(
        "SELECT l.claim, (SELECT max(date) FROM lines o WHERE o.deployment = l.deployment AND o.claim = l.claim "
        "AND (o.status = 'pass') != (l.status = 'pass')) FROM lines l WHERE l.deployment = ? AND l.date = "
        "(SELECT max(date) FROM lines m WHERE m.deployment = l.deployment AND m.claim = l.claim)",
        (deployment,),
    ):
        answers += 1
    for row in db.execute(
        "SELECT substr(date, 1, 10), count(DISTINCT run_id) FROM lines WHERE deployment = ? AND date >= ? "
        "GROUP BY 1",
        (deployment, sys.argv[2]),
    ):
        answers += 1
elapsed = time.perf_counter() - started
print(elapsed, peak_kb(), answers)
"""
)


def to_sqlite(raw: Path, database: Path) -> int:
    db = sqlite3.connect(database)
    db.execute(
        "CREATE TABLE lines (deployment TEXT, claim TEXT, run_id TEXT, status TEXT, date TEXT, reason TEXT, ttft REAL)"
    )
    with raw.open(encoding="utf-8") as handle:
        rows = (
            (d["deployment"], d["claim"], d["run_id"], d["status"], d["date"], d.get("reason"), d.get("ttft_p95_ms"))
            for d in map(json.loads, handle)
        )
        db.executemany("INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("CREATE INDEX by_claim ON lines (deployment, claim, date)")
    db.commit()
    db.close()
    return database.stat().st_size


def _fresh(script: str, *args: str, runs: int) -> dict[str, float]:
    times, memory = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        memory.append(int(out[1]) / 1024)
    return {"seconds": statistics.median(times), "peak_mb": max(memory)}


def _diff_bytes(before: Path, after: Path) -> int:
    """Bytes of a unified diff (no context) between two folders' text files: what a reviewer reads."""
    total = 0
    names = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names |= {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    for name in sorted(names):
        old = (before / name).read_text(encoding="utf-8").splitlines(keepends=True) if (before / name).exists() else []
        new = (after / name).read_text(encoding="utf-8").splitlines(keepends=True) if (after / name).exists() else []
        total += sum(len(line) for line in difflib.unified_diff(old, new, n=0))
    return total


def one_more_run(evidence: Path, deployments: int, names: list[str] | None = None) -> dict[str, float]:
    """What the prober's history writes cost for one run of the fleet (one `append_history` per deployment, as
    probes/runner.py calls it): seconds of wall and of CPU, and the diff it leaves in the evidence folder,
    the summaries' part and history.jsonl's appended lines apart."""
    from probes.evidence import append_history, fold_history

    work = Path(tempfile.mkdtemp())
    before = work / "before"
    shutil.copytree(evidence / SUMMARY_DIR, before)  # history.jsonl is only appended to: its size says its diff
    raw_before = (evidence / HISTORY_FILE).stat().st_size if (evidence / HISTORY_FILE).exists() else 0
    moment = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    batches = [
        [HistoryLine(run_id="next", deployment=name, claim=claim, status="pass", date=moment) for claim in CLAIMS]
        for name in names or [f"dep-{number:05d}" for number in range(deployments)]
    ]
    # The generator has just written up to a GB; without this the first fsync of history.jsonl would wait for
    # all of it to reach the disk and the prober would be charged with the generator's writes.
    os.sync()
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        append_history(evidence, batch)
    elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    summaries = _diff_bytes(before, evidence / SUMMARY_DIR)
    shutil.rmtree(work)
    appended = (evidence / HISTORY_FILE).stat().st_size - raw_before
    # The run after it, as a runner that folds once at the end of a run would write it (`fold=False`, then
    # `fold_history`): four hours later, so the summaries are in the same state.
    later = [
        [line.model_copy(update={"run_id": "after", "date": moment + dt.timedelta(hours=4)}) for line in batch]
        for batch in batches
    ]
    os.sync()
    started, cpu = time.perf_counter(), time.process_time()
    for batch in later:
        append_history(evidence, batch, fold=False)
    fold_history(evidence)
    once, once_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "next_run_s": elapsed,
        "next_run_cpu_s": cpu_s,
        "next_run_diff_bytes": summaries + appended,
        "next_run_summary_diff_bytes": summaries,
        "next_run_fold_once_s": once,
        "next_run_fold_once_cpu_s": once_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=300)
    parser.add_argument("--months", type=int, nargs="+", default=[0, 3, 12])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-sqlite", action="store_true", help="leave out the SQLite design (slow at 12 months)")
    args = parser.parse_args()
    results: dict[str, Any] = {"deployments": args.deployments, "runs_per_day": RUNS_PER_DAY, "claims": len(CLAIMS)}
    with tempfile.TemporaryDirectory() as work:
        for months in args.months:
            evidence = Path(work) / f"m{months}"
            started = time.perf_counter()
            raw_bytes = generate(evidence, args.deployments, months)
            row: dict[str, Any] = {"raw_mb": raw_bytes / 1e6, "generated_s": time.perf_counter() - started}
            row["summaries_mb"] = sum(p.stat().st_size for p in (evidence / SUMMARY_DIR).glob("*.json")) / 1e6
            row["summaries"] = _fresh(_LOAD, str(evidence), runs=args.runs)
            if not args.no_sqlite:
                database = Path(work) / f"m{months}.sqlite"
                row["sqlite_mb"] = to_sqlite(evidence / HISTORY_FILE, database) / 1e6
                since = (dt.date(2026, 6, 1) - dt.timedelta(days=30)).isoformat()
                row["sqlite"] = _fresh(_SQLITE, str(database), since, runs=args.runs)
                database.unlink()
            if months <= WHOLE_FILE_MONTHS:
                whole = Path(work) / f"m{months}-whole"
                whole.mkdir()
                shutil.copy(evidence / HISTORY_FILE, whole / HISTORY_FILE)
                row["whole_file"] = _fresh(_LOAD, str(whole), runs=1)
            row.update(one_more_run(evidence, args.deployments))
            results[f"{months}_months"] = row
            print(months, "months:", json.dumps(row), flush=True)
            shutil.rmtree(evidence)
    _ratios(results, args.months)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def _ratios(results: dict[str, Any], months: list[int]) -> None:
    """Each length of history against none, in the same run: what the targets of issue 22 are stated in."""
    base = results.get("0_months")
    if base is None:
        return
    for length in months:
        row = results[f"{length}_months"]
        row["vs_none"] = {
            "load_extra_s": row["summaries"]["seconds"] - base["summaries"]["seconds"],
            "load_peak_ratio": row["summaries"]["peak_mb"] / base["summaries"]["peak_mb"],
            "next_run_extra_s": row["next_run_s"] - base["next_run_s"],
            "next_run_extra_cpu_s": row["next_run_cpu_s"] - base["next_run_cpu_s"],
            "next_run_fold_once_extra_s": row["next_run_fold_once_s"] - base["next_run_fold_once_s"],
            "next_run_fold_once_extra_cpu_s": row["next_run_fold_once_cpu_s"] - base["next_run_fold_once_cpu_s"],
        }
        print(length, "months vs none:", json.dumps(row["vs_none"]), flush=True)


if __name__ == "__main__":
    main()
