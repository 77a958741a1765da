"""Serving and quality apart, on every surface, for the deployment that made the point: the demo.

`demo-tiny-llama` is a tiny random-weight model behind a real vLLM (`make demo`): every serving claim passes and
both evals fail. Judged over all its claims it read "failing", which a new user takes for "endpoint down". Each
surface now says the two apart: serving verified, quality failing, and nothing calls the deployment failing as a
whole. `demo-embeddings` (no evals) reads quality "not evaluated". Read from the bundled catalog and evidence, on
the day of the demo's latest run (the claims are fresh that day whenever the demo was last run).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.claims import ClaimGroup, claim_group
from catalog.evidence_folder import load_evidence
from catalog.verdicts import ClaimState
from hooks.render.agents import catalog_export, render_deployment_json_files, render_llms_index_files
from hooks.render.badges import render_badge_rules
from hooks.render.compare import compare_rows
from hooks.render.deployment_card import render_deployment_card
from hooks.render.tables import render_deployment_table
from hooks.render.templating import Links
from hooks.site_context import SiteContext
from mcp_server.server import CatalogView

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEMO, EMBEDDINGS = "demo-tiny-llama", "demo-embeddings"
BADGE = re.compile(r'mc-badge mc-badge--([a-z-]+)"[^>]*>([^<]*)</span>')


@pytest.fixture(scope="module")
def ctx() -> SiteContext:
    evidence_dir = REPO_ROOT / "evidence"
    latest = load_evidence(evidence_dir).latest[DEMO]
    today = latest.finished_at.date()
    return SiteContext(load_catalog(REPO_ROOT / "catalog"), load_evidence(evidence_dir, today), today, REPO_ROOT)


@pytest.fixture(scope="module")
def counts(ctx: SiteContext) -> tuple[int, int]:
    """The demo's serving claims and its evals, after checking the evidence still is what this test is about."""
    records = ctx.evidence.latest[DEMO].records
    serving = [r for r in records if claim_group(r.claim) is ClaimGroup.serving]
    evals = [r for r in records if claim_group(r.claim) is ClaimGroup.quality]
    assert serving and all(r.status == "pass" for r in serving), "the demo's serving claims no longer all pass"
    assert evals and all(r.status == "fail" for r in evals), "the demo's evals no longer all fail"
    # The bug: over all its claims the demo reads failing.
    assert ctx.record(DEMO).verdict.counts[ClaimState.failing] == len(evals)
    return len(serving), len(evals)


def _evals(ctx: SiteContext) -> str:
    return ", ".join(c.claim for c in ctx.record(DEMO).verdict.claims if c.claim.startswith("eval:"))


def test_the_verdict(ctx: SiteContext, counts: tuple[int, int]) -> None:
    verdict = ctx.record(DEMO).verdict
    assert (verdict.serving.value, verdict.quality and verdict.quality.value) == ("verified", "failing")
    assert verdict.summary.value == "verified", "the overall summary is the serving one: never failing for its evals"
    embeddings = ctx.record(EMBEDDINGS).verdict
    assert (embeddings.serving.value, embeddings.quality) == ("verified", None)


def test_card(ctx: SiteContext, counts: tuple[int, int]) -> None:
    serving, evals = counts
    card = render_deployment_card(ctx, DEMO)
    head = next(line for line in card.splitlines() if line.startswith("**Evidence:**"))
    assert BADGE.findall(head) == [("verified", "serving verified"), ("failing", "quality failing")]
    text = re.sub(r"<[^>]+>", "", head)
    assert text.startswith(
        f"**Evidence:** serving verified {serving} of {serving} claims verified"
        f" · quality failing 0 of {evals} claims verified · last verified "
    )
    head = next(line for line in render_deployment_card(ctx, EMBEDDINGS).splitlines() if line.startswith("**Evid"))
    assert [state for state, _text in BADGE.findall(head)] == ["verified", "not-evaluated"]
    assert BADGE.findall(head)[1][1] == "quality not evaluated"


def test_catalog_table(ctx: SiteContext, counts: tuple[int, int]) -> None:
    table = render_deployment_table(ctx, Links("catalog/"))
    row = next(r for r in re.findall(r"<tr data-fleet.*?</tr>", table, re.S) if f"deployments/{DEMO}/" in r)
    cell = re.search(r'data-label="Evidence">(.*?)</td>', row, re.S).group(1)  # type: ignore[union-attr]
    assert BADGE.findall(cell) == [("verified", "serving verified"), ("failing", "quality failing")]


def test_compare(ctx: SiteContext, counts: tuple[int, int]) -> None:
    rows = dict(compare_rows(ctx, DEMO))
    assert (rows["Serving"], rows["Quality"]) == ("verified", "failing")
    assert "Evidence" not in rows, "no row that says one word for both"
    rows = dict(compare_rows(ctx, EMBEDDINGS))
    assert (rows["Serving"], rows["Quality"]) == ("verified", "not evaluated")


def test_llms_files(ctx: SiteContext, counts: tuple[int, int]) -> None:
    serving, evals = counts
    files = render_llms_index_files(ctx)
    line = next(
        x for text in files.values() for x in text.splitlines() if x.startswith("- [") and f"deployments/{DEMO}/" in x
    )
    last = ctx.record(DEMO).verdict.last_verified
    assert (
        f"Evidence serving verified: {serving} of {serving} claims verified; quality failing: 0 of {evals} claims"
        f" verified; failing {_evals(ctx)}; last verified {last}." in line
    ), line


def test_catalog_json(ctx: SiteContext, counts: tuple[int, int]) -> None:
    export = catalog_export(ctx)
    summary = export["deployments"][DEMO]["evidence_summary"]
    assert (summary["state"], summary["serving"], summary["quality"]) == ("verified", "verified", "failing")
    groups = {claim: e["group"] for claim, e in export["deployments"][DEMO]["evidence"].items()}
    assert sorted(c for c, g in groups.items() if g == "quality") == _evals(ctx).split(", ")
    assert export["deployments"][EMBEDDINGS]["evidence_summary"]["quality"] == "not-evaluated"
    one = render_deployment_json_files(export)[f"deployments/{DEMO}.json"]
    assert '"quality": "failing"' in one and '"serving": "verified"' in one


def test_mcp(ctx: SiteContext, counts: tuple[int, int]) -> None:
    view = CatalogView(ctx.catalog, ctx.evidence, ctx.today)
    evidence = view.details(DEMO)["evidence"]
    assert (evidence["summary"], evidence["serving"], evidence["quality"]) == ("verified", "verified", "failing")
    assert evidence["line"].startswith("serving verified: ") and "; quality failing: 0 of " in evidence["line"]
    compared = view.compare([DEMO, EMBEDDINGS])["deployments"]
    assert (compared[DEMO]["serving"], compared[DEMO]["quality"]) == ("verified", "failing")
    assert (compared[EMBEDDINGS]["serving"], compared[EMBEDDINGS]["quality"]) == ("verified", "not-evaluated")


def test_the_badges_page_states_the_decision(ctx: SiteContext) -> None:
    page = render_badge_rules(ctx, Links("badges/"))
    assert "**A deployment's overall summary is its serving summary**" in page
    assert BADGE.findall(page.split("So a model that serves well and scores badly", 1)[1].split("\n\n", 1)[0]) == [
        ("verified", "serving verified"),
        ("failing", "quality failing"),
        ("not-evaluated", "quality not evaluated"),
    ]
