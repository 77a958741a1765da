"""The "How to read the badges" page, rendered from the very rules and claim kinds the site applies, and the
deployment's two summary badges (serving and quality) every page shows alike."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.claims import CLAIM_KINDS, EVAL_GROUP, GROUP_QUESTIONS, ClaimGroup
from catalog.display import NOT_EVALUATED_TEXT, group_summary_text
from catalog.verdicts import (
    CLAIM_RULES,
    MEASURED_BY_TOOL_RULE,
    NOT_EVALUATED,
    NOT_EVALUATED_RULE,
    SUMMARY_RULES,
    ClaimState,
    DeploymentVerdict,
    SummaryState,
    group_rule,
    state_word,
)
from hooks.render.templating import Links, render
from hooks.site_context import SiteContext


@dataclass(frozen=True)
class SummaryBadge:
    """One of a deployment's two summaries as a badge: its colour (the state word), its text and its title."""

    group: ClaimGroup
    state: str
    """The state word, which picks the badge's colour: `verified` ... `unverified`, or `not-evaluated`."""
    text: str
    """`serving verified`, `quality failing`, `quality not evaluated` (catalog/display.py)."""
    rule: str
    """Why it is in that state, in words (the badge's title)."""
    verified: int
    claims: int
    """How many of the group's claims are verified, of how many (0 of 0 for a quality summary without evals)."""


def summary_badges(verdict: DeploymentVerdict) -> tuple[SummaryBadge, ...]:
    """The serving summary, then the quality summary: what the card, the catalog table and the other pages show."""
    return tuple(
        SummaryBadge(
            group=group,
            state=state_word(verdict.group(group)),
            text=group_summary_text(group, verdict.group(group)),
            rule=group_rule(verdict.group(group)),
            verified=len(verdict.of(ClaimState.verified, group)),
            claims=len(verdict.claims_in(group)),
        )
        for group in ClaimGroup
    )


def render_badge_rules(ctx: SiteContext, links: Links) -> str:
    stale_days = sorted({d.stale_after_days for d in ctx.catalog.deployments.values()})
    return render(
        "badge_rules.md.j2",
        claim_rules=CLAIM_RULES,
        summary_rules=SUMMARY_RULES,
        kinds=CLAIM_KINDS,
        stale_days=stale_days,
        groups=GROUP_QUESTIONS,
        eval_group=EVAL_GROUP,
        not_evaluated=NOT_EVALUATED,
        not_evaluated_rule=NOT_EVALUATED_RULE,
        not_evaluated_word=NOT_EVALUATED_TEXT,
        # A model that serves well and scores badly, and one no eval has run on, as their badges read.
        serves_scores_badly=(
            (SummaryState.verified, group_summary_text(ClaimGroup.serving, SummaryState.verified)),
            (SummaryState.failing, group_summary_text(EVAL_GROUP, SummaryState.failing)),
        ),
        not_evaluated_text=group_summary_text(EVAL_GROUP, None),
        measured_by_tool=MEASURED_BY_TOOL_RULE,
    )
