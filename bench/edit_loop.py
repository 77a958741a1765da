"""Edit loop: with `mkdocs serve` on a 300-model catalog, how long until an edited YAML shows on its page.

Starts the real dev server on loopback (the whole site: every card, no CARDS subset), waits for the first
build, appends a marker to one deployment's summary, and polls that deployment's page until the marker
appears. Repeats a few times and prints the median. Run: `python -m bench.edit_loop [--models 300]`.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.synth_catalog import generate

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(catalog: Path, work: Path) -> dict[str, str]:
    """The environment `mkdocs serve` runs in here: `catalog`, no evidence, a render cache of its own in `work`."""
    return {
        **os.environ,
        "CATALOG_DIR": str(catalog),
        "EVIDENCE_DIR": str(work / "no-evidence"),
        "SITE_RENDER_CACHE": str(work / "render-cache"),
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def measure(models: int = 300, edits: int = 5, cards: str | None = None) -> dict[str, Any]:
    """Serve a synthetic catalog, edit one deployment `edits` times; seconds from each save to the page."""
    with tempfile.TemporaryDirectory(prefix="edit-loop-") as tmp:
        catalog = Path(tmp) / "catalog"
        generate(catalog, models)
        target = sorted((catalog / "deployments").glob(f"{cards or '*'}.yaml"))[0]
        port = free_port()
        env = {**serve_env(catalog, Path(tmp)), **({"CARDS": cards} if cards else {})}
        log_path = Path(tmp) / "serve.log"
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}/deployments/{target.stem}/"
        try:
            started = time.perf_counter()
            while "Synthetic deployment" not in _fetch(url):
                if time.perf_counter() - started > 300:
                    raise SystemExit("the dev server did not come up within 300 s")
                time.sleep(0.2)
            first = time.perf_counter() - started
            delays = []
            for edit in range(edits):
                marker = f"edit-marker-{edit}-{time.time_ns()}"
                text = target.read_text(encoding="utf-8")
                target.write_text(
                    text.replace("for scaling tests.", f"for scaling tests. {marker}", 1), encoding="utf-8"
                )
                written = time.perf_counter()
                while marker not in _fetch(url):
                    if time.perf_counter() - written > 120:
                        tail = log_path.read_text()[-2000:]
                        raise SystemExit(f"the edit did not show within 120 s; server log ends:\n{tail}")
                    time.sleep(0.02)
                delays.append(time.perf_counter() - written)
                target.write_text(text, encoding="utf-8")
                # Wait until the revert is served, so the next edit does not land mid-rebuild.
                while marker in _fetch(url):
                    time.sleep(0.1)
                time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "models": models,
        "cards": cards,
        "first_build_s": round(first, 2),
        "edits_s": [round(d, 3) for d in delays],
        "median_s": round(statistics.median(delays), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--cards", default=None, help="CARDS glob for mkdocs serve (only those cards are built)")
    args = parser.parse_args()
    result = measure(args.models, args.edits, args.cards)
    print(
        f"first build served after {result['first_build_s']} s; edit -> page shows it: median {result['median_s']} s"
        f" over {len(result['edits_s'])} edits ({', '.join(str(d) for d in result['edits_s'])}) with {args.models}"
        " models, full site" + (f", CARDS={args.cards}" if args.cards else "")
    )


if __name__ == "__main__":
    main()
