"""Building the real site in a temporary directory, as `make build` does, for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
#: 2026-11-22 00:00 UTC: "today" for every test build, so evidence ages are fixed.
SOURCE_DATE_EPOCH = "1795305600"


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    output: str
    site_dir: Path


def build_site(
    tmp: Path,
    catalog: Path,
    evidence: Path | None = None,
    *,
    docs: Path | None = None,
    extra_env: dict[str, str] | None = None,
    builder: str = "mkdocs",
) -> BuildResult:
    """Run `<builder> build --strict` with the project's config, pointed at `catalog` (and optionally other docs).

    `builder` is the module run with `python -m`: `mkdocs`, or `properdocs` (tests/site/test_builders.py).
    """
    config = REPO_ROOT / "mkdocs.yml"
    if docs is not None:
        text = config.read_text(encoding="utf-8")
        text = text.replace("docs_dir: docs", f"docs_dir: {docs}")
        # The theme's overrides are named relative to the config file: point at the repository's.
        text = text.replace("custom_dir: overrides", f"custom_dir: {REPO_ROOT / 'overrides'}")
        config = tmp / "mkdocs.yml"
        config.write_text(text, encoding="utf-8")
    site_dir = tmp / "site"
    env: dict[str, str] = {
        **os.environ,
        "CATALOG_DIR": str(catalog.resolve()),
        "EVIDENCE_DIR": str((evidence or tmp / "no-evidence").resolve()),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        # Caches of this build alone: a test sees what a fresh machine sees, not what an earlier build left.
        "CATALOG_PARSE_CACHE": str(tmp / "parse-cache" / "values.pickle"),
        "SITE_RENDER_CACHE": str(tmp / "render-cache"),
        **(extra_env or {}),
    }
    env.pop("CARDS", None)  # every card, as a published build has (`make serve CARDS=...` sets it)
    proc = subprocess.run(
        [sys.executable, "-m", builder, "build", "--strict", "-f", str(config), "-d", str(site_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return BuildResult(proc.returncode, proc.stdout + proc.stderr, site_dir)


def copy_docs(tmp: Path) -> Path:
    target = tmp / "docs"
    shutil.copytree(REPO_ROOT / "docs", target)
    return target
