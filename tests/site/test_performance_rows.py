"""The Performance page shows the fleet benchmark (bench/fleet_bench.py's section of bench/results.json)."""

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
