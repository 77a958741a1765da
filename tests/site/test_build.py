"""End-to-end: build the real site from a small catalog and check what readers and agents get."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hooks.generate import site_url
from tests.site.sitebuild import BuildResult, build_site, copy_docs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    tmp = tmp_path_factory.mktemp("build")
    result = build_site(tmp, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env={"SITE_URL": SITE_URL})
    assert result.returncode == 0, result.output
    return result


#: Where the test build says it is published (no trailing slash: the hook adds it).
SITE_URL = "https://models.example.com/team"


def test_site_url_from_the_environment_gives_canonical_urls_and_the_sitemap(built: BuildResult) -> None:
    html = (built.site_dir / "catalog/index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{SITE_URL}/catalog/">' in html
    locs = re.findall(r"<loc>([^<]+)</loc>", (built.site_dir / "sitemap.xml").read_text(encoding="utf-8"))
    assert f"{SITE_URL}/" in locs and f"{SITE_URL}/deployments/coder-chat/" in locs
    assert all(loc.startswith(f"{SITE_URL}/") for loc in locs), locs


@pytest.mark.parametrize(
    ("env", "site_yaml", "expected"),
    [
        ("https://a.example/docs", "https://b.example/", "https://a.example/docs/"),
        ("", "https://b.example/x/", "https://b.example/x/"),
        (None, None, None),
        ("  ", None, None),
    ],
)
def test_site_url_prefers_the_environment_then_site_yaml(
    env: str | None, site_yaml: str | None, expected: str | None
) -> None:
    assert site_url(env, site_yaml) == expected


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "ftp://host/", "http://host/?q=1", "http://host/#top", "http://a b/"]
)
def test_a_bad_site_url_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="SITE_URL"):
        site_url(bad, None)


def test_card_html_shows_identity_evidence_and_examples(built: BuildResult) -> None:
    html = (built.site_dir / "deployments/coder-chat/index.html").read_text(encoding="utf-8")
    assert '<h1 id="coder-chat">qwen2.5-coder-7b-instruct' in html
    assert 'mc-badge--verified">verified</span> 2026-11-20' in html
    assert "server max_model_len 8192 != catalog 16384 (failing since 2026-11-20)" in html
    assert "HumanEval 18/20 = 90% (≥70% gate)" in html
    # Routed through the fleet's gateway: the examples go through it, with its key; the server's own address
    # stays on the card.
    assert "http://localhost:4000/v1/chat/completions" in html and "GATEWAY_KEY" in html
    assert "http://127.0.0.1:9/v1" in html
    assert (
        'href="https://git.example.com/team/catalog/edit/main/tests/fixtures/small-catalog/deployments/'
        'coder-chat.yaml"' in html
    )
    # The repository link names the host as MkDocs would (a URL set after MkDocs read mkdocs.yml showed "None").
    named = re.search(r'<div class="md-source__repository">\s*(.*?)\s*</div>', html, re.S)
    assert named is not None and named.group(1) == "Git"
    # The card is built from two files; the model's YAML gets an edit link too.
    assert (
        'href="https://git.example.com/team/catalog/edit/main/tests/fixtures/small-catalog/models/'
        'qwen2.5-coder-7b-instruct-awq.yaml"' in html
    )


def test_every_page_has_a_markdown_copy(built: BuildResult) -> None:
    for page in ("index.md", "catalog/index.md", "decide/index.md", "deployments/coder-fim/index.md"):
        assert (built.site_dir / page).is_file(), page
    card = (built.site_dir / "deployments/coder-fim/index.md").read_text(encoding="utf-8")
    assert "<|fim_prefix|>" in card


def test_llms_txt_follows_the_llmstxt_format(built: BuildResult) -> None:
    text = (built.site_dir / "llms.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Small test catalog"
    assert lines[2].startswith("> A tiny catalog for end-to-end tests.")
    sections = [line for line in lines if line.startswith("## ")]
    assert sections == ["## Pick by task", "## Deployments", "## Guides", "## Optional"]
    links = re.findall(r"^- \[([^\]]+)\]\(([^)]+)\): (.+)$", text, flags=re.MULTILINE)
    assert len(links) >= 10
    for _name, url, _note in links:
        assert (built.site_dir / url).is_file(), f"llms.txt links to missing {url}"


def test_an_agent_can_go_from_llms_txt_to_an_example(built: BuildResult) -> None:
    text = (built.site_dir / "llms.txt").read_text(encoding="utf-8")
    pick = re.search(
        r"^- \[Coding: ([^\]]+)\]\(([^)]+)\): pick 1 .*base_url (\S+)(?: \(gateway\))?, model `([^`]+)`",
        text,
        flags=re.MULTILINE,
    )
    assert pick, text
    card = (built.site_dir / pick.group(2)).read_text(encoding="utf-8")
    assert f"{pick.group(3)}/chat/completions" in card
    assert f'"model": "{pick.group(4)}"' in card


def test_catalog_json_export(built: BuildResult) -> None:
    data = json.loads((built.site_dir / "catalog.json").read_text(encoding="utf-8"))
    assert sorted(data["deployments"]) == ["coder-chat", "coder-fim", "old-llama", "ollama-llama3.1-8b"]
    chat = data["deployments"]["coder-chat"]
    assert chat["evidence"]["endpoint:chat"] == {
        "date": "2026-11-20",
        "reason": None,
        "source": None,
        "state": "verified",
        "group": "serving",
    }
    assert chat["evidence"]["eval:code-20"]["state"] == "reported"
    assert chat["evidence"]["eval:code-20"]["group"] == "quality"
    assert chat["client"] == {
        "api_key": "key $GATEWAY_KEY",
        "api_key_env": "GATEWAY_KEY",
        "base_url": "http://localhost:4000/v1",
        "model": "coder-chat",
        "via_gateway": True,
        "base_url_inferred": None,
    }
    schema = json.loads((built.site_dir / "schema.json").read_text(encoding="utf-8"))
    assert "deployments/<id>.yaml" in schema["properties"]


def test_two_builds_are_byte_identical(built: BuildResult, tmp_path: Path) -> None:
    again = build_site(
        tmp_path, FIXTURES / "small-catalog", FIXTURES / "small-evidence", extra_env={"SITE_URL": SITE_URL}
    )
    assert again.returncode == 0, again.output
    first = {p.relative_to(built.site_dir): p.read_bytes() for p in built.site_dir.rglob("*") if p.is_file()}
    second = {p.relative_to(again.site_dir): p.read_bytes() for p in again.site_dir.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    differing = sorted(str(path) for path in first if first[path] != second[path])
    assert differing == []


def test_invalid_catalog_fails_with_loader_messages_and_writes_nothing(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    path = catalog / "deployments/coder-fim.yaml"
    path.write_text(path.read_text().replace("model: qwen2.5-coder-1.5b", "model: qwen2.5-coder-1.5"))
    result = build_site(tmp_path, catalog)
    assert result.returncode != 0
    assert (
        "coder-fim.yaml:2:1: model: unknown model `qwen2.5-coder-1.5` (hint: did you mean "
        "`qwen2.5-coder-1.5b`?)" in result.output
    )
    assert "Traceback" not in result.output
    assert not result.site_dir.exists()


def test_unknown_marker_fails_the_build(tmp_path: Path) -> None:
    docs = copy_docs(tmp_path)
    (docs / "glossary.md").write_text("# Glossary\n\n<!-- catalog:glosary -->\n")
    result = build_site(tmp_path, FIXTURES / "small-catalog", docs=docs)
    assert result.returncode != 0
    assert "glossary.md:3: unknown marker `catalog:glosary`; known markers: backend-comparison," in result.output


def test_malformed_marker_fails_the_build(tmp_path: Path) -> None:
    docs = copy_docs(tmp_path)
    (docs / "hubs.md").write_text("# Hubs\n\n<!-- catalog: hubs  x -->\n")
    result = build_site(tmp_path, FIXTURES / "small-catalog", docs=docs)
    assert result.returncode != 0
    assert "hubs.md:3: malformed catalog marker; write it as `<!-- catalog:NAME -->`" in result.output


def test_llms_full_links_are_absolute(built: BuildResult) -> None:
    text = (built.site_dir / "llms-full.txt").read_text(encoding="utf-8")
    assert "](../" not in text and 'href="../' not in text
    assert f"]({SITE_URL}/deployments/coder-chat/)" in text
    assert f"\nPage: [Catalog]({SITE_URL}/catalog/)\n" in text


def test_a_catalog_outside_the_repository_leaves_no_absolute_path(tmp_path: Path) -> None:
    catalog = tmp_path / "elsewhere" / "team-catalog"
    shutil.copytree(FIXTURES / "small-catalog", catalog)
    result = build_site(tmp_path, catalog, FIXTURES / "small-evidence")
    assert result.returncode == 0, result.output
    leaks = [
        str(p.relative_to(result.site_dir))
        for p in result.site_dir.rglob("*")
        if p.is_file()
        and p.suffix in {".html", ".md", ".txt", ".json"}
        and str(tmp_path) in p.read_text(errors="ignore")
    ]
    assert leaks == []
    card = (result.site_dir / "deployments/coder-chat/index.md").read_text()
    assert "`team-catalog/deployments/coder-chat.yaml`" in card


def test_every_page_announces_the_evidence_feed_and_it_is_there(built: BuildResult) -> None:
    pages = sorted(built.site_dir.rglob("index.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">', html)
        assert found is not None, f"{page}: no feed link in the head"
        target = (page.parent / found.group(1)).resolve()
        assert target == (built.site_dir / "feed.atom").resolve() and target.is_file(), page
