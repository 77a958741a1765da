"""Fleets: whose servers and whose advice. Every page that gives advice says which fleet it is for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from hooks.render.site_pages import SitePage
from hooks.render.snippets import gateway_example
from hooks.render.templating import LinkRun, Links, render
from hooks.site_context import SiteContext

Entity = TypeVar("Entity")


def fleet_view(ctx: SiteContext, links: Links, fleet_id: str) -> dict[str, Any]:
    """What a "whose advice" line needs: the fleet, a link to its section, and the titles of its sources."""
    fleet = ctx.catalog.fleets[fleet_id]
    return {
        "id": fleet_id,
        "fleet": fleet,
        "href": f"{links.page(SitePage.fleets)}#{fleet_id}",
        "sources": [ctx.catalog.sources[ref.source].title for ref in fleet.sources],
    }


def client_model(ctx: SiteContext, deployment_id: str) -> str:
    """The model name a client sends: the gateway alias where the fleet routes the deployment through its
    gateway (even one whose URL is not published), else the served name."""
    dep = ctx.catalog.deployments[deployment_id]
    return dep.gateway_alias if dep.gateway and dep.gateway_alias else dep.served_name


def by_fleet(ctx: SiteContext, links: Links, items: Iterable[tuple[str, Entity]]) -> list[dict[str, Any]]:
    """(id, entity with a `fleet`) pairs grouped by fleet, fleets in their `order`, items in the given order."""
    groups: dict[str, list[tuple[str, Entity]]] = {}
    for item_id, entity in items:
        groups.setdefault(entity.fleet, []).append((item_id, entity))  # type: ignore[attr-defined]
    ordered = sorted(groups, key=lambda f: (ctx.catalog.fleets[f].order, f))
    return [{"whose": fleet_view(ctx, links, f), "items": groups[f]} for f in ordered]


def render_fleets(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    fleets = []
    for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0])):
        deployments = [(dep_id, dep) for dep_id, dep in catalog.deployments.items() if dep.fleet == fleet_id]
        fleets.append(
            {
                "id": fleet_id,
                "f": fleet,
                "gateway": catalog.site.gateways.get(fleet.gateway) if fleet.gateway else None,
                "sources": [catalog.sources[ref.source] for ref in fleet.sources],
                "servers": [
                    {
                        "s": server,
                        "backend": catalog.backends[server.backend],
                        "backend_href": f"{links.page(SitePage.backends)}#backend-{server.backend}",
                        "deployments": LinkRun(
                            tuple(
                                (client_model(ctx, dep_id), links.deployment(dep_id))
                                for dep_id, dep in deployments
                                if dep.backend == server.backend
                            )
                        ),
                    }
                    for server in fleet.servers
                ],
                "deployments": [
                    (dep_id, dep, links.deployment(dep_id), client_model(ctx, dep_id)) for dep_id, dep in deployments
                ],
                "gateway_example": gateway_example(catalog, fleet),
                "advice": {
                    "choosers": sum(c.fleet == fleet_id for c in catalog.choosers.values()),
                    "trees": sum(t.fleet == fleet_id for t in catalog.trees.values()),
                    "use_cases": sum(u.fleet == fleet_id for u in catalog.use_cases.values()),
                    "workloads": sum(w.fleet == fleet_id for w in catalog.workloads.values()),
                    "migrations": sum(m.fleet == fleet_id for m in catalog.migrations.values()),
                },
            }
        )
    return render("fleets.md.j2", fleets=fleets, links=links)
