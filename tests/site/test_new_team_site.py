"""A new team's site: `python -m onboarding init`, then a strict build of what it wrote, as a team would run it.

Every page in the menu must show something of the catalog's (never a heading alone), no page may talk about
another catalog's servers, and no link in the pages or the agent files may lead nowhere; the build itself
checks the links (hooks/link_check.py), so a dangling one fails it with the file and the link.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.loader import check_catalog
from hooks.link_check import dangling_links
from onboarding.cli import main as onboarding_main
from onboarding.scaffold import ScaffoldError, init_catalog, scaffold_files
from tests.site.sitebuild import REPO_ROOT, BuildResult, build_site, copy_docs

NAV_LINK = re.compile(r'<a href="([^"]*)" class="md-nav__link')
ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    tmp = tmp_path_factory.mktemp("team")
    assert onboarding_main(["init", str(tmp / "platform-models")]) == 0
    return tmp / "platform-models", build_site(tmp, tmp / "platform-models")


def _article_text(html: str) -> str:
    article = ARTICLE.search(html)
    assert article, "no article on the page"
    # Without the page's own title: what is left is what the page shows.
    body = re.sub(r"<h1.*?</h1>", "", article.group(1), count=1, flags=re.S)
    return " ".join(TAG.sub(" ", body).split())


def test_init_writes_a_catalog_that_validates_and_says_what_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert onboarding_main(["init", str(tmp_path / "ml-team"), "--title", "ML team models"]) == 0
    out = capsys.readouterr().out
    catalog, errors = check_catalog(tmp_path / "ml-team")
    assert errors == [] and catalog is not None
    assert catalog.site.title == "ML team models"
    assert list(catalog.fleets) == ["ml-team"] and catalog.tasks and catalog.sources
    assert {"vllm", "ollama", "llama-cpp", "tei", "openai-compatible"} <= set(catalog.backends)
    assert (tmp_path / "ml-team" / "schemas" / "deployments.json").is_file(), "editors need the schemas"
    for command in ("mkdocs serve", "probes discover", "onboarding import-litellm", "probes run"):
        assert command in out, out
    assert f"CATALOG_DIR={tmp_path / 'ml-team'}" in out


def test_init_takes_its_title_from_the_folder(tmp_path: Path) -> None:
    init_catalog(tmp_path / "search-infra")
    catalog, _ = check_catalog(tmp_path / "search-infra")
    assert catalog is not None and catalog.site.title == "Search infra"


@pytest.mark.parametrize("existing", ["notes.txt", "site.yaml"])
def test_init_refuses_a_folder_that_holds_anything_and_writes_nothing(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "team"
    target.mkdir()
    (target / existing).write_text("mine\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="nothing was written"):
        init_catalog(target)
    assert [p.name for p in target.iterdir()] == [existing]
    assert (target / existing).read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team"], "a staging folder was left behind"


def test_init_refuses_a_bad_fleet_id_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert onboarding_main(["init", str(tmp_path / "team"), "--fleet", "Not An Id"]) == 1
    assert "is not an id" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_scaffold_is_the_same_files_whoever_asks() -> None:
    """`discover` and `import` write the same scaffold into a folder without a catalog: one place knows it."""
    assert scaffold_files("T", "team") == scaffold_files("T", "team")
    assert {"site.yaml", "fleets/team.yaml", "sources/team-notes.yaml"} <= set(scaffold_files("T", "team"))


def test_a_scaffolded_catalog_builds_strict(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    assert result.returncode == 0, result.output


def test_every_page_in_the_menu_shows_something(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    home = (result.site_dir / "index.html").read_text(encoding="utf-8")
    pages = sorted(set(NAV_LINK.findall(home)))
    assert pages, "no menu"
    for href in pages:
        page = result.site_dir / href / "index.html"
        assert page.is_file(), f"the menu links {href}, which was not built"
        text = _article_text(page.read_text(encoding="utf-8"))
        assert len(text) > 80, f"{href} shows next to nothing: {text!r}"
        assert not re.search(r"<h2[^>]*>[^<]*</h2>\s*<h2", page.read_text(encoding="utf-8")), f"{href}: empty section"


def test_pages_with_nothing_to_show_are_not_built(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    for page in ("glossary", "hubs", "compare", "decide", "catalog", "choosing", "performance", "gateway"):
        assert not (result.site_dir / page).exists(), f"{page}/ was built for a catalog with nothing for it"
    guides = (result.site_dir / "llms.txt").read_text(encoding="utf-8")
    assert "glossary/" not in guides and "performance/" not in guides


def test_the_home_page_says_what_to_do_next_without_picks(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    text = _article_text((result.site_dir / "index.html").read_text(encoding="utf-8"))
    assert "no picks to show" in text
    assert "python -m probes discover URL" in text and "choosers/" in text
    assert "Picks of the" not in text


def test_nothing_on_the_site_talks_about_the_bundled_catalog(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    for path in [*result.site_dir.rglob("*.html"), *result.site_dir.rglob("*.md"), result.site_dir / "llms.txt"]:
        text = path.read_text(encoding="utf-8")
        for seed in ("QWEN_LOCAL_API_BASE", "qwen-local", "reference-litellm", "make bench"):
            assert seed not in text, f"{path.relative_to(result.site_dir)} mentions {seed}"


def test_no_link_in_pages_or_agent_files_dangles(scaffolded: tuple[Path, BuildResult]) -> None:
    _root, result = scaffolded
    assert dangling_links(result.site_dir, None) == []


def test_a_generated_link_to_a_page_that_is_not_built_fails_the_build(
    scaffolded: tuple[Path, BuildResult], tmp_path: Path
) -> None:
    """MkDocs ignores links written by final URL (raw HTML); the build's own check names file and link."""
    root, _result = scaffolded
    docs = copy_docs(tmp_path)
    agents = docs / "agents.md"
    agents.write_text(
        agents.read_text(encoding="utf-8") + '\nSee <a href="../glossary/#base-model">the glossary</a>.\n',
        encoding="utf-8",
    )
    result = build_site(tmp_path, root, docs=docs)
    assert result.returncode != 0, result.output
    assert "link leads nowhere: agents/index.html: ../glossary/#base-model (no file glossary)" in result.output
    assert "link leads nowhere: agents/index.md: ../glossary/#base-model" in result.output


def test_the_link_check_sees_missing_files_and_anchors(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text(
        '<h2 id="here">x</h2><a href="../b/">b</a><a href="#gone">g</a><a href="../../up/">u</a>'
        '<a href="./#here">self</a><a href="..//a//./">a</a><a href="">empty</a>'
    )
    (site / "index.html").write_text(
        '<a href="a/#here">ok</a><a href="/team/a/">ok</a><a href="https://elsewhere.test/">out</a>'
        '<a href="https://models.test/team/c/">c</a>'
    )
    (site / "llms.txt").write_text("- [a](a/index.html)\n- [d](d/index.md)\n`[not](a/link.md)`\n")
    assert sorted(dangling_links(site, "https://models.test/team/")) == [
        "a/index.html: #gone (a/index.html has no element with id `gone`)",
        "a/index.html: ../../up/ (it climbs above the site's root)",
        "a/index.html: ../b/ (no file b)",
        "index.html: https://models.test/team/c/ (no file c)",
        "llms.txt: d/index.md (no file d/index.md)",
    ]


#: Run in a fresh interpreter: a test runner has threads, and a process with threads never forks (catalog/forking.py).
_LINK_CHECK_ON_WORKERS = """
import sys
from pathlib import Path
import hooks.link_check as link_check
from catalog.forking import forked_map_with
site = Path(sys.argv[1])
for n in range(link_check.FORK_MIN_FILES):
    page = site / f"p{n}" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<h2 id="top">{n}</h2><a href="../p{(n + 1) % 600}/#top">next</a><a href="../../x">up</a>')
forked = []
def recording(*args, **kwargs):
    result = forked_map_with(*args, **kwargs)
    forked.append(result is not None)
    return result
link_check.forked_map_with = recording
on_two = link_check.dangling_links(site, None, workers=2)
on_one = link_check.dangling_links(site, None, workers=1)
print(forked, on_two == on_one, len(on_two))
"""


def test_the_link_check_on_several_processes_finds_what_one_finds_in_the_same_order(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _LINK_CHECK_ON_WORKERS, str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # Every page climbs above the root, and the last one links a page that is not there (p500).
    assert proc.stdout.split() == ["[True,", "False]", "True", str(500 + 1)], proc.stdout


def test_a_section_whose_block_is_empty_is_left_out_with_its_heading(scaffolded: tuple[Path, BuildResult]) -> None:
    """The scaffold's backends have no ratings, context limits or migration paths: only their details show."""
    _root, result = scaffolded
    backends = (result.site_dir / "backends" / "index.md").read_text(encoding="utf-8")
    assert "## Details" in backends and "### vLLM" in backends
    for empty in ("## Comparison", "## Context windows", "## Migration paths"):
        assert empty not in backends, backends


# ------------------------------------------------------------------ init on awkward folders: a message, never a
# traceback, and never a half-written catalog a second `init` refuses.


def test_init_fills_an_empty_folder_reached_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    made = init_catalog(tmp_path / "link")
    assert check_catalog(tmp_path / "real")[1] == []
    assert made.root == tmp_path / "real"
    assert [p.name for p in (tmp_path / "real").iterdir() if p.name.startswith(".")] == []


def test_init_dot_fills_the_current_empty_folder_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "team-models"
    here.mkdir()
    monkeypatch.chdir(here)
    assert onboarding_main(["init", "."]) == 0
    assert f"CATALOG_DIR={here}" in capsys.readouterr().out
    assert Path.cwd() == here and here.is_dir()  # the shell's folder is the same folder, not a replaced one
    catalog, errors = check_catalog(here)
    assert errors == [] and catalog is not None and list(catalog.fleets) == ["team-models"]
    assert sorted(p.name for p in here.iterdir() if p.name.startswith(".")) == []


def test_a_disk_that_refuses_the_write_is_one_line_naming_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import tempfile

    def read_only(*args: object, **kwargs: object) -> str:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    assert onboarding_main(["init", str(tmp_path / "team")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"init: {tmp_path}: cannot write the catalog (Read-only file system); nothing was written (hint:" in err
    assert list(tmp_path.iterdir()) == []


def test_a_staging_folder_a_killed_init_left_is_removed_by_the_next(tmp_path: Path) -> None:
    stale = tmp_path / ".team-init-k1ll3d00"
    (stale / "fleets").mkdir(parents=True)
    (stale / "site.yaml").write_text("half\n", encoding="utf-8")
    init_catalog(tmp_path / "team")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team"]


def test_init_completes_a_folder_a_killed_init_filled_in_part(tmp_path: Path) -> None:
    done = tmp_path / "done"
    init_catalog(done, title="Team", fleet="team")
    partial = tmp_path / "partial"
    partial.mkdir()
    for folder in ("backends", "schemas"):  # the renames got this far, site.yaml (last) not yet
        (partial / folder).mkdir()
        for file in (done / folder).iterdir():
            (partial / folder / file.name).write_bytes(file.read_bytes())
    (partial / ".catalog-init-k1ll3d00").mkdir()
    init_catalog(partial, title="Team", fleet="team")
    assert check_catalog(partial)[1] == []
    assert sorted(p.name for p in partial.iterdir() if p.name.startswith(".")) == []
    # A file someone changed is no leftover: refused, and kept.
    (partial / "site.yaml").unlink()
    (partial / "backends" / "vllm.yaml").write_text("mine\n", encoding="utf-8")
    with pytest.raises(
        ScaffoldError, match=r"is not empty and holds no catalog \(no site.yaml\) \(backends/vllm.yaml\)"
    ):
        init_catalog(partial, title="Team", fleet="team")
    assert (partial / "backends" / "vllm.yaml").read_text(encoding="utf-8") == "mine\n"
