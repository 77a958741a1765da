"""Imports run one way: the catalog knows nothing of the site, the gateway export, onboarding or the probes, the
site never imports probe code, the development infrastructure (testbed) knows nothing of the product, and nothing
imports the tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

#: package -> packages it must never import. Every top-level package of the repository is here (a test below
#: checks), and none may import `tests`.
FORBIDDEN = {
    "catalog": {"hooks", "mcp_server", "gateway", "onboarding", "probes", "bench", "tools", "testbed", "tests"},
    "hooks": {"mcp_server", "onboarding", "probes", "bench", "tools", "testbed", "tests"},
    # A surface beside the site: it shows the site's request examples (hooks/render/snippets.py).
    "mcp_server": {"onboarding", "probes", "bench", "tools", "testbed", "tests"},
    # The gateway export, a surface beside the site: the site shows its entries, never the other way round.
    "gateway": {"hooks", "mcp_server", "onboarding", "probes", "bench", "tools", "testbed", "tests"},
    # Writes catalog files; reads the export's LiteLLM vocabulary so that an import exports back as it was.
    "onboarding": {"hooks", "mcp_server", "probes", "bench", "tools", "testbed", "tests"},
    # `discover` writes through onboarding's writer.
    "probes": {"hooks", "mcp_server", "bench", "tools", "testbed", "tests"},
    # Real servers and data for tests, benchmarks and the demo: below all of them, beside the product.
    "testbed": {"catalog", "hooks", "mcp_server", "gateway", "onboarding", "probes", "bench", "tools", "tests"},
    "bench": {"tools", "tests"},
    "tools": {"tests"},
    "tests": set(),
}


#: module -> modules it must never import, inside one package. Judging decides states; display writes them as
#: text and may import the verdicts, never the other way round (a cycle a `TYPE_CHECKING` import once hid).
FORBIDDEN_MODULES = {
    "catalog/verdicts.py": {"catalog.display"},
}


def _imported_modules(path: Path) -> set[str]:
    """Every absolute import in `path`, at any level (a function's or a `TYPE_CHECKING` block's too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_backwards(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(bad)
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if (bad := _imported_packages(path) & FORBIDDEN[package])
    }
    assert offenders == {}, f"{package} must not import {sorted(FORBIDDEN[package])}"


@pytest.mark.parametrize("module", sorted(FORBIDDEN_MODULES))
def test_no_module_imports_a_forbidden_sibling(module: str) -> None:
    bad = _imported_modules(REPO_ROOT / module) & FORBIDDEN_MODULES[module]
    assert bad == set(), f"{module} must not import {sorted(FORBIDDEN_MODULES[module])}"


def test_every_top_level_package_has_a_rule() -> None:
    packages = {path.parent.name for path in REPO_ROOT.glob("*/__init__.py")}
    assert packages == set(FORBIDDEN), "add the new package to FORBIDDEN with what it must not import"


def test_the_checker_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom probes.runner import plan\nfrom . import sibling\n")
    assert _imported_packages(sample) == {"os", "probes"}
