"""Search for the built site: Pagefind's index, read by Material's own search box.

Material's search plugin stays configured for its search box, keyboard and highlighting, but indexes no
page (each page is marked `search.exclude`), so its `search_index.json` holds only its settings. After the
build, Pagefind (PyPI `pagefind[bin]`, its binary shipped in the wheel) indexes each page's article into
`pagefind/`: an entry file, a WebAssembly core, and index chunks and page fragments that a reader fetches
only as a query needs them. `docs/assets/javascripts/search-worker.js` answers Material's search box from
that bundle, in place of Material's lunr worker (see `WORKER` below).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pagefind_bin import get_executable  # type: ignore[import-untyped]

#: Where our worker is served; it replaces Material's in the page's `__config`.
WORKER = "assets/javascripts/search-worker.js"
_MATERIAL_WORKER = re.compile(r'("search": ")([^"]*?)assets/javascripts/workers/search\.[0-9a-f]+\.min\.js"')
#: The article only: the header, navigation and footer are the same on every page.
ROOT_SELECTOR = "article.md-content__inner"
#: Heading permalinks (the "¶" after every heading) are not content.
EXCLUDE_SELECTORS = [".headerlink"]


class SearchSetupError(RuntimeError):
    """Material's page template no longer names its search worker where this module expects it."""


def use_our_worker(html: str) -> str:
    """Point the page's Material configuration at our worker instead of Material's lunr worker."""
    swapped, count = _MATERIAL_WORKER.subn(lambda m: f'{m.group(1)}{m.group(2)}{WORKER}"', html, count=1)
    if count != 1 and '<script id="__config"' in html:
        raise SearchSetupError(
            "Material's __config no longer names assets/javascripts/workers/search.*.min.js; "
            "update hooks/search_index.py for this Material version"
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


def build_index(site_dir: Path) -> None:
    """Index the built site into `site_dir/pagefind/`; raises `RuntimeError` with Pagefind's output on failure."""
    proc = subprocess.run(command(site_dir), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


#: The background indexer of the last `mkdocs serve` rebuild. Kept here, not in the hook module: MkDocs loads
#: hook files afresh for every rebuild, and this module is imported once.
_indexer: subprocess.Popen[bytes] | None = None


def start_index(site_dir: Path) -> None:
    """Index in the background (under `mkdocs serve`, so a rebuild is served before its search index),
    stopping the previous rebuild's indexer if it is still running."""
    global _indexer
    stop_index()
    _indexer = subprocess.Popen(command(site_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_index() -> None:
    global _indexer
    if _indexer is not None and _indexer.poll() is None:
        _indexer.terminate()
        _indexer.wait(timeout=10)
    _indexer = None
