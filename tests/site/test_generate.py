"""`python -m hooks.generate` writes every generated page and agent file without MkDocs, and a real build
publishes the same bytes (issue 23: generation outside the builder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page
from mkdocs.utils import meta

from hooks.generate import OUTPUT_MARK, main
from hooks.site_layout import SiteLayout, file_url, page_title, page_url, split_front_matter
from tests.site.sitebuild import REPO_ROOT, SOURCE_DATE_EPOCH, BuildResult, build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CATALOG = FIXTURES / "small-catalog"
EVIDENCE = FIXTURES / "every-state-evidence"
#: Imports the generator must not need: a blocked name raises ImportError as if it were not installed.
BUILDER_PACKAGES = ("mkdocs", "material", "properdocs", "pymdownx")

WITHOUT_BUILDER = f"""
import sys
for name in {BUILDER_PACKAGES!r}:
    sys.modules[name] = None
from hooks.generate import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {BUILDER_PACKAGES!r} and sys.modules[m] is not None)
assert not loaded, loaded
sys.exit(code)
"""


def _generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "CATALOG_PARSE_CACHE": str(out.parent / "parse-cache" / "values.pickle"),
    }
    env.pop("SITE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_BUILDER, str(out), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    result = build_site(tmp_path_factory.mktemp("build"), CATALOG, EVIDENCE)
    assert result.returncode == 0, result.output
    return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generate") / "out"
    proc = _generate(out, "--catalog", str(CATALOG), "--evidence", str(EVIDENCE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_the_agent_files_are_the_ones_a_build_publishes_byte_for_byte(built: BuildResult, generated: Path) -> None:
    written = _files(generated / "site")
    published = _files(built.site_dir)
    assert written <= published, f"generated, not built: {sorted(written - published)}"
    different = [
        name
        for name in sorted(written)
        if (generated / "site" / name).read_bytes() != (built.site_dir / name).read_bytes()
    ]
    assert not different, f"differ from the build: {different}"
    # Every markdown copy and agent file of the build came from the generator (search and Pagefind files aside).
    agent_like = {
        name
        for name in published
        if name.endswith((".md", ".txt")) or name == "catalog.json" or name.startswith(("deployments/", "schemas/"))
        if not name.endswith(".html")
    }
    assert agent_like - written == set()


def test_pages_are_written_as_a_builder_reads_them(generated: Path) -> None:
    docs = generated / "docs"
    pages = {name for name in _files(docs) if name.endswith(".md")}
    assert {"index.md", "catalog.md", "deployments/index.md", "deployments/coder-chat.md"} <= pages
    assert "performance.md" not in pages, "a page left out for this catalog is not generated"
    for name in pages:
        assert "<!-- catalog:" not in (docs / name).read_text(encoding="utf-8"), f"{name}: a marker was left"
    catalog = (docs / "catalog.md").read_text(encoding="utf-8")
    assert catalog.startswith("---\nhide:\n"), "front matter is kept for the builder"
    assert "coder-chat" in catalog
    assert (docs / "assets" / "stylesheets" / "catalog.css").is_file(), "the docs folder's other files come along"


def test_it_refuses_a_folder_it_did_not_write_and_replaces_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_PARSE_CACHE", str(tmp_path / "parse-cache" / "values.pickle"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    assert main([str(foreign), "--catalog", str(CATALOG), "--evidence", str(EVIDENCE)]) == 1
    assert _files(foreign) == {"notes.txt"}
    own = tmp_path / "own"
    assert main([str(own), "--catalog", str(CATALOG), "--evidence", str(EVIDENCE)]) == 0
    (own / "site" / "stale.md").write_text("from an earlier run", encoding="utf-8")
    assert main([str(own), "--catalog", str(CATALOG), "--evidence", str(EVIDENCE)]) == 0
    assert (own / OUTPUT_MARK).is_file() and not (own / "site" / "stale.md").exists()


def test_mkdocs_yml_is_read_without_running_its_python_tags() -> None:
    # Its `extra.builders` entry stops every reader but MkDocs and ProperDocs; a plain reading skips it.
    layout = SiteLayout.read(REPO_ROOT / "mkdocs.yml")
    assert layout.docs_dir == REPO_ROOT / "docs"
    assert layout.nav_order()[:2] == ["index.md", "decide.md"]
    assert layout.nav_titles()["deployments/index.md"] == "Deployments"
    assert layout.note("") == layout.page_notes["/"] and layout.note("nowhere/") == "part of the guide"


@pytest.mark.parametrize(
    "src", ["index.md", "catalog.md", "deployments/index.md", "deployments/a.b-c.md", "sub/README.md", "x y.md"]
)
@pytest.mark.parametrize("directory_urls", [True, False])
def test_urls_are_the_ones_mkdocs_gives(src: str, directory_urls: bool) -> None:
    file = File(src, "/docs", "/site", directory_urls)
    assert file_url(src, directory_urls) == file.url
    assert page_url(src, directory_urls) == Page(None, file, MkDocsConfig()).url


SOURCES = [
    "# Title\n\ntext\n",
    "---\nhide:\n  - toc\n---\n\n# Hidden\n",
    "---\ntitle: From meta\n---\nbody\n",
    "Note: this looks like metadata\n\n# After\n",
    "Key: one\n    more\n\nbody\n",
    "---\n- not a mapping\n---\nbody\n",
    "\n\nno heading here\n",
    "# \n",
    "# Windows\r\n\r\ntext\r\n",
    "Title: with\r\n\r\nbody\r\n",
    "   indented first line\n",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("src", ["index.md", "some-page.md", "Mixed_Case.md", "deployments/index.md"])
def test_front_matter_and_titles_are_read_as_mkdocs_reads_them(source: str, src: str) -> None:
    body, data = split_front_matter(source)
    assert (body, data) == meta.get_data(source)
    page = Page(None, File(src, "/docs", "/site", True), MkDocsConfig())
    page.markdown, page.meta = body, data
    assert page_title(src, body, data, None) == (page.title or page.file.name)
