"""Every place the speed layer reaches into another package's internals, with the versions it was written for.

The rest of the project uses MkDocs, Material, Jinja and watchdog through their public interfaces (plugin
events, `File.generated`, templates). What follows does not: each function names what it replaces or reads,
and `PATCHED_CODE` records the source it was written against (a hash of the third party's function, method or
module as installed from locks/dev.txt). tests/site/test_patches.py fails when an upgrade changes any of that
code, naming the function here to re-read, so an upgrade cannot change what a patch means unnoticed.

| function | what it touches | why |
|---|---|---|
| `route_site_writes` (hooks/speed/dev_server.py calls it) | `mkdocs.utils.clean_directory`, `write_file`, `copy_file` | `mkdocs serve` writes only changed files |
| `list_installed_theme_templates_once` | `jinja2.FileSystemLoader.list_templates` | `mkdocs serve` lists Material's 10,000 files once |
| `watch_with_notifications` | `LiveReloadServer._watched_paths`, `.observer` | `mkdocs serve` reacts to inotify, not polling |
| `drop_search_page_event` | Material search's `on_page_context` in `config.plugins.events` | 0.6 ms a page for nothing |
| `converted_page`, `give_conversion`, `replace_render` | `Page.render` and what it sets (`_title_from_render`, ...) | the render cache |
| `prepare_like_mkdocs` | the steps of `mkdocs.commands.build._populate_page` | pages converted ahead on every core |
"""

from __future__ import annotations

import inspect
import logging
import sysconfig
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jinja2
import mkdocs.utils
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

log = logging.getLogger("mkdocs.plugins.catalog_site")

#: The versions the patches below were written against (as locks/dev.txt pins them).
PATCHED_VERSIONS = {"mkdocs": "1.6.1", "mkdocs-material": "9.8.2", "jinja2": "3.1.6", "watchdog": "7.1.1"}

#: `module:qualified.name` (or a module alone) -> the first 16 hex digits of the SHA-256 of its source as
#: installed at `PATCHED_VERSIONS`. The code each patch replaces, reads the private state of, or copies the steps
#: of; and the code that calls what is replaced (a caller that stops going through `mkdocs.utils` would make the
#: patch silently do nothing).
PATCHED_CODE = {
    "mkdocs.utils:clean_directory": "b3c0aa8107311f44",
    "mkdocs.utils:write_file": "7ca9477c4bda00c8",
    "mkdocs.utils:copy_file": "ce5ccca491bb38a8",
    "mkdocs.commands.build": "77fb0135d13f1422",
    "mkdocs.structure.files:File.copy_file": "369c71ea1799a938",
    "mkdocs.structure.pages:Page.render": "320529348f7a8af1",
    "mkdocs.livereload:LiveReloadServer.watch": "5db077e3a3e7f8e3",
    "mkdocs.livereload:LiveReloadServer.unwatch": "24bd7d23db286d68",
    "jinja2.loaders:FileSystemLoader.list_templates": "320387ffb0e553d2",
    "material.plugins.search.plugin:SearchPlugin.on_page_context": "33eb62fd1688be4d",
}


def source_hash(target: str) -> str:
    """The `PATCHED_CODE` hash of `module:qualified.name` (or a module) as installed now."""
    import hashlib
    import importlib

    module_name, _, qualified = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, qualified.split(".")):
        obj = getattr(obj, part)
    return hashlib.sha256(inspect.getsource(obj).encode("utf-8")).hexdigest()[:16]


# --- mkdocs serve ------------------------------------------------------------------------------------------


class SiteWrites(Protocol):
    """Where `mkdocs serve` sends its writes of the site folder (hooks/speed/dev_server.py `SiteSync`)."""

    def begin(self, directory: str) -> None: ...

    def write(self, content: bytes, output_path: str) -> None: ...

    def copy(self, source_path: str, output_path: str) -> None: ...


def route_site_writes(sync: SiteWrites) -> None:
    """Route MkDocs' writes of the served site through `sync` (once, when `mkdocs serve` starts): `begin` where
    it would empty the site folder, `write` and `copy` where it would write or copy a file.

    MkDocs 1.6 calls these three through the `mkdocs.utils` module (mkdocs/commands/build.py, File.copy_file),
    so replacing them there is enough; `mkdocs build` never calls this.
    """
    mkdocs.utils.clean_directory = sync.begin
    mkdocs.utils.write_file = sync.write
    mkdocs.utils.copy_file = sync.copy


def list_installed_theme_templates_once() -> None:
    """List the files of a theme installed as a package once per server, not once per rebuild.

    MkDocs adds every file of the theme to each build (`Files.add_files_from_theme`, through the Jinja
    loader's `list_templates`). A theme in site-packages does not change while the server runs; a theme
    folder of this repository (`custom_dir`) is still listed every time.
    """
    installed = tuple(
        str(Path(path).resolve()) for path in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    )
    listed: dict[tuple[str, ...], list[str]] = {}
    original = jinja2.FileSystemLoader.list_templates

    def list_templates(self: jinja2.FileSystemLoader) -> list[str]:
        folders = tuple(str(Path(folder).resolve()) for folder in self.searchpath)
        if not all(folder.startswith(installed) for folder in folders):
            return original(self)
        if folders not in listed:
            listed[folders] = original(self)
        return list(listed[folders])

    jinja2.FileSystemLoader.list_templates = list_templates  # type: ignore[method-assign]


def watch_with_notifications(server: Any) -> Any:
    """Move the live-reload server's watches from polling to file notifications, when both are available.

    Uses a private attribute of MkDocs 1.6's LiveReloadServer (`_watched_paths`, the watch count per path);
    if it is not there (another MkDocs version), the server keeps polling and says so. Only events that
    change a file start a rebuild: inotify also reports every file the build itself opens to read (the whole
    catalog), and MkDocs rebuilds on any event, which would rebuild for ever.
    """
    try:
        from watchdog.events import (
            FileClosedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEvent,
            FileSystemEventHandler,
        )
        from watchdog.observers.api import ObservedWatch
        from watchdog.observers.inotify import InotifyObserver  # Linux; elsewhere ImportError: keep polling
        from watchdog.observers.polling import PollingObserver

        if not isinstance(server.observer, PollingObserver):
            return server
        if "event_filter" not in inspect.signature(InotifyObserver.schedule).parameters:
            log.info("file changes are polled every 0.5 s (this watchdog cannot filter events; 4.0 or later can)")
            return server
        changes: list[type[FileSystemEvent]] = [
            FileCreatedEvent,
            FileModifiedEvent,
            FileDeletedEvent,
            FileMovedEvent,
            FileClosedEvent,
        ]

        class ChangesOnly(InotifyObserver):
            def schedule(
                self,
                event_handler: FileSystemEventHandler,
                path: str | Path,
                *,
                recursive: bool = False,
                event_filter: list[type[FileSystemEvent]] | None = None,
                follow_symlink: bool = False,
            ) -> ObservedWatch:
                return super().schedule(
                    event_handler,
                    path,
                    recursive=recursive,
                    event_filter=event_filter or changes,
                    follow_symlink=follow_symlink,
                )

        watched: dict[str, int] = dict(server._watched_paths)
        for path, count in watched.items():
            for _ in range(count):
                server.unwatch(path)
        server.observer = ChangesOnly()
        for path, count in watched.items():
            for _ in range(count):
                server.watch(path)
    except (ImportError, AttributeError, OSError) as exc:
        log.info("file changes are polled every 0.5 s (%s)", exc)
    return server


# --- every build -------------------------------------------------------------------------------------------


def drop_search_page_event(config: MkDocsConfig) -> None:
    """Material's search plugin only keeps the search box here (every page is excluded; Pagefind indexes), but
    its `on_page_context` still runs a regex over each page's HTML to strip `data-search-*` attributes no page
    of ours has: 0.6 ms a page, on every build and every `mkdocs serve` rebuild. Its page event is dropped."""
    search = config.plugins.get("material/search")
    if search is not None:
        events = config.plugins.events["page_context"]
        events[:] = [method for method in events if getattr(method, "__self__", None) is not search]


def toc_tokens(toc: Any) -> list[dict[str, Any]]:
    """A page's table of contents back as the tokens `get_toc` builds it from."""
    return [
        {"level": item.level, "id": item.id, "name": item.title, "children": toc_tokens(item.children)} for item in toc
    ]


def converted_page(page: Page) -> dict[str, Any]:
    """What `Page.render` left on the page (HTML, table of contents, title, anchors, links to anchors), as JSON."""
    return {
        "content": page.content,
        "toc": toc_tokens(page.toc),
        "title": page._title_from_render,
        "anchors": sorted(a for a in page.present_anchor_ids or () if isinstance(a, str)),
        "links": {f.src_uri: anchors for f, anchors in (page.links_to_anchors or {}).items()},
    }


def give_conversion(page: Page, stored: dict[str, Any], files: Files) -> None:
    """Set on the page what `Page.render` would have: the inverse of `converted_page`."""
    page.content = stored["content"]
    page.toc = get_toc(stored["toc"])
    page._title_from_render = stored["title"]
    page.present_anchor_ids = set(stored["anchors"])
    links: dict[Any, dict[str, str]] = {}
    for src_uri, anchors in stored["links"].items():
        target = files.get_file_from_path(src_uri)
        if target is not None:
            links[target] = anchors
    page.links_to_anchors = links


def replace_render(page: Page, render: Callable[[Page, MkDocsConfig, Files], None]) -> None:
    """Have MkDocs call `render` instead of `Page.render` for this page, once: the page goes back to the class's
    method first (the replacement may hold the stored conversion, which the page would otherwise keep alive to
    the end of the build beside its own content: a third of a large build's memory)."""

    def once(self: Page, config: MkDocsConfig, files: Files) -> None:
        del self.render
        render(self, config, files)

    page.render = types.MethodType(once, page)  # type: ignore[method-assign]


def prepare_like_mkdocs(page: Page, config: MkDocsConfig, files: Files) -> tuple[Page, str]:
    """What `mkdocs.commands.build._populate_page` does before it converts a page, plugin events included: the
    page (as `on_pre_page` returns it) and its markdown as `on_page_markdown` returns it."""
    page = config.plugins.on_pre_page(page, config=config, files=files)
    page.read_source(config)
    assert page.markdown is not None
    return page, config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
