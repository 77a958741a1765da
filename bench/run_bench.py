"""`make bench`: how validation and the site build scale with catalog size.

For each size it generates a synthetic catalog (bench/synth_catalog.py), then runs
`python -m catalog validate` and `mkdocs build --strict` in fresh processes, several
times, and records median wall time, peak RSS, one model page's size and the site's
total size. The scaling exponent between the two largest sizes is
log(t_large / t_small) / log(n_large / n_small): 1.0 is linear, 2.0 quadratic.

Results go to bench/results.json (rendered by the site's Performance page) and a
table on stdout. Timings come from this machine at this moment: quote medians and
ratios from one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synth_catalog import generate

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "bench" / "results.json"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command, run in a fresh process."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - start\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *command], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if out[2] != "0":
        raise SystemExit(f"command failed: {' '.join(command)}")
    return float(out[0]), int(out[1])


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(size: int, runs: int, work: Path) -> dict[str, Any]:
    catalog = work / f"catalog-{size}"
    generate(catalog, size)
    env = {
        **os.environ,
        "CATALOG_DIR": str(catalog),
        "EVIDENCE_DIR": str(work / "no-evidence"),
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    validate = [
        timed([sys.executable, "-m", "catalog", "validate", "--catalog", str(catalog)], env) for _ in range(runs)
    ]
    site = work / f"site-{size}"
    builds = [
        timed([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)], env) for _ in range(runs)
    ]
    first_model = sorted((catalog / "deployments").glob("*.yaml"))[0].stem
    page = site / "deployments" / first_model / "index.html"
    return {
        "models": size,
        "deployments": size,
        "runs": runs,
        "validate_s": [round(w, 3) for w, _ in validate],
        "validate_median_s": round(statistics.median(w for w, _ in validate), 3),
        "build_s": [round(w, 3) for w, _ in builds],
        "build_median_s": round(statistics.median(w for w, _ in builds), 3),
        "build_peak_rss_mib": round(max(r for _, r in builds) / 1024, 1),
        "model_page_bytes": page.stat().st_size,
        "site_bytes": dir_size(site),
        "pages": sum(1 for _ in site.rglob("index.html")),
    }


def exponent(small: dict[str, Any], large: dict[str, Any], key: str) -> float:
    ratio = float(large[key]) / float(small[key])
    return round(math.log(ratio) / math.log(int(large["models"]) / int(small["models"])), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 3000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as tmp:
        rows = []
        for size in args.sizes:
            started = time.perf_counter()
            rows.append(measure(size, args.runs, Path(tmp)))
            print(f"  {size} models measured in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    small, large = rows[-2], rows[-1]
    result = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": "make bench",
        "sizes": rows,
        "build_exponent": exponent(small, large, "build_median_s"),
        "validate_exponent": exponent(small, large, "validate_median_s"),
        "exponent_between": [small["models"], large["models"]],
    }
    args.output.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print("| models | validate (median s) | build (median s) | peak RSS (MiB) | model page (KB) | site (MB) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['models']} | {row['validate_median_s']} | {row['build_median_s']} | {row['build_peak_rss_mib']}"
            f" | {int(row['model_page_bytes']) / 1000:.1f} | {int(row['site_bytes']) / 1e6:.1f} |"
        )
    print(
        f"build scaling exponent {small['models']}->{large['models']}: {result['build_exponent']}; "
        f"validate: {result['validate_exponent']}"
    )


if __name__ == "__main__":
    main()
