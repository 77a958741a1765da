"""The site benchmark page: `make bench` results (bench/results.json) against the scaling targets.

This is the site's own build and page-weight benchmark, not a measurement of any model.
"""

from __future__ import annotations

from typing import Any

from hooks.render.templating import Links, render
from hooks.site_context import SiteContext

#: Goals of the first scaling issue, for results written before `make bench` recorded its own targets.
LEGACY_TARGETS = {
    "build_3000_s": 15.0,
    "build_exponent": 1.1,
    "model_page_kb": 40.0,
    "validate_3000_s": 1.0,
}


def _row(label: str, value: float | None, goal: float, unit: str = "", *, at_least: bool = False) -> dict[str, Any]:
    shown = "not measured" if value is None else f"{value:g}{unit}"
    met = value is not None and (value >= goal if at_least else value <= goal)
    return {"label": label, "goal": f"{'≥' if at_least else '≤'} {goal:g}{unit}", "value": shown, "met": met}


def _checks(results: dict[str, Any], largest: dict[str, Any]) -> list[dict[str, Any]]:
    n = largest["models"]
    if "targets" not in results:
        t = LEGACY_TARGETS
        return [
            _row(f"Build {n} models", round(largest["build_median_s"], 1), t["build_3000_s"], " s"),
            _row("Build scaling exponent", results["build_exponent"], t["build_exponent"]),
            _row("Model page size", round(largest["model_page_bytes"] / 1000, 1), t["model_page_kb"], " KB"),
            _row(f"Validate {n} models", round(largest["validate_median_s"], 2), t["validate_3000_s"], " s"),
        ]
    t = results["targets"]
    search, scripts, edit = results.get("search") or {}, results.get("javascript") or {}, results.get("edit_loop") or {}
    # Results written before issue 22 hold one goal for cold and warm builds, and none for memory.
    warm_goal = t.get("build_warm_ratio_to_floor", t["build_ratio_to_floor"])
    memory = (
        [
            _row(
                f"Peak memory of a cold build, {n} models, its processes together",
                largest["build_peak_memory_mib"],
                t["build_peak_memory_mib"],
                " MiB",
            )
        ]
        if "build_peak_memory_mib" in t
        else []
    )
    rows = [
        _row(f"Build {n} models, cold, ÷ floor", largest["build_ratio_to_floor"], t["build_ratio_to_floor"]),
        _row(f"Build {n} models, warm, ÷ floor", largest["build_warm_ratio_to_floor"], warm_goal),
        *memory,
        _row("Build scaling exponent, cold", results["build_exponent"], t["build_exponent"]),
        _row("Build scaling exponent, warm", results.get("build_warm_exponent"), t["build_exponent"]),
        _row(
            f"Validate {n} models, parse cache of an earlier run",
            largest["validate_median_s"],
            t["validate_3000_s"],
            " s",
        ),
        _row(f"Validate {n} models, no parse cache", largest.get("validate_cold_median_s"), t["validate_3000_s"], " s"),
        *(
            _row(f"Validate {n} models, {label}, ÷ PyYAML C-loader floor", largest[key], t[key])
            for key, label in (
                ("validate_cold_ratio_to_floor", "no parse cache"),
                ("validate_warm_ratio_to_floor", "parse cache of an earlier run"),
            )
            if key in largest and key in t
        ),
        _row(
            f"Edit a YAML → page reloaded under `mkdocs serve`, {edit.get('models', 300)} models, full site",
            edit.get("median_s"),
            t["edit_loop_s"],
            " s",
        ),
        _row(
            f"Largest file downloaded before the first search result, {n} models",
            round(search["largest_bytes"] / 1000, 1) if search else None,
            t["search_largest_file_kb"],
            " KB",
        ),
        *(
            _row(
                f"First search result in Chromium, {n} models" + (f", {label} (`{q['query']}`)" if label else ""),
                q.get("first_result_median_ms"),
                t["search_first_result_ms"],
                " ms",
            )
            # Results written before the benchmark typed more than one query hold one, unlabelled.
            for label, q in (search.get("queries") or {"": search}).items()
        ),
        _row(f"llms.txt, {n} models", round(largest["llms_txt_bytes"] / 1024, 1), t["llms_txt_kb"], " KiB"),
        _row(
            "JavaScript on the heaviest page without diagrams",
            round(scripts["max_bytes"] / 1000, 1) if scripts else None,
            t["javascript_per_page_kb"],
            " KB",
        ),
    ]
    lighthouse = results.get("lighthouse") or {}
    for page, score in (lighthouse.get("performance") or {}).items():
        rows.append(_row(f"Lighthouse mobile performance, {page}", score, t["lighthouse_performance"], at_least=True))
    return rows + _history_rows(results.get("history")) + _fleet_rows(results.get("fleet"))


def _history_rows(history: dict[str, Any] | None) -> list[dict[str, Any]]:
    """bench/history_build.py's section: the longest history against the first, built the same way."""
    if not history:
        return []
    longest, goals = history["levels"][-1], history["targets"]
    against = f"{longest['days']} days of history ÷ {history['baseline_days']}, {history['deployments']} deployments"
    return [
        _row(f"Build, cold, {against}", longest["cold_ratio"], goals["build_ratio"]),
        _row(f"Build, warm, {against}", longest["warm_ratio"], goals["build_ratio"]),
        *(
            _row(f"Build CPU time, {way}, {against}", longest[f"{way}_cpu_ratio"], goals["build_ratio"])
            for way in ("cold", "warm")
            if f"{way}_cpu_ratio" in longest  # results written before the benchmark measured CPU have none
        ),
        _row(f"Peak memory of the build, {against}", longest["memory_ratio"], goals["memory_ratio"]),
        _row(f"Next probe run, {against}: extra time", longest["prober_extra_s"], goals["prober_extra_s"], " s"),
    ]


def _fleet_rows(fleet: dict[str, Any] | None) -> list[dict[str, Any]]:
    """bench/fleet_bench.py's section: the fleet probed by server against one at a time."""
    if not fleet:
        return []
    by_server = fleet["ways"]["by_server"]
    fleet_of = f"{fleet['deployments']} deployments on {fleet['servers']} loopback servers"
    same = by_server["same_verdicts_as_serial"]
    return [
        _row(f"Probe {fleet_of}, by server ÷ one at a time", by_server["ratio_to_serial"], fleet["target_ratio"]),
        {
            "label": f"Latency verdicts of {fleet_of}, by server",
            "goal": "as one at a time",
            "value": "the same" if same else "different",
            "met": same,
        },
    ]


def render_performance(ctx: SiteContext, links: Links) -> str:
    results = ctx.benchmark
    if not results:
        return render("performance.md.j2", results=None)
    largest = max(results["sizes"], key=lambda row: row["models"])
    search = results.get("search") or {}
    # What the benchmark typed: one query in results written before it typed several.
    typed = [q["query"] for q in search["queries"].values()] if "queries" in search else [search.get("query")]
    return render(
        "performance.md.j2",
        results=results,
        largest=largest,
        has_floor="floor_median_s" in largest,
        checks=_checks(results, largest),
        search_typed=[query for query in typed if query],
    )
