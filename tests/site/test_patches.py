"""The speed layer's reach into other packages' internals lives in hooks/speed/patches.py, and an upgrade that changes
the code a patch was written against fails here, naming the patch to re-read (issue 23)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from hooks.speed.patches import PATCHED_CODE, PATCHED_VERSIONS, source_hash

REPO = Path(__file__).resolve().parents[2]
#: Spellings of another package's internals: private attributes the patches read or replace, and replacing a
#: method or a module function at run time.
INTERNALS = re.compile(
    r"_watched_paths|_title_from_render|types\.MethodType|\.events\[|mkdocs\.utils\.\w+ = |list_templates = "
)


@pytest.mark.parametrize("target", sorted(PATCHED_CODE))
def test_the_code_each_patch_was_written_against_is_unchanged(target: str) -> None:
    assert source_hash(target) == PATCHED_CODE[target], (
        f"{target} changed (pinned: {PATCHED_VERSIONS}); re-read the function of hooks/speed/patches.py that names it, "
        "fix it if needed, then record the new hash in PATCHED_CODE"
    )


def test_the_versions_the_patches_name_are_the_locked_and_installed_ones() -> None:
    lock = (REPO / "locks" / "dev.txt").read_text(encoding="utf-8")
    for package, version in PATCHED_VERSIONS.items():
        assert f"\n{package}=={version} " in lock, (
            f"locks/dev.txt pins another {package} than hooks/speed/patches.py names"
        )
        assert metadata.version(package) == version, f"installed {package} is not {version}: make install"


def test_no_other_module_reaches_into_another_package() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "hooks").rglob("*.py"))
        if path.name != "patches.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INTERNALS.search(line)
    ]
    assert found == []


def test_a_changed_function_gets_another_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: the same name with other code hashes differently."""
    (tmp_path / "patched_probe.py").write_text("def f():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = source_hash("patched_probe:f")
    (tmp_path / "patched_probe2.py").write_text("def f():\n    return 2\n")
    assert source_hash("patched_probe2:f") != before
