"""What a long probe history costs the site's build and the prober, against day 1, in one run.

`python -m bench.history_build [--models 300] [--days 1 90 365] [--runs 2] [--output bench/results.json]`

One synthetic catalog (bench/synth_catalog.py: as many deployments as models), and for each length of
history an evidence folder as a fleet probed every 4 hours would leave it (bench/history_bench.py's lines:
summaries, fold index, raw `history.jsonl`, and each deployment's newest evidence file). For each, in fresh
processes and interleaved so a burst of load hits every length alike:

- `mkdocs build --strict` **cold** (empty render cache) and **warm** (the cache that build left), its wall
  time and peak memory, with the build's date at the end of that history (`SOURCE_DATE_EPOCH`), so every card
  shows its recent runs and availability as it would that day;
- what the prober's next run of the whole fleet costs in history writes (`history_bench.one_more_run`).

Ratios are against the first length (day 1). Written as the `history` section of `--output`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.history_bench import CLAIMS, START, one_more_run, write_history
from bench.run_bench import RESULTS, timed, write_section
from bench.synth_catalog import generate as generate_catalog
from catalog.evidence import ClaimRecord, EvidenceFile, ServerInfo
from probes.evidence import write_evidence

SECTION = "history"
#: The issue's goals: a year of history within these of day 1.
TARGETS = {"build_ratio": 1.1, "memory_ratio": 1.2, "prober_extra_s": 1.0}


def evidence_folder(folder: Path, names: list[str], days: int) -> int:
    """`days` of history for `names`, and each one's newest evidence file (its last run); history bytes."""
    size = write_history(folder, names, days, random.Random(days))
    last = START + dt.timedelta(days=days) - dt.timedelta(hours=4)
    for name in names:
        records = [
            ClaimRecord(claim=claim, status="pass", date=last + dt.timedelta(seconds=offset))
            for offset, claim in enumerate(CLAIMS)
            if claim != "latency"
        ]
        write_evidence(
            folder,
            EvidenceFile(
                deployment=name,
                run_id=f"run-{days * 6 - 1:05d}",
                started_at=last,
                finished_at=last + dt.timedelta(seconds=len(CLAIMS)),
                server=ServerInfo(version="synthetic", max_model_len=None),
                records=records,
            ),
        )
    return size


def _env(catalog: Path, evidence: Path, cache: Path, today: dt.datetime) -> dict[str, str]:
    return {
        **os.environ,
        "CATALOG_DIR": str(catalog),
        "EVIDENCE_DIR": str(evidence),
        "SITE_RENDER_CACHE": str(cache),
        "CATALOG_PARSE_CACHE": "off",
        "SOURCE_DATE_EPOCH": str(int(today.timestamp())),
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }


def measure(models: int, days_list: list[int], runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="history-build-") as tmp:
        work = Path(tmp)
        catalog = work / "catalog"
        generate_catalog(catalog, models)
        names = sorted(p.stem for p in (catalog / "deployments").glob("*.yaml"))
        folders = {days: work / f"evidence-{days}" for days in days_list}
        sizes = {days: evidence_folder(folders[days], names, days) for days in days_list}
        mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
        found: dict[int, dict[str, list[float]]] = {
            d: {"cold": [], "warm": [], "cold_cpu": [], "warm_cpu": [], "peak": []} for d in days_list
        }
        for run in range(runs):
            for days in days_list:
                today = START + dt.timedelta(days=days)
                env = _env(catalog, folders[days], work / f"cache-{days}-{run}", today)
                site = ["-d", str(work / f"site-{days}")]
                cold = timed([*mkdocs, *site], env)
                warm = timed([*mkdocs, *site], env)
                found[days]["cold"].append(cold.wall_s)
                found[days]["warm"].append(warm.wall_s)
                found[days]["cold_cpu"].append(cold.cpu_s)
                found[days]["warm_cpu"].append(warm.cpu_s)
                found[days]["peak"].append(max(cold.peak_rss_kib, warm.peak_rss_kib) / 1024)
        prober = {days: one_more_run(folders[days], len(names), names) for days in days_list}
    base = days_list[0]
    levels = []
    for days in days_list:
        row = {
            "days": days,
            "history_mb": round(sizes[days] / 1e6, 1),
            "build_cold_s": round(statistics.median(found[days]["cold"]), 2),
            "build_warm_s": round(statistics.median(found[days]["warm"]), 2),
            "build_cold_cpu_s": round(statistics.median(found[days]["cold_cpu"]), 2),
            "build_warm_cpu_s": round(statistics.median(found[days]["warm_cpu"]), 2),
            "peak_mib": round(max(found[days]["peak"])),
            "prober_next_run_s": round(prober[days]["next_run_fold_once_s"], 3),
            "prober_next_run_diff_mb": round(prober[days]["next_run_diff_bytes"] / 1e6, 2),
        }
        levels.append(row)
    first = levels[0]
    for row in levels:
        row["cold_ratio"] = round(row["build_cold_s"] / first["build_cold_s"], 3)
        row["warm_ratio"] = round(row["build_warm_s"] / first["build_warm_s"], 3)
        # CPU seconds of the build and its workers: what the build costs, less sensitive than wall time to
        # other work on a shared machine (the goal is stated in time; both are reported).
        row["cold_cpu_ratio"] = round(row["build_cold_cpu_s"] / first["build_cold_cpu_s"], 3)
        row["warm_cpu_ratio"] = round(row["build_warm_cpu_s"] / first["build_warm_cpu_s"], 3)
        row["memory_ratio"] = round(row["peak_mib"] / first["peak_mib"], 3)
        row["prober_extra_s"] = round(row["prober_next_run_s"] - first["prober_next_run_s"], 3)
    return {
        "date": dt.date.today().isoformat(),
        "deployments": len(names),
        "baseline_days": base,
        "runs": runs,
        "targets": TARGETS,
        "levels": levels,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['deployments']} deployments, probed every 4 hours; ratios against {result['baseline_days']} day(s)"
    ]
    for row in result["levels"]:
        lines.append(
            f"  {row['days']:4} days ({row['history_mb']:7.1f} MB raw): build cold {row['build_cold_s']:6.2f} s "
            f"({row['cold_ratio']:.2f}x; CPU {row['cold_cpu_ratio']:.2f}x), warm {row['build_warm_s']:6.2f} s "
            f"({row['warm_ratio']:.2f}x; CPU {row['warm_cpu_ratio']:.2f}x), peak "
            f"{row['peak_mib']} MiB ({row['memory_ratio']:.2f}x); prober's next run {row['prober_next_run_s']:.2f} s "
            f"({row['prober_extra_s']:+.2f} s), diff {row['prober_next_run_diff_mb']:.2f} MB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--days", type=int, nargs="+", default=[1, 90, 360])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    result = measure(args.models, args.days, args.runs)
    result["bench_seconds"] = round(time.perf_counter() - started)
    write_section(args.output, SECTION, result)
    print(report(result))


if __name__ == "__main__":
    main()
