"""Side-by-side comparison: every deployment's comparable facts as data for the compare page's script.

The page holds the data once; the script shows 2 to 4 deployments chosen in the URL
(`compare/?d=a,b`), aligns their rows and marks the rows that differ.
"""

from __future__ import annotations

from typing import Any

from catalog.claims import ClaimGroup
from catalog.display import (
    NONE,
    gpu_hour_text,
    gpu_text,
    quantization_text,
    slo_target_ms,
    summary_state_text,
    token_prices_text,
    verdict_lines,
)
from catalog.vram import estimate
from hooks.render.site_pages import SitePage
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def _goodput(ctx: SiteContext, deployment_id: str) -> str:
    """The highest concurrency the last goodput sweep found within the SLO, and its rate."""
    run = ctx.evidence.latest.get(deployment_id)
    goodput = run.latency.goodput if run is not None and run.latency is not None else None
    if goodput is None:
        return "—"
    if goodput.max_concurrency is None:
        return f"none (missed at concurrency {goodput.levels[0].concurrency})" if goodput.levels else "none"
    rate = "" if goodput.goodput_rps is None else f" ({goodput.goodput_rps:.1f} req/s)"
    return f"{goodput.max_concurrency}{rate}"


def compare_rows(ctx: SiteContext, deployment_id: str) -> list[tuple[str, str]]:
    """The deployment's comparable facts as (row label, display value), in page order."""
    record = ctx.record(deployment_id)
    d, verdict, model = record.deployment, record.verdict, record.model
    arch = model.architecture
    vram = estimate(model)
    cost = d.cost
    return [
        ("Status", d.status.value),
        # Serving and quality apart: evals that fail never read as an endpoint that fails.
        *((group.value.capitalize(), summary_state_text(verdict.group(group))) for group in ClaimGroup),
        ("Last verified", verdict.last_verified.isoformat() if verdict.last_verified else "never"),
        # The guide's verdicts, beside the evidence: what it is best for, its strengths and tradeoffs, its warnings.
        *((label, text or NONE) for label, text in verdict_lines(d)),
        ("Backend", record.backend.name),
        ("Model", model.name),
        ("Kind", model.kind.value),
        (
            "Architecture",
            "—"
            if arch is None
            else f"{arch.type}, {arch.total_params_b:g}B"
            + (f" ({arch.active_params_b:g}B active)" if arch.active_params_b else "")
            + (" (inferred)" if any(i.field == "architecture" for i in model.inferred) else ""),
        ),
        ("Quantization", quantization_text(model)),
        ("Native context", _num(model.native_context)),
        ("Served context", _num(d.serving.max_model_len)),
        ("GPU", gpu_text(d.hardware)),
        ("Weights (VRAM estimate)", "—" if vram is None else f"{vram.weights_gib:.1f} GiB"),
        ("Endpoints", ", ".join(e.value for e in d.endpoints) or "—"),
        ("Capabilities", ", ".join(c.value for c in d.capabilities) or "—"),
        ("Tool-call parser", d.serving.tool_call_parser or "—"),
        ("Reasoning parser", d.serving.reasoning_parser or "—"),
        ("Engine version", d.serving.engine_version or "—"),
        ("Cost in / out per MTok", token_prices_text(cost, missing=NONE) or NONE),
        ("GPU cost per hour", gpu_hour_text(cost) or NONE),
        ("SLO TTFT p95", slo_target_ms(d.slo, "ttft_p95_ms") or NONE),
        ("Goodput (concurrency within SLO)", _goodput(ctx, deployment_id)),
        ("Gateway alias", d.gateway_alias or "—"),
    ]


def compare_data(ctx: SiteContext, links: Links) -> dict[str, Any]:
    """Row labels once, and each deployment's values in the same order (the page holds every deployment)."""
    rows = {dep_id: compare_rows(ctx, dep_id) for dep_id in ctx.catalog.deployments}
    labels = [label for label, _value in next(iter(rows.values()), [])]
    return {
        "rows": labels,
        "deployments": {
            dep_id: {
                "name": dep.served_name,
                "href": links.deployment(dep_id),
                "values": [value for _label, value in rows[dep_id]],
            }
            for dep_id, dep in ctx.catalog.deployments.items()
        },
    }


def render_compare(ctx: SiteContext, links: Links) -> str:
    options = sorted(
        ((d.served_name, dep_id) for dep_id, d in ctx.catalog.deployments.items()), key=lambda o: o[0].lower()
    )
    return render(
        "compare.md.j2", data=compare_data(ctx, links), options=options, catalog_href=links.page(SitePage.catalog)
    )
