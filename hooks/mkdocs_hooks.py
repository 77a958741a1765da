"""MkDocs entry points. They only adapt MkDocs events; the work happens in `hooks.render`."""

from __future__ import annotations

import html
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from pydantic import TypeAdapter, ValidationError

from catalog import CatalogInvalid, default_catalog_dir
from catalog.errors import schema_message
from catalog.evidence import default_evidence_dir
from catalog.json_schema import PACKAGE_DIR as SCHEMA_DIR
from catalog.types import HttpUrl
from hooks import dev_server
from hooks.card_pages import generated_pages
from hooks.html_guard import unsafe_markup
from hooks.link_check import dangling_links
from hooks.publish import BuildLocked, StagedBuild
from hooks.render.agents import (
    PageEntry,
    catalog_export,
    copy_links,
    markdown_url,
    render_deployment_json_files,
    render_llms_full,
    render_llms_index_files,
    render_llms_txt,
)
from hooks.render.markers import MarkerError, expand_markers
from hooks.render.templating import Links
from hooks.render_cache import build_workers, checked, indented_json
from hooks.site_context import current, load_site_context

log = logging.getLogger("mkdocs.hooks.catalog")

#: src_uri -> (title, url, markdown after marker expansion), captured for the agent files.
_pages: dict[str, tuple[str, str, str]] = {}
#: The command MkDocs runs (`build`, `serve`, `gh-deploy`), and for `build` the staged output.
_command: str | None = None
_staged: StagedBuild | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command
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
    if _command == "build":
        # `mkdocs build` writes into a staging folder; on_shutdown publishes it only if the build passed.
        global _staged
        _staged = StagedBuild(Path(config.site_dir).resolve())
        try:
            config.site_dir = str(_staged.start())
        except BuildLocked as exc:
            _staged = None
            raise PluginError(str(exc)) from None
    # The theme inserts these without escaping; catalog text must never become markup. `repo_url` (an http(s)
    # URL) and `edit_uri` (a relative path ending in `/`) are validated by the schema, and escaped here too.
    config.site_name = html.escape(ctx.catalog.site.title)
    config.site_description = html.escape(ctx.catalog.site.tagline)
    if ctx.catalog.site.repo_url:
        config.repo_url = html.escape(ctx.catalog.site.repo_url)
        config.edit_uri = html.escape(ctx.catalog.site.edit_uri)
    if _command != "serve":
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
    config.nav = _without_pages(config.nav, set(ctx.pages_left_out))
    for path in (catalog_dir, evidence_dir):
        if path.is_dir() and str(path) not in config.watch:
            config.watch.append(str(path))
    _pages.clear()
    return config


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


def on_files(files: Files, config: MkDocsConfig) -> Files:
    ctx = current()
    for src_uri in ctx.pages_left_out:
        left_out = files.get_file_from_path(src_uri)
        if left_out is not None:
            files.remove(left_out)
    # In memory: nothing is written into docs/ or a temporary folder (hooks/card_pages.py).
    # `mkdocs serve` renders on this process only: it runs threads, which forked workers must not copy.
    workers = build_workers() if _command == "build" else 1
    for page in generated_pages(ctx, os.environ.get("CARDS"), workers):
        generated = File.generated(config, page.src_uri, content=page.markdown)
        generated.edit_uri = page.edit_path
        files.append(generated)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    try:
        expanded = expand_markers(markdown, current(), Links(page.url), page=page.file.src_uri)
    except MarkerError as exc:
        raise PluginError(str(exc)) from None

    def url_of(src_uri: str) -> str | None:
        target = files.get_file_from_path(src_uri)
        return target.url if target is not None else None

    copy = copy_links(expanded, page.file.src_uri, page.url, url_of)
    _pages[page.file.src_uri] = (page.title or page.file.name, page.url, copy)
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
    nav_order = {src: index for index, src in enumerate(_nav_files(config.nav or []))}
    ordered = sorted(_pages.items(), key=lambda item: (nav_order.get(item[0], len(nav_order)), item[0]))
    guide_pages = [(t, u) for s, (t, u, _m) in ordered if not s.startswith("deployments/")]
    guides = [PageEntry(title, markdown_url(url), _page_note(config, url)) for title, url in guide_pages]
    site_url = config.site_url or ""

    def write_agent_files() -> None:
        for _src, (_title, url, markdown) in ordered:
            _write(site_dir / markdown_url(url), markdown)
        optional = [
            PageEntry("llms-full.txt", "llms-full.txt", "every page of this site in one markdown file"),
            PageEntry("catalog.json", "catalog.json", "the whole catalog with evidence states, as JSON"),
            PageEntry("JSON Schema", "schema.json", "the schema every catalog file validates against"),
        ]
        _write(site_dir / "llms.txt", render_llms_txt(ctx, guides, optional))
        _write(site_dir / "llms-full.txt", render_llms_full(ctx, [v for _k, v in ordered], site_url))
        # llms.txt stays the same size however many deployments there are: it links to one file per model family.
        for path, text in render_llms_index_files(ctx).items():
            _write(site_dir / path, text)
        export = catalog_export(ctx)
        _write(site_dir / "catalog.json", indented_json(export))  # render_catalog_json's text, made fast
        for path, text in render_deployment_json_files(export).items():
            _write(site_dir / path, text)
        shutil.copyfile(SCHEMA_DIR / "schema.json", site_dir / "schema.json")
        shutil.copytree(SCHEMA_DIR / "schemas", site_dir / "schemas", dirs_exist_ok=True)

    if _command == "serve":
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
    if _staged is not None:
        _staged.failed = True


def on_shutdown() -> None:
    dev_server.wait_for_background()
    global _staged
    if _staged is not None:
        _staged.finish()
        _staged = None


def _without_pages(nav: Any, pages: set[str]) -> Any:
    """The navigation without `pages`, and without a section left empty by their removal."""
    if isinstance(nav, str):
        return None if nav in pages else nav
    if isinstance(nav, dict):
        kept = {key: value for key, item in nav.items() if (value := _without_pages(item, pages)) not in (None, [])}
        return kept or None
    if isinstance(nav, list):
        return [kept for item in nav if (kept := _without_pages(item, pages)) is not None and kept != []]
    return nav


def _nav_files(nav: Any) -> list[str]:
    """Markdown files in navigation order, flattening sections."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in _nav_files(value)]
    if isinstance(nav, list):
        return [f for item in nav for f in _nav_files(item)]
    return []


def _page_note(config: MkDocsConfig, url: str) -> str:
    notes: dict[str, Any] = config.extra.get("page_notes", {})
    return str(notes.get(url or "/", "part of the guide"))


def _write(path: Path, content: str) -> None:
    if dev_server.write_text(path, content):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
