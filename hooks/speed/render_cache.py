"""Rendering cached by content hash, across builds and `mkdocs serve` rebuilds.

Two caches, both under `.cache/site-render/` (git-ignored; `SITE_RENDER_CACHE=off` turns both off,
`SITE_RENDER_CACHE=DIR` moves them):

- **Card markdown**, keyed on everything a card is rendered from: its deployment's and its model's YAML
  (bytes), its latest probe run, how many deployments share its served name, every other catalog file
  (fleets, sources, glossary, site.yaml, ...), and the source of every template and every module in
  `hooks/` and `catalog/`; of the build's date and the probe history, only what the card shows of them
  (`dated_facts` in hooks/render/deployment_card.py: the verdict, whether it is retired). So a new day,
  or history the card does not show, re-renders no card whose content stays the same. A card reads its
  own deployment and model (and its successor's, for the name it links) plus shared entities; if a card
  ever reads *another* deployment, that deployment must go into `card_key` too (tests/site/test_scale.py
  and tests/site/test_card_keys.py build with and without the cache and compare).
- **Markdown -> HTML**, keyed on the page's markdown (after markers are expanded), its source path and
  URL, the set of files in the build (links resolve against it), mkdocs.yml and the versions of the
  builder (MkDocs or ProperDocs), Python-Markdown, PyMdown Extensions and Material. A hit replaces MkDocs'
  `Page.render` for that page with what the first render produced: HTML, table of contents, title and
  anchors. A render that logged a warning (a broken link) is never stored, so the warning comes back on
  every build, under either builder.

Entries are written atomically (temp file + rename), so concurrent builds share the folder safely.
Deleting the folder is always safe; nothing prunes it (`make clean` removes it).

A cache entry is published as it is, so a planted one would put any HTML on the site: every entry is
sealed (catalog/cache_seal.py, an HMAC under a key outside the checkout) and read only when its seal
matches; anything else is a miss. Theme templates compiled by Jinja (`SealedBytecodeCache`) are code, and
are loaded only from a sealed file too.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import sysconfig
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from catalog import cache_seal
from catalog.forking import DEFAULT_MAX_WORKERS, forked_map_with, usable_cores
from hooks.render.deployment_card import dated_facts
from hooks.site_context import SiteContext
from hooks.speed.patches import converted_page, give_conversion, prepare_like_mkdocs, replace_render, toc_tokens

REPO_ROOT = Path(__file__).resolve().parents[2]
_CODE_DIRS = (REPO_ROOT / "hooks", REPO_ROOT / "catalog")
#: The builder running this build: "mkdocs", or "properdocs" (ProperDocs, the maintained MkDocs 1.x fork, serves
#: every `mkdocs.*` import from its own modules, so `Page` is its class). It writes different pages (the generator
#: tag) and logs under its own name, so cache keys and the warning count below follow it, not the mkdocs package.
BUILDER = Page.__module__.partition(".")[0]
_PACKAGES = (BUILDER, "markdown", "pymdown-extensions", "mkdocs-material", "jinja2", "pydantic", "pyyaml")
#: Bump to drop every entry written by an older layout of this module.
_LAYOUT = "1"

#: How much of the entries looked up or stored in this process stays in memory (characters of their JSON),
#: so `mkdocs serve` rebuilds skip the disk too. Bounded, so memory follows the pages a build holds at once,
#: not every card, conversion and themed page of the site (10,000 models: over 1.5 GB of entries). A one-off
#: `mkdocs build` reads each entry once and keeps none (`keep_in_memory`). With no cache folder
#: (SITE_RENDER_CACHE=off) memory is the only copy, and nothing is dropped.
MEMORY_BUDGET_CHARS = int(os.environ.get("SITE_RENDER_MEMORY_MB", "128")) * 2**20


class _Remembered:
    """The most recently used entries, up to `MEMORY_BUDGET_CHARS`, by key."""

    def __init__(self, budget: int | None) -> None:
        self.entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.size = 0
        self.budget = budget
        """None: unbounded (memory is the only copy)."""

    def get(self, key: str) -> Any:
        found = self.entries.get(key)
        if found is None:
            return None
        self.entries.move_to_end(key)
        return found[0]

    def put(self, key: str, value: Any, size: int) -> None:
        previous = self.entries.pop(key, None)
        if previous is not None:
            self.size -= previous[1]
        self.entries[key] = (value, size)
        self.size += size
        if self.budget is None:
            return
        while self.size > self.budget and self.entries:
            _key, (_value, dropped) = self.entries.popitem(last=False)
            self.size -= dropped

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


def cache_dir() -> Path | None:
    setting = os.environ.get("SITE_RENDER_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(setting) if setting else REPO_ROOT / ".cache" / "site-render"


def _digest(parts: Iterable[bytes | str]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def _files_under(folders: Iterable[Path], suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes)


def _code_digest() -> str:
    """Every template and every module of `hooks/` and `catalog/` (their code decides what a card says)."""
    files = _files_under(_CODE_DIRS, (".py", ".j2"))
    return _digest(part for path in files for part in (path.relative_to(REPO_ROOT).as_posix(), path.read_bytes()))


@functools.cache
def _versions() -> str:
    found = []
    for name in _PACKAGES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return f"{sys.version} {' '.join(found)}"


def _entry_path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.json"


class RenderStore:
    """Where the render cache's entries are: one sealed file per entry under `folder` (None when
    SITE_RENDER_CACHE=off), and the most recently used in memory.

    Made once per `mkdocs build`, and once per `mkdocs serve` for all its rebuilds (the plugin object that
    holds it lives as long as the server): entries stay in memory (within `MEMORY_BUDGET_CHARS`) once read or
    written only when `keep_in_memory`, as under `mkdocs serve`, which rebuilds the same pages again and again;
    a one-off build reads each entry once. With no folder, memory is the only copy, and nothing is dropped.
    """

    def __init__(self, folder: Path | None, *, keep_in_memory: bool = False) -> None:
        self.folder = folder
        self.memory = _Remembered(None if folder is None else MEMORY_BUDGET_CHARS if keep_in_memory else 0)
        #: Indented text of JSON values already encoded (`indented_json`), by their compact encoding.
        self.indented: dict[str, str] = {}

    @classmethod
    def configured(cls, *, keep_in_memory: bool = False) -> RenderStore:
        """The store `$SITE_RENDER_CACHE` names (`cache_dir`)."""
        return cls(cache_dir(), keep_in_memory=keep_in_memory)

    def read(self, key: str, *, remember: bool = True) -> Any:
        """The entry stored under `key`, or None; `remember=False` leaves it out of memory (read once)."""
        if key in self.memory:
            return self.memory.get(key)
        if self.folder is None:
            return None
        try:
            payload = cache_seal.unseal(_entry_path(self.folder, key).read_bytes())
            if payload is None:
                return None
            value = json.loads(payload)
        except (OSError, ValueError):
            return None
        if remember:
            self.memory.put(key, value, len(payload))
        return value

    def holds(self, key: str) -> bool:
        """Whether an entry's file is there (or it is in memory), without reading it."""
        return key in self.memory or (self.folder is not None and _entry_path(self.folder, key).is_file())

    def stored_somewhere(self, key: str) -> bool:
        """Whether an entry is stored under `key` with a good seal, without decoding or keeping it."""
        if key in self.memory:
            return True
        return self.folder is not None and _read_sealed(_entry_path(self.folder, key)) is not None

    def write(self, key: str, value: Any, *, remember: bool = True) -> None:
        if self.folder is None:
            self.memory.put(key, value, 0)
            return
        # json.dumps, not json.dump: dump streams through the pure-Python encoder, dumps encodes in C.
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if remember:
            self.memory.put(key, value, len(text))
        _write_sealed(_entry_path(self.folder, key), text.encode("utf-8"))

    def remembered(self, name: str, inputs: Iterable[bytes | str], compute: Callable[[], list[str]]) -> list[str]:
        """`compute()`, a list of strings, remembered under the hash of everything it depends on (`inputs`)."""
        key = _digest([_LAYOUT, "remembered", name, _versions(), *inputs])
        stored = self.read(key)
        if isinstance(stored, list):
            return [str(item) for item in stored]
        result = compute()
        self.write(key, result)
        return result

    def checked(self, name: str, check: Callable[[str], list[str]], text: str) -> list[str]:
        """`check(text)`, remembered by the text's hash and the source of the module that defines `check`.

        For pure, deterministic checks of a whole page (hooks/html_guard.py), whose result depends on nothing
        else: an unchanged page is not parsed again on the next build or `mkdocs serve` rebuild.
        """
        key = check_key(name, check, text)
        stored = self.read(key)
        if isinstance(stored, list):
            return [str(item) for item in stored]
        result = check(text)
        self.write(key, result)
        return result

    def transformed(self, name: str, transform: Callable[[str], str], text: str) -> str:
        """`transform(text)`, remembered like `checked`: by the text's hash and the source of the module that
        defines `transform` (a pure function of its text, such as hooks/render/plain_markdown.py's)."""
        key = _digest([_LAYOUT, "transform", name, _versions(), _module_source(transform.__module__), text])
        stored = self.read(key)
        if isinstance(stored, str):
            return stored
        result = transform(text)
        self.write(key, result)
        return result

    def indented_json(self, data: dict[str, Any]) -> str:
        """`json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"`, byte for byte, made fast.

        The json module encodes indented JSON in Python and compact JSON in C. The whole document's compact
        encoding keys a copy of the indented text from an earlier build (catalog.json: 16 MB at 3000 models);
        otherwise each entry of each top-level mapping is indented on its own and remembered for later
        `mkdocs serve` rebuilds, where an edit changes one entry.
        """
        compact = json.dumps(data, sort_keys=True, ensure_ascii=False)
        key = _digest([_LAYOUT, "indented-json", compact])
        stored = self.folder / key[:2] / f"{key}.txt" if self.folder is not None else None
        if stored is not None and (payload := _read_sealed(stored)) is not None:
            return payload.decode("utf-8")
        parts = []
        for name in sorted(data):
            value = data[name]
            if isinstance(value, dict) and value:
                entries = [
                    f"    {json.dumps(k, ensure_ascii=False)}: {self._indent(value[k], 2)}" for k in sorted(value)
                ]
                text = "{\n" + ",\n".join(entries) + "\n  }"
            else:
                text = self._indent(value, 1)
            parts.append(f"  {json.dumps(name, ensure_ascii=False)}: {text}")
        result = ("{\n" + ",\n".join(parts) + "\n}" if parts else "{}") + "\n"
        if stored is not None:
            _write_sealed(stored, result.encode("utf-8"))
        return result

    def _indent(self, value: Any, level: int) -> str:
        """`json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)` as it reads `level` levels deep."""
        compact = json.dumps(value, sort_keys=True, ensure_ascii=False)
        text = self.indented.get(compact)
        if text is None:
            text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
            self.indented[compact] = text
        return text.replace("\n", "\n" + "  " * level) if level else text


def _write_sealed(target: Path, payload: bytes) -> None:
    """Write `payload` under its seal, atomically; a read-only or full disk (or no key) only costs speed."""
    sealed = cache_seal.seal(payload)
    if sealed is None:
        return
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(sealed)
        partial.replace(target)
    except OSError:
        pass


def _read_sealed(stored: Path) -> bytes | None:
    try:
        return cache_seal.unseal(stored.read_bytes())
    except OSError:
        return None


class SealedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept across builds under a seal: a compiled template is code that runs when
    a page is rendered, so one that this machine's key did not seal is compiled anew, never loaded."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.sealed"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        payload = _read_sealed(self._path(bucket))
        if payload is not None:
            bucket.bytecode_from_string(payload)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _write_sealed(self._path(bucket), bucket.bytecode_to_string())


@functools.cache
def _module_source(name: str) -> bytes:
    module = sys.modules.get(name)
    return Path(module.__file__).read_bytes() if module is not None and module.__file__ else b""


# --- pure checks of a page ------------------------------------------------------------------------------


def check_key(name: str, check: Callable[[str], list[str]], text: str) -> str:
    return _digest([_LAYOUT, "check", name, _versions(), _module_source(check.__module__), text])


# --- card markdown --------------------------------------------------------------------------------------


class CardCache:
    """Card markdown by inputs; made once per build (the shared part of the key is computed here)."""

    def __init__(self, ctx: SiteContext, store: RenderStore) -> None:
        self.ctx = ctx
        self.store = store
        catalog_root = ctx.catalog.root
        per_card = {"deployments", "models"}
        shared_files = [
            p
            for p in sorted(catalog_root.rglob("*"))
            if p.is_file() and p.relative_to(catalog_root).parts[0] not in per_card
        ]
        self.shared = _digest(
            [
                _LAYOUT,
                "card",
                _code_digest(),
                # Not `ctx.today`: a card's date-dependent facts are in `card_key` as shown (dated_facts).
                str(ctx.repo_root),
                str(catalog_root),
                *(part for p in shared_files for part in (p.relative_to(catalog_root).as_posix(), p.read_bytes())),
                *ctx.evidence.problems,
                # A card links only to pages the catalog has (Compare needs two deployments, for one).
                repr(sorted(ctx.pages_left_out)),
            ]
        )
        self.hits = 0
        self.misses = 0

    def card_key(self, deployment_id: str) -> str:
        ctx = self.ctx
        catalog = ctx.catalog
        dep = catalog.deployments[deployment_id]
        return _digest(
            [
                self.shared,
                deployment_id,
                catalog.source_file("deployments", deployment_id).read_bytes(),
                dep.model,
                catalog.source_file("models", dep.model).read_bytes(),
                str(catalog.served_name_counts[dep.served_name]),
                # The card names and links its successor.
                catalog.source_file("deployments", dep.successor).read_bytes() if dep.successor else b"",
                repr(ctx.evidence.latest.get(deployment_id)),
                # What the card shows of the date and the history, never the date or the whole history: the
                # first build of a day, or one after probe runs, re-renders only cards whose content changed.
                repr(sorted(dated_facts(ctx, deployment_id).items())),
            ]
        )

    def cards(
        self, deployment_ids: list[str], render: Callable[[SiteContext, str], str], workers: int = 1
    ) -> list[str]:
        """`card` for each deployment, the ones not cached rendered on `workers` processes (`forked_map`)."""
        keys = [self.card_key(dep_id) for dep_id in deployment_ids]
        found: list[Any] = [self.store.read(key) for key in keys]
        missing = [n for n, markdown in enumerate(found) if not isinstance(markdown, str)]
        rendered: list[str] | None = None
        if workers >= 2 and len(missing) >= 2:
            job = (self.ctx, [deployment_ids[n] for n in missing], render)
            rendered = forked_map_with(job, _render_card, len(missing), workers, _quiet_worker)
        if rendered is None:  # one process, or no workers here (threads, a broken pool): one card at a time
            rendered = [render(self.ctx, deployment_ids[n]) for n in missing]
        for n, markdown in zip(missing, rendered, strict=True):  # in catalog order: the same files as serially
            self.store.write(keys[n], markdown)
            found[n] = markdown
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        return found

    def card(self, deployment_id: str, render: Callable[[SiteContext, str], str], key: str | None = None) -> str:
        key = key or self.card_key(deployment_id)
        cached = self.store.read(key)
        if isinstance(cached, str):
            self.hits += 1
            return cached
        self.misses += 1
        markdown = render(self.ctx, deployment_id)
        self.store.write(key, markdown)
        return markdown


def _render_card(job: tuple[SiteContext, list[str], Callable[[SiteContext, str], str]], index: int) -> str:
    ctx, deployment_ids, render = job
    return render(ctx, deployment_ids[index])


# --- markdown -> HTML -----------------------------------------------------------------------------------


class _WarningCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class PageCache:
    """Python-Markdown's output per page, reused while the page's markdown and the build's files are the same."""

    def __init__(self, config: MkDocsConfig, files: Files, store: RenderStore) -> None:
        self.store = store
        config_bytes = Path(config.config_file_path).read_bytes() if config.config_file_path else b""
        self.shared = _digest(
            [_LAYOUT, "page", _versions(), config_bytes, *sorted(f.src_uri for f in files.documentation_pages())]
        )
        self.warnings = _WarningCount()
        # The builder's own logger: ProperDocs' warnings (a broken link) never pass through the "mkdocs" one.
        logging.getLogger(BUILDER).addHandler(self.warnings)
        self.hits = 0
        self.misses = 0
        #: Conversions made by `prerender`'s workers, until `attach` gives each to its page.
        self.handed: dict[str, dict[str, Any]] = {}

    def close(self) -> None:
        logging.getLogger(BUILDER).removeHandler(self.warnings)
        self.handed.clear()

    def key(self, page: Page, markdown: str) -> str:
        return _digest([self.shared, page.file.src_uri, page.url, markdown])

    def holds(self, page: Page, markdown: str) -> bool:
        """Whether the conversion of `markdown` as this page is cached. Only whether its file is there, not
        its seal: `attach` reads it next, and a damaged one is then a miss that MkDocs converts itself."""
        return self.store.holds(self.key(page, markdown))

    def prerender(self, job: PrerenderJob, workers: int) -> int:
        """Convert the pages the cache does not hold on `workers` processes before MkDocs reads them; returns
        how many were converted there.

        Each result is stored as a render of this build would store it (`attach` below), so MkDocs' own pass
        over the pages finds every one as a hit: the output is the same as a build on one process, byte for
        byte, and a page whose conversion logs a warning is not stored and is converted again by MkDocs, so
        the warning is reported (and fails a strict build) as before.
        """
        if workers < 2 or len(job.pages) < 2:
            return 0
        results = forked_map_with(job, _prerender_one, len(job.pages), workers, _quiet_worker)
        if results is None:  # no workers here: MkDocs converts every page itself, as without prerendering
            return 0
        done = 0
        for result in results:  # in page order, whatever order the workers finished in
            if result is None:
                continue
            key, stored, guard = result
            # Handed to `attach`, which gives it to the page: not kept here as well (the page holds it).
            self.handed[key] = stored
            self.store.write(key, stored, remember=False)
            if guard is not None:
                guard_key, problems = guard
                self.store.write(guard_key, problems)
            done += 1
        return done

    def attach(self, page: Page, markdown: str) -> None:
        """Make `page.render` use the stored result for this markdown, or store what it renders now."""
        key = self.key(page, markdown)
        stored = self.handed.pop(key, None) or self.store.read(key, remember=False)
        cache = self

        def render_cached(page: Page, config: MkDocsConfig, files: Files) -> None:
            assert isinstance(stored, dict)
            give_conversion(page, stored, files)
            cache.hits += 1

        def render_and_store(page: Page, config: MkDocsConfig, files: Files) -> None:
            before = cache.warnings.count
            Page.render(page, config, files)
            cache.misses += 1
            if cache.warnings.count != before:
                return
            cache.store.write(key, converted_page(page))

        replace_render(page, render_cached if isinstance(stored, dict) else render_and_store)


@dataclass(frozen=True)
class PrerenderJob:
    """What the workers of `PageCache.prerender` need, inherited by fork rather than sent to them."""

    cache: PageCache
    pages: list[Page]
    config: MkDocsConfig
    files: Files
    guard: Callable[[str], list[str]] | None = None
    """The check `on_page_content` runs on every page's HTML (hooks/html_guard.py), run here too."""


def build_workers() -> int:
    """Processes a build renders on: `$SITE_BUILD_WORKERS`, else the cores this process may use (at most 8)."""
    setting = os.environ.get("SITE_BUILD_WORKERS", "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise PluginError(
                f"SITE_BUILD_WORKERS={setting!r}: give a whole number of processes (1 renders on this one)"
            ) from None
    return max(1, min(DEFAULT_MAX_WORKERS, usable_cores()))


def _quiet_worker() -> None:
    """A worker reports no warning itself: MkDocs converts such a page again and reports it (`prerender`)."""
    logger = logging.getLogger(BUILDER)
    logger.handlers = [handler for handler in logger.handlers if isinstance(handler, _WarningCount)]
    logger.propagate = False


def _prerender_one(job: PrerenderJob, index: int) -> tuple[str, dict[str, Any], tuple[str, list[str]] | None] | None:
    page = job.pages[index]
    config, files = job.config, job.files
    try:
        # As MkDocs does it, plugin events included, so the markdown is the one `attach` will key on; what the
        # plugin records in a worker is lost with it.
        page, markdown = prepare_like_mkdocs(page, config, files)
        key = job.cache.key(page, markdown)
        if job.cache.store.read(key) is not None:
            return None
        before = job.cache.warnings.count
        page.markdown = markdown
        Page.render(page, config, files)
    except Exception:
        # MkDocs converts the page again and reports the error itself.
        return None
    if job.cache.warnings.count != before or page.content is None:
        return None
    guard = None
    if job.guard is not None:
        # Under the name the plugin's `on_page_content` checks it with (`RenderStore.checked`).
        guard = (check_key("html_guard", job.guard, page.content), job.guard(page.content))
    return key, converted_page(page), guard


# --- the theme's page HTML ------------------------------------------------------------------------------

#: Template a page is rendered with when its themed HTML is cached: it only prints what was stored.
CACHED_TEMPLATE = "mc-cached-page.html"
_OUTPUT_KEY = "mc_cached_page"


def _nav_items(items: Any) -> list[Any]:
    return [
        [
            getattr(item, "title", None),
            getattr(item, "url", None),
            type(item).__name__,
            _nav_items(getattr(item, "children", None) or []),
        ]
        for item in items
    ]


def _repr_config(config: MkDocsConfig) -> str:
    """Everything of the configuration the theme's templates read (Material: site, repo, theme, extra...)."""
    wanted = (
        "site_name",
        "site_description",
        "site_author",
        "site_url",
        "repo_url",
        "repo_name",
        "edit_uri",
        "copyright",
        "extra",
        "extra_css",
        "extra_javascript",
        "theme",
        "use_directory_urls",
    )
    parts = [f"{name}={_stable_repr(config.get(name))}" for name in wanted if name != "theme"]
    theme = config.theme
    # Not `repr(theme)`: it prints a set (static_templates), whose order changes from one process to the next
    # with Python's string hashing, and with it every page's key (the cache missed in every other build).
    parts.append(f"theme={theme.name!r} {theme.dirs!r} {_stable_repr(theme.static_templates)}")
    parts.append(repr(sorted((k, _stable_repr(v)) for k, v in theme.items())) if hasattr(theme, "items") else "")
    parts.append(repr(sorted(config.plugins)))
    return "\n".join(parts)


def _theme_overrides(config: MkDocsConfig) -> list[str | bytes]:
    """Every file of the theme's folders outside installed packages (`theme.custom_dir`): the name and bytes of
    templates this site overrides, which the versions of the installed theme do not cover."""
    installed = {Path(p).resolve() for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    parts: list[str | bytes] = []
    for folder in config.theme.dirs:
        root = Path(folder).resolve()
        if any(root.is_relative_to(prefix) for prefix in installed):
            continue
        for path in _files_under([root], (".html", ".j2", ".xml", ".js", ".css")):
            parts += [path.relative_to(root).as_posix(), path.read_bytes()]
    return parts


def _stable_repr(value: Any) -> str:
    """`repr`, with every set printed sorted, so the text is the same in every process."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_stable_repr(item) for item in value)) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_stable_repr(k)}: {_stable_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_stable_repr(item) for item in value) + "]"
    return repr(value)


class OutputCache:
    """The theme's HTML of each page, reused while everything the page template reads is unchanged.

    The key covers the page (URL, title, content, table of contents, metadata, edit and canonical URLs, its
    neighbours and parents in the navigation), the whole navigation, the configuration the theme reads,
    mkdocs.yml and the package versions. On a hit the page is rendered with `CACHED_TEMPLATE`, which prints
    the stored HTML, instead of the theme's main.html.
    """

    def __init__(self, config: MkDocsConfig, nav: Any, store: RenderStore) -> None:
        self.store = store
        config_bytes = Path(config.config_file_path).read_bytes() if config.config_file_path else b""
        self.shared = _digest(
            [
                _LAYOUT,
                "output",
                _versions(),
                config_bytes,
                _repr_config(config),
                json.dumps(_nav_items(nav.items)),
                *_theme_overrides(config),
            ]
        )
        self.pending: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def key(self, page: Page) -> str:
        def link(other: Any) -> str:
            return f"{getattr(other, 'title', None)}|{getattr(other, 'url', None)}"

        parents = []
        parent = page.parent
        while parent is not None:
            parents.append(link(parent))
            parent = parent.parent
        meta = {k: v for k, v in page.meta.items() if k not in {"template", _OUTPUT_KEY}}
        return _digest(
            [
                self.shared,
                page.url,
                str(page.title),
                page.content or "",
                json.dumps(toc_tokens(page.toc)),
                repr(sorted(meta.items(), key=lambda item: str(item[0]))),
                str(page.edit_url),
                str(page.canonical_url),
                str(page.abs_url),
                link(page.previous_page),
                link(page.next_page),
                *parents,
                str(page.meta.get("template", "main.html")),
            ]
        )

    def before_render(self, page: Page) -> bool:
        """On a hit, have the page rendered from the stored HTML; on a miss, remember where to store it.
        Returns whether it was a hit."""
        key = self.key(page)
        # Only whether it is stored: the HTML is read when the page is rendered (`_cached_output`), so the
        # build holds one themed page at a time, not all of them from the first page to the last.
        if self.store.stored_somewhere(key):
            page.meta[_OUTPUT_KEY] = {"key": key, "template": page.meta.get("template", "main.html")}
            page.meta["template"] = CACHED_TEMPLATE
            self.hits += 1
            return True
        self.pending[page.url] = key
        self.misses += 1
        return False

    def after_render(self, page: Page, output: str) -> None:
        key = self.pending.pop(page.url, None)
        if key is not None:
            self.store.write(key, output)


class HeldPages:
    """Each page's HTML, compressed, from its conversion until the theme renders it.

    MkDocs converts every page before it renders the first one with the theme (a page's navigation needs
    every title), so a build holds all the site's HTML at once: about 330 MB at 10,000 models. Compressed
    (zlib, fastest level: a card's 33 KB become about 5), it costs a tenth of that and 0.3 ms a page.
    """

    def __init__(self) -> None:
        self.held: dict[str, bytes] = {}

    def hold(self, page: Page, html: str) -> str:
        """Keep `html` for `page`; returns what the page holds meanwhile (nothing)."""
        self.held[page.file.src_uri] = zlib.compress(html.encode("utf-8"), 1)
        return ""

    def restore(self, page: Page) -> None:
        """Give the page its HTML back, just before the theme renders it."""
        held = self.held.get(page.file.src_uri)
        if held is not None:
            page.content = zlib.decompress(held).decode("utf-8")

    def release(self, page: Page) -> None:
        """The page is written: let go of its HTML (the compressed copy stays for a page rendered twice)."""
        if page.file.src_uri in self.held:
            page.content = ""


def serve_cached_pages(env: jinja2.Environment, store: RenderStore) -> None:
    """Let the theme's environment render `CACHED_TEMPLATE`: it prints a page's stored HTML from `store`."""

    @jinja2.pass_context
    def cached_output(context: jinja2.runtime.Context, cached: dict[str, str]) -> str:
        """The stored HTML of the page being rendered; if it is gone since `before_render` saw it (the cache
        folder emptied during the build, a damaged entry), the page is rendered with its theme template after
        all."""
        stored = store.read(cached["key"])
        if isinstance(stored, str):
            return stored
        page = context.get("page")
        if not getattr(page, "content", None):  # a build lets go of a cached page's own HTML (hooks/plugin.py)
            raise PluginError(
                f"the render cache lost the page {getattr(page, 'url', '?')} while this build ran: build again"
            )
        return context.environment.get_template(cached["template"]).render(context.get_all())

    template = jinja2.DictLoader({CACHED_TEMPLATE: "{{ mc_cached_output(page.meta." + _OUTPUT_KEY + ") }}"})
    env.loader = jinja2.ChoiceLoader([template, env.loader]) if env.loader else template
    env.globals["mc_cached_output"] = cached_output
