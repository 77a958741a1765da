"""The Performance page shows the fleet and history benchmarks (their sections of bench/results.json)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hooks.render.performance import render_performance
from hooks.render.templating import Links
from hooks.site_context import SiteContext
from tests.conftest import FIXTURES


def _fleet(ratio: float, same: bool) -> dict[str, Any]:
    return {
        "servers": 4,
        "deployments": 16,
        "target_ratio": 0.333,
        "ways": {
            "serial": {"seconds": 48.0, "latency_pass": 16},
            "by_server": {"seconds": 48.0 * ratio, "ratio_to_serial": ratio, "same_verdicts_as_serial": same},
        },
    }


def _page(site_ctx: SiteContext, fleet: dict[str, Any]) -> str:
    results = {**json.loads((FIXTURES / "bench-results-floor.json").read_text()), "fleet": fleet}
    return render_performance(dataclasses.replace(site_ctx, benchmark=results), Links("page/"))


def test_the_fleet_goal_row_says_met_or_missed_as_measured(site_ctx: SiteContext) -> None:
    met = _page(site_ctx, _fleet(0.26, same=True))
    assert (
        "| Probe 16 deployments on 4 loopback servers, by server ÷ one at a time | ≤ 0.333 | 0.26 "
        ":material-check-circle: met |" in met
    )
    assert "| Latency verdicts of 16 deployments on 4 loopback servers, by server | as one at a time | the same " in met
    missed = _page(site_ctx, _fleet(0.5, same=False))
    assert "by server ÷ one at a time | ≤ 0.333 | 0.5 :material-close-circle: missed |" in missed
    assert "by server | as one at a time | different :material-close-circle: missed |" in missed


def test_the_history_rows_compare_the_longest_history_with_day_one(site_ctx: SiteContext) -> None:
    level = {"days": 360, "cold_ratio": 1.04, "warm_ratio": 1.25, "memory_ratio": 1.1, "prober_extra_s": 0.2}
    history = {
        "deployments": 300,
        "baseline_days": 1,
        "targets": {"build_ratio": 1.1, "memory_ratio": 1.2, "prober_extra_s": 1.0},
        "levels": [{"days": 1}, level],
    }
    results = {**json.loads((FIXTURES / "bench-results-floor.json").read_text()), "history": history}
    page = render_performance(dataclasses.replace(site_ctx, benchmark=results), Links("page/"))
    against = "360 days of history ÷ 1, 300 deployments"
    assert f"| Build, cold, {against} | ≤ 1.1 | 1.04 :material-check-circle: met |" in page
    assert f"| Build, warm, {against} | ≤ 1.1 | 1.25 :material-close-circle: missed |" in page
    assert f"| Peak memory of the build, {against} | ≤ 1.2 | 1.1 :material-check-circle: met |" in page
    assert f"| Next probe run, {against}: extra time | ≤ 1 s | 0.2 s :material-check-circle: met |" in page
    assert "Build CPU time" not in page, "results measured before CPU time was have no CPU rows"
    level |= {"cold_cpu_ratio": 0.98, "warm_cpu_ratio": 1.12}
    page = render_performance(dataclasses.replace(site_ctx, benchmark=results), Links("page/"))
    assert f"| Build CPU time, cold, {against} | ≤ 1.1 | 0.98 :material-check-circle: met |" in page
    assert f"| Build CPU time, warm, {against} | ≤ 1.1 | 1.12 :material-close-circle: missed |" in page


def test_validate_is_shown_against_the_c_loader_floor(site_ctx: SiteContext) -> None:
    results = json.loads((FIXTURES / "bench-results-floor.json").read_text())
    results["targets"] |= {"validate_cold_ratio_to_floor": 1.5, "validate_warm_ratio_to_floor": 1.1}
    largest = max(results["sizes"], key=lambda row: row["models"])
    largest |= {"validate_cold_ratio_to_floor": 1.87, "validate_warm_ratio_to_floor": 0.93}
    page = render_performance(dataclasses.replace(site_ctx, benchmark=results), Links("page/"))
    n = largest["models"]
    assert (
        f"| Validate {n} models, no parse cache, ÷ PyYAML C-loader floor | ≤ 1.5 | 1.87 :material-close-circle:" in page
    )
    assert "parse cache of an earlier run, ÷ PyYAML C-loader floor | ≤ 1.1 | 0.93 :material-check-circle: met |" in page
