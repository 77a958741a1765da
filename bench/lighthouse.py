"""`make lighthouse`: Lighthouse's mobile performance score for the home page, the catalog and a card.

Builds the site from the bundled catalog (or `--catalog DIR`) with `mkdocs build --strict`, serves it on
loopback with gzip (as any static host does), and runs Lighthouse from npm (installed by `make lighthouse`
under bench/lighthouse-npm, from its package-lock.json) with Debian's Chromium: default mobile settings
(simulated slow 4G and a 4x slower CPU), performance category only, each page `--runs` times; the median score is recorded in
bench/lighthouse.json, which `make bench` reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.site_weight import serve

REPO_ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO_ROOT / "bench" / "lighthouse-npm" / "node_modules" / ".bin" / "lighthouse"
OUTPUT = REPO_ROOT / "bench" / "lighthouse.json"


#: The metrics the performance score is made of (Lighthouse audit ids), recorded to say which one costs points.
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)


def score(url: str, report: Path) -> tuple[float, dict[str, float]]:
    """The performance score (0-100) and each metric's value (ms; layout shift unitless)."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--only-categories=performance",
            "--output=json",
            f"--output-path={report}",
            "--chrome-flags=--headless --no-sandbox --disable-gpu",
            "--quiet",
        ],
        env=env,
        check=True,
        timeout=300,
    )
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    metrics = {name: round(float(data["audits"][name]["numericValue"]), 3) for name in METRICS}
    return round(float(data["categories"]["performance"]["score"]) * 100, 1), metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make lighthouse`, which installs it with npm")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    if args.catalog:
        env["CATALOG_DIR"] = str(args.catalog.resolve())
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        site = Path(tmp) / "site"
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
            cwd=REPO_ROOT,
            env=env,
            check=True,
        )
        card = sorted(p.parent.name for p in (site / "deployments").glob("*/index.html"))[0]
        pages = {"home": "", "catalog": "catalog/", f"card ({card})": f"deployments/{card}/"}
        scores: dict[str, list[float]] = {name: [] for name in pages}
        measured: dict[str, dict[str, list[float]]] = {name: {m: [] for m in METRICS} for name in pages}
        with serve(site, compress=True) as base:
            for _ in range(args.runs):
                for name, path in pages.items():
                    value, metrics = score(base + path, Path(tmp) / "report.json")
                    scores[name].append(value)
                    for metric, number in metrics.items():
                        measured[name][metric].append(number)
    result = {
        "runs": args.runs,
        "catalog": str(args.catalog) if args.catalog else "bundled",
        "scores": scores,
        "performance": {name: statistics.median(values) for name, values in scores.items()},
        "metrics_median": {
            name: {metric: statistics.median(values) for metric, values in by_metric.items()}
            for name, by_metric in measured.items()
        },
    }
    OUTPUT.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name, value in result["performance"].items():
        print(f"Lighthouse mobile performance, {name}: {value} (runs: {scores[name]})")


if __name__ == "__main__":
    main()
