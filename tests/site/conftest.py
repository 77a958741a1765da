from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from catalog import load_catalog
from catalog.evidence_folder import load_evidence
from hooks.site_context import SiteContext

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO_ROOT = FIXTURES.parent.parent


@pytest.fixture(scope="session")
def bundled_ctx() -> SiteContext:
    """The bundled catalog with its evidence, seen on a fixed day (the seed-fact tests read what readers see)."""
    return SiteContext(
        catalog=load_catalog(REPO_ROOT / "catalog"),
        evidence=load_evidence(REPO_ROOT / "evidence"),
        today=dt.date(2026, 11, 22),
        repo_root=REPO_ROOT,
    )


@pytest.fixture(scope="session")
def site_ctx() -> SiteContext:
    """The small catalog with its evidence, seen on a fixed day so golden files never drift."""
    return SiteContext(
        catalog=load_catalog(FIXTURES / "small-catalog"),
        evidence=load_evidence(FIXTURES / "small-evidence"),
        today=dt.date(2026, 11, 21),
        repo_root=REPO_ROOT,
    )
