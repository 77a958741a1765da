"""The quick chooser: task categories with ranked picks, each linking to its card."""

from __future__ import annotations

from hooks.evidence import claim_states
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def proven_summary(ctx: SiteContext, deployment_id: str) -> str:
    """One word for a deployment's evidence: failing or stale if any claim is; verified only if every
    claim is; `partial` when some are verified and others were never probed; else reported or unverified."""
    deployment = ctx.catalog.deployments[deployment_id]
    states = [s.state for s in claim_states(deployment_id, deployment, ctx.evidence, ctx.today)]
    for worst in ("failing", "stale"):
        if worst in states:
            return worst
    if states and all(s == "verified" for s in states):
        return "verified"
    if "verified" in states:
        return "partial"
    return "reported" if "reported" in states else "unverified"


def render_quick_chooser(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    categories = sorted(catalog.choosers.items(), key=lambda item: (item[1].order, item[0]))
    rows = []
    for category_id, category in categories:
        picks = [
            {
                "rank": rank,
                "id": pick.deployment,
                "served_name": catalog.deployments[pick.deployment].served_name,
                "reason": pick.reason,
                "status": catalog.deployments[pick.deployment].status.value,
                "evidence": proven_summary(ctx, pick.deployment),
                "href": links.deployment(pick.deployment),
            }
            for rank, pick in enumerate(category.picks, start=1)
        ]
        unavailable = [
            {
                "id": pick.deployment,
                "served_name": catalog.deployments[pick.deployment].served_name,
                "reason": pick.reason,
                "status": catalog.deployments[pick.deployment].status.value,
                "href": links.deployment(pick.deployment),
            }
            for pick in category.unavailable
        ]
        rows.append({"id": category_id, "category": category, "picks": picks, "unavailable": unavailable})
    caveats = sorted(
        {c for _, category in categories for ref in category.sources if (c := catalog.sources[ref.source].caveat)}
    )
    return render("quick_chooser.md.j2", categories=rows, caveats=caveats)
