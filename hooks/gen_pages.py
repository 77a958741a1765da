"""mkdocs-gen-files script: one virtual page per deployment, plus a family index.

Pages are never written into docs/; each card's "edit" link points at its catalog YAML.
"""

from __future__ import annotations

import mkdocs_gen_files

from hooks.render.deployment_card import render_deployment_card
from hooks.render.deployment_index import render_deployment_index
from hooks.site_context import current

ctx = current()
for deployment_id in ctx.catalog.deployments:
    path = f"deployments/{deployment_id}.md"
    with mkdocs_gen_files.open(path, "w") as page:
        page.write(render_deployment_card(ctx, deployment_id))
    source = ctx.catalog.source_file("deployments", deployment_id)
    # A catalog outside the repository has nothing to edit online.
    if source.is_relative_to(ctx.repo_root):
        mkdocs_gen_files.set_edit_path(path, source.relative_to(ctx.repo_root).as_posix())

with mkdocs_gen_files.open("deployments/index.md", "w") as page:
    page.write(render_deployment_index(ctx))
