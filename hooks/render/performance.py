"""The Performance page: `make bench` results against the scaling targets."""

from __future__ import annotations

from hooks.render.templating import Links, render
from hooks.site_context import SiteContext

#: Goals from the scaling issue; the page shows each next to what was measured.
TARGETS = {
    "build_3000_s": 15.0,
    "build_exponent": 1.1,
    "model_page_kb": 40.0,
    "validate_3000_s": 1.0,
}


def render_performance(ctx: SiteContext, links: Links) -> str:
    results = ctx.benchmark
    if not results:
        return render("performance.md.j2", results=None, largest=None, targets=TARGETS)
    largest = max(results["sizes"], key=lambda row: row["models"])
    return render("performance.md.j2", results=results, largest=largest, targets=TARGETS)
