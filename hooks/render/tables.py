"""Tables across deployments: the filterable catalog, the context table and the served-models table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from catalog.advice import Answer
from catalog.catalog import Catalog
from catalog.display import NONE, context_text, cost_cell, gpu_text, slo_targets_text
from catalog.types import BackendKind
from catalog.verdicts import ClaimState
from hooks.render.badges import SummaryBadge, summary_badges
from hooks.render.charts import mini_strip, window_days
from hooks.render.fleets import fleet_view
from hooks.render.templating import Links, cell, render
from hooks.site_context import SiteContext


def _token(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text.lower()).strip("-") or "none"


def deployment_tasks(catalog: Catalog, advice: Iterable[Answer]) -> dict[str, list[str]]:
    """Deployment id -> the tasks some fleet's advice names it for (picks, "not available now", answers)."""
    tasks: dict[str, set[str]] = {dep_id: set() for dep_id in catalog.deployments}
    for answer in advice:
        tasks[answer.deployment].add(answer.task)
    for category in catalog.choosers.values():
        for pick in category.unavailable:
            tasks[pick.deployment].add(category.task)
    return {dep_id: sorted(values) for dep_id, values in tasks.items()}


@dataclass(frozen=True)
class Column:
    """A column of the filterable catalog table: how its script sorts it, and its heading."""

    sort: str
    label: str


CATALOG_COLUMNS = (
    Column("text", "Deployment"),
    Column("text", "Model"),
    Column("text", "Kind"),
    Column("text", "Backend"),
    Column("text", "GPU"),
    Column("number", "Context"),
    Column("text", "Status"),
    Column("text", "Evidence"),
    Column("date", "Last verified"),
    Column("number", "Answered (30 days)"),
)


def _search_name(dep_id: str, served_name: str, gateway_alias: str | None, model_name: str) -> str:
    """What the table's text filter matches a row against: its id and names, lower case."""
    alias = f" {gateway_alias.lower()}" if gateway_alias else ""
    return f"{dep_id} {served_name.lower()}{alias} {model_name.lower()}"


def catalog_rows(ctx: SiteContext, links: Links) -> list[dict[str, Any]]:
    catalog = ctx.catalog
    tasks = deployment_tasks(catalog, ctx.view.answers)
    rows = []
    for dep_id, dep in catalog.deployments.items():
        model = catalog.models[dep.model]
        backend = catalog.backends[dep.backend]
        context = dep.serving.max_model_len or model.native_context
        modalities = sorted({m.value for m in [*model.input_modalities, *model.output_modalities]})
        verdict = ctx.record(dep_id).verdict
        rows.append(
            {
                "id": dep_id,
                "d": dep,
                "model": model,
                "backend": backend,
                "href": links.deployment(dep_id),
                # Served names wrap only after a `/` (Qwen/ | Qwen2.5-Coder-7B-Instruct), never inside a part.
                "name_parts": dep.served_name.split("/"),
                "search_name": _search_name(dep_id, dep.served_name, dep.gateway_alias, model.name),
                "tasks": tasks[dep_id],
                "fleet": catalog.fleets[dep.fleet],
                "modalities": modalities,
                "gpu_token": _token(dep.hardware.gpu) if dep.hardware.gpu else "not-stated",
                "context": context,
                "context_text": context_text(dep.serving.max_model_len, model.native_context, short=True),
                "gpu": gpu_text(dep.hardware),
                "verdict": verdict,
                # Serving, then quality (evals): a model that scores badly never reads as an endpoint that fails.
                "summaries": summary_badges(verdict),
                # The longest window (30 days), as the column's heading says.
                "answered": verdict.availability[-1],
                "answered_text": verdict.availability[-1].text(),
                # Which of the 30 days to its newest run it answered (hooks/render/charts.py); None without history.
                "strip": mini_strip(window_days(ctx.evidence.history.get(dep_id))),
            }
        )
    return rows


def render_deployment_table(ctx: SiteContext, links: Links) -> str:
    rows = catalog_rows(ctx, links)
    catalog = ctx.catalog
    # Tasks (what advice names a deployment for) and model kinds (what it was trained as) are separate questions.
    filters = {
        "fleet": {f: catalog.fleets[f].name for f in sorted({r["d"].fleet for r in rows})},
        "task": {
            t: catalog.tasks[t].title
            for t in sorted({t for r in rows for t in r["tasks"]}, key=lambda t: (catalog.tasks[t].order, t))
        },
        "kind": {k: k for k in sorted({r["model"].kind.value for r in rows})},
        "modality": {m: m for m in sorted({m for r in rows for m in r["modalities"]})},
        "backend": {b: catalog.backends[b].name for b in sorted({r["d"].backend for r in rows})},
        "gpu": {r["gpu_token"]: (r["d"].hardware.gpu or "no GPU stated (CPU, external or unknown)") for r in rows},
        "status": {s: s for s in sorted({r["d"].status.value for r in rows})},
    }
    filters["gpu"] = dict(sorted(filters["gpu"].items()))
    labels = {
        "fleet": "Fleet",
        "task": "Recommended for",
        "kind": "Model kind",
        "modality": "Modality",
        "backend": "Backend",
        "gpu": "GPU",
        "status": "Status",
    }
    return render("deployment_table.md.j2", rows=rows, filters=filters, labels=labels, columns=CATALOG_COLUMNS)


def render_context_table(ctx: SiteContext, links: Links) -> str:
    """Served context per deployment, grouped by backend; backends without fixed limits show their note."""
    catalog = ctx.catalog
    groups = []
    for backend_id, backend in catalog.backends.items():
        deployments = [
            (dep_id, dep)
            for dep_id, dep in catalog.deployments.items()
            if dep.backend == backend_id and (dep.serving.max_model_len or catalog.models[dep.model].native_context)
        ]
        if deployments or backend.context_note:
            groups.append(
                {
                    "backend": backend,
                    "rows": [
                        {
                            "id": dep_id,
                            "d": dep,
                            "href": links.deployment(dep_id),
                            "served": dep.serving.max_model_len,
                            "native": catalog.models[dep.model].native_context,
                        }
                        for dep_id, dep in deployments
                    ],
                }
            )
    if not groups and not catalog.site.context_notes:
        return ""  # no table of headings alone: the page leaves the section out (hooks/render/markers.py)
    return render("context_table.md.j2", groups=groups, notes=catalog.site.context_notes)


@dataclass(frozen=True)
class ReportedFigure:
    """A figure a source reported, beside the state the judged view gives its claim (the card's state)."""

    state: ClaimState
    label: str
    """The claim's label as the card writes it (Markdown, e.g. ``Eval `smoke-5` ``)."""
    summary: str


@dataclass(frozen=True)
class ServedRow:
    """One row of the served-models table, every cell as display text (the template only lays them out)."""

    alias: str
    href: str
    whose: dict[str, Any]
    model: str
    backend: str
    gpu: str
    context: str
    cost: str
    slo: Markup
    summaries: tuple[SummaryBadge, ...]
    """Serving, then quality (evals) (hooks/render/badges.py)."""
    evidence_note: Markup
    """What follows the evidence badge: that an external provider is not probed."""
    reported: tuple[ReportedFigure, ...] = ()
    """Figures a source reported, each with its claim's state as the card shows it."""


def served_row(ctx: SiteContext, links: Links, dep_id: str) -> ServedRow:
    record = ctx.record(dep_id)
    dep, model = record.deployment, record.model
    external = record.backend.kind is BackendKind.gateway
    context = "provider" if external else context_text(dep.serving.max_model_len, model.native_context, short=True)
    targets = slo_targets_text(dep.slo)
    # SLO targets are numbers and fixed words (`TTFT p95 < 250 ms`): Markup, so `<` stays itself.
    slo = Markup(targets) if targets else cell(dep.slo.note) if dep.slo and dep.slo.note else Markup(NONE)
    notes = [" External provider: not probed here"] if external else []
    # The claim's state comes from the judged view, as on the card: a reported figure reads "reported" here too,
    # not only the deployment's summary badge beside it.
    claims = {c.claim: c for c in record.verdict.claims}
    reported = tuple(
        ReportedFigure(state=claims[rep.claim].state, label=claims[rep.claim].label, summary=rep.summary)
        for rep in dep.reported
    )
    return ServedRow(
        alias=str(dep.gateway_alias),
        href=links.deployment(dep_id),
        whose=fleet_view(ctx, links, dep.fleet),
        model=model.name,
        backend=record.backend.name,
        gpu=gpu_text(dep.hardware),
        context=context,
        cost=cost_cell(dep.cost),
        slo=slo,
        summaries=summary_badges(record.verdict),
        evidence_note=Markup("".join(notes)),
        reported=reported,
    )


def render_served_models(ctx: SiteContext, links: Links) -> str:
    """The seed-003 style table: alias, model, backend, GPU, context, cost, SLO and eval status."""
    catalog = ctx.catalog
    rows = sorted(
        (served_row(ctx, links, dep_id) for dep_id, dep in catalog.deployments.items() if dep.gateway_alias),
        key=lambda r: r.alias,
    )
    # Column notes belong to the guide that wrote them: each fleet's show under its name.
    guides = [
        {"whose": fleet_view(ctx, links, fleet_id), "columns": fleet.column_guide}
        for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0]))
        if fleet.column_guide
    ]
    return render("served_models.md.j2", rows=rows, guides=guides, notes=catalog.site.fleet_notes)
