"""MkDocs entry points that keep the build and the site fast as the catalog grows (issue 13).

Listed after `hooks/mkdocs_hooks.py` in mkdocs.yml, so each page's markdown arrives here with its
catalog markers already expanded.

- Rendering cached by content hash (`hooks/render_cache.py`): a page whose markdown did not change since
  an earlier build (or `mkdocs serve` rebuild) is not converted again.
- Search: Material's search box, answered from a Pagefind index built after the site
  (`hooks/search_index.py`). Under `mkdocs serve` Pagefind runs in the background, so a rebuilt page is
  served before its search index is.
- `mkdocs serve`: file notifications instead of polling, and the agent files written after the reload
  (`hooks/dev_server.py`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from hooks import dev_server
from hooks.html_guard import unsafe_markup
from hooks.render_cache import (
    HeldPages,
    OutputCache,
    PageCache,
    PrerenderJob,
    SealedBytecodeCache,
    build_workers,
    cache_dir,
    keep_in_memory,
    serve_cached_pages,
)
from hooks.search_index import (
    PagesDigest,
    SearchSetupError,
    build_index,
    start_index,
    stop_index,
    unindexed_long_lists,
    use_our_worker,
)

log = logging.getLogger("mkdocs.hooks.scale")

_command: str | None = None
_page_cache: PageCache | None = None
_pages_digest: PagesDigest | None = None
_output_cache: OutputCache | None = None
_held_pages: HeldPages | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command
    keep_in_memory(command == "serve")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # Material's search plugin only keeps the search box here (every page is excluded; Pagefind indexes), but
    # it still runs a regex over each page's HTML to strip `data-search-*` attributes no page of ours has:
    # 0.6 ms a page, on every build and every `mkdocs serve` rebuild. Its page event is dropped.
    search = config.plugins.get("material/search")
    if search is not None:
        events = config.plugins.events["page_context"]
        events[:] = [method for method in events if getattr(method, "__self__", None) is not search]
    return config


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    return dev_server.notified_watcher(server)


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    # The theme's templates (Material: 44 files) are compiled once per machine, not once per build or
    # `mkdocs serve` rebuild: Jinja keys each compiled template on its source's checksum.
    folder = cache_dir()
    if folder is not None:
        (folder / "jinja").mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = SealedBytecodeCache(folder / "jinja")
    # A page whose themed HTML is cached is rendered with a template that prints it (OutputCache).
    serve_cached_pages(env)
    return env


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    global _output_cache, _held_pages
    _output_cache = OutputCache(config, nav) if cache_dir() is not None else None
    # A build keeps each page's HTML compressed until the theme renders it; `mkdocs serve` rebuilds few pages.
    _held_pages = HeldPages() if _command == "build" else None
    # Every page's Markdown converted on all cores before MkDocs reads the pages one by one: each then finds
    # its conversion in the render cache (in memory even with SITE_RENDER_CACHE=off). Not under `mkdocs
    # serve`, which rebuilds few pages and runs threads that a fork must not copy.
    if _command == "build" and _page_cache is not None:
        pages = []
        for file in files.documentation_pages():
            if file.page is None:
                Page(None, file, config)  # as MkDocs does for a page outside the navigation
            # A generated page's source is its markdown (a card: no front matter, no marker), so whether its
            # conversion is cached is known here; a page that is not sent to a worker is converted as before.
            if file.page is not None and not _page_cache.holds(file.page, file.content_string):
                pages.append(file.page)
        # Only when cards need converting: a warm build, or one after an edit, forks nothing, and does not
        # expand the hand-written pages' markers twice (their source is not their markdown, so `holds` misses).
        if sum(page.file.generated_by is not None for page in pages) > 1:
            job = PrerenderJob(_page_cache, pages, config, files, guard=unsafe_markup)
            workers = build_workers()
            done = _page_cache.prerender(job, workers)
            if done:
                log.info("%d pages converted on %d processes", done, workers)
    return nav


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Runs after mkdocs_hooks.py's check of the content, the last step before the theme renders the page.
    html = unindexed_long_lists(html)
    if _output_cache is not None:
        page.content = html
        if _output_cache.before_render(page) and _command == "build":
            # Its stored page is printed as it is: the build need not hold this page's HTML until the theme
            # renders the last page (memory follows one page, not the site).
            return ""
    if _held_pages is not None:
        return _held_pages.hold(page, html)
    return html


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Navigation) -> dict[str, Any]:
    if _held_pages is not None:
        _held_pages.restore(page)
    return context


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _page_cache
    if _page_cache is not None:
        _page_cache.close()
    _page_cache = PageCache(config, files)
    global _pages_digest
    # The digest decides whether a build may reuse a stored search index; `mkdocs serve` indexes afresh.
    _pages_digest = PagesDigest() if _command != "serve" else None
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Material's search plugin keeps the search box but indexes nothing: Pagefind indexes the built pages.
    page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
    if _page_cache is not None:
        _page_cache.attach(page, markdown)
    return markdown


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    try:
        swapped = use_our_worker(output)
    except SearchSetupError as exc:
        raise PluginError(str(exc)) from None
    if _pages_digest is not None:
        _pages_digest.add(page.url, swapped)
    if _output_cache is not None:
        _output_cache.after_render(page, swapped)
    if _held_pages is not None:
        _held_pages.release(page)
    return swapped


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    swapped = use_our_worker(output_content)
    if _pages_digest is not None:
        _pages_digest.add(template_name, swapped)
    return swapped


def on_post_build(config: MkDocsConfig) -> None:
    if _page_cache is not None:
        _page_cache.close()
        log.debug("page render cache: %d hits, %d misses", _page_cache.hits, _page_cache.misses)
    site_dir = Path(config.site_dir)
    if _command == "serve":
        start_index(site_dir)
        return
    folder = cache_dir()
    try:
        reused = build_index(
            site_dir,
            _pages_digest.hexdigest() if _pages_digest is not None else None,
            folder / "pagefind" if folder is not None else None,
        )
        log.debug("search index %s", "reused: no page changed" if reused else "built with Pagefind")
    except RuntimeError as exc:
        raise PluginError(str(exc)) from None


def on_shutdown() -> None:
    stop_index()
