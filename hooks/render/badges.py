"""The "How to read the badges" page, rendered from the very rules and claim kinds the site applies."""

from __future__ import annotations

from catalog.claims import CLAIM_KINDS
from catalog.verdicts import CLAIM_RULES, SUMMARY_RULES
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


def render_badge_rules(ctx: SiteContext, links: Links) -> str:
    stale_days = sorted({d.stale_after_days for d in ctx.catalog.deployments.values()})
    return render(
        "badge_rules.md.j2",
        claim_rules=CLAIM_RULES,
        summary_rules=SUMMARY_RULES,
        kinds=CLAIM_KINDS,
        stale_days=stale_days,
    )
