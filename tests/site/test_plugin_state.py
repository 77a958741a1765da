"""The MkDocs side holds its state on one plugin object (hooks/plugin.py), never in module-level variables: a
module-level slot outlives the build that filled it (`mkdocs serve` rebuilds, tests building twice in one
process) and couples modules through an order of calls nobody can see."""

from __future__ import annotations

import ast
from pathlib import Path

import mkdocs.plugins

REPO = Path(__file__).resolve().parents[2]
HOOK_MODULES = sorted((REPO / "hooks").rglob("*.py"))
#: Module-level names that are not state: the module's logger and its export list.
NOT_STATE = {"log", "__all__"}


def _state_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [f"`global` in line {node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Global)]
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if not isinstance(target, ast.Name) or target.id in NOT_STATE:
                continue
            # Constants are spelled in capitals; a capitalised plain assignment is a type alias (`Command = ...`).
            constant = target.id.isupper() or (target.id[:1].isupper() and isinstance(node, ast.Assign))
            if not constant:
                found.append(f"module-level variable `{target.id}` in line {node.lineno}")
    return found


def test_no_hook_module_keeps_state_at_module_level() -> None:
    assert HOOK_MODULES
    found = {path.relative_to(REPO).as_posix(): _state_in(path) for path in HOOK_MODULES}
    assert {path: state for path, state in found.items() if state} == {}


def test_the_check_sees_a_module_slot(tmp_path: Path) -> None:
    module = tmp_path / "slot.py"
    module.write_text("_current = None\n\ndef set_it(value):\n    global _current\n    _current = value\n")
    assert _state_in(module) == ["`global` in line 4", "module-level variable `_current` in line 1"]


def test_mkdocs_finds_the_one_plugin_by_the_name_mkdocs_yml_gives() -> None:
    installed = mkdocs.plugins.get_plugins()
    assert "catalog-site" in installed, "the project is not installed (make install registers the plugin)"
    plugin_class = installed["catalog-site"].load()
    assert plugin_class.__module__ == "hooks.plugin"
    assert "- catalog-site" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "hooks:" not in (REPO / "mkdocs.yml").read_text(encoding="utf-8"), "hook files beside the plugin"
