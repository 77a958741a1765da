"""Fleets: whose servers and whose advice. Every page that gives advice says which fleet it is for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from catalog import clients
from catalog.catalog import Catalog
from catalog.schema import Migration
from hooks.render.site_pages import SitePage
from hooks.render.snippets import gateway_example
from hooks.render.templating import LinkRun, Links, render, render_code
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
    """The model name a client sends (catalog/clients.py `client_model`)."""
    return clients.client_model(ctx.catalog.deployments[deployment_id])


def by_fleet(ctx: SiteContext, links: Links, items: Iterable[tuple[str, Entity]]) -> list[dict[str, Any]]:
    """(id, entity with a `fleet`) pairs grouped by fleet, fleets in their `order`, items in the given order."""
    groups: dict[str, list[tuple[str, Entity]]] = {}
    for item_id, entity in items:
        groups.setdefault(entity.fleet, []).append((item_id, entity))  # type: ignore[attr-defined]
    ordered = sorted(groups, key=lambda f: (ctx.catalog.fleets[f].order, f))
    return [{"whose": fleet_view(ctx, links, f), "items": groups[f]} for f in ordered]


def migration_anchor(migration_id: str) -> str:
    """The id of a migration's heading in its fleet's section of the Fleets page."""
    return f"migration-{migration_id}"


def migrations_anchor(fleet_id: str) -> str:
    """The id of the heading over a fleet's migration paths on the Fleets page."""
    return f"{fleet_id}-migrations"


def migration_code(catalog: Catalog, migration: Migration) -> str | None:
    """The model names sent before and after the move, as Python (every value quoted by the snippet template);
    None when the catalog does not name both."""
    if not (migration.before_model and migration.after_model):
        return None
    return render_code(
        "snippets/migration.py.j2",
        before_backend=catalog.backends[migration.from_backend].name,
        before_model=migration.before_model,
        after_backend=catalog.backends[migration.to_backend].name,
        after_model=migration.after_model,
    )


def fleet_migrations(catalog: Catalog, fleet_id: str) -> list[dict[str, Any]]:
    """One fleet's migration paths in their `order`: each with its anchor, both backends' names and its code."""
    ordered = sorted(
        ((m_id, m) for m_id, m in catalog.migrations.items() if m.fleet == fleet_id), key=lambda i: (i[1].order, i[0])
    )
    return [
        {
            "anchor": migration_anchor(m_id),
            "m": m,
            "from": catalog.backends[m.from_backend].name,
            "to": catalog.backends[m.to_backend].name,
            "code": migration_code(catalog, m),
        }
        for m_id, m in ordered
    ]


def server_urls(ctx: SiteContext, deployment_ids: Iterable[str]) -> list[tuple[str, bool]]:
    """The base URLs the deployments on one server state (or infer), as (URL, inferred), each once."""
    urls: dict[str, bool] = {}
    for dep_id in deployment_ids:
        endpoint = ctx.catalog.deployments[dep_id].endpoint
        if endpoint is not None and endpoint.base_url:
            url = endpoint.base_url.rstrip("/")
            inferred = ctx.catalog.deployments[dep_id].is_inferred("endpoint.base_url") is not None
            urls[url] = urls.get(url, True) and inferred
    return sorted(urls.items())


def direct_url(ctx: SiteContext, deployment_id: str) -> tuple[str, bool] | None:
    """Where a client calls a deployment the fleet does not route through its gateway, as (URL, inferred)."""
    target = ctx.record(deployment_id).client
    if target is None or target.via_gateway:
        return None
    return target.base_url, target.inferred is not None


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
                        "urls": server_urls(
                            ctx, (dep_id for dep_id, dep in deployments if dep.backend == server.backend)
                        ),
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
                    (dep_id, dep, links.deployment(dep_id), client_model(ctx, dep_id), direct_url(ctx, dep_id))
                    for dep_id, dep in deployments
                ],
                "migrations": fleet_migrations(catalog, fleet_id),
                "migrations_anchor": migrations_anchor(fleet_id),
                "gateway_example": gateway_example(catalog, fleet),
                "advice": {
                    "choosers": sum(c.fleet == fleet_id for c in catalog.choosers.values()),
                    "trees": sum(t.fleet == fleet_id for t in catalog.trees.values()),
                    "use_cases": sum(u.fleet == fleet_id for u in catalog.use_cases.values()),
                    "workloads": sum(w.fleet == fleet_id for w in catalog.workloads.values()),
                },
            }
        )
    return render("fleets.md.j2", fleets=fleets, links=links)
