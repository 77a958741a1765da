"""The builders of this site, run for real: ProperDocs (the maintained MkDocs 1.x fork) builds the same
mkdocs.yml, plugin and Material theme into the same site as MkDocs 1.6.1; Zensical, which reads mkdocs.yml but
runs no plugins, refuses it (mkdocs.yml, `extra.builders`) instead of publishing the pages without the catalog."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site.sitebuild import REPO_ROOT, BuildResult, build_site, copy_docs

FIXTURES = REPO_ROOT / "tests" / "fixtures"
ZENSICAL = REPO_ROOT / ".cache" / "venv-zensical" / "bin" / "zensical"
#: The one line MkDocs and ProperDocs write differently: `<meta name="generator" content="mkdocs-1.6.1, ...">`.
GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')
#: What Zensical, or anything else that reads mkdocs.yml without running its plugins, is told.
REFUSAL = (
    "this site needs MkDocs 1.6 or ProperDocs 1.6: its deployment cards, catalog.json and llms.txt are generated "
    "by the catalog-site plugin in mkdocs.yml, which only those two run (Zensical does not)."
)


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


# --- ProperDocs -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    """The real site (bundled catalog and evidence), built once by each builder."""
    built = {}
    for builder in ("mkdocs", "properdocs"):
        result = build_site(
            tmp_path_factory.mktemp(builder), REPO_ROOT / "catalog", REPO_ROOT / "evidence", builder=builder
        )
        assert result.returncode == 0, f"{builder} build --strict failed:\n{result.output}"
        built[builder] = result
    return built


def test_properdocs_builds_every_page_a_reader_opens(both: dict[str, BuildResult]) -> None:
    site = both["properdocs"].site_dir
    deployments = sorted(path.stem for path in (REPO_ROOT / "catalog" / "deployments").glob("*.yaml"))
    assert deployments
    cards = [d for d in deployments if (site / "deployments" / d / "index.html").is_file()]
    assert cards == deployments, "a deployment without its card page"
    card = (site / "deployments" / deployments[0] / "index.html").read_text(encoding="utf-8")
    assert f'<h1 id="{deployments[0]}">' in card
    index = (site / "deployments" / "index.html").read_text(encoding="utf-8")
    assert [d for d in cards if f'href="{d}/"' not in index] == [], "a card the deployments index does not link"
    export = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    assert sorted(export["deployments"]) == deployments
    llms = (site / "llms.txt").read_text(encoding="utf-8")
    assert llms.startswith("# ") and "## Pick by task" in llms and "- [catalog.json](catalog.json)" in llms
    # Really ProperDocs, not MkDocs reached through some fallback.
    assert '<meta name="generator" content="mkdocs-ProperDocs 1.6.' in card


def test_properdocs_writes_the_site_mkdocs_writes(both: dict[str, BuildResult]) -> None:
    mkdocs, properdocs = site_files(both["mkdocs"].site_dir), site_files(both["properdocs"].site_dir)
    assert sorted(properdocs) == sorted(mkdocs)
    assert properdocs["catalog.json"] == mkdocs["catalog.json"]
    assert properdocs["llms.txt"] == mkdocs["llms.txt"]
    assert properdocs["llms-full.txt"] == mkdocs["llms-full.txt"]
    # Every other file too, byte for byte, once each page's generator tag (the builder's name) is set aside.
    differing = sorted(
        path for path in mkdocs if GENERATOR.sub(b"", properdocs[path]) != GENERATOR.sub(b"", mkdocs[path])
    )
    assert differing == []


def test_under_properdocs_a_broken_link_fails_every_strict_build_not_just_the_first(tmp_path: Path) -> None:
    """The render cache keeps no page whose render warned. ProperDocs warns through its own logger, not MkDocs'
    (hooks/speed/render_cache.py `BUILDER`): were the cache deaf to it, the second build would pass from the cache."""
    docs = copy_docs(tmp_path)
    glossary = docs / "glossary.md"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "\nSee [the old page](no-such-page.md).\n")
    cache = str(tmp_path / "render-cache")
    for attempt in (1, 2):
        # Both builds share one render cache, as a maintainer's repeated builds do.
        result = build_site(
            tmp_path,
            FIXTURES / "small-catalog",
            docs=docs,
            builder="properdocs",
            extra_env={"SITE_RENDER_CACHE": cache},
        )
        assert result.returncode != 0, f"build {attempt} passed with a broken link:\n{result.output}"
        assert "contains a link 'no-such-page.md', but the target is not found" in result.output, result.output
        # MkDocs' own warning, and the build's link check naming the same link in the agent files.
        assert re.search(r"Aborted with \d+ warnings in strict mode", result.output), result.output
        assert "link leads nowhere: llms-full.txt: /glossary/no-such-page.md" in result.output, result.output


# --- Zensical ---------------------------------------------------------------------------------------------


@pytest.fixture
def zensical() -> Path:
    if not ZENSICAL.is_file():
        pytest.fail(f"Zensical is not installed at {ZENSICAL.relative_to(REPO_ROOT)}: run make zensical-env")
    return ZENSICAL


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["build"], id="build"),
        pytest.param(["build", "--strict", "-f", "{config}"], id="build-f-from-elsewhere"),
        pytest.param(["serve", "-a", "127.0.0.1:8765"], id="serve"),
    ],
)
@pytest.mark.zensical
def test_zensical_refuses_the_site_and_writes_nothing(zensical: Path, tmp_path: Path, command: list[str]) -> None:
    """Zensical reads mkdocs.yml but runs no hooks: it must stop, saying why, rather than write the hand-written
    pages without a card, catalog.json or llms.txt."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copyfile(REPO_ROOT / "mkdocs.yml", project / "mkdocs.yml")
    copy_docs(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = [arg.replace("{config}", str(project / "mkdocs.yml")) for arg in command]
    try:
        proc = subprocess.run(
            [str(zensical), *args],
            cwd=elsewhere if "-f" in args else project,
            env={**os.environ, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=180,  # a safety net: the refusal comes while the config is read, before any work
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"zensical {' '.join(args)} kept running: it took the site without its catalog")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert REFUSAL in output, output
    assert "Traceback" not in output, output
    assert not (project / "site").exists(), "Zensical wrote a site without the catalog"
    assert sorted(p.name for p in project.iterdir()) == ["docs", "mkdocs.yml"]


def test_any_reader_of_mkdocs_yml_that_is_not_mkdocs_or_properdocs_is_refused() -> None:
    """The check keys on who reads the file, not on Zensical's name: a plain PyYAML load is refused too."""
    load = "import yaml; yaml.load(open('mkdocs.yml', encoding='utf-8'), Loader=yaml.Loader)"
    proc = subprocess.run(
        [sys.executable, "-c", load], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert f"yaml.error.YAMLError: {REFUSAL}" in proc.stderr, proc.stderr
