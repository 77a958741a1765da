"""What a reader's browser loads: JavaScript per page, and the files and time behind the first search result.

Used by `make bench` on the largest synthetic site; `python -m bench.site_weight SITE_DIR` measures a
built site on its own.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import json
import re
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
#: Scripts every page starts besides its <script> tags: Material starts the search worker on load.
WORKER = "assets/javascripts/search-worker.js"
_SCRIPT = re.compile(r'<script src="([^"]+)"')


def javascript_per_page(site: Path) -> dict[str, Any]:
    """Bytes of JavaScript each page without diagrams loads (its script tags and the search worker)."""
    sizes: dict[str, int] = {}

    def size(relative: str) -> int:
        if relative not in sizes:
            path = site / relative
            sizes[relative] = path.stat().st_size if path.is_file() else 0
        return sizes[relative]

    per_page: dict[str, int] = {}
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        if 'class="mermaid"' in html:
            continue
        url = page.relative_to(site).as_posix()
        scripts = {urlsplit(urljoin(url, src)).path for src in _SCRIPT.findall(html) if "://" not in src}
        per_page[url] = sum(size(s) for s in scripts) + size(WORKER)
    heaviest = max(per_page, key=lambda p: per_page[p])
    samples: dict[str, int] = {p: per_page[p] for p in ("index.html", "catalog/index.html") if p in per_page}
    card = next((p for p in per_page if p.startswith("deployments/") and p.count("/") == 2), None)
    if card:
        samples[card] = per_page[card]
    return {"pages": len(per_page), "max_bytes": per_page[heaviest], "heaviest": heaviest, "samples": samples}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


_COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".md")


class _Gzip(_Quiet):
    """Serves text gzip-compressed when the browser accepts it, as any static host does."""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # the redirect to the folder's URL
            path = path / "index.html"
        accepted = "gzip" in self.headers.get("Accept-Encoding", "")
        if not accepted or path.suffix not in _COMPRESSIBLE or not path.is_file():
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextmanager
def serve(site: Path, *, compress: bool = False) -> Iterator[str]:
    """http://127.0.0.1:PORT/ serving `site` until the block ends (a free port, one thread per request).

    Files are read at each request, so the folder may be filled after the server starts: a site can be built
    for the address it is served at. The benchmark, the browser tests and `make screenshots` all use this.
    """
    handler = _Gzip if compress else _Quiet
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


#: Installed in the page after the reader opens the search box: the time of every keydown, and of the first
#: change to the result list that shows a result after the query's last key, both on the page's clock.
_TIMING_SCRIPT = """(keys) => {
  window.__keydowns = [];
  window.__shown = null;
  document.addEventListener("keydown", () => window.__keydowns.push(performance.now()), true);
  const list = document.querySelector(".md-search-result__list");
  new MutationObserver(() => {
    if (window.__shown === null && window.__keydowns.length >= keys && list.querySelector(".md-search-result__item"))
      window.__shown = performance.now();
  }).observe(list, { childList: true, subtree: true });
}"""


def search_cost(site: Path, queries: dict[str, str], runs: int = 3) -> dict[str, Any]:
    """Search files fetched (each with its size) and ms from the last keystroke to the first result, per query.

    `queries` maps a label to what is typed. Each run is a fresh browser context (empty cache) that opens
    the home page, presses `/` and types the query at full speed, as a fast typist does; the time is taken
    in the page (keydown to the result list showing a result), so the test driver's own latency is not in it.
    """
    from playwright.sync_api import sync_playwright

    measured: dict[str, dict[str, Any]] = {}
    fetched: dict[str, int] = {}
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            for label, query in queries.items():
                times: list[float] = []
                for _ in range(runs):
                    context = browser.new_context()
                    page = context.new_page()
                    seen: dict[str, int] = {}

                    def record(response: Any, seen: dict[str, int] = seen) -> None:
                        path = response.url.removeprefix(base).split("?")[0]
                        if path.startswith(("pagefind/", "search/")) or path == WORKER:
                            seen[path] = len(response.body())

                    page.on("response", record)
                    page.goto(base, wait_until="load")
                    page.keyboard.press("/")
                    page.evaluate(_TIMING_SCRIPT, len(query))
                    page.keyboard.type(query)
                    page.wait_for_function("() => window.__shown !== null", timeout=30_000)
                    times.append(
                        page.evaluate("() => window.__shown - window.__keydowns[window.__keydowns.length - 1]")
                    )
                    page.wait_for_timeout(300)
                    fetched.update(seen)
                    context.close()
                measured[label] = {
                    "query": query,
                    "first_result_ms": [round(t) for t in times],
                    "first_result_median_ms": round(statistics.median(times)),
                }
        finally:
            browser.close()
    largest = max(fetched, key=lambda p: fetched[p])
    return {
        "queries": measured,
        "files": dict(sorted(fetched.items())),
        "largest": largest,
        "largest_bytes": fetched[largest],
        "total_bytes": sum(fetched.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("site", type=Path)
    parser.add_argument("--query", default="deepseek")
    args = parser.parse_args()
    print(
        json.dumps(
            {"javascript": javascript_per_page(args.site), "search": search_cost(args.site, {"query": args.query})},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
