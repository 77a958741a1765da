"""The deployments index: every card, grouped by model family, so no page lists thousands of links flat."""

from __future__ import annotations

from hooks.render.site_pages import SitePage
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def render_deployment_index(ctx: SiteContext) -> str:
    catalog = ctx.catalog
    links = Links(SitePage.deployments.url)
    families: dict[str, list[dict[str, str]]] = {}
    for dep_id, dep in catalog.deployments.items():
        model = catalog.models[dep.model]
        families.setdefault(model.family, []).append(
            {
                "id": dep_id,
                "name": dep.served_name,
                "href": links.deployment(dep_id),
                "summary": dep.summary,
                "status": dep.status.value,
            }
        )
    return render(
        "deployment_index.md.j2",
        families=dict(sorted(families.items(), key=lambda i: i[0].lower())),
        catalog_href=links.page(SitePage.catalog),
    )
