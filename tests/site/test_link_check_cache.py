"""The link check's result is reused only while everything it reads is the same (hooks/plugin.py
`_dangling_links`, hooks/link_check.py `what_the_check_reads`): a warm build of an unchanged site skips it, and a
build with a link that leads nowhere fails however warm its cache is."""

from __future__ import annotations

from pathlib import Path

from hooks.link_check import what_the_check_reads
from tests.site.sitebuild import build_site, copy_docs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _site(root: Path) -> Path:
    (root / "a").mkdir(parents=True)
    (root / "a" / "index.html").write_text('<h2 id="top">A</h2><a href="../b/">b</a>')
    (root / "b").mkdir()
    (root / "b" / "index.html").write_text("<p>B</p>")
    (root / "llms.txt").write_text("# Site\n\n- [A](a/index.md)\n")
    (root / "logo.svg").write_text("<svg/>")
    return root


def test_what_the_check_reads_changes_with_every_byte_it_reads_and_every_file_name(tmp_path: Path) -> None:
    site = _site(tmp_path / "site")
    before = what_the_check_reads(site)
    assert what_the_check_reads(site) == before
    (site / "a" / "index.html").write_text('<h2 id="top">A</h2><a href="../c/">b</a>')  # same length, new target
    assert what_the_check_reads(site) != before
    site = _site(tmp_path / "other")
    before = what_the_check_reads(site)
    (site / "logo.svg").unlink()  # a link's target gone: its name was part of it
    assert what_the_check_reads(site) != before
    (site / "llms.txt").write_text("# Site\n\n- [A](a/index.mx)\n")
    assert what_the_check_reads(site) != before


def test_a_dangling_link_fails_every_build_with_a_warm_cache_too(tmp_path: Path) -> None:
    docs = copy_docs(tmp_path)
    # Raw HTML: MkDocs' own link validation does not read it; hooks/link_check.py does.
    (docs / "hubs.md").write_text('# Hubs\n\n<p><a href="../no-such-page/">gone</a></p>\n')
    cache = {"SITE_RENDER_CACHE": str(tmp_path / "cache")}
    for run in ("cold", "warm"):
        folder = tmp_path / run
        folder.mkdir()
        result = build_site(folder, FIXTURES / "small-catalog", docs=docs, extra_env=cache)
        assert result.returncode != 0, f"{run}: the build passed with a dangling link"
        assert "link leads nowhere: hubs/index.html: ../no-such-page/ (no file no-such-page)" in result.output, run
