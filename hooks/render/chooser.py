"""The quick chooser: one tab per fleet, each with that fleet's answers by task, linking to the cards.

Each tab opens with what its readers came for, on the first screen at laptop and phone widths (measured by
tests/browser/test_reader_paths.py): the fleet's caveat, what our probes verified, and one line per task with
the first pick, the model name a client sends and where it sends it. The full pick lists follow.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from catalog.clients import Target, routed_through_gateway
from catalog.verdicts import SummaryState
from hooks.render.fleets import client_model, fleet_view
from hooks.render.site_pages import SitePage
from hooks.render.templating import Links, built_href, render, text
from hooks.site_context import SiteContext


def endpoint_html(target: Target | None) -> Markup:
    """Where a pick list sends clients, as inline HTML: `<code>URL</code> (gateway), model <code>NAME</code>`."""
    if target is None:
        return Markup("no published endpoint")
    marks = (" (gateway)" if target.via_gateway else "") + (" (inferred)" if target.inferred else "")
    return Markup(f"<code>{text(target.base_url)}</code>{marks}, model <code>{text(target.model)}</code>")


def pick_view(
    ctx: SiteContext, links: Links, deployment_id: str, reason: str, when: str | None = None
) -> dict[str, Any]:
    """One pick as every pick list shows it: name, reason, status, evidence, and where to send requests."""
    record = ctx.record(deployment_id)
    dep, replacement = record.deployment, record.replacement
    return {
        "retired": record.retired,
        "retires_on": dep.retires_on,
        "successor": {
            "served_name": client_model(ctx, replacement),
            "href": links.deployment(replacement),
        }
        if replacement
        else None,
        "id": deployment_id,
        # What the client sends (the gateway alias where the fleet routes through its gateway), not the HF id.
        "served_name": client_model(ctx, deployment_id),
        "reason": reason,
        "when": when,
        "status": dep.status.value,
        "evidence": record.summary,
        "endpoint": endpoint_html(record.client),
        "href": links.deployment(deployment_id),
    }


@dataclass(frozen=True)
class QuickRow:
    """One line of a tab's answer box: a task (or, where the guide ranks nothing, a deployment) and what to call."""

    task: str | None
    """The task's title; None in a fleet whose guide picks nothing by task (the row is then the deployment)."""
    task_id: str
    name: str
    """The model name a client sends."""
    href: str
    where: Markup
    """Where to send it: the base URL with (gateway) or (inferred), or that no URL is published."""
    where_sentence: Markup
    """The same, as the sentence above the lines says it when most lines share it."""
    when: str | None
    status: str
    evidence: str
    reported: tuple[tuple[str, str, str], ...]
    """(claim state, claim label, figure) of each figure a source reported, as the card shows them."""
    model: str | None
    """The model it serves, on rows that are deployments rather than tasks (as seed 003's table pairs each alias
    with its model); the card says what it is for."""


def where_html(ctx: SiteContext, deployment_id: str) -> tuple[Markup, Markup]:
    """Where a client sends requests, as one line of the answer box says it (`at URL (gateway)`, or that no URL
    is published) and as the sentence above the lines says it for all of them."""
    target = ctx.record(deployment_id).client
    if target is None:
        dep = ctx.catalog.deployments[deployment_id]
        if routed_through_gateway(dep):
            return Markup("via its gateway (URL not published)"), Markup(
                "<strong>Send the model names below</strong> to the fleet's gateway (its URL is not published)"
            )
        return Markup("no URL published"), Markup("The catalog publishes <strong>no URL</strong> for the models below")
    marks = (" (gateway)" if target.via_gateway else "") + (" (inferred)" if target.inferred else "")
    url = f"<code>{text(target.base_url)}</code>{marks}"
    return Markup(f"at {url}"), Markup(f"<strong>Send the model names below</strong> to {url}")


def quick_row(
    ctx: SiteContext, links: Links, deployment_id: str, task_id: str, task: str | None, when: str | None = None
) -> QuickRow:
    record = ctx.record(deployment_id)
    dep = record.deployment
    claims = {c.claim: c for c in record.verdict.claims}
    where, where_sentence = where_html(ctx, deployment_id)
    name = client_model(ctx, deployment_id)
    return QuickRow(
        task=task,
        task_id=task_id,
        name=name,
        href=links.deployment(deployment_id),
        where=where,
        where_sentence=where_sentence,
        when=when,
        status=dep.status.value,
        evidence=record.summary.value,
        reported=tuple(
            (claims[r.claim].state.value, claims[r.claim].label, r.summary) for r in dep.reported if r.claim in claims
        ),
        # A line whose name already is the model's (a served Hugging Face id) does not repeat it.
        model=None if task or name.endswith(record.model.name) else record.model.name,
    )


def evidence_line(ctx: SiteContext, deployment_ids: list[str]) -> str:
    """How many of a fleet's deployments our probes verified, as one phrase: `none of its 8 deployments`,
    `2 of its 4 deployments (1 partial, 1 failing)`."""
    counts = Counter(ctx.record(dep_id).summary for dep_id in deployment_ids)
    total = len(deployment_ids)
    verified = counts[SummaryState.verified]
    others = ", ".join(f"{counts[s]} {s.value}" for s in (SummaryState.partial, SummaryState.failing) if counts[s])
    return (
        (f"{verified} of" if verified else "none of") + f" its {total} deployments" + (f" ({others})" if others else "")
    )


def quick_rows(ctx: SiteContext, links: Links, rows: list[dict[str, Any]], fleet_id: str) -> list[QuickRow]:
    """The answer box's lines: each task's first pick; where the guide picks nothing, each deployment a client
    can call."""
    catalog = ctx.catalog
    answers = []
    for row in rows:
        if row["picks"]:
            first = row["picks"][0]
            # The task's own short title: a chooser's title is the guide's longer heading, shown below with its list.
            answers.append(
                quick_row(ctx, links, first["id"], row["task"], catalog.tasks[row["task"]].title, first["when"])
            )
    if answers:
        return answers
    deployments = sorted(
        (dep_id for dep_id, dep in catalog.deployments.items() if dep.fleet == fleet_id),
        # Deployed first, then those a client names through the gateway, then those the guide backs with a result.
        key=lambda dep_id: (
            catalog.deployments[dep_id].status.value != "active",
            not catalog.deployments[dep_id].gateway_alias,
            not catalog.deployments[dep_id].reported,
            dep_id,
        ),
    )
    # Only what a client can name: a deployment with neither a gateway alias nor a published URL (a variant kept
    # for comparisons) stays on the fleet page.
    return [
        quick_row(ctx, links, dep_id, dep_id, None)
        for dep_id in deployments
        if not ctx.record(dep_id).retired
        and (catalog.deployments[dep_id].gateway_alias or ctx.record(dep_id).client is not None)
    ]


def render_quick_chooser(ctx: SiteContext, links: Links) -> str:
    catalog = ctx.catalog
    tabs = []
    all_rows: list[list[dict[str, Any]]] = []
    for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0])):
        categories = sorted(
            ((cid, c) for cid, c in catalog.choosers.items() if c.fleet == fleet_id), key=lambda i: (i[1].order, i[0])
        )
        rows = [
            {
                "id": cid,
                "task": c.task,
                "title": c.title,
                "icon": c.icon,
                "description": c.description,
                "picks": [
                    v for v in (pick_view(ctx, links, p.deployment, p.reason) for p in c.picks) if not v["retired"]
                ],
                # A retired pick moves here by itself on its `retires_on` day, naming its successor.
                "unavailable": [
                    v for v in (pick_view(ctx, links, p.deployment, p.reason) for p in c.picks) if v["retired"]
                ]
                + [pick_view(ctx, links, p.deployment, p.reason) for p in c.unavailable],
            }
            for cid, c in categories
        ]
        # Fleets without chooser categories still answer tasks in their quick reference and use cases.
        chosen = {c.task for _cid, c in categories}
        by_task: dict[str, list[dict[str, Any]]] = {}
        for answer in ctx.view.answers:
            if answer.fleet == fleet_id and answer.task not in chosen and answer.folder != "choosers":
                picks = by_task.setdefault(answer.task, [])
                if all(p["id"] != answer.deployment for p in picks):
                    picks.append(pick_view(ctx, links, answer.deployment, answer.reason, answer.when))
        for task_id in sorted(by_task, key=lambda t: (catalog.tasks[t].order, t)):
            task = catalog.tasks[task_id]
            rows.append(
                {
                    "id": f"{fleet_id}-{task_id}",
                    "task": task_id,
                    "title": task.title,
                    "icon": None,
                    "description": task.description,
                    "picks": [p for p in by_task[task_id] if not p["retired"]],
                    "unavailable": [p for p in by_task[task_id] if p["retired"]],
                }
            )
        deployment_ids = [dep_id for dep_id, dep in catalog.deployments.items() if dep.fleet == fleet_id]
        # The fleet's own caveat first (what its servers were validated on), then any warning about its sources.
        caveats = [fleet.caveat.text] if fleet.caveat else []
        caveats += sorted({c for ref in fleet.sources if (c := catalog.sources[ref.source].caveat)})
        all_rows.append(rows)
        quick = quick_rows(ctx, links, rows, fleet_id)
        # Where most lines send their model to the same place, the box says it once, above the lines.
        shared_where, shared = Counter(q.where for q in quick).most_common(1)[0] if quick else (None, 0)
        if shared < 2:
            shared_where = None
        where_sentence = next((q.where_sentence for q in quick if q.where == shared_where), None)
        tabs.append(
            {
                "whose": fleet_view(ctx, links, fleet_id),
                "rows": rows,
                "quick": [dataclasses.replace(q, where=Markup()) if q.where == shared_where else q for q in quick],
                "where": where_sentence,
                "where_all": shared == len(quick),
                "caveats": caveats,
                "evidence": evidence_line(ctx, deployment_ids),
                # Where every deployment of the fleet has the same summary, the line above says it for all.
                "mixed": len({ctx.record(dep_id).summary for dep_id in deployment_ids}) > 1,
                "reported": any(dep.reported for dep_id, dep in catalog.deployments.items() if dep.fleet == fleet_id),
            }
        )
    return render(
        "quick_chooser.md.j2",
        tabs=tabs,
        # Without a single pick the page says what to do next instead of showing empty tabs.
        has_picks=any(row["picks"] or row["unavailable"] for fleet_rows in all_rows for row in fleet_rows),
        fleets_href=built_href(ctx.pages_left_out, links, SitePage.fleets),
        decide_href=built_href(ctx.pages_left_out, links, SitePage.decide),
        catalog_href=built_href(ctx.pages_left_out, links, SitePage.catalog),
        choosing_href=built_href(ctx.pages_left_out, links, SitePage.choosing),
        badges_href=built_href(ctx.pages_left_out, links, SitePage.badges),
    )
