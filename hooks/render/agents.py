"""Files for LLM agents: llms.txt (llmstxt.org format), llms-full.txt, and the catalog.json export."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.collections import ENTITY_KINDS
from catalog.display import client_text
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


def render_llms_txt(ctx: SiteContext, guides: list[PageEntry], optional: list[PageEntry]) -> str:
    catalog = ctx.catalog
    fleets = []
    for fleet_id, fleet in sorted(catalog.fleets.items(), key=lambda item: (item[1].order, item[0])):
        picks: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for answer in ctx.view.answers:
            # The same deployment for the same task is said once, under the first wording the advice gives.
            key = (answer.task, answer.deployment)
            if answer.fleet != fleet_id or key in seen:
                continue
            seen.add(key)
            record = ctx.record(answer.deployment)
            replacement = record.replacement
            picks.append(
                {
                    "retired": record.retired,
                    "successor": catalog.deployments[replacement] if replacement else None,
                    "successor_url": markdown_url(f"deployments/{replacement}/") if replacement else None,
                    "task": catalog.tasks[answer.task],
                    "task_order": catalog.tasks[answer.task].order,
                    "answer": answer,
                    "d": record.deployment,
                    "client": client_text(record.client) if record.client else None,
                    "verdict": record.verdict,
                    "url": markdown_url(f"deployments/{answer.deployment}/"),
                }
            )
        picks.sort(key=lambda p: (p["task_order"], p["answer"].rank))
        fleets.append({"id": fleet_id, "f": fleet, "picks": picks})
    families = _families(ctx)
    return render_code(
        "llms.txt.j2",
        site=catalog.site,
        fleets=fleets,
        deployment_count=len(catalog.deployments),
        families=families,
        family_lines=FAMILY_LINES,
        family_index=FAMILY_INDEX,
        guides=guides,
        optional=optional,
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


def render_llms_index_files(ctx: SiteContext) -> dict[str, str]:
    """The files llms.txt links to for deployments: one per model family, and an index of the families.

    Keys are paths relative to the site root; links inside each file are relative to that file.
    """
    catalog = ctx.catalog
    families = _families(ctx)
    files: dict[str, str] = {}
    for family in families:
        up = "../../"
        deployments = [
            {
                "id": dep_id,
                "d": catalog.deployments[dep_id],
                "client": client_text(record.client) if (record := ctx.record(dep_id)).client else None,
                "verdict": record.verdict,
                "url": up + markdown_url(f"deployments/{dep_id}/"),
                "json_url": up + deployment_json_url(dep_id),
            }
            for dep_id in family["ids"]
        ]
        files[family["url"]] = render_code(
            "llms_family.md.j2",
            title=f"{family['name']}: {family['count']} deployment{'s' if family['count'] != 1 else ''}",
            intro=f"Part of {catalog.site.title} (llms.txt at the site root). Card links lead to each deployment's page as markdown.",
            deployments=deployments,
            families=[],
        )
    files[FAMILY_INDEX] = render_code(
        "llms_family.md.j2",
        title=f"Deployments by model family: {len(catalog.deployments)} deployments",
        intro=f"Part of {catalog.site.title} (llms.txt at the site root). One file per model family.",
        deployments=[],
        families=[{**f, "url": f["url"].removeprefix("llms/")} for f in families],
    )
    return files


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


def render_llms_full(ctx: SiteContext, pages: list[tuple[str, str, str]], base_url: str = "") -> str:
    """Every page's markdown in navigation order, each under a header naming its URL; links made absolute."""
    parts = [f"# {ctx.catalog.site.title}\n\n> {ctx.catalog.site.tagline}\n"]
    for title, url, markdown in pages:
        body = absolute_links(markdown.strip(), url, base_url)
        parts.append(f"\n---\n\n<!-- page: {base_url.rstrip('/')}/{url} ({title}) -->\n\n{body}\n")
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
