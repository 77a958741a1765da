"""Search for the built site: Pagefind's index, read by Material's own search box.

Material's search plugin stays configured for its search box, keyboard and highlighting, but indexes no
page (each page is marked `search.exclude`), so its `search_index.json` holds only its settings. After the
build, Pagefind (PyPI `pagefind[bin]`, its binary shipped in the wheel) indexes each page's article into
`pagefind/`: an entry file, a WebAssembly core, and index chunks and page fragments that a reader fetches
only as a query needs them. `docs/assets/javascripts/search-worker.js` answers Material's search box from
that bundle, in place of Material's lunr worker (see `WORKER` below).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]

from catalog import cache_seal

#: Where our worker is served; it replaces Material's in the page's `__config`.
WORKER = "assets/javascripts/search-worker.js"
_MATERIAL_WORKER = re.compile(r'("search": ")([^"]*?)assets/javascripts/workers/search\.[0-9a-f]+\.min\.js"')
#: The article only: the header, navigation and footer are the same on every page.
ROOT_SELECTOR = "article.md-content__inner"
#: Not indexed: heading permalinks (the "¶" after every heading), code blocks (each card's curl, Python and
#: gateway examples repeat the names, URLs and flags its tables already hold, and were 40% of the indexing
#: time at 3000 models), the VRAM calculator's form, and a card's charts (per-day and per-run numbers, up to
#: 90 days of them, that no query looks for; the card's claims and figures stay indexed).
EXCLUDE_SELECTORS = [".headerlink", "pre", ".mc-vram", ".mc-chart-figure"]


#: A table or list with more rows or items than this lists catalog entries that each have a page of their
#: own (the catalog, the served models, the deployments index, the fleets): Pagefind skips it. Indexed, at
#: 3000 models those pages matched almost every query, each with up to 600 KB of text to cut an excerpt
#: from, which took most of the time before the first result appeared; the cards still hold every fact.
LONG_LIST_ENTRIES = 30
_LONG_LIST = re.compile(r"<(table|ul|ol)\b([^>]*)>(.*?)</\1>", re.DOTALL)
_ENTRY = {"table": "<tr", "ul": "<li", "ol": "<li"}


def unindexed_long_lists(html: str) -> str:
    """Mark each table of more than `LONG_LIST_ENTRIES` rows, and each such list, `data-pagefind-ignore`.

    The match of a list stops at the first closing tag of its kind, so a list with nested lists is counted
    only up to its first nested end: never marked by mistake, at worst left indexed.
    """

    def mark(found: re.Match[str]) -> str:
        tag, attributes, body = found.group(1), found.group(2), found.group(3)
        if body.count(_ENTRY[tag]) <= LONG_LIST_ENTRIES or "data-pagefind-ignore" in attributes:
            return found.group(0)
        return f"<{tag} data-pagefind-ignore{attributes}>{body}</{tag}>"

    return _LONG_LIST.sub(mark, html)


class SearchSetupError(RuntimeError):
    """Material's page template no longer names its search worker where this module expects it."""


def use_our_worker(html: str) -> str:
    """Point the page's Material configuration at our worker instead of Material's lunr worker."""
    # Material's __config is at the end of the page: find it first rather than run the pattern over the page.
    start = max(html.rfind('<script id="__config"'), 0)
    swapped, count = _MATERIAL_WORKER.subn(lambda m: f'{m.group(1)}{m.group(2)}{WORKER}"', html[start:], count=1)
    swapped = html[:start] + swapped
    if count != 1 and '<script id="__config"' in html and f'{WORKER}"' not in html:
        raise SearchSetupError(
            "Material's __config no longer names assets/javascripts/workers/search.*.min.js; "
            "update hooks/speed/search_index.py for this Material version"
        )
    return swapped


def command(site_dir: Path) -> list[str]:
    return [
        str(get_executable()),
        "--site",
        str(site_dir),
        "--root-selector",
        ROOT_SELECTOR,
        "--exclude-selectors",
        ",".join(EXCLUDE_SELECTORS),
        "--force-language",
        "en",
        "--quiet",
    ]


class PagesDigest:
    """A hash of every page the build writes (URL and HTML), to key the index on what it indexes.

    Whatever the order the pages arrive in: MkDocs renders the theme's static templates (404.html, the
    sitemap) in the order of a set, which changes from one process to the next with Python's string hashing,
    and a running hash made every other build of an unchanged site run Pagefind again."""

    def __init__(self) -> None:
        self._setup = " ".join([str(get_executable().stat().st_size), ROOT_SELECTOR, *EXCLUDE_SELECTORS])
        self._pages: dict[str, bytes] = {}

    def add(self, url: str, html: str) -> None:
        self._pages[url] = hashlib.sha256(html.encode("utf-8")).digest()

    def hexdigest(self) -> str:
        digest = hashlib.sha256(self._setup.encode("utf-8"))
        for url in sorted(self._pages):
            encoded = url.encode("utf-8")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
            digest.update(self._pages[url])
        return digest.hexdigest()


#: Indexes kept in the cache folder; each is about 15 MB at 3000 models.
_KEPT_INDEXES = 2


def build_index(site_dir: Path, digest: str | None = None, cache: Path | None = None) -> bool:
    """Index the built site into `site_dir/pagefind/`; raises `RuntimeError` with Pagefind's output on failure.

    With a `cache` folder and the `digest` of every page, a build whose pages are all unchanged copies the
    index an earlier build made instead of running Pagefind again. Returns whether the cache served it.
    """
    output = site_dir / "pagefind"
    stored = cache / f"pagefind-{digest}" if cache is not None and digest else None
    if stored is not None and _intact(stored):
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(stored, output, ignore=shutil.ignore_patterns(_MANIFEST))
        return True
    proc = subprocess.run(command(site_dir), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    if stored is not None:
        _store(output, stored)
    return False


#: In a cached index: every file's path and sha256, under a seal (catalog/cache_seal.py). The index is
#: published as it is (JavaScript and WebAssembly among it), so a folder planted in the cache, or one file
#: changed in it, is a miss and Pagefind runs again.
_MANIFEST = ".sealed-manifest"


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != _MANIFEST
    }


def _intact(stored: Path) -> bool:
    """Whether `stored` holds exactly the files its sealed manifest lists, each with its recorded digest."""
    try:
        payload = cache_seal.unseal((stored / _MANIFEST).read_bytes())
        if payload is None:
            return False
        listed = json.loads(payload)
        return bool(listed) and listed == _file_digests(stored) and "pagefind-entry.json" in listed
    except (OSError, ValueError):
        return False


def _store(output: Path, stored: Path) -> None:
    """Copy a fresh index into the cache (atomically), keeping the newest `_KEPT_INDEXES`."""
    partial: Path | None = None
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=stored.parent))
        shutil.copytree(output, partial, dirs_exist_ok=True)
        sealed = cache_seal.seal(json.dumps(_file_digests(partial), sort_keys=True).encode("utf-8"))
        if sealed is None:
            shutil.rmtree(partial, ignore_errors=True)
            return
        (partial / _MANIFEST).write_bytes(sealed)
        partial.rename(stored)
        partial = None
        kept = sorted(stored.parent.glob("pagefind-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[_KEPT_INDEXES:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        # Another build stored the same index first, or the disk is read-only or full: only speed is lost.
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)


#: Under `mkdocs serve`, Pagefind starts only after this many seconds without a rebuild: it keeps both cores
#: busy for a few seconds, and a maintainer editing again right away would wait for it.
INDEX_AFTER_QUIET_S = 3.0


class BackgroundIndex:
    """The search index of one `mkdocs serve`: Pagefind run in the background after each rebuild, once the
    server has been quiet for a while, so a rebuilt page is served before its search index is."""

    def __init__(self, delay: float = INDEX_AFTER_QUIET_S) -> None:
        self.delay = delay
        self._indexer: subprocess.Popen[bytes] | None = None
        self._pending: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self, site_dir: Path) -> None:
        """Index once the server has been quiet for `delay` seconds, stopping the previous rebuild's indexer
        or timer."""
        self.stop()

        def launch() -> None:
            with self._lock:
                if self._pending is not timer:
                    return  # stopped (or replaced) after this timer fired
                # At the lowest priority: an edit made while it runs must not wait for it.
                self._indexer = subprocess.Popen(
                    command(site_dir),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=lambda: os.nice(19),
                )

        timer = threading.Timer(self.delay, launch)
        timer.daemon = True
        with self._lock:
            self._pending = timer
        timer.start()

    def stop(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending.cancel()
                self._pending = None
            if self._indexer is not None and self._indexer.poll() is None:
                self._indexer.terminate()
                self._indexer.wait(timeout=10)
            self._indexer = None
