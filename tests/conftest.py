"""Shared fixtures: a small valid catalog copied into tmp_path, ready to be broken on purpose; caches of the
session's own, so no test reads or writes the checkout's `.cache/` parse and render caches."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The environment variables that move the catalog's parse cache and the site's render cache.
CACHE_SETTINGS = ("CATALOG_PARSE_CACHE", "SITE_RENDER_CACHE", "CATALOG_CACHE_KEY")


@pytest.fixture(scope="session", autouse=True)
def _session_caches() -> Iterator[None]:
    """Every process of the session (in-process loads, builds, servers) caches under one temporary folder.

    A warm checkout would otherwise run different code paths than a fresh clone, and a test run would leave
    `.cache/catalog-parse/values.pickle` behind. Builds made through `tests.site.sitebuild.build_site` get
    caches of their own on top of this; a test about caching sets its own paths.
    """
    saved = {name: os.environ.get(name) for name in CACHE_SETTINGS}
    with tempfile.TemporaryDirectory(prefix="test-caches-") as folder:
        os.environ["CATALOG_PARSE_CACHE"] = str(Path(folder) / "catalog-parse" / "values.pickle")
        os.environ["SITE_RENDER_CACHE"] = str(Path(folder) / "site-render")
        # The key that seals cache files (catalog/cache_seal.py): the session's own, not the user's.
        os.environ["CATALOG_CACHE_KEY"] = str(Path(folder) / "cache-key")
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture
def small_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/fixtures/small-catalog at ./cat, with the working directory at its parent.

    Error messages name files relative to the working directory, so tests can pin
    the exact text (`cat/deployments/coder-chat.yaml:7:3: ...`).
    """
    target = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", target)
    monkeypatch.chdir(tmp_path)
    return Path("cat")
