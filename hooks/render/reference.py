"""Reference pages: the glossary of model kinds and the model hubs."""

from __future__ import annotations

from hooks.render.templating import LinkRun, Links, render
from hooks.site_context import SiteContext


def render_glossary(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    terms = sorted(catalog.glossary.items(), key=lambda item: item[1].term.lower())
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for dep_id, dep in catalog.deployments.items():
        kind = catalog.models[dep.model].kind.value
        by_kind.setdefault(kind, []).append((dep.served_name, links.deployment(dep_id)))
    kinds = {kind: LinkRun(tuple(run)) for kind, run in by_kind.items()}
    return render("glossary.md.j2", terms=terms, glossary=catalog.glossary, kinds=kinds)


def render_hubs(ctx: SiteContext, links: Links) -> str:
    hubs = sorted(ctx.catalog.hubs.items(), key=lambda item: item[1].name.lower())
    return render("hubs.md.j2", hubs=hubs)
