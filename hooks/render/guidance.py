"""Recommendation pages: use cases, workloads and the quick-reference table."""

from __future__ import annotations

from hooks.render.templating import Links, render
from hooks.render.trees import recommendation_view
from hooks.site_context import SiteContext


def render_use_cases(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    items = [
        {"id": uc_id, "uc": uc, "recs": [recommendation_view(catalog, r, links) for r in uc.recommendations]}
        for uc_id, uc in sorted(catalog.use_cases.items(), key=lambda item: (item[1].order, item[0]))
    ]
    return render("use_cases.md.j2", items=items)


def render_workloads(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    items = [
        {"id": wl_id, "wl": wl, "recs": [recommendation_view(catalog, r, links) for r in wl.recommendations]}
        for wl_id, wl in sorted(catalog.workloads.items(), key=lambda item: (item[1].order, item[0]))
    ]
    return render("workloads.md.j2", items=items)


def render_quick_reference(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    rows = [
        {"row": row, "rec": recommendation_view(catalog, row.recommendation, links)}
        for row in catalog.site.quick_reference
    ]
    return render("quick_reference.md.j2", rows=rows, cost_notes=catalog.site.cost_notes)
