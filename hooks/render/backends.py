"""Backends: the star-rating comparison, per-backend details, and links to each fleet's migration paths."""

from __future__ import annotations

from hooks.render.fleets import by_fleet, fleet_view, migration_anchor
from hooks.render.site_pages import SitePage
from hooks.render.templating import LinkRun, Links, render
from hooks.site_context import SiteContext

RATING_ROWS = {
    "ease_of_setup": "Ease of setup",
    "single_request_performance": "Performance (single)",
    "concurrent_performance": "Performance (concurrent)",
    "model_management": "Model management",
    "memory_efficiency": "Memory efficiency",
    "production_ready": "Production ready",
}

#: Sections of a source that give star ratings or qualitative verdicts, which the comparison attributes.
RATED_SECTIONS = {"Provider Comparison", "Performance Comparison"}

PERFORMANCE_ROWS = {
    "single_request_speed": "Single request speed",
    "concurrent_10": "10 concurrent requests",
    "concurrent_100": "100 concurrent requests",
    "code_generation_quality": "Code generation quality",
    "memory_8b_model": "Memory usage (8B model)",
}


def render_backend_comparison(ctx: SiteContext, links: Links) -> str:
    rated = [(bid, b) for bid, b in ctx.catalog.backends.items() if b.ratings]
    performance = [(bid, b) for bid, b in ctx.catalog.backends.items() if b.performance]
    # Ratings are one guide's opinion: name the guide (the source the rated backends cite for their ratings).
    cited = {ref.source for _bid, b in [*rated, *performance] for ref in b.sources if ref.section in RATED_SECTIONS}
    return render(
        "backend_comparison.md.j2",
        rating_sources=sorted(ctx.catalog.sources[s].title for s in cited),
        rated=rated,
        rating_rows=RATING_ROWS,
        performance=performance,
        performance_rows=PERFORMANCE_ROWS,
    )


def render_backend_details(ctx: SiteContext, links: Links) -> str:
    """Each engine as such, then its servers in the fleets (where the measured figures belong) and who runs it."""
    catalog = ctx.catalog
    backends = []
    for backend_id, backend in catalog.backends.items():
        on_backend = [(dep_id, dep) for dep_id, dep in catalog.deployments.items() if dep.backend == backend_id]
        servers = [
            {"whose": fleet_view(ctx, links, fleet_id), "s": server}
            for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0]))
            for server in fleet.servers
            if server.backend == backend_id
        ]
        fleets = [
            {
                "whose": group["whose"],
                "deployments": LinkRun(tuple((dep.served_name, links.deployment(d)) for d, dep in group["items"])),
            }
            for group in by_fleet(ctx, links, on_backend)
        ]
        backends.append({"id": backend_id, "b": backend, "servers": servers, "fleets": fleets})
    return render("backend_details.md.j2", backends=backends)


def render_migrations(ctx: SiteContext, links: Links) -> str:
    """Links to the migration paths, which live in their fleet's section of the Fleets page: a fleet's moves
    between backends are its own advice, for its own servers."""
    catalog = ctx.catalog
    migrations = sorted(catalog.migrations.items(), key=lambda item: (item[1].order, item[0]))
    fleets_page = links.page(SitePage.fleets)
    groups = [
        {
            "whose": group["whose"],
            "items": [
                {
                    "m": m,
                    "href": f"{fleets_page}#{migration_anchor(mig_id)}",
                    "from": catalog.backends[m.from_backend].name,
                    "to": catalog.backends[m.to_backend].name,
                }
                for mig_id, m in group["items"]
            ],
        }
        for group in by_fleet(ctx, links, migrations)
    ]
    return render("migrations.md.j2", groups=groups)
