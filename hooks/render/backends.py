"""Backends: the star-rating comparison, per-backend details, and migration paths."""

from __future__ import annotations

from hooks.render.templating import Links, render
from hooks.site_context import SiteContext

RATING_ROWS = {
    "ease_of_setup": "Ease of setup",
    "single_request_performance": "Performance (single)",
    "concurrent_performance": "Performance (concurrent)",
    "model_management": "Model management",
    "memory_efficiency": "Memory efficiency",
    "production_ready": "Production ready",
}

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
    return render(
        "backend_comparison.md.j2",
        rated=rated,
        rating_rows=RATING_ROWS,
        performance=performance,
        performance_rows=PERFORMANCE_ROWS,
    )


def render_backend_details(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    backends = []
    for backend_id, backend in catalog.backends.items():
        deployments = [
            (dep_id, dep, links.deployment(dep_id))
            for dep_id, dep in catalog.deployments.items()
            if dep.backend == backend_id
        ]
        backends.append({"id": backend_id, "b": backend, "deployments": deployments})
    return render("backend_details.md.j2", backends=backends)


def render_migrations(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    migrations = sorted(catalog.migrations.items(), key=lambda item: (item[1].order, item[0]))
    return render("migrations.md.j2", migrations=migrations, backends=catalog.backends)
