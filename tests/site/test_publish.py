"""A failing build never destroys the last good site: MkDocs writes into a staging folder that replaces
`site/` only when the whole build, strict-mode warnings included, passed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hooks.publish import BuildLocked, StagedBuild
from tests.site.sitebuild import REPO_ROOT, build_site

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
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [".site.lock"], "no staging left"


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
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "site"] and (site / "old.txt").exists()

    staged = StagedBuild(site)
    (staged.start() / "new.txt").write_text("new")
    staged.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "site"]
    assert [p.name for p in site.iterdir()] == ["new.txt"]


# --------------------------------------------------------------------------- one build at a time (issue 20, item 6)


def test_two_builds_at_once_publish_one_whole_site(tmp_path: Path) -> None:
    """Started together into one folder: the second waits, says so, and each publishes a whole site."""
    alone = build_site(tmp_path / "alone", FIXTURES / "small-catalog", FIXTURES / "small-evidence")
    assert alone.returncode == 0, alone.output
    expected = snapshot(alone.site_dir)
    shared = tmp_path / "shared"
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(lambda _: build_site(shared, FIXTURES / "small-catalog", FIXTURES / "small-evidence"), range(2))
        )
    assert [run.returncode for run in runs] == [0, 0], [run.output[-2000:] for run in runs]
    assert sum("is writing" in run.output and "waiting for it to finish" in run.output for run in runs) == 1
    assert snapshot(shared / "site") == expected
    assert sorted(p.name for p in shared.iterdir() if p.name.startswith(".site")) == [".site.lock"]


def test_a_build_that_cannot_get_the_folder_says_who_holds_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from hooks.publish import StagedBuild\n"
            "build = StagedBuild(Path(sys.argv[1])); build.start(); print('holding', flush=True); time.sleep(120)",
            str(site),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(
            BuildLocked, match=rf"another build \(pid {holder.pid}\) has been writing .*site for more than 0 s"
        ):
            StagedBuild(site, wait_s=0.3).start()
        assert (site.with_name(".site.building")).is_dir(), "the holder's staging folder is left alone"
    finally:
        holder.kill()
        holder.wait()
    # Its process gone, the lock went with it: the next build starts at once, whatever was left behind.
    staged = StagedBuild(site, wait_s=0)
    (staged.start() / "index.html").write_text("new")
    staged.finish()
    assert (site / "index.html").read_text() == "new"
