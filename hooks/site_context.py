"""Everything a build renders from (catalog, evidence, date), loaded once per build: the MkDocs plugin
(hooks/plugin.py) holds it for the build, and `python -m hooks.generate` for its one run."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from catalog import Catalog, load_catalog
from catalog.evidence import evidence_today
from catalog.evidence_folder import Evidence, load_evidence
from catalog.view import DeploymentRecord, JudgedView
from hooks.render.pages import left_out


@dataclass(frozen=True)
class SiteContext:
    catalog: Catalog
    evidence: Evidence
    today: dt.date
    """"Now" for staleness; from SOURCE_DATE_EPOCH when set, so rebuilds are reproducible."""
    repo_root: Path
    """Directory edit paths are relative to."""
    benchmark: dict[str, Any] | None = None
    """`make bench` results (bench/results.json), for the Performance page."""
    docs_dir: Path | None = None
    """The hand-written pages (mkdocs.yml `docs_dir`), which hooks/render/pages.py reads for their links."""

    @cached_property
    def view(self) -> JudgedView:
        """The catalog and evidence judged for `today`, once per build: every page reads its verdicts, client
        targets and lifecycle from here (catalog/view.py)."""
        return JudgedView(self.catalog, self.evidence, self.today)

    def record(self, deployment_id: str) -> DeploymentRecord:
        """One deployment's judged record (catalog/view.py)."""
        return self.view.record(deployment_id)

    @cached_property
    def pages_left_out(self) -> dict[str, str]:
        """Page -> why it is not built: the pages this catalog has nothing to show on (hooks/render/pages.py)."""
        return left_out(self)


def load_site_context(
    catalog_dir: Path,
    evidence_dir: Path,
    repo_root: Path,
    benchmark_file: Path | None = None,
    docs_dir: Path | None = None,
) -> SiteContext:
    """The context of one build; raises `CatalogInvalid` on a bad catalog."""
    benchmark = None
    if benchmark_file is not None and benchmark_file.is_file():
        benchmark = json.loads(benchmark_file.read_text(encoding="utf-8"))
    return SiteContext(
        load_catalog(catalog_dir), load_evidence(evidence_dir), evidence_today(), repo_root, benchmark, docs_dir
    )
