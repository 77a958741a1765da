"""Recommendation pages: use cases, workloads and the quick-reference table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.schema import UseCase, Workload
from hooks.render.templating import Links, render
from hooks.render.trees import recommendation_view
from hooks.site_context import SiteContext


def _ordered_with_recommendations(
    ctx: SiteContext, links: Links, entities: Mapping[str, UseCase | Workload]
) -> list[dict[str, Any]]:
    """Entities by their `order`, each with its recommendations resolved to titles and links."""
    return [
        {
            "id": key,
            "entity": entity,
            "recs": [recommendation_view(ctx.catalog, r, links) for r in entity.recommendations],
        }
        for key, entity in sorted(entities.items(), key=lambda item: (item[1].order, item[0]))
    ]


def render_use_cases(ctx: SiteContext, links: Links) -> str:
    return render("use_cases.md.j2", items=_ordered_with_recommendations(ctx, links, ctx.catalog.use_cases))


def render_workloads(ctx: SiteContext, links: Links) -> str:
    return render("workloads.md.j2", items=_ordered_with_recommendations(ctx, links, ctx.catalog.workloads))


def render_quick_reference(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    rows = [
        {"row": row, "rec": recommendation_view(catalog, row.recommendation, links)}
        for row in catalog.site.quick_reference
    ]
    return render("quick_reference.md.j2", rows=rows, cost_notes=catalog.site.cost_notes)
