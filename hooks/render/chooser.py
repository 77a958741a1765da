"""The quick chooser: one tab per fleet, each with that fleet's answers by task, linking to the cards."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from catalog.clients import Target
from hooks.render.fleets import fleet_view
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
            "served_name": ctx.catalog.deployments[replacement].served_name,
            "href": links.deployment(replacement),
        }
        if replacement
        else None,
        "id": deployment_id,
        "served_name": dep.served_name,
        "reason": reason,
        "when": when,
        "status": dep.status.value,
        "evidence": record.summary,
        "endpoint": endpoint_html(record.client),
        "href": links.deployment(deployment_id),
    }


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
                    "title": task.title,
                    "icon": None,
                    "description": task.description,
                    "picks": [p for p in by_task[task_id] if not p["retired"]],
                    "unavailable": [p for p in by_task[task_id] if p["retired"]],
                }
            )
        deployments = sum(dep.fleet == fleet_id for dep in catalog.deployments.values())
        caveats = sorted({c for ref in fleet.sources if (c := catalog.sources[ref.source].caveat)})
        all_rows.append(rows)
        tabs.append(
            {"whose": fleet_view(ctx, links, fleet_id), "rows": rows, "caveats": caveats, "deployments": deployments}
        )
    return render(
        "quick_chooser.md.j2",
        tabs=tabs,
        # Without a single pick the page says what to do next instead of showing empty tabs.
        has_picks=any(row["picks"] or row["unavailable"] for fleet_rows in all_rows for row in fleet_rows),
        fleets_href=built_href(ctx.pages_left_out, links, SitePage.fleets),
        decide_href=built_href(ctx.pages_left_out, links, SitePage.decide),
        catalog_href=built_href(ctx.pages_left_out, links, SitePage.catalog),
    )
