"""The MkDocs side of the site: one plugin object (`catalog-site` in mkdocs.yml), registered by pyproject.toml.

It only adapts MkDocs events. hooks/generate.py makes every page and agent file (the same functions
`python -m hooks.generate` runs without MkDocs), from renderers in `hooks.render`; this object hands them to
MkDocs, checks that MkDocs agrees on each page's URL and title, and adds speed:

- cards and page conversions from the render cache (hooks/speed/render_cache.py), converted on every core when
  not cached, and each page's themed HTML reused while nothing it shows changed;
- Material's search box, answered from a Pagefind index built after the site (hooks/speed/search_index.py);
- under `mkdocs serve`, file notifications, only changed files written, and the agent files written after
  the reload (hooks/speed/dev_server.py).

Everything a build carries from one event to the next is on the object: MkDocs makes it once per
`mkdocs build`, and once per `mkdocs serve` for all its rebuilds (it has `on_startup`), so what the server
keeps between rebuilds (the render cache's memory, the served folder) lives on it too. Each event does the
catalog's part first and the speed layer's second, in one place, so no order of files has to be kept.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from catalog import CatalogInvalid, default_catalog_dir
from catalog.evidence import default_evidence_dir
from hooks.card_pages import generated_pages
from hooks.generate import BuiltPage, agent_files, card_pages, expand_page, site_pages, site_url
from hooks.html_guard import unsafe_markup
from hooks.link_check import dangling_links, what_the_check_reads
from hooks.publish import BuildLocked, StagedBuild
from hooks.render.agents import markdown_url
from hooks.render.markers import MarkerError
from hooks.render.plain_markdown import plain_markdown
from hooks.render.verbatim import VerbatimHtml
from hooks.site_context import SiteContext, load_site_context
from hooks.site_layout import SiteLayout, file_url, split_front_matter, without_pages
from hooks.speed import SWITCH, speed_layer_on
from hooks.speed.dev_server import DevServer
from hooks.speed.patches import drop_search_page_event, watch_with_notifications
from hooks.speed.render_cache import (
    HeldPages,
    OutputCache,
    PageCache,
    PrerenderJob,
    RenderStore,
    SealedBytecodeCache,
    build_workers,
    serve_cached_pages,
)
from hooks.speed.search_index import (
    BackgroundIndex,
    PagesDigest,
    SearchSetupError,
    build_index,
    unindexed_long_lists,
    use_our_worker,
)

log = logging.getLogger("mkdocs.plugins.catalog_site")

Command = Literal["build", "gh-deploy", "serve"]


class CatalogSiteConfig(Config):  # type: ignore[no-untyped-call]  # MkDocs' Config.__init_subclass__
    """The plugin takes no options: the catalog and evidence folders come from $CATALOG_DIR and $EVIDENCE_DIR,
    as for `python -m catalog` and `python -m probes`."""


class CatalogSite(BasePlugin[CatalogSiteConfig]):  # type: ignore[no-untyped-call]  # as above
    """The catalog's pages, agent files and checks in a MkDocs build (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.command: Command | None = None
        self.store: RenderStore | None = None
        """The render cache (None with the speed layer off); under `mkdocs serve` it keeps recent entries in
        memory across rebuilds."""
        self.dev_server: DevServer | None = None
        """Only under `mkdocs serve`: what the server keeps between rebuilds."""
        self.background_index: BackgroundIndex | None = None
        self._reset_build()

    def _reset_build(self) -> None:
        """What one build (or one `mkdocs serve` rebuild) carries from one event to the next."""
        self.ctx: SiteContext | None = None
        self.staged: StagedBuild | None = None
        """For `build`, the staged output (hooks/publish.py)."""
        self.layout: SiteLayout | None = None
        self.pages: dict[str, BuiltPage] = {}
        """src_uri -> the page hooks/generate.py made, in navigation order: what MkDocs converts and agents read."""
        self.page_cache: PageCache | None = None
        self.output_cache: OutputCache | None = None
        self.held_pages: HeldPages | None = None
        self.pages_digest: PagesDigest | None = None

    # --- the whole run --------------------------------------------------------------------------------------

    def on_startup(self, *, command: Command, dirty: bool) -> None:
        self.command = command
        # A one-off build reads each cache entry once; `mkdocs serve` rebuilds the same pages again and again.
        if not speed_layer_on():
            log.info("%s=off: no render cache, one process, and MkDocs' own `serve`", SWITCH)
            return
        self.store = RenderStore.configured(keep_in_memory=command == "serve")
        if command == "serve":
            # Rebuilds redo and rewrite only what changed (hooks/speed/dev_server.py).
            self.dev_server = DevServer()
            self.dev_server.start()
            self.background_index = BackgroundIndex()

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        return watch_with_notifications(server)

    def on_shutdown(self) -> None:
        if self.dev_server is not None:
            self.dev_server.wait_for_background()
        if self.background_index is not None:
            self.background_index.stop()
        if self.staged is not None:
            self.staged.finish()
            self.staged = None

    def on_build_error(self, *, error: Exception) -> None:
        if self.staged is not None:
            self.staged.failed = True

    # --- one build ------------------------------------------------------------------------------------------

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # Under `mkdocs serve`, the last rebuild's agent files must be written before MkDocs empties site_dir.
        if self.dev_server is not None:
            self.dev_server.wait_for_background()
        self._reset_build()
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
        self.ctx = ctx
        for problem in ctx.evidence.problems:
            # Unreadable evidence shows as "never probed"; say so, since --strict turns this into a failure.
            log.warning("evidence file ignored: %s", problem)
        if self.command == "build":
            # `mkdocs build` writes into a staging folder; on_shutdown publishes it only if the build passed.
            self.staged = StagedBuild(Path(config.site_dir).resolve())
            try:
                config.site_dir = str(self.staged.start())
            except BuildLocked as exc:
                self.staged = None
                raise PluginError(str(exc)) from None
        # The theme inserts these without escaping; catalog text must never become markup. `repo_url` (an http(s)
        # URL) and `edit_uri` (a relative path ending in `/`) are validated by the schema, and escaped here too.
        config.site_name = html.escape(ctx.catalog.site.title)
        config.site_description = html.escape(ctx.catalog.site.tagline)
        if ctx.catalog.site.repo_url:
            config.repo_url = html.escape(ctx.catalog.site.repo_url)
            config.edit_uri = html.escape(ctx.catalog.site.edit_uri)
            # MkDocs names the repository from its URL while it validates mkdocs.yml, before this URL is set: the
            # theme would print "None" beside its icon.
            config.repo_name = html.escape(repo_name(ctx.catalog.site.repo_url))
        if self.command != "serve":
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
        # The card's charts go to the page as made, without Markdown reading them (hooks/render/verbatim.py).
        if not any(isinstance(extension, VerbatimHtml) for extension in config.markdown_extensions):
            config.markdown_extensions.append(VerbatimHtml())
        # Material's search box stays, its page event goes: Pagefind indexes the site (hooks/speed/search_index.py).
        drop_search_page_event(config)
        return config

    def on_env(self, env: jinja2.Environment, /, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        # Where a page's markdown copy lives, for the theme's `rel="alternate"` link (overrides/main.html).
        env.filters["markdown_copy"] = markdown_url
        # The theme's templates (Material: 44 files) are compiled once per machine, not once per build or
        # `mkdocs serve` rebuild: Jinja keys each compiled template on its source's checksum.
        if self.store is None:
            return env
        folder = self.store.folder
        if folder is not None:
            (folder / "jinja").mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = SealedBytecodeCache(folder / "jinja")
        # A page whose themed HTML is cached is rendered with a template that prints it (OutputCache).
        serve_cached_pages(env, self.store)
        return env

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        ctx = self._context()
        for src_uri in ctx.pages_left_out:
            left_out = files.get_file_from_path(src_uri)
            if left_out is not None:
                files.remove(left_out)
        # In memory: nothing is written into docs/ or a temporary folder (hooks/card_pages.py).
        # `mkdocs serve` renders on this process only: it runs threads, which forked workers must not copy.
        only = os.environ.get("CARDS")
        if self.store is None:
            generated = card_pages(ctx, only)
        else:
            workers = build_workers() if self.command == "build" else 1
            generated = generated_pages(ctx, self.store, only, workers)
        # Every page as hooks/generate.py makes it (`python -m hooks.generate` writes the same), from the settings
        # MkDocs read; on_page_markdown hands each to MkDocs and checks that MkDocs agrees on its URL and title.
        self.layout = SiteLayout.of(Path(config.docs_dir), config.nav, config.extra, config.use_directory_urls)
        # A card is reached from the Deployments page, not from the menu: marked so, MkDocs does not list every
        # card at each build as a page "not included in the nav" (a generated page the menu names stays in it).
        in_nav = set(self.layout.nav_order())
        for page in generated:
            inclusion = InclusionLevel.UNDEFINED if page.src_uri in in_nav else InclusionLevel.NOT_IN_NAV
            made = File.generated(config, page.src_uri, content=page.markdown, inclusion=inclusion)
            made.edit_uri = page.edit_path
            files.append(made)
        try:
            pages = site_pages(ctx, self.layout, generated, self._plain_markdown)
        except ValueError as exc:  # a MarkerError, or two index pages in one folder
            raise PluginError(str(exc)) from None
        self.pages = {page.src_uri: page for page in pages}
        built = {file.src_uri for file in files.documentation_pages()}
        if built != self.pages.keys():
            differ = ", ".join(sorted(built ^ self.pages.keys()))
            raise PluginError(f"MkDocs builds other pages than hooks/site_layout.py finds in the docs folder: {differ}")
        if self.store is not None:
            self.page_cache = PageCache(config, files, self.store)
            # The digest decides whether a build may reuse a stored search index; `mkdocs serve` indexes afresh.
            self.pages_digest = PagesDigest() if self.command != "serve" else None
        return files

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        if self.store is None:
            return nav
        self.output_cache = OutputCache(config, nav, self.store) if self.store.folder is not None else None
        # A build keeps each page's HTML compressed until the theme renders it; `mkdocs serve` rebuilds few pages.
        self.held_pages = HeldPages() if self.command == "build" else None
        # Every page's Markdown converted on all cores before MkDocs reads the pages one by one: each then finds
        # its conversion in the render cache (in memory even with SITE_RENDER_CACHE=off). Not under `mkdocs
        # serve`, which rebuilds few pages and runs threads that a fork must not copy.
        if self.command == "build" and self.page_cache is not None:
            self._convert_ahead(self.page_cache, config, files)
        return nav

    def _convert_ahead(self, page_cache: PageCache, config: MkDocsConfig, files: Files) -> None:
        pages = []
        for file in files.documentation_pages():
            if file.page is None:
                Page(None, file, config)  # as MkDocs does for a page outside the navigation
            # A generated page's source is its markdown (a card: no front matter, no marker), so whether its
            # conversion is cached is known here; a page that is not sent to a worker is converted as before.
            if file.page is not None and not page_cache.holds(file.page, file.content_string):
                pages.append(file.page)
        # Only when cards need converting: a warm build, or one after an edit, forks nothing, and does not
        # expand the hand-written pages' markers twice (their source is not their markdown, so `holds` misses).
        if sum(page.file.generated_by is not None for page in pages) > 1:
            job = PrerenderJob(page_cache, pages, config, files, guard=unsafe_markup)
            workers = build_workers()
            done = page_cache.prerender(job, workers)
            if done:
                log.info("%d pages converted on %d processes", done, workers)

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        markdown = self._page_markdown(markdown, page, config)
        # Material's search plugin keeps the search box but indexes nothing: Pagefind indexes the built pages.
        page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
        if self.page_cache is not None:
            self.page_cache.attach(page, markdown)
        return markdown

    def _page_markdown(self, markdown: str, page: Page, config: MkDocsConfig) -> str:
        src = page.file.src_uri
        made = self.pages[src]
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
        pages, directory_urls = self.pages, config.use_directory_urls

        def url_of(target: str) -> str | None:
            return file_url(target, directory_urls) if target in pages else None

        try:
            expanded, copy = expand_page(self._context(), src, page.url, markdown, url_of, self._plain_markdown)
        except MarkerError as exc:
            raise PluginError(str(exc)) from None
        pages[src] = dataclasses.replace(made, markdown=expanded, copy=copy)
        return expanded

    def _plain_markdown(self, markdown: str) -> str:
        # A pure function of the page's markdown: remembered by its hash, so a warm build does not rewrite the copy
        # of every unchanged page (a quarter of a warm build's time at 300 cards).
        return (
            self.store.transformed("plain_markdown", plain_markdown, markdown)
            if self.store
            else plain_markdown(markdown)
        )

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        # Fail the build rather than publish a page whose content could run script (see hooks/html_guard.py).
        # Pure in the page's HTML: remembered by its hash, so an unchanged page is not parsed again.
        problems = self.store.checked("html_guard", unsafe_markup, html) if self.store else unsafe_markup(html)
        if problems:
            listed = "; ".join(sorted(set(problems)))
            raise PluginError(
                f"{page.file.src_uri}: unsafe markup in the rendered page ({listed}); catalog text must stay text"
            )
        html = unindexed_long_lists(html)
        if self.output_cache is not None:
            page.content = html
            if self.output_cache.before_render(page) and self.command == "build":
                # Its stored page is printed as it is: the build need not hold this page's HTML until the theme
                # renders the last page (memory follows one page, not the site).
                return ""
        if self.held_pages is not None:
            return self.held_pages.hold(page, html)
        return html

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.held_pages is not None:
            self.held_pages.restore(page)
        return context

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        try:
            swapped = use_our_worker(output)
        except SearchSetupError as exc:
            raise PluginError(str(exc)) from None
        if self.pages_digest is not None:
            self.pages_digest.add(page.url, swapped)
        if self.output_cache is not None:
            self.output_cache.after_render(page, swapped)
        if self.held_pages is not None:
            self.held_pages.release(page)
        return swapped

    def on_post_template(self, output_content: str, /, *, template_name: str, config: MkDocsConfig) -> str:
        swapped = use_our_worker(output_content)
        if self.pages_digest is not None:
            self.pages_digest.add(template_name, swapped)
        return swapped

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        ctx = self._context()
        site_dir = Path(config.site_dir)
        layout = self.layout
        assert layout is not None, "on_files sets the layout"
        pages = list(self.pages.values())
        store, dev_server = self.store, self.dev_server

        def write_agent_files() -> None:
            # catalog.json's text from the render cache: render_catalog_json's, made fast.
            agents = agent_files(ctx, pages, layout, config.site_url, store.indented_json if store else None)
            for name, text in agents.texts.items():
                if dev_server is not None:
                    dev_server.write_text(site_dir / name, text)
                else:
                    (site_dir / name).parent.mkdir(parents=True, exist_ok=True)
                    (site_dir / name).write_text(text, encoding="utf-8")
            for name, source in agents.copies.items():
                (site_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, site_dir / name)

        if self.page_cache is not None:
            self.page_cache.close()
            log.debug("page render cache: %d hits, %d misses", self.page_cache.hits, self.page_cache.misses)
        if dev_server is not None:
            # No page shows these files, and the browser reloads only when the build returns (hooks/speed/dev_server.py).
            def write_then_tidy() -> None:
                write_agent_files()
                dev_server.finish_rebuild()

            dev_server.after_pages(write_then_tidy)
            if self.background_index is not None:
                self.background_index.start(site_dir)
            return
        if self.command == "serve":  # the speed layer is off: MkDocs' own serve, and every step in turn
            write_agent_files()
            self._index(site_dir)
            return
        write_agent_files()
        # Only a full build: `mkdocs serve` may build some cards only (CARDS), and rebuilds must stay quick.
        # Warnings, like MkDocs' own link checks: the build is strict (mkdocs.yml), so any of them fails it,
        # after every problem of the build has been named, not only the first.
        for problem in self._dangling_links(site_dir, config.site_url):
            log.warning("link leads nowhere: %s", problem)
        self._index(site_dir)

    def _dangling_links(self, site_dir: Path, site_url: str | None) -> list[str]:
        """hooks/link_check.py's problems; with the speed layer, remembered under everything the check reads (each
        checked file's bytes, every other file's name) and the site's URL: a warm build of an unchanged site hashes
        its files instead of parsing every link of every one of them again."""
        if self.store is None:
            return dangling_links(site_dir, site_url, 1)
        check_code = Path(dangling_links.__code__.co_filename).read_bytes()  # the check's own code
        inputs: list[str | bytes] = [check_code, str(site_url), *what_the_check_reads(site_dir)]
        return self.store.remembered("link-check", inputs, lambda: dangling_links(site_dir, site_url, build_workers()))

    def _index(self, site_dir: Path) -> None:
        """Pagefind's index of the built site; reused from an earlier build while no page changed (speed layer)."""
        folder = self.store.folder if self.store is not None else None
        try:
            reused = build_index(
                site_dir,
                self.pages_digest.hexdigest() if self.pages_digest is not None else None,
                folder / "pagefind" if folder is not None else None,
            )
            log.debug("search index %s", "reused: no page changed" if reused else "built with Pagefind")
        except RuntimeError as exc:
            raise PluginError(str(exc)) from None

    def _context(self) -> SiteContext:
        if self.ctx is None:
            raise PluginError("the catalog-site plugin loads the catalog in on_config, which did not run")
        return self.ctx


def repo_name(repo_url: str) -> str:
    """What the theme calls a repository, as MkDocs derives it from `repo_url` (config_options.RepoName)."""
    host = urlsplit(repo_url).netloc.lower()
    known = {"github.com": "GitHub", "bitbucket.org": "Bitbucket", "gitlab.com": "GitLab"}
    return known.get(host) or host.split(".")[0].title()
