"""The deployment cards as the MkDocs adapter makes them: hooks/generate.py `card_pages`, each card's markdown
from the render cache (hooks/speed/render_cache.py), rendered on several processes when not cached.

Added to MkDocs' files in memory by the MkDocs plugin (hooks/plugin.py `on_files`), never written into docs/; each
card's "edit" link points at its catalog YAML. `python -m hooks.generate` renders the same cards without the
cache (it needs MkDocs).

`CARDS=<glob>` (e.g. `make serve CARDS='qwen*'`) generates only the matching cards. MkDocs rebuilds
every page on any change, but rendering is cached by content hash (hooks/speed/render_cache.py), so a full-site
rebuild re-renders only what an edit changed and CARDS is rarely needed; the other pages still show every
deployment, but links to cards left out lead nowhere. Never set it for a build you publish.
"""

from __future__ import annotations

from hooks.generate import CardRenderer, GeneratedPage, card_pages
from hooks.render.deployment_card import render_deployment_card
from hooks.site_context import SiteContext
from hooks.speed.render_cache import CardCache, RenderStore

__all__ = ["GeneratedPage", "cached_cards", "generated_pages"]


def cached_cards(ctx: SiteContext, store: RenderStore, workers: int = 1) -> CardRenderer:
    """Cards by the render cache; those not cached rendered on `workers` processes (`mkdocs build` only)."""
    cache = CardCache(ctx, store)
    return lambda deployment_ids: cache.cards(deployment_ids, render_deployment_card, workers)


def generated_pages(
    ctx: SiteContext, store: RenderStore, only: str | None = None, workers: int = 1
) -> list[GeneratedPage]:
    """Every deployment's card (those matching the `only` glob, when given) and the deployments index."""
    return card_pages(ctx, only, cached_cards(ctx, store, workers))
