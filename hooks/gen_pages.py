"""mkdocs-gen-files script: one virtual page per deployment, plus a family index.

Pages are never written into docs/; each card's "edit" link points at its catalog YAML.

`CARDS=<glob>` (e.g. `make serve CARDS='qwen*'`) generates only the matching cards. MkDocs rebuilds
every page on any change, but rendering is cached by content hash (hooks/render_cache.py), so a full-site
rebuild re-renders only what an edit changed and CARDS is rarely needed; the other pages still show every
deployment, but links to cards left out lead nowhere. Never set it for a build you publish.
"""

from __future__ import annotations

import fnmatch
import os

import mkdocs_gen_files

from hooks.render.deployment_card import render_deployment_card
from hooks.render.deployment_index import render_deployment_index
from hooks.render_cache import CardCache
from hooks.site_context import current

ctx = current()
# Each card's markdown is rendered once per content hash of what it is made from (hooks/render_cache.py).
cards = CardCache(ctx)
only = os.environ.get("CARDS")
for deployment_id in ctx.catalog.deployments:
    if only and not fnmatch.fnmatch(deployment_id, only):
        continue
    path = f"deployments/{deployment_id}.md"
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(cards.card(deployment_id, render_deployment_card))
    source = ctx.catalog.source_file("deployments", deployment_id)
    # A catalog outside the repository has nothing to edit online.
    if source.is_relative_to(ctx.repo_root):
        mkdocs_gen_files.set_edit_path(path, source.relative_to(ctx.repo_root).as_posix())

with mkdocs_gen_files.open("deployments/index.md", "w") as page:
    page.write(render_deployment_index(ctx))
