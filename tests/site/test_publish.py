"""A failing build never destroys the last good site: MkDocs writes into a staging folder that replaces
`site/` only when the whole build, strict-mode warnings included, passed."""

from __future__ import annotations

import shutil
from pathlib import Path

from hooks.publish import StagedBuild
from tests.site.sitebuild import build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_build_leaves_the_previous_site_byte_identical(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(FIXTURES / "small-evidence", evidence)
    good = build_site(tmp_path, FIXTURES / "small-catalog", evidence)
    assert good.returncode == 0, good.output
    before = snapshot(good.site_dir)
    assert "index.html" in before and "llms.txt" in before

    # The catalog validates, but an evidence file carries an impossible date: the build names it and fails.
    broken = evidence / "coder-chat.json"
    broken.write_text(broken.read_text().replace("2026-11-20T10:00:10Z", "2026-13-45T10:00:10Z"))
    failed = build_site(tmp_path, FIXTURES / "small-catalog", evidence)
    assert failed.returncode != 0
    assert "coder-chat.json" in failed.output and "Aborted" in failed.output
    assert snapshot(good.site_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [], "no staging left"


def test_an_invalid_catalog_leaves_the_previous_site(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    good = build_site(tmp_path, catalog)
    assert good.returncode == 0, good.output
    before = snapshot(good.site_dir)
    (catalog / "deployments/coder-fim.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/deployments.json\nmodel: nope\n"
    )
    failed = build_site(tmp_path, catalog)
    assert failed.returncode != 0 and "the catalog is invalid" in failed.output
    assert snapshot(good.site_dir) == before


def test_staged_build_swaps_only_on_success(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.txt").write_text("old")
    staged = StagedBuild(site)
    (staged.start() / "new.txt").write_text("new")
    staged.failed = True
    staged.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"] and (site / "old.txt").exists()

    staged = StagedBuild(site)
    (staged.start() / "new.txt").write_text("new")
    staged.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert [p.name for p in site.iterdir()] == ["new.txt"]
