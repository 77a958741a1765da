"""Shared fixtures: a small valid catalog copied into tmp_path, ready to be broken on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parent.parent


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
