"""The floor `make bench` compares the real build with: a plain Material site of N one-table pages.

Nothing of this project takes part: no hooks, no gen-files, no catalog. Material's defaults (its search
plugin included, as MkDocs enables `search` when a config names no plugins), an index-only nav, and N
pages that each hold a heading, a sentence and one ten-row table. Built in the same `make bench` run as
the real site, it says how much of the build time is this project's and how much is MkDocs and Material's
fixed cost per page, whatever the machine's load is at that moment.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

CONFIG = """site_name: Floor
site_url: http://127.0.0.1:8000/
theme:
  name: material
  font: false
nav:
  - Home: index.md
"""


def generate(target: Path, pages: int) -> Path:
    """Write the floor site's mkdocs.yml and docs/ under `target`; returns the config file."""
    if target.exists():
        shutil.rmtree(target)
    docs = target / "docs" / "pages"
    docs.mkdir(parents=True)
    (target / "docs" / "index.md").write_text("# Floor\n\nA plain Material site for the benchmark.\n", encoding="utf-8")
    for i in range(pages):
        rows = "".join(f"| Field {k} | Value {k} of page {i} |\n" for k in range(10))
        (docs / f"page-{i:05d}.md").write_text(
            f"# Page {i}\n\nOne of {pages} plain pages.\n\n| Field | Value |\n|---|---|\n{rows}", encoding="utf-8"
        )
    config = target / "mkdocs.yml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--pages", type=int, default=3000)
    args = parser.parse_args()
    generate(args.target, args.pages)


if __name__ == "__main__":
    main()
