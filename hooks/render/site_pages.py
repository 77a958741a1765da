"""Every page of the site, once: its file among the docs, its URL, its title in the navigation and its note.

Renderers link to a page through this registry (`Links.page(SitePage.compare)`, templating's `built_href`), never by
spelling its URL, so renaming a page is one edit here plus mkdocs.yml; a test greps the renderers and
templates for a bare page URL. mkdocs.yml keeps its own `nav` and `extra.page_notes` (the builder and the
generator, hooks/site_layout.py, read them from there); tests/site/test_site_pages.py fails when they and
this table disagree. Which of these pages a catalog leaves out, and why, is decided in hooks/render/pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property


@dataclass(frozen=True)
class PageEntry:
    """One page: where its markdown lives, what the menu calls it, and the one line llms.txt says about it."""

    src: str
    """The page's file among the docs (generated or hand-written), as mkdocs.yml's `nav` names it."""
    title: str
    """Its title in the navigation."""
    note: str
    """What it holds, in one line (mkdocs.yml `extra.page_notes`)."""
    generated: bool = False
    """Written by the build from the catalog (True) rather than a hand-written page in docs/ with markers."""

    @cached_property
    def url(self) -> str:
        """Where it is served, relative to the site's root: `` for the home page, otherwise `<folder>/`."""
        path = self.src.removesuffix(".md")
        if path == "index":
            return ""
        return f"{path.removesuffix('/index')}/"


class SitePage(Enum):
    """The site's pages, in the navigation's order (mkdocs.yml `nav`, its sections flattened)."""

    home = PageEntry("index.md", "Quick chooser", "the quick chooser, task categories with ranked picks")
    decide = PageEntry("decide.md", "Decide", "decision trees that end in a recommendation")
    recommendations = PageEntry(
        "recommendations.md", "Recommendations", "use cases, workloads and a quick-reference table"
    )
    choosing = PageEntry(
        "choosing.md",
        "Choosing a kind of model",
        "how to decide which kind of model a job needs, and where to get one",
    )
    catalog = PageEntry("catalog.md", "Catalog", "every deployment in one filterable table")
    deployments = PageEntry(
        "deployments/index.md", "Deployments", "every deployment card, grouped by model family", generated=True
    )
    compare = PageEntry("compare.md", "Compare", "two to four deployments side by side, chosen in the URL (?d=a,b)")
    fleets = PageEntry("fleets.md", "Fleets", "whose servers and whose advice, one section per fleet")
    backends = PageEntry(
        "backends.md", "Backends", "backend ratings, typical latency, context limits and migration paths"
    )
    gateway = PageEntry(
        "gateway.md",
        "Gateway",
        "the exported LiteLLM configs, the variables they need, and how to start the proxy so it fails closed",
    )
    served_models = PageEntry(
        "served-models.md", "Served models", "the gateway's served models with cost, SLO and evidence"
    )
    badges = PageEntry(
        "badges.md", "How to read the badges", "how every evidence badge is decided, and what each claim means"
    )
    glossary = PageEntry("glossary.md", "Glossary", "model kinds explained")
    hubs = PageEntry("hubs.md", "Model hubs", "where to get model weights")
    agents = PageEntry("agents.md", "For agents", "how agents should read this site")
    performance = PageEntry(
        "performance.md",
        "Site benchmark",
        "this website's own build time and page weight as the catalog grows (not model speed)",
    )

    # Cached: links are made for every card, and an Enum member's `value` is a descriptor call.
    @cached_property
    def entry(self) -> PageEntry:
        value: PageEntry = self.value
        return value

    @cached_property
    def src(self) -> str:
        return self.entry.src

    @cached_property
    def url(self) -> str:
        return self.entry.url


def deployment_url(deployment_id: str) -> str:
    """A deployment card's URL: one page per deployment under the Deployments page."""
    return f"{SitePage.deployments.url}{deployment_id}/"
