"""The pages made from the catalog rather than written in docs/: one card per deployment and their index.

Added to MkDocs' files in memory by `hooks/mkdocs_hooks.py` (`on_files`), never written into docs/; each
card's "edit" link points at its catalog YAML.

`CARDS=<glob>` (e.g. `make serve CARDS='qwen*'`) generates only the matching cards. MkDocs rebuilds
every page on any change, but rendering is cached by content hash (hooks/render_cache.py), so a full-site
rebuild re-renders only what an edit changed and CARDS is rarely needed; the other pages still show every
deployment, but links to cards left out lead nowhere. Never set it for a build you publish.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from hooks.render.deployment_card import render_deployment_card
from hooks.render.deployment_index import render_deployment_index
from hooks.render_cache import CardCache
from hooks.site_context import SiteContext


@dataclass(frozen=True)
class GeneratedPage:
    src_uri: str
    """Where the page sits among the docs (`deployments/<id>.md`)."""
    markdown: str
    edit_path: str | None
    """The file its "edit" link opens, relative to the repository; None for a catalog outside it."""


def generated_pages(ctx: SiteContext, only: str | None = None, workers: int = 1) -> list[GeneratedPage]:
    """Every deployment's card (those matching the `only` glob, when given) and the deployments index.

    Cards not in the render cache are rendered on `workers` processes (`mkdocs build` only, see `forked_map`).
    """
    # Each card's markdown is rendered once per content hash of what it is made from (hooks/render_cache.py).
    cards = CardCache(ctx)
    chosen = [dep_id for dep_id in ctx.catalog.deployments if not only or fnmatch.fnmatch(dep_id, only)]
    pages = []
    for deployment_id, markdown in zip(chosen, cards.cards(chosen, render_deployment_card, workers), strict=True):
        source = ctx.catalog.source_file("deployments", deployment_id)
        edit_path = source.relative_to(ctx.repo_root).as_posix() if source.is_relative_to(ctx.repo_root) else None
        pages.append(GeneratedPage(f"deployments/{deployment_id}.md", markdown, edit_path))
    if "deployments/index.md" not in ctx.pages_left_out:  # never an empty index (hooks/render/pages.py)
        pages.append(GeneratedPage("deployments/index.md", render_deployment_index(ctx), None))
    return pages
