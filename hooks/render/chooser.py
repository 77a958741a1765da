"""The quick chooser: task categories with ranked picks, each linking to its card."""

from __future__ import annotations

from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def render_quick_chooser(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    categories = sorted(catalog.choosers.items(), key=lambda item: (item[1].order, item[0]))
    rows = []
    for category_id, category in categories:
        picks = [
            {
                "rank": rank,
                "id": pick.deployment,
                "served_name": catalog.deployments[pick.deployment].served_name,
                "reason": pick.reason,
                "status": catalog.deployments[pick.deployment].status.value,
                "evidence": ctx.verdicts[pick.deployment].summary,
                "href": links.deployment(pick.deployment),
            }
            for rank, pick in enumerate(category.picks, start=1)
        ]
        unavailable = [
            {
                "id": pick.deployment,
                "served_name": catalog.deployments[pick.deployment].served_name,
                "reason": pick.reason,
                "status": catalog.deployments[pick.deployment].status.value,
                "href": links.deployment(pick.deployment),
            }
            for pick in category.unavailable
        ]
        rows.append({"id": category_id, "category": category, "picks": picks, "unavailable": unavailable})
    caveats = sorted(
        {c for _, category in categories for ref in category.sources if (c := catalog.sources[ref.source].caveat)}
    )
    return render("quick_chooser.md.j2", categories=rows, caveats=caveats)
