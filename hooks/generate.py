"""Every file the site generates, in plain Python: `python -m hooks.generate OUT_DIR` writes them without MkDocs.

- **Pages**: one card per deployment and the deployments index (made from the catalog), and every hand-written
  page of the docs folder with its `<!-- catalog:NAME -->` markers expanded (hooks/render/markers.py).
- **Agent files**: the markdown copy of every page (`<page>/index.md`), llms.txt, llms-full.txt, one file per
  model family, catalog.json, one JSON file per deployment, the JSON Schemas, and the Atom feeds of evidence
  events (feed.atom, fleets/<fleet>.atom; hooks/render/feed.py).

The MkDocs plugin (hooks/plugin.py) calls `site_pages` and `agent_files` in memory: MkDocs converts
the pages this module made and publishes the agent files it returns, so a build and this command write the
same bytes (tests/site/test_generate.py compares them). What only the builder knew (each page's URL and
title, the navigation's order, the notes of mkdocs.yml `extra.page_notes`) comes from hooks/site_layout.py,
which the command reads from mkdocs.yml as plain YAML and the adapter fills from the configuration MkDocs
parsed. The adapter adds only speed: cards from the render cache, catalog.json's text from its cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from catalog import CatalogInvalid, default_catalog_dir
from catalog.errors import schema_message
from catalog.evidence import default_evidence_dir
from catalog.json_schema import PACKAGE_DIR as SCHEMA_DIR
from catalog.types import HttpUrl
from hooks.render.agents import (
    PageEntry,
    catalog_export,
    copy_links,
    markdown_url,
    render_catalog_json,
    render_deployment_json_files,
    render_llms_full,
    render_llms_index_files,
    render_llms_txt,
    twin_sitemaps,
)
from hooks.render.deployment_card import render_deployment_card
from hooks.render.deployment_index import render_deployment_index
from hooks.render.feed import FEED_FILE, render_feeds
from hooks.render.markers import MarkerError, expand_markers
from hooks.render.plain_markdown import plain_markdown
from hooks.render.templating import Links
from hooks.site_context import SiteContext, load_site_context
from hooks.site_layout import (
    SiteLayout,
    documentation_pages,
    file_url,
    page_title,
    page_url,
    split_front_matter,
    without_pages,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Renders the cards of the deployments named, in that order (the MkDocs adapter passes the render cache's).
CardRenderer = Callable[[list[str]], list[str]]
#: A page's markdown as plain CommonMark (`plain_markdown`; the MkDocs adapter passes the render cache's).
PlainMarkdown = Callable[[str], str]


@dataclass(frozen=True)
class GeneratedPage:
    """A page made from the catalog rather than written in docs/."""

    src_uri: str
    """Where the page sits among the docs (`deployments/<id>.md`)."""
    markdown: str
    edit_path: str | None
    """The file its "edit" link opens, relative to the repository; None for a catalog outside it."""


def card_pages(ctx: SiteContext, only: str | None = None, cards: CardRenderer | None = None) -> list[GeneratedPage]:
    """Every deployment's card (those matching the `only` glob, when given) and the deployments index."""
    chosen = [dep_id for dep_id in ctx.catalog.deployments if not only or fnmatch.fnmatch(dep_id, only)]
    rendered = cards(chosen) if cards is not None else [render_deployment_card(ctx, dep_id) for dep_id in chosen]
    pages = []
    for deployment_id, markdown in zip(chosen, rendered, strict=True):
        source = ctx.catalog.source_file("deployments", deployment_id)
        edit_path = source.relative_to(ctx.repo_root).as_posix() if source.is_relative_to(ctx.repo_root) else None
        pages.append(GeneratedPage(f"deployments/{deployment_id}.md", markdown, edit_path))
    if "deployments/index.md" not in ctx.pages_left_out:  # never an empty index (hooks/render/pages.py)
        pages.append(GeneratedPage("deployments/index.md", render_deployment_index(ctx), None))
    return pages


@dataclass(frozen=True)
class BuiltPage:
    """One page of the site as the builder converts it and as agents read it."""

    src_uri: str
    url: str
    """Its URL as MkDocs gives it (`catalog/`, `` for the home page)."""
    title: str
    source: str
    """What the builder reads: the hand-written file (front matter included), or the generated markdown."""
    markdown: str
    """What the builder converts: the source without its front matter, markers expanded."""
    copy: str
    """Its markdown copy for agents: links to other pages' source files lead to their copies instead."""
    generated: GeneratedPage | None = None

    @property
    def front_matter(self) -> str:
        """The part of `source` before the markdown (a `---` block), which a builder reads as the page's settings."""
        body, _meta = split_front_matter(self.source)
        return self.source[: len(self.source) - len(body)] if self.source.endswith(body) else ""


def expand_page(
    ctx: SiteContext,
    src_uri: str,
    url: str,
    markdown: str,
    url_of: Callable[[str], str | None],
    plain: PlainMarkdown = plain_markdown,
) -> tuple[str, str]:
    """`(markdown, copy)`: a page's markdown with its markers expanded, and its markdown copy for agents: the
    same text as plain CommonMark (no tabs, admonitions, icons, attribute lists, raw HTML or entities;
    hooks/render/plain_markdown.py), its links to other pages' source files made links to their copies.

    Raises `MarkerError` naming the page and line of an unknown or malformed marker.
    """
    expanded = expand_markers(markdown, ctx, Links(url), page=src_uri)
    return expanded, copy_links(plain(expanded), src_uri, url, url_of)


def site_pages(
    ctx: SiteContext, layout: SiteLayout, generated: list[GeneratedPage], plain: PlainMarkdown = plain_markdown
) -> list[BuiltPage]:
    """Every page the site builds, in navigation order (pages outside it after, by file): the hand-written pages
    of `layout.docs_dir` the catalog has something to show on, and the `generated` ones."""
    nav = without_pages(layout.nav, set(ctx.pages_left_out))
    layout = dataclasses.replace(layout, nav=nav)
    sources = {
        src: (layout.docs_dir / src).read_text(encoding="utf-8-sig")  # as MkDocs reads a page (a BOM dropped)
        for src in documentation_pages(layout.docs_dir)
        if src not in ctx.pages_left_out
    }
    made = {page.src_uri: page for page in generated}
    sources.update({src: page.markdown for src, page in made.items()})
    urls = {src: file_url(src, layout.use_directory_urls) for src in sources}
    titles = layout.nav_titles()
    pages = []
    for src, source in sources.items():
        body, meta = split_front_matter(source)
        url = page_url(src, layout.use_directory_urls)
        markdown, copy = expand_page(ctx, src, url, body, urls.get, plain)
        title = page_title(src, body, meta, titles.get(src))
        pages.append(BuiltPage(src, url, title, source, markdown, copy, made.get(src)))
    order = {src: index for index, src in enumerate(layout.nav_order())}
    return sorted(pages, key=lambda page: (order.get(page.src_uri, len(order)), page.src_uri))


@dataclass(frozen=True)
class AgentFiles:
    """The files agents read, by their path in the built site."""

    texts: dict[str, str]
    copies: dict[str, Path]
    """Files published as they are (the JSON Schemas)."""


def agent_files(
    ctx: SiteContext,
    pages: list[BuiltPage],
    layout: SiteLayout,
    site_url: str | None,
    catalog_json: Callable[[dict[str, Any]], str] | None = None,
) -> AgentFiles:
    """Every agent file for `pages` (in navigation order, as `site_pages` returns them).

    `catalog_json` writes catalog.json's text from the export (default: `render_catalog_json`; the MkDocs
    adapter passes the render cache's `indented_json`, the same text made faster).
    """
    texts = {markdown_url(page.url): page.copy for page in pages}
    texts.update(twin_sitemaps([(page.url, markdown_url(page.url)) for page in pages], site_url))
    guides = [
        PageEntry(page.title, markdown_url(page.url), layout.note(page.url))
        for page in pages
        if not page.src_uri.startswith("deployments/")
    ]
    optional = [
        PageEntry("llms-full.txt", "llms-full.txt", "every page of this site in one markdown file"),
        PageEntry("catalog.json", "catalog.json", "the whole catalog with evidence states, as JSON"),
        PageEntry("JSON Schema", "schema.json", "the schema every catalog file validates against"),
        PageEntry(
            "Atom feed",
            FEED_FILE,
            "evidence events, newest first: claims that start or stop passing or go stale, deployments that appear, "
            "retire or get a successor (one feed per fleet at `fleets/<fleet>.atom`)",
        ),
    ]
    texts["llms.txt"] = render_llms_txt(ctx, guides, optional)
    full = [(page.title, page.url, page.copy) for page in pages]
    texts["llms-full.txt"] = render_llms_full(ctx, full, site_url or "")
    # llms.txt stays the same size however many deployments there are: it links to one file per model family.
    texts.update(render_llms_index_files(ctx))
    export = catalog_export(ctx)
    texts["catalog.json"] = (catalog_json or (lambda data: render_catalog_json(ctx, data)))(export)
    texts.update(render_deployment_json_files(export))
    # Atom feeds of evidence events, site-wide and per fleet, linking each deployment's card.
    texts.update(
        render_feeds(ctx.view, site_url, lambda dep_id: page_url(f"deployments/{dep_id}.md", layout.use_directory_urls))
    )
    copies = {"schema.json": SCHEMA_DIR / "schema.json"}
    for path in sorted((SCHEMA_DIR / "schemas").rglob("*")):
        if path.is_file():
            copies[f"schemas/{path.relative_to(SCHEMA_DIR / 'schemas').as_posix()}"] = path
    return AgentFiles(texts, copies)


def site_url(from_env: str | None, from_site_yaml: str | None) -> str | None:
    """Where the built site will be served: `$SITE_URL`, else site.yaml's `site_url`, else unknown (None).

    Material's instant navigation only takes over links to pages listed in sitemap.xml at the same host,
    port and path, and canonical URLs and the sitemap are written from this value, so it has to be the real
    address. Unknown is better than a wrong guess: without it the site still works, with full page loads.
    """
    url = (from_env or "").strip() or from_site_yaml
    if not url:
        return None
    try:
        TypeAdapter(HttpUrl).validate_python(url)
    except ValidationError as exc:
        raise ValueError(f"SITE_URL {url!r}: {schema_message(exc.errors()[0])}") from None
    if "?" in url or "#" in url:
        raise ValueError(f"SITE_URL {url!r}: a site address has no query or fragment; write `https://host/path/`")
    return url if url.endswith("/") else f"{url}/"


#: In an output folder this command wrote: it may replace what it wrote before, and nothing else.
OUTPUT_MARK = ".generated-by-hooks-generate"


class OutputRefused(ValueError):
    """The output folder holds files this command did not write."""


def write_output(out_dir: Path, layout: SiteLayout, pages: list[BuiltPage], agents: AgentFiles) -> None:
    """Write `docs/` (every page as a builder reads it, with the docs folder's other files, such as assets) and
    `site/` (the agent files, at their paths in the built site) into `out_dir`, replacing an earlier run's."""
    mark = out_dir / OUTPUT_MARK
    if out_dir.exists() and any(out_dir.iterdir()) and not mark.is_file():
        raise OutputRefused(
            f"{out_dir} holds files this command did not write; give an empty or new folder "
            f"(a folder it wrote holds {OUTPUT_MARK}, and is replaced whole)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for part in ("docs", "site"):
        shutil.rmtree(out_dir / part, ignore_errors=True)
    mark.write_text(
        "written by python -m hooks.generate; docs/ and site/ are replaced on every run\n", encoding="utf-8"
    )
    docs, site = out_dir / "docs", out_dir / "site"
    built = set(documentation_pages(layout.docs_dir))
    for path in sorted(layout.docs_dir.rglob("*")):
        src = path.relative_to(layout.docs_dir).as_posix()
        if path.is_file() and src not in built and not any(part.startswith(".") for part in src.split("/")):
            _copy(path, docs / src)
    for page in pages:
        _write(docs / page.src_uri, page.front_matter + page.markdown)
    for name, text in agents.texts.items():
        _write(site / name, text)
    for name, source in agents.copies.items():
        _copy(source, site / name)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hooks.generate",
        description="Write every generated page and agent file of the site into OUT_DIR, without MkDocs: "
        "OUT_DIR/docs holds the pages as a builder reads them (markers expanded, cards added), OUT_DIR/site the "
        "files a build publishes beside the pages (markdown copies, llms.txt, catalog.json, the JSON Schemas).",
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="an empty or new folder, or one this wrote")
    parser.add_argument(
        "--catalog", type=Path, default=None, help="catalog directory (default: $CATALOG_DIR, else the bundled catalog)"
    )
    parser.add_argument(
        "--evidence", type=Path, default=None, help="evidence folder (default: $EVIDENCE_DIR, else evidence/)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=REPO_ROOT / "mkdocs.yml",
        help="the site's mkdocs.yml (default: this repository's)",
    )
    parser.add_argument("--cards", default=None, metavar="GLOB", help="only the cards of matching deployments")
    args = parser.parse_args(argv)
    config = args.config.resolve()
    try:
        layout = SiteLayout.read(config)
    except (OSError, ValueError) as exc:
        print(f"python -m hooks.generate: {exc}", file=sys.stderr)
        return 2
    repo_root = config.parent
    try:
        ctx = load_site_context(
            (args.catalog or default_catalog_dir()).resolve(),
            (args.evidence or default_evidence_dir()).resolve(),
            repo_root,
            repo_root / "bench" / "results.json",
            layout.docs_dir,
        )
    except CatalogInvalid as exc:
        print(f"the catalog is invalid:\n{exc.report()}", file=sys.stderr)
        return 1
    for problem in ctx.evidence.problems:
        print(f"evidence file ignored: {problem}", file=sys.stderr)
    try:
        url = site_url(os.environ.get("SITE_URL"), ctx.catalog.site.site_url)
    except ValueError as exc:
        print(f"python -m hooks.generate: {exc}", file=sys.stderr)
        return 2
    try:
        pages = site_pages(ctx, layout, card_pages(ctx, args.cards))
        write_output(args.out_dir, layout, pages, agent_files(ctx, pages, layout, url))
    except (MarkerError, OutputRefused, OSError) as exc:
        print(f"python -m hooks.generate: {exc}", file=sys.stderr)
        return 1
    print(f"{len(pages)} pages into {args.out_dir / 'docs'}, agent files into {args.out_dir / 'site'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
