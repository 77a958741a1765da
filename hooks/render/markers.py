"""Markers in hand-written pages (`<!-- catalog:NAME -->`) and the renderer each one calls."""

from __future__ import annotations

import re
from collections.abc import Callable

from hooks.render.backends import render_backend_comparison, render_backend_details, render_migrations
from hooks.render.badges import render_badge_rules
from hooks.render.chooser import render_quick_chooser
from hooks.render.compare import render_compare
from hooks.render.fleets import render_fleets
from hooks.render.gateway import render_gateway_start
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
    "gateway-start": render_gateway_start,
}

MARKER = re.compile(r"<!--\s*catalog:([A-Za-z0-9_-]*)\s*-->")
#: Anything that looks like an attempt at a marker, so a typo such as `<!-- catalog: x-->` is caught too.
LOOSE_MARKER = re.compile(r"<!--\s*catalog\s*:")


class MarkerError(ValueError):
    """An unknown or malformed marker in a hand-written page."""


#: A heading whose whole section is one marker: `## Migration paths` followed by `<!-- catalog:migrations -->`
#: and then the next heading or the end of the page.
_MARKER_SECTION = re.compile(
    r"^#{2,6}[ \t][^\n]*\n\s*<!--\s*catalog:([A-Za-z0-9_-]*)\s*-->\s*(?=^#{1,6}[ \t]|\Z)", re.M
)


def expand_markers(markdown: str, ctx: SiteContext, links: Links, *, page: str) -> str:
    """Replace every marker; raise `MarkerError` naming the page and line of an unknown or leftover one.

    A section that holds only a marker whose block is empty for this catalog is left out with its heading:
    a reader never meets a heading with nothing under it.
    """
    rendered: dict[str, str] = {}

    def block(name: str, start: int) -> str:
        if name not in rendered:
            renderer = MARKERS.get(name)
            if renderer is None:
                line = markdown.count("\n", 0, start) + 1
                known = ", ".join(sorted(MARKERS))
                raise MarkerError(f"{page}:{line}: unknown marker `catalog:{name}`; known markers: {known}")
            rendered[name] = renderer(ctx, links).strip("\n")
        return rendered[name]

    def drop_empty(match: re.Match[str]) -> str:
        return match.group(0) if block(match.group(1), match.start()).strip() else ""

    def replace(match: re.Match[str]) -> str:
        return block(match.group(1), match.start())

    expanded = MARKER.sub(replace, _MARKER_SECTION.sub(drop_empty, markdown))
    leftover = LOOSE_MARKER.search(expanded)
    if leftover:
        line = expanded.count("\n", 0, leftover.start()) + 1
        raise MarkerError(f"{page}:{line}: malformed catalog marker; write it as `<!-- catalog:NAME -->`")
    return expanded
