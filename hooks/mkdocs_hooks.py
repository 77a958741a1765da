"""MkDocs entry points. They only adapt MkDocs events: hooks/generate.py makes every page and agent file (the
same functions `python -m hooks.generate` runs without MkDocs), from renderers in `hooks.render`."""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from catalog import CatalogInvalid, default_catalog_dir
from catalog.evidence import default_evidence_dir
from hooks import dev_server
from hooks.card_pages import generated_pages
from hooks.generate import BuiltPage, agent_files, expand_page, site_pages, site_url
from hooks.html_guard import unsafe_markup
from hooks.link_check import dangling_links
from hooks.publish import BuildLocked, StagedBuild
from hooks.render.markers import MarkerError
from hooks.render_cache import build_workers, checked, indented_json
from hooks.site_context import current, load_site_context
from hooks.site_layout import SiteLayout, file_url, split_front_matter, without_pages

log = logging.getLogger("mkdocs.hooks.catalog")


@dataclass
class _Build:
    """What this build carries from one MkDocs event to the next."""

    command: str | None = None
    """The command MkDocs runs (`build`, `serve`, `gh-deploy`)."""
    staged: StagedBuild | None = None
    """For `build`, the staged output (hooks/publish.py)."""
    layout: SiteLayout | None = None
    pages: dict[str, BuiltPage] = field(default_factory=dict)
    """src_uri -> the page hooks/generate.py made, in navigation order: what MkDocs converts and agents read."""


_build = _Build()


def on_startup(command: str, dirty: bool) -> None:
    _build.command = command
    if command == "serve":
        # Rebuilds redo and rewrite only what changed (hooks/dev_server.py).
        dev_server.start_serving()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # Under `mkdocs serve`, the last rebuild's agent files must be written before MkDocs empties site_dir.
    dev_server.wait_for_background()
    repo_root = Path(config.config_file_path).resolve().parent
    # The same defaults as `python -m catalog` and `python -m probes`: $CATALOG_DIR / $EVIDENCE_DIR, else the repo's.
    catalog_dir = default_catalog_dir().resolve()
    evidence_dir = default_evidence_dir().resolve()
    try:
        ctx = load_site_context(
            catalog_dir, evidence_dir, repo_root, repo_root / "bench" / "results.json", Path(config.docs_dir)
        )
    except CatalogInvalid as exc:
        # Raised before MkDocs touches site_dir, so a broken catalog never leaves a half-written site.
        raise PluginError(f"the catalog is invalid:\n{exc.report()}") from None
    for problem in ctx.evidence.problems:
        # Unreadable evidence shows as "never probed"; say so, since --strict turns this into a failure.
        log.warning("evidence file ignored: %s", problem)
    if _build.command == "build":
        # `mkdocs build` writes into a staging folder; on_shutdown publishes it only if the build passed.
        _build.staged = StagedBuild(Path(config.site_dir).resolve())
        try:
            config.site_dir = str(_build.staged.start())
        except BuildLocked as exc:
            _build.staged = None
            raise PluginError(str(exc)) from None
    # The theme inserts these without escaping; catalog text must never become markup. `repo_url` (an http(s)
    # URL) and `edit_uri` (a relative path ending in `/`) are validated by the schema, and escaped here too.
    config.site_name = html.escape(ctx.catalog.site.title)
    config.site_description = html.escape(ctx.catalog.site.tagline)
    if ctx.catalog.site.repo_url:
        config.repo_url = html.escape(ctx.catalog.site.repo_url)
        config.edit_uri = html.escape(ctx.catalog.site.edit_uri)
    if _build.command != "serve":
        # `mkdocs serve` has already set site_url to the address it serves on; a build takes it from here.
        try:
            config.site_url = site_url(os.environ.get("SITE_URL"), ctx.catalog.site.site_url)
        except ValueError as exc:
            raise PluginError(str(exc)) from None
        if config.site_url is None:
            log.info(
                "no site_url ($SITE_URL or site.yaml `site_url`): pages get no canonical URL and links load "
                "whole pages instead of using instant navigation"
            )
    # A page the catalog has nothing to show on is neither in the menu nor built (hooks/render/pages.py).
    for page, why in sorted(ctx.pages_left_out.items()):
        log.info("%s left out: %s", page, why)
    config.nav = without_pages(config.nav, set(ctx.pages_left_out))
    for path in (catalog_dir, evidence_dir):
        if path.is_dir() and str(path) not in config.watch:
            config.watch.append(str(path))
    _build.pages = {}
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    ctx = current()
    for src_uri in ctx.pages_left_out:
        left_out = files.get_file_from_path(src_uri)
        if left_out is not None:
            files.remove(left_out)
    # In memory: nothing is written into docs/ or a temporary folder (hooks/card_pages.py).
    # `mkdocs serve` renders on this process only: it runs threads, which forked workers must not copy.
    workers = build_workers() if _build.command == "build" else 1
    generated = generated_pages(ctx, os.environ.get("CARDS"), workers)
    for page in generated:
        made = File.generated(config, page.src_uri, content=page.markdown)
        made.edit_uri = page.edit_path
        files.append(made)
    # Every page as hooks/generate.py makes it (`python -m hooks.generate` writes the same), from the settings
    # MkDocs read; on_page_markdown hands each to MkDocs and checks that MkDocs agrees on its URL and title.
    _build.layout = SiteLayout.of(Path(config.docs_dir), config.nav, config.extra, config.use_directory_urls)
    try:
        pages = site_pages(ctx, _build.layout, generated)
    except ValueError as exc:  # a MarkerError, or two index pages in one folder
        raise PluginError(str(exc)) from None
    _build.pages = {page.src_uri: page for page in pages}
    built = {file.src_uri for file in files.documentation_pages()}
    if built != _build.pages.keys():
        differ = ", ".join(sorted(built ^ _build.pages.keys()))
        raise PluginError(f"MkDocs builds other pages than hooks/site_layout.py finds in the docs folder: {differ}")
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    src = page.file.src_uri
    made = _build.pages[src]
    title = page.title or page.file.name
    if (page.url, title) != (made.url, made.title):
        raise PluginError(
            f"{src}: MkDocs serves it at {page.url!r} titled {title!r}, hooks/site_layout.py worked out "
            f"{made.url!r} titled {made.title!r}; the markdown copies and llms.txt would be wrong"
        )
    # A card has no front matter: its source is what MkDocs hands over, compared without splitting it again.
    if markdown == made.source or markdown == split_front_matter(made.source)[0]:
        return made.markdown
    # Changed since on_files (saved during a `mkdocs serve` rebuild), or by another plugin: expanded the same way.
    pages, directory_urls = _build.pages, config.use_directory_urls

    def url_of(target: str) -> str | None:
        return file_url(target, directory_urls) if target in pages else None

    try:
        expanded, copy = expand_page(current(), src, page.url, markdown, url_of)
    except MarkerError as exc:
        raise PluginError(str(exc)) from None
    pages[src] = dataclasses.replace(made, markdown=expanded, copy=copy)
    return expanded


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fail the build rather than publish a page whose content could run script (see hooks/html_guard.py)."""
    # Pure in the page's HTML: remembered by its hash, so an unchanged page is not parsed again (hooks/render_cache.py).
    problems = checked("html_guard", unsafe_markup, html)
    if problems:
        listed = "; ".join(sorted(set(problems)))
        raise PluginError(
            f"{page.file.src_uri}: unsafe markup in the rendered page ({listed}); catalog text must stay text"
        )
    return html


def on_post_build(config: MkDocsConfig) -> None:
    ctx = current()
    site_dir = Path(config.site_dir)
    layout = _build.layout
    assert layout is not None, "on_files sets the layout"
    pages = list(_build.pages.values())

    def write_agent_files() -> None:
        # catalog.json's text from the render cache: render_catalog_json's, made fast.
        agents = agent_files(ctx, pages, layout, config.site_url, catalog_json=indented_json)
        for name, text in agents.texts.items():
            _write(site_dir / name, text)
        for name, source in agents.copies.items():
            (site_dir / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, site_dir / name)

    if _build.command == "serve":
        # No page shows these files, and the browser reloads only when the build returns (hooks/dev_server.py).
        def write_then_tidy() -> None:
            write_agent_files()
            dev_server.finish_rebuild()

        dev_server.after_pages(write_then_tidy)
    else:
        write_agent_files()
        # Only a full build: `mkdocs serve` may build some cards only (CARDS), and rebuilds must stay quick.
        # Warnings, like MkDocs' own link checks: the build is strict (mkdocs.yml), so any of them fails it,
        # after every problem of the build has been named, not only the first.
        for problem in dangling_links(site_dir, config.site_url, build_workers()):
            log.warning("link leads nowhere: %s", problem)


def on_build_error(error: Exception) -> None:
    if _build.staged is not None:
        _build.staged.failed = True


def on_shutdown() -> None:
    dev_server.wait_for_background()
    if _build.staged is not None:
        _build.staged.finish()
        _build.staged = None


def _write(path: Path, content: str) -> None:
    if dev_server.write_text(path, content):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
