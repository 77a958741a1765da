"""Which pages a catalog has something to show on: a page with nothing to show is not built and not in the menu.

A site is built from whatever catalog `CATALOG_DIR` names: the bundled one, a team's scaffolded one
(`python -m onboarding init`) or an imported one. A Glossary page with no terms, a Compare page with one
deployment or a Gateway page for a catalog that routes nothing would be empty or, worse, talk about another
catalog's servers. Each rule below says what its page needs and, when the catalog lacks it, why the page is
left out (the build logs the reason). Renderers ask `page_href` before they link to a page, so no link
leads to a page that was left out.

Hand-written pages that describe the bundled catalog itself:
- `choosing.md` links glossary terms and hubs by id; it is shown only when the catalog holds every term and
  hub it links to, since without them it would be a page of dead links.
- `performance.md` shows `make bench` figures measured for this repository's published site; a team's site
  was never measured, so the page is shown only for the bundled catalog.
- `gateway.md` explains the LiteLLM export; its start-up commands are generated from the catalog
  (`render_gateway_start`), and the page is shown only when some deployment is routed through a gateway
  alias, since otherwise the export writes nothing to explain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from catalog.catalog import Catalog
from catalog.loader import BUNDLED_CATALOG
from gateway.litellm_export import model_list
from hooks.render.templating import Links

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


class PageInputs(Protocol):
    """What these rules read of the build's context (hooks/site_context.py `SiteContext`, which asks them)."""

    @property
    def catalog(self) -> Catalog: ...
    @property
    def docs_dir(self) -> Path | None: ...
    @property
    def benchmark(self) -> dict[str, Any] | None: ...
    @property
    def pages_left_out(self) -> dict[str, str]: ...


#: `[text](glossary.md#id)` and `[text](hubs.md#id)` in a hand-written page.
_REFERENCE_LINK = re.compile(r"\]\((glossary|hubs)\.md#([A-Za-z0-9_.-]+)\)")


def _missing_references(ctx: PageInputs, page: str) -> list[str]:
    """The glossary terms and hubs `docs/<page>` links to that the catalog does not hold."""
    path = (ctx.docs_dir or DOCS_DIR) / page
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    held: dict[str, set[str]] = {"glossary": set(ctx.catalog.glossary), "hubs": set(ctx.catalog.hubs)}
    return sorted({f"{folder}/{term}" for folder, term in _REFERENCE_LINK.findall(text) if term not in held[folder]})


def _routes_through_gateway(ctx: PageInputs) -> bool:
    return any(model_list(ctx.catalog, gateway) for gateway in [*sorted(ctx.catalog.site.gateways), None])


def _has_recommendations(ctx: PageInputs) -> bool:
    catalog = ctx.catalog
    return bool(catalog.use_cases or catalog.workloads or any(f.quick_reference for f in catalog.fleets.values()))


def _choosing(ctx: PageInputs) -> str | None:
    missing = _missing_references(ctx, "choosing.md")
    if not missing:
        return None
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"it explains terms the catalog does not hold ({shown})"


#: Page (its file among the docs) -> why it is left out for this catalog, or None when it has something to show.
NEEDS: dict[str, Callable[[PageInputs], str | None]] = {
    "decide.md": lambda ctx: None if ctx.catalog.trees else "no decision trees (trees/)",
    "catalog.md": lambda ctx: None if ctx.catalog.deployments else "no deployments (deployments/)",
    "deployments/index.md": lambda ctx: None if ctx.catalog.deployments else "no deployments (deployments/)",
    "compare.md": lambda ctx: None if len(ctx.catalog.deployments) >= 2 else "fewer than two deployments to compare",
    "fleets.md": lambda ctx: None if ctx.catalog.fleets else "no fleets (fleets/)",
    "recommendations.md": lambda ctx: (
        None
        if _has_recommendations(ctx)
        else "no use cases, workloads or quick reference (use-cases/, workloads/, a fleet's quick_reference)"
    ),
    "served-models.md": lambda ctx: (
        None if any(d.gateway_alias for d in ctx.catalog.deployments.values()) else "no deployment has a gateway alias"
    ),
    "gateway.md": lambda ctx: (
        None
        if _routes_through_gateway(ctx)
        else "no active deployment has a gateway alias, so the export writes no entry"
    ),
    "backends.md": lambda ctx: None if ctx.catalog.backends else "no backends (backends/)",
    "glossary.md": lambda ctx: None if ctx.catalog.glossary else "no glossary terms (glossary/)",
    "hubs.md": lambda ctx: None if ctx.catalog.hubs else "no model hubs (hubs/)",
    "choosing.md": _choosing,
    "performance.md": lambda ctx: (
        None
        if ctx.catalog.root.resolve() == BUNDLED_CATALOG and ctx.benchmark
        else "its figures were measured for the bundled catalog's site, not this one"
    ),
}


def left_out(ctx: PageInputs) -> dict[str, str]:
    """Page -> why it is not built, for every page the catalog has nothing to show on."""
    return {page: why for page, need in NEEDS.items() if (why := need(ctx)) is not None}


def page_href(ctx: PageInputs, links: Links, name: str) -> str | None:
    """The link to page `name` (`compare` for compare.md), or None when that page is left out."""
    page = f"{name}.md" if name else "index.md"
    return None if page in ctx.pages_left_out else links.page(name)
