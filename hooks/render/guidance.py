"""Recommendation pages: use cases, workloads and the quick-reference table, each grouped by whose advice it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.schema import UseCase, Workload
from hooks.render.fleets import by_fleet, fleet_view
from hooks.render.snippets import request_example
from hooks.render.templating import Links, render
from hooks.render.trees import recommendation_view
from hooks.site_context import SiteContext


def _grouped_with_recommendations(
    ctx: SiteContext, links: Links, entities: Mapping[str, UseCase | Workload]
) -> list[dict[str, Any]]:
    """Entities grouped by fleet, by their `order` within it, each with its recommendations resolved."""
    ordered = sorted(entities.items(), key=lambda item: (item[1].order, item[0]))
    return [
        {
            "whose": group["whose"],
            "items": [
                {
                    "id": key,
                    "entity": entity,
                    "recs": [recommendation_view(ctx.catalog, r, links) for r in entity.recommendations],
                    "example": _example(ctx, entity),
                }
                for key, entity in group["items"]
            ],
        }
        for group in by_fleet(ctx, links, ordered)
    ]


def _example(ctx: SiteContext, entity: UseCase | Workload) -> Any:
    """A use case's example, sent to its first recommended deployment (None when that has no endpoint)."""
    example = getattr(entity, "example", None)
    first = next((r.deployment for r in entity.recommendations if r.deployment), None)
    if example is None or first is None:
        return None
    target = ctx.record(first).client
    return request_example(target, example) if target else None


def render_use_cases(ctx: SiteContext, links: Links) -> str:
    return render("use_cases.md.j2", groups=_grouped_with_recommendations(ctx, links, ctx.catalog.use_cases))


def render_workloads(ctx: SiteContext, links: Links) -> str:
    return render("workloads.md.j2", groups=_grouped_with_recommendations(ctx, links, ctx.catalog.workloads))


def render_quick_reference(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    groups = [
        {
            "whose": fleet_view(ctx, links, fleet_id),
            "rows": [
                {"row": row, "rec": recommendation_view(catalog, row.recommendation, links)}
                for row in fleet.quick_reference
            ],
        }
        for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0]))
        if fleet.quick_reference
    ]
    return render("quick_reference.md.j2", groups=groups, cost_notes=catalog.site.cost_notes)
