"""Edit loop: with `mkdocs serve` on a 300-model catalog, how long until an edited YAML shows on its page.

Starts the real dev server on loopback, waits for the first build, appends a marker to one
deployment's summary, and polls that deployment's page until the marker appears. Repeats
a few times and prints the median. Run: `python -m bench.edit_loop [--models 300]`.
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

from bench.synth_catalog import generate

REPO_ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--cards", default=None, help="CARDS glob for mkdocs serve (only those cards are built)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edit-loop-") as tmp:
        catalog = Path(tmp) / "catalog"
        generate(catalog, args.models)
        target = sorted((catalog / "deployments").glob(f"{args.cards or '*'}.yaml"))[0]
        port = _free_port()
        env = {
            **os.environ,
            "CATALOG_DIR": str(catalog),
            "EVIDENCE_DIR": str(Path(tmp) / "none"),
            "NO_MKDOCS_2_WARNING": "1",
            "DISABLE_MKDOCS_2_WARNING": "true",
            **({"CARDS": args.cards} if args.cards else {}),
        }
        log = (Path(tmp) / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}/deployments/{target.stem}/"
        try:
            started = time.perf_counter()
            while "Synthetic deployment" not in _fetch(url):
                if time.perf_counter() - started > 300:
                    raise SystemExit("the dev server did not come up within 300 s")
                time.sleep(0.2)
            print(f"first build served after {time.perf_counter() - started:.1f} s", file=sys.stderr)
            delays = []
            for edit in range(args.edits):
                marker = f"edit-marker-{edit}-{time.time_ns()}"
                text = target.read_text(encoding="utf-8")
                target.write_text(
                    text.replace("for scaling tests.", f"for scaling tests. {marker}", 1), encoding="utf-8"
                )
                written = time.perf_counter()
                while marker not in _fetch(url):
                    if time.perf_counter() - written > 120:
                        log.flush()
                        tail = (Path(tmp) / "serve.log").read_text()[-2000:]
                        raise SystemExit(f"the edit did not show within 120 s; server log ends:\n{tail}")
                    time.sleep(0.05)
                delays.append(time.perf_counter() - written)
                target.write_text(text, encoding="utf-8")
                # Wait until the revert is served, so the next edit does not land mid-rebuild.
                while marker in _fetch(url):
                    time.sleep(0.2)
            print(
                f"edit -> page shows it: median {statistics.median(delays):.2f} s over {len(delays)} edits "
                f"({', '.join(f'{d:.2f}' for d in delays)}) with {args.models} models"
                + (f", CARDS={args.cards}" if args.cards else "")
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
