"""Side-by-side comparison: every deployment's comparable facts as data for the compare page's script.

The page holds the data once; the script shows 2 to 4 deployments chosen in the URL
(`compare/?d=a,b`), aligns their rows and marks the rows that differ.
"""

from __future__ import annotations

from typing import Any

from catalog.vram import estimate
from hooks.evidence import last_verified
from hooks.render.chooser import proven_summary
from hooks.render.format import gpu_text, quantization_text
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext

ROWS = [
    "Status",
    "Evidence",
    "Last verified",
    "Backend",
    "Model",
    "Kind",
    "Architecture",
    "Quantization",
    "Native context",
    "Served context",
    "GPU",
    "Weights (VRAM estimate)",
    "Endpoints",
    "Capabilities",
    "Tool-call parser",
    "Reasoning parser",
    "Engine version",
    "Cost in / out per MTok",
    "GPU cost per hour",
    "SLO TTFT p95",
    "Gateway alias",
]


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def compare_values(ctx: SiteContext, deployment_id: str) -> list[str]:
    """The deployment's value for each of ROWS, as display strings."""
    catalog = ctx.catalog
    d = catalog.deployments[deployment_id]
    model = catalog.models[d.model]
    arch = model.architecture
    vram = estimate(model)
    cost = d.cost
    return [
        d.status.value,
        proven_summary(ctx, deployment_id),
        last_verified(deployment_id, ctx.evidence) or "never",
        catalog.backends[d.backend].name,
        model.name,
        model.kind.value,
        "—"
        if arch is None
        else f"{arch.type}, {arch.total_params_b:g}B"
        + (f" ({arch.active_params_b:g}B active)" if arch.active_params_b else ""),
        quantization_text(model),
        _num(model.native_context),
        _num(d.serving.max_model_len),
        gpu_text(d.hardware),
        "—" if vram is None else f"{vram.weights_gib:.1f} GiB",
        ", ".join(e.value for e in d.endpoints) or "—",
        ", ".join(c.value for c in d.capabilities) or "—",
        d.serving.tool_call_parser or "—",
        d.serving.reasoning_parser or "—",
        d.serving.engine_version or "—",
        "—" if cost is None else f"{_num(cost.input_usd_per_mtok, '')} / {_num(cost.output_usd_per_mtok, '')}",
        "—" if cost is None else _num(cost.gpu_usd_per_hour),
        "—" if d.slo is None else _num(d.slo.ttft_p95_ms, " ms"),
        d.gateway_alias or "—",
    ]


def compare_data(ctx: SiteContext, links: Links) -> dict[str, Any]:
    return {
        "rows": ROWS,
        "deployments": {
            dep_id: {"name": dep.served_name, "href": links.deployment(dep_id), "values": compare_values(ctx, dep_id)}
            for dep_id, dep in ctx.catalog.deployments.items()
        },
    }


def render_compare(ctx: SiteContext, links: Links) -> str:
    options = sorted(
        ((d.served_name, dep_id) for dep_id, d in ctx.catalog.deployments.items()), key=lambda o: o[0].lower()
    )
    return render("compare.md.j2", data=compare_data(ctx, links), options=options)
