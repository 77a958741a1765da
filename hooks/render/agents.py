"""Files for LLM agents: llms.txt (llmstxt.org format), llms-full.txt, and the catalog.json export."""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.advice import Answer
from catalog.collections import ENTITY_KINDS
from catalog.display import client_text, summaries_text, summary_line
from catalog.view import DeploymentRecord
from hooks.render.plain_markdown import plain_markdown
from hooks.render.templating import Links, render_code
from hooks.site_context import SiteContext

CATALOG_EXPORT_VERSION = 1


@dataclass(frozen=True)
class PageEntry:
    """A built page as agents see it: title, the URL of its markdown copy, and one line about it."""

    title: str
    markdown_url: str
    note: str


def markdown_url(page_url: str) -> str:
    """Where the markdown copy of a page lives: `catalog/` -> `catalog/index.md`."""
    return f"{page_url}index.md" if page_url.endswith("/") or not page_url else page_url.removesuffix(".html") + ".md"


def twin_sitemaps(pages: list[tuple[str, str]], site_url: str | None) -> dict[str, str]:
    """A `sitemap.xml` beside each markdown copy outside the site's root, listing the page it copies, by path.

    Every page links its copy with `<link rel="alternate">`, and Material's theme fetches `sitemap.xml` from
    the folder of every alternate link of a page (for its language switcher): without these files each page
    view asks for a file that is not there (a 404 in the browser's console and the dev server's log). `pages`:
    (page URL, markdown copy URL) pairs.
    """
    base = (site_url or "").rstrip("/") + "/" if site_url else ""
    found: dict[str, list[str]] = {}
    for page_url, copy_url in pages:
        folder = posixpath.dirname(copy_url)
        if folder:
            found.setdefault(f"{folder}/sitemap.xml", []).append(f"{base}{page_url}")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    return {
        path: head + "".join(f"  <url><loc>{html.escape(url)}</loc></url>\n" for url in sorted(urls)) + "</urlset>\n"
        for path, urls in found.items()
    }


@dataclass(frozen=True)
class LinkItem:
    """One line of an llms file's section: `- [name](url): notes`, the only thing the llmstxt.org format puts
    under an H2 (the reference `llms_txt` parser reads nothing else there)."""

    name: str
    url: str
    notes: str


@dataclass(frozen=True)
class TaskPicks:
    """One task as llms.txt lists it: the link to its own file, then every fleet's picks for it."""

    task: LinkItem
    picks: list[LinkItem]


def _task_file(task_id: str) -> str:
    return f"llms/tasks/{task_id}.md"


def _pick_place(answer: Answer) -> str:
    """`pick 2`, or the condition a fleet's answer holds under (`for development`)."""
    return f"for {answer.when}" if answer.when else f"pick {answer.rank}"


def _picks(ctx: SiteContext) -> list[Answer]:
    """Every fleet's answers, each (fleet, task, deployment) once under the first wording the advice gives, in
    task order, then fleet order, best first."""
    catalog = ctx.catalog
    seen: set[tuple[str, str, str]] = set()
    picks = []
    for answer in ctx.view.answers:
        key = (answer.fleet, answer.task, answer.deployment)
        if key not in seen:
            seen.add(key)
            picks.append(answer)

    def order(answer: Answer) -> tuple[int, str, int, str, int]:
        task, fleet = catalog.tasks[answer.task], catalog.fleets[answer.fleet]
        return (task.order, answer.task, fleet.order, answer.fleet, answer.rank)

    return sorted(picks, key=order)


def _retired_note(ctx: SiteContext, record: DeploymentRecord, up: str) -> str:
    """`retired on DATE; use [successor](card) instead`, or `...; no successor named`."""
    text = f"retired on {record.deployment.retires_on}"
    if not record.replacement:
        return f"{text}; no successor named"
    successor = ctx.catalog.deployments[record.replacement]
    return f"{text}; use [{successor.served_name}]({up}{markdown_url(f'deployments/{record.replacement}/')}) instead"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _task_summary(ctx: SiteContext, task_id: str, picks: list[Answer]) -> str:
    """What a task's file holds, in a few words: `3 picks in 2 fleets`, or that no fleet picks for it yet (and
    how many deployments serve it, which the file lists instead)."""
    if not picks:
        serving = len(ctx.view.serving_task(task_id))
        verb = "serves" if serving == 1 else "serve"
        return "no fleet picks a deployment for it yet" + (
            f"; {_count(serving, 'deployment')} {verb} it" if serving else ""
        )
    fleets = {a.fleet for a in picks}
    retired = sum(1 for a in picks if ctx.record(a.deployment).retired)
    return f"{_count(len(picks), 'pick')} in {_count(len(fleets), 'fleet')}" + (
        f", {retired} retired" if retired else ""
    )


def render_llms_txt(ctx: SiteContext, guides: list[PageEntry], optional: list[PageEntry]) -> str:
    catalog = ctx.catalog
    picks = _picks(ctx)
    tasks, retired = [], []
    for task_id, task in sorted(catalog.tasks.items(), key=lambda item: (item[1].order, item[0])):
        of_task = [a for a in picks if a.task == task_id]
        described = f"{task.description} " if task.description else ""
        summary = _task_summary(ctx, task_id, of_task)
        link = LinkItem(task.title, _task_file(task_id), f"{described}{summary[0].upper()}{summary[1:]}")
        items = []
        for answer in of_task:
            record = ctx.record(answer.deployment)
            fleet = catalog.fleets[answer.fleet].name
            name = f"{task.title}: {record.deployment.served_name}"
            if record.retired:
                # Not a pick any more: said once in the prose above the sections, with its successor.
                retired.append(f"{name} {_retired_note(ctx, record, '')} ({_pick_place(answer)} in {fleet})")
                continue
            where = client_text(record.client) if record.client else "no published endpoint"
            notes = f"{_pick_place(answer)} in {fleet} — {answer.reason}; {where}; evidence {summaries_text(record.verdict)}"
            items.append(LinkItem(name, markdown_url(f"deployments/{answer.deployment}/"), notes))
        tasks.append(TaskPicks(link, items))
    families = _families(ctx)
    return render_code(
        "llms.txt.j2",
        site=catalog.site,
        fleets=sorted({a.fleet for a in picks}),
        tasks=tasks,
        retired=retired,
        deployment_count=len(catalog.deployments),
        families=families,
        family_lines=FAMILY_LINES,
        family_index=FAMILY_INDEX,
        guides=guides,
        optional=optional,
        # URL templates an agent fills with a deployment id it already knows: one fetch to its card or JSON.
        card_url=markdown_url("deployments/<id>/"),
        json_url=deployment_json_url("<id>"),
    )


#: llms.txt names each model family's file while there are at most this many families, else only the index
#: of families: either way its size does not grow with the number of deployments.
FAMILY_LINES = 40
FAMILY_INDEX = "llms/deployments.md"


def deployment_json_url(deployment_id: str) -> str:
    """Where one deployment's JSON (its catalog.json entry alone) is published."""
    return f"deployments/{deployment_id}.json"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "family"


def _families(ctx: SiteContext) -> list[dict[str, Any]]:
    """Model families, sorted by name, each with its deployment ids and the URL of its llms file."""
    grouped: dict[str, list[str]] = {}
    for dep_id, dep in ctx.catalog.deployments.items():
        grouped.setdefault(ctx.catalog.models[dep.model].family, []).append(dep_id)
    families, used = [], set()
    for name in sorted(grouped, key=lambda n: (n.lower(), n)):
        base = _slug(name)
        slug, n = base, 1
        while slug in used:
            # Families whose names slug alike (`Qwen 3` / `qwen-3`) get numbered files of bounded length.
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        families.append(
            {"name": name, "url": f"llms/families/{slug}.md", "ids": grouped[name], "count": len(grouped[name])}
        )
    return families


def _deployment_facts(record: DeploymentRecord, up: str) -> str:
    """What the llms files say of one deployment after its name: status, endpoints, where to send requests,
    evidence, and its JSON. `up` leads from the file to the site root."""
    dep, verdict = record.deployment, record.verdict
    parts = [f"Status {dep.status.value}."]
    if dep.endpoints:
        parts.append(f"Endpoints: {', '.join(e.value for e in dep.endpoints)}.")
    parts.append(f"{client_text(record.client)}." if record.client else "No published endpoint.")
    parts.append(f"Evidence {summary_line(verdict)}.")
    if verified := verdict.of("verified"):
        parts.append(f"Verified: {', '.join(verified)}.")
    parts.append(f"JSON: [{record.id}.json]({up}{deployment_json_url(record.id)})")
    return " ".join(parts)


def _family_files(ctx: SiteContext, families: list[dict[str, Any]]) -> dict[str, str]:
    catalog = ctx.catalog
    files: dict[str, str] = {}
    up = "../../"
    for family in families:
        items = [
            LinkItem(
                (record := ctx.record(dep_id)).deployment.served_name,
                up + markdown_url(f"deployments/{dep_id}/"),
                f"{record.deployment.summary} {_deployment_facts(record, up)}",
            )
            for dep_id in family["ids"]
        ]
        files[family["url"]] = render_code(
            "llms_family.md.j2",
            title=f"{family['name']}: {_count(family['count'], 'deployment')}",
            summary=f"Every deployment of the {family['name']} model family in {catalog.site.title}, one line each.",
            intro=f"Part of {catalog.site.title} (llms.txt at the site root). Card links lead to each deployment's "
            "page as markdown. Each line gives the deployment's status, its endpoints, where to send requests "
            "(base_url and the model name to send) or that no endpoint is published, its evidence (the serving "
            "summary: is the endpoint up and doing what the catalog says; the quality summary: how its evals "
            "scored) and the claims our probes verified, and a link to its JSON (its catalog.json entry alone).",
            heading="Deployments",
            items=items,
        )
    files[FAMILY_INDEX] = render_code(
        "llms_family.md.j2",
        title=f"Deployments by model family: {_count(len(catalog.deployments), 'deployment')}",
        summary=f"The model families of {catalog.site.title}, each with its own file of deployments.",
        intro=f"Part of {catalog.site.title} (llms.txt at the site root). One file per model family.",
        heading="Families",
        items=[LinkItem(f["name"], f["url"].removeprefix("llms/"), _count(f["count"], "deployment")) for f in families],
    )
    return files


def _task_files(ctx: SiteContext) -> dict[str, str]:
    catalog = ctx.catalog
    picks = _picks(ctx)
    up = "../../"
    files: dict[str, str] = {}
    for task_id, task in catalog.tasks.items():
        of_task = [a for a in picks if a.task == task_id]
        sections_by_id: dict[str, list[LinkItem]] = {}
        for answer in of_task:
            record = ctx.record(answer.deployment)
            dep = record.deployment
            head = f"{_pick_place(answer)} — {answer.reason}."
            if record.retired:
                notes = f"{head} It was {_retired_note(ctx, record, up)}."
                if record.replacement:
                    successor = ctx.record(record.replacement)
                    notes += f" The successor: served as `{successor.deployment.served_name}`. "
                    notes += _deployment_facts(successor, up)
            else:
                notes = f"{head} Served as `{dep.served_name}`. {_deployment_facts(record, up)}"
            card = up + markdown_url(f"deployments/{answer.deployment}/")
            sections_by_id.setdefault(answer.fleet, []).append(LinkItem(dep.served_name, card, notes))
        # No advice picks for this task: offer what serves it, as MCP's pick_deployment does.
        serving = ctx.view.serving_task(task_id) if not of_task else []
        for fit in serving:
            record = ctx.record(fit.deployment)
            notes = (
                f"serves {fit.served_by}. Served as `{record.deployment.served_name}`. {_deployment_facts(record, up)}"
            )
            card = up + markdown_url(f"deployments/{fit.deployment}/")
            sections_by_id.setdefault(fit.fleet, []).append(LinkItem(record.deployment.served_name, card, notes))
        fleets = sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0]))
        sections = [(fleet.name, sections_by_id[fleet_id]) for fleet_id, fleet in fleets if fleet_id in sections_by_id]
        without = [fleet.name for fleet_id, fleet in fleets if fleet_id not in sections_by_id]
        files[_task_file(task_id)] = render_code(
            "llms_task.md.j2",
            site=catalog.site,
            task=task,
            summary=_task_summary(ctx, task_id, of_task),
            served_only=bool(serving),
            sections=sections,
            without=without,
            families_url=f"../{FAMILY_INDEX.removeprefix('llms/')}",
        )
    return files


def render_llms_index_files(ctx: SiteContext) -> dict[str, str]:
    """The files llms.txt links to: one per model family and an index of the families, and one per task with
    every fleet's picks for it.

    Keys are paths relative to the site root; links inside each file are relative to that file.
    """
    families = _families(ctx)
    return {**_family_files(ctx, families), **_task_files(ctx)}


_RELATIVE_LINK = re.compile(r'(\]\(|href=")(?![a-z][a-z0-9+.-]*:|/|#)([^)"\s]+)')


#: A link from a hand-written page to another page's source file: `](glossary.md#x)`.
_SOURCE_LINK = re.compile(r"(\]\()(?![a-z][a-z0-9+.-]*:|/|#)([^)\s#]+\.md)(#[^)\s]*)?(?=\))")


def copy_links(markdown: str, page_src: str, page_url: str, url_of: Callable[[str], str | None]) -> str:
    """Links to other pages' source files (`glossary.md#x`) made links to their markdown copies.

    MkDocs turns such links into page URLs in the HTML, but the markdown copies and llms-full.txt are written
    from the markdown, where `glossary.md` beside `choosing/index.md` is no file. `url_of` maps a source
    file (`glossary.md`) to its page URL (`glossary/`), or None when no page is built from it (the link is
    then left as it is, and the build's link check names it).
    """

    def resolve(match: re.Match[str]) -> str:
        target_src = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), match.group(2)))
        target_url = url_of(target_src)
        if target_url is None:
            return match.group(0)
        return f"{match.group(1)}{Links(page_url).to(markdown_url(target_url))}{match.group(3) or ''}"

    return _SOURCE_LINK.sub(resolve, markdown)


def absolute_links(markdown: str, page_url: str, base_url: str) -> str:
    """Rewrite the page's relative links against its own URL, so they still work once pages are joined."""

    def resolve(match: re.Match[str]) -> str:
        target = match.group(2)
        path, hash_, fragment = target.partition("#")
        joined = posixpath.normpath(posixpath.join("/" + page_url, path)) if path else "/" + page_url
        if path.endswith("/") and not joined.endswith("/"):
            joined += "/"
        return f"{match.group(1)}{base_url.rstrip('/')}{joined}{hash_}{fragment}"

    return _RELATIVE_LINK.sub(resolve, markdown)


#: What starts each page's line in llms-full.txt, before the link to the page.
PAGE_LINE = "Page: "


def render_llms_full(ctx: SiteContext, pages: list[tuple[str, str, str]], base_url: str = "") -> str:
    """Every page's markdown in navigation order, each after a rule and a `Page: [title](URL)` line (plain
    Markdown, like the copies it joins); links made absolute."""
    parts = [f"# {ctx.catalog.site.title}\n\n> {ctx.catalog.site.tagline}\n"]
    for title, url, markdown in pages:
        body = absolute_links(markdown.strip(), url, base_url)
        # A title is the page's H1 as written, which may carry an attribute list (`{ #id }`) or entities.
        parts.append(f"\n---\n\n{PAGE_LINE}[{plain_markdown(title).strip()}]({base_url.rstrip('/')}/{url})\n\n{body}\n")
    return "".join(parts)


def catalog_export(ctx: SiteContext) -> dict[str, Any]:
    """The whole catalog as JSON, with each deployment's evidence state per claim."""
    catalog = ctx.catalog

    def dump(entities: dict[str, Any]) -> dict[str, Any]:
        return {key: value.model_dump(mode="json", exclude_defaults=False) for key, value in entities.items()}

    deployments = dump(catalog.deployments)
    for dep_id in catalog.deployments:
        record = ctx.record(dep_id)
        deployments[dep_id]["evidence"] = record.evidence_json()
        deployments[dep_id]["evidence_summary"] = record.evidence_summary_json()
        deployments[dep_id]["client"] = record.client_json()
    exported: dict[str, Any] = {
        kind.attribute: dump(catalog.entities(kind.folder)) for kind in ENTITY_KINDS if kind.folder != "deployments"
    }
    return {
        "export_version": CATALOG_EXPORT_VERSION,
        "site": catalog.site.model_dump(mode="json"),
        **exported,
        "deployments": deployments,
    }


def render_catalog_json(ctx: SiteContext, export: dict[str, Any] | None = None) -> str:
    return json.dumps(export or catalog_export(ctx), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_deployment_json_files(export: dict[str, Any]) -> dict[str, str]:
    """One small JSON file per deployment beside catalog.json: its catalog.json entry alone, so an agent that
    needs one deployment does not download the whole catalog. Keys are paths relative to the site root.

    One line each, without indentation: the json module encodes that in C, indented JSON in Python (a
    second indented copy of every deployment cost as much as catalog.json itself)."""
    return {
        deployment_json_url(dep_id): json.dumps(
            {"export_version": export["export_version"], "id": dep_id, "deployment": entry},
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n"
        for dep_id, entry in export["deployments"].items()
    }
