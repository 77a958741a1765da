"""Imports run one way: the catalog knows nothing of the site or the probes, and the site never imports probe code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

#: package -> packages it must never import.
FORBIDDEN = {
    "catalog": {"hooks", "probes", "bench", "tools", "tests"},
    "hooks": {"probes", "bench", "tools", "tests"},
    "probes": {"hooks", "bench", "tools", "tests"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_backwards(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(bad)
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if (bad := _imported_packages(path) & FORBIDDEN[package])
    }
    assert offenders == {}, f"{package} must not import {sorted(FORBIDDEN[package])}"


def test_the_checker_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom probes.runner import plan\nfrom . import sibling\n")
    assert _imported_packages(sample) == {"os", "probes"}
