"""Markers in hand-written pages (`<!-- catalog:NAME -->`) and the renderer each one calls."""

from __future__ import annotations

import re
from collections.abc import Callable

from hooks.render.backends import render_backend_comparison, render_backend_details, render_migrations
from hooks.render.badges import render_badge_rules
from hooks.render.chooser import render_quick_chooser
from hooks.render.compare import render_compare
from hooks.render.fleets import render_fleets
from hooks.render.guidance import render_quick_reference, render_use_cases, render_workloads
from hooks.render.performance import render_performance
from hooks.render.reference import render_glossary, render_hubs
from hooks.render.tables import render_context_table, render_deployment_table, render_served_models
from hooks.render.templating import Links
from hooks.render.trees import render_decision_trees
from hooks.site_context import SiteContext

Renderer = Callable[[SiteContext, Links], str]

MARKERS: dict[str, Renderer] = {
    "quick-chooser": render_quick_chooser,
    "decision-trees": render_decision_trees,
    "deployment-table": render_deployment_table,
    "context-table": render_context_table,
    "served-models": render_served_models,
    "backend-comparison": render_backend_comparison,
    "backend-details": render_backend_details,
    "migrations": render_migrations,
    "use-cases": render_use_cases,
    "workloads": render_workloads,
    "quick-reference": render_quick_reference,
    "glossary": render_glossary,
    "hubs": render_hubs,
    "compare": render_compare,
    "performance": render_performance,
    "badge-rules": render_badge_rules,
    "fleets": render_fleets,
}

MARKER = re.compile(r"<!--\s*catalog:([A-Za-z0-9_-]*)\s*-->")
#: Anything that looks like an attempt at a marker, so a typo such as `<!-- catalog: x-->` is caught too.
LOOSE_MARKER = re.compile(r"<!--\s*catalog\s*:")


class MarkerError(ValueError):
    """An unknown or malformed marker in a hand-written page."""


def expand_markers(markdown: str, ctx: SiteContext, links: Links, *, page: str) -> str:
    """Replace every marker; raise `MarkerError` naming the page and line of an unknown or leftover one."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        renderer = MARKERS.get(name)
        if renderer is None:
            line = markdown.count("\n", 0, match.start()) + 1
            known = ", ".join(sorted(MARKERS))
            raise MarkerError(f"{page}:{line}: unknown marker `catalog:{name}`; known markers: {known}")
        return renderer(ctx, links).strip("\n")

    expanded = MARKER.sub(replace, markdown)
    leftover = LOOSE_MARKER.search(expanded)
    if leftover:
        line = expanded.count("\n", 0, leftover.start()) + 1
        raise MarkerError(f"{page}:{line}: malformed catalog marker; write it as `<!-- catalog:NAME -->`")
    return expanded
