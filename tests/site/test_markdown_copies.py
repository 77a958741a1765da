"""Every page's markdown copy and llms-full.txt are plain CommonMark (issue 25, item 2), and every page links its copy.

The copies are written from the page's MkDocs markdown by hooks/render/plain_markdown.py. Read here with
markdown-it-py (a CommonMark parser, GFM tables on) as an agent would: no raw HTML (no `html_block` or
`html_inline` token), no entity references, no theme syntax (content tabs, admonitions, icons, attribute lists)
left in the text, and every relative link leading to a file of the built site. Each HTML page's head links its
copy with `rel="alternate" type="text/markdown"`. The transformer itself is checked on small inputs.
"""

from __future__ import annotations

import posixpath
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from hooks.link_check import dangling_links
from hooks.render.plain_markdown import plain_markdown
from tests.site.sitebuild import REPO_ROOT, BuildResult, build_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: CommonMark with GFM tables; entities and escapes kept as tokens of their own (text_join merges them).
PARSER = MarkdownIt("commonmark").enable("table").disable("text_join")
#: Theme syntax that must not survive in the text of a copy.
THEME_SYNTAX = re.compile(r'===[+!]* "|^!!! |^\?\?\?|:material-|:octicons-|:fontawesome-|\{ ?#[\w.-]+ ?\}|\{: ')
ALTERNATE = re.compile(r'<link rel="alternate" type="text/markdown" href="([^"]+)">')


@pytest.fixture(scope="module", params=["bundled", "small"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The site of the bundled catalog (every hand-written page, tabs, admonitions, the decide trees) and of
    the small catalog with evidence in every state (charts, day strips, claim tables)."""
    tmp = tmp_path_factory.mktemp(f"copies-{request.param}")
    if request.param == "bundled":
        result = build_site(tmp, REPO_ROOT / "catalog", REPO_ROOT / "evidence")
    else:
        result = build_site(tmp, FIXTURES / "small-catalog", FIXTURES / "every-state-evidence")
    assert result.returncode == 0, result.output
    return result


def _tokens(tokens: list[Token]) -> list[Token]:
    """Every token, children after their parent."""
    found = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_tokens(token.children))
    return found


def _agent_markdown(site: Path) -> list[Path]:
    return [*sorted(site.rglob("*.md")), site / "llms-full.txt"]


def _problems(path: Path, site: Path) -> list[str]:
    """What in the file is not plain CommonMark, or links nowhere."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(site).as_posix()
    problems = []
    for token in _tokens(PARSER.parse(text)):
        if token.type in ("html_block", "html_inline"):
            problems.append(f"raw HTML {token.content.strip()[:80]!r}")
        elif token.type == "text_special" and token.info == "entity":
            problems.append(f"entity {token.markup!r}")
        elif token.type == "text" and THEME_SYNTAX.search(token.content):
            problems.append(f"theme syntax in {token.content[:80]!r}")
        elif token.type in ("paragraph_open", "heading_open") and token.map:
            line = text.split("\n")[token.map[0]]
            if THEME_SYNTAX.search(line):
                problems.append(f"theme syntax in {line[:80]!r}")
        href = token.attrs.get("href", token.attrs.get("src")) if token.type in ("link_open", "image") else None
        if isinstance(href, str):
            why = _leads_nowhere(site, name, href)
            if why:
                problems.append(f"link {href!r}: {why}")
    return [f"{name}: {problem}" for problem in problems]


def _leads_nowhere(site: Path, source: str, href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None  # another site, a mail address, or a place in the same file
    path = unquote(parts.path)
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(source), path)
    normal = posixpath.normpath(joined)
    if normal.startswith(".."):
        return "climbs above the site"
    target = site / normal if normal != "." else site
    if target.is_dir():
        target = target / "index.html"
    return None if target.is_file() else f"no file {normal}"


def test_every_copy_and_llms_full_is_plain_commonmark_with_links_that_resolve(built: BuildResult) -> None:
    files = _agent_markdown(built.site_dir)
    pages = [
        p for p in files if p.name == "index.md" and not p.relative_to(built.site_dir).as_posix().startswith("llms/")
    ]
    assert len(pages) == len(list(built.site_dir.rglob("index.html"))), "a copy per page"
    problems = [problem for path in files for problem in _problems(path, built.site_dir)]
    assert problems == []


def test_the_copies_keep_what_the_pages_say(built: BuildResult) -> None:
    """Tabs, admonitions and raw HTML were rewritten, not dropped: their content is in the copy."""
    site = built.site_dir
    home = (site / "index.md").read_text(encoding="utf-8")
    assert re.search(r"^\*\*[^*\n]+\*\*$", home, re.M), "a tab's label as a bold line"
    assert re.search(r"^1\. \[`[^`]+`\]\(deployments/[^)]+/\)", home, re.M), "the picks as a numbered list of links"
    for card in sorted((site / "deployments").glob("*/index.md")):
        text = card.read_text(encoding="utf-8")
        assert "**Endpoint:**" in text or "**Evidence:**" in text, card
        if "Probe runs per day" in text:  # a day strip: its table, not its picture
            assert re.search(r"^\| Day \| Runs \| Answered \| State \|$", text, re.M), card


def test_the_checks_fail_on_what_they_guard(tmp_path: Path) -> None:
    """The checks above, and the build's link check (hooks/link_check.py, which fails a strict build), catch a
    copy with raw HTML, an entity, a tab or a dangling link."""
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<p>A</p>")
    (site / "a" / "index.md").write_text('# A\n\n<span>x</span> &amp;\n\n=== "Tab"\n\n[gone](../gone/)\n')
    (site / "llms-full.txt").write_text("# Site\n\n---\n\nPage: [A](/a/)\n\n[gone](/gone/)\n")
    problems = _problems(site / "a" / "index.md", site)
    assert any("raw HTML" in p for p in problems)
    assert any("entity" in p for p in problems)
    assert any("theme syntax" in p for p in problems)
    assert "a/index.md: link '../gone/': no file gone" in problems
    assert _problems(site / "llms-full.txt", site) == ["llms-full.txt: link '/gone/': no file gone"]
    assert dangling_links(site, None) == [
        "a/index.md: ../gone/ (no file gone)",
        "llms-full.txt: /gone/ (no file gone)",
    ]


def test_the_build_link_check_finds_nothing_dangling_in_the_copies(built: BuildResult) -> None:
    assert dangling_links(built.site_dir, None) == []


def test_every_page_links_its_markdown_copy(built: BuildResult) -> None:
    pages = sorted(built.site_dir.rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        head = html.split("</head>", 1)[0]
        found = ALTERNATE.findall(head)
        if page.name == "404.html":  # a theme page: no source, no copy
            assert found == [], page
            continue
        assert len(found) == 1, f"{page}: no markdown alternate in the head"
        target = (page.parent / found[0]).resolve()
        assert target == page.with_suffix(".md").resolve(), (page, found[0])
        assert target.is_file(), (page, found[0])
        # Material fetches sitemap.xml beside every alternate link of a page: it must find one (no 404 per view).
        assert (target.parent / "sitemap.xml").is_file(), f"{page}: no sitemap.xml beside its markdown copy"


# ---------------------------------------------------------------------------------------- the transformer alone


def test_a_tab_becomes_a_bold_label_and_its_content_unindented() -> None:
    source = '=== "curl"\n\n    Run it:\n\n    ```bash\n    curl -s http://x/v1\n    ```\n\n=== "Python"\n\n    Too.\n'
    assert plain_markdown(source) == "**curl**\n\nRun it:\n\n```bash\ncurl -s http://x/v1\n```\n\n**Python**\n\nToo.\n"


def test_a_tab_with_nothing_to_show_is_left_out() -> None:
    source = '=== "Step through"\n\n    <div class="stepper" data-tree="{&#34;a&#34;:1}"></div>\n\n=== "Outline"\n\n    1. A\n'
    assert plain_markdown(source) == "**Outline**\n\n1. A\n"


def test_an_admonition_becomes_a_block_quote() -> None:
    source = 'Before.\n\n!!! warning "About the source"\n    Unreviewed.\n\n    - one\n\nAfter.\n'
    expected = "Before.\n\n> **Warning: About the source**\n>\n> Unreviewed.\n>\n> - one\n\nAfter.\n"
    assert plain_markdown(source) == expected
    assert plain_markdown("!!! tip\n    Body.\n") == "> **Tip**\n>\n> Body.\n"
    assert plain_markdown('!!! note ""\n    Body.\n') == "> Body.\n"


def test_an_admonition_inside_a_tab() -> None:
    source = '=== "Fleet"\n\n    !!! warning "Careful"\n        Inside.\n\n    ## Picks { #picks }\n'
    assert plain_markdown(source) == "**Fleet**\n\n> **Warning: Careful**\n>\n> Inside.\n\n## Picks\n"


def test_details_become_a_bold_line_and_their_body() -> None:
    assert plain_markdown('??? info "Not stated (2)"\n    Licence · Cost\n') == "**Not stated (2)**\n\nLicence · Cost\n"
    source = "<details>\n<summary>Runs, as a table</summary>\n<p>Two runs.</p>\n</details>\n"
    assert plain_markdown(source) == "**Runs, as a table**\n\nTwo runs.\n"


def test_entities_become_characters_escaped_where_markdown_would_read_them() -> None:
    assert plain_markdown("Image Q&amp;A, GPU &lt;16GB, Excellent&#42;\n") == "Image Q&A, GPU <16GB, Excellent\\*\n"
    assert plain_markdown("a &lt;b&gt; &amp;amp; &#124;\n") == "a \\<b> \\&amp; \\|\n"
    assert plain_markdown("&nbsp;&mdash;\n") == "\u00a0\u2014\n"


def test_code_is_left_alone() -> None:
    source = 'Text &amp; `<span>&amp;</span>`\n\n```html\n<span class="x">&amp;</span>\n=== "tab"\n```\n'
    assert plain_markdown(source) == source.replace("Text &amp;", "Text &")
    indented = '=== "Tab"\n\n    ```\n    !!! note\n        not an admonition\n    ```\n'
    assert plain_markdown(indented) == "**Tab**\n\n```\n!!! note\n    not an admonition\n```\n"


def test_an_inline_span_keeps_its_text_and_a_button_goes() -> None:
    source = '**Endpoint:** <span class="copy">`http://h/v1`<button title="Copy" data-x="y"></button></span> · ok\n'
    assert plain_markdown(source) == "**Endpoint:** `http://h/v1` · ok\n"
    badges = '- [`a`](a/) <span class="mc-badge mc-badge--active">active</span> <span class="mc-badge"></span> Fine.\n'
    assert plain_markdown(badges) == "- [`a`](a/) **active**  Fine.\n", "a badge in bold, an empty one gone"


def test_raw_html_lists_links_and_emphasis_become_markdown() -> None:
    source = (
        '<p class="whose">Picks of <a href="../fleets/#f">the fleet</a>, from <em>The guide</em>.</p>\n\n'
        '<ol class="picks">\n<li><a href="d/x/"><code>x-1</code></a> — Best *at* it</li>\n'
        "<li><a href='d/y/'><code>y</code></a> (for dev)</li>\n</ol>\n"
    )
    assert plain_markdown(source) == (
        "Picks of [the fleet](../fleets/#f), from *The guide*.\n\n"
        "1. [`x-1`](d/x/) — Best \\*at\\* it\n2. [`y`](d/y/) (for dev)\n"
    )


def test_nested_html_lists_and_preformatted_text() -> None:
    source = "<ul>\n<li>Code\n<ol>\n<li>fast</li>\n<li>small</li>\n</ol>\n</li>\n<li>Chat</li>\n</ul>\n\n<pre><code>a &lt; b\n</code></pre>\n"
    assert plain_markdown(source) == "- Code\n    1. fast\n    2. small\n- Chat\n\n```\na < b\n```\n"


def test_an_html_table_becomes_a_gfm_table_and_a_chart_goes() -> None:
    source = (
        '<figure class="chart">\n<svg viewBox="0 0 10 10"><title>TTFT</title><rect x="0"/><text>9 ms</text></svg>\n'
        '<figcaption><span class="key"></span> TTFT p95</figcaption>\n<details class="data">\n'
        "<summary>Runs per day</summary>\n<table>\n<thead><tr><th>Day</th><th>State</th></tr></thead>\n"
        "<tbody>\n<tr><td>2026-11-23</td><td>a | b<br>c</td></tr>\n</tbody>\n</table>\n</details>\n</figure>\n"
    )
    assert plain_markdown(source) == ("**Runs per day**\n\n| Day | State |\n|---|---|\n| 2026-11-23 | a \\| b; c |\n")
    assert plain_markdown('<table class="filled-by-script"></table>\n\nAfter.\n') == "After.\n"


def test_controls_hidden_elements_and_comments_go() -> None:
    source = (
        '<div class="filters">\n<label>Fleet <select><option value="">All</option></select></label>\n'
        '<input type="search">\n<span class="count">3 deployments</span>\n</div>\n\n'
        '<div class="vram" hidden>\n<label>Context <input type="number"></label>\n</div>\n<!-- catalog:x -->\nEnd.\n'
    )
    assert plain_markdown(source) == "3 deployments\n\nEnd.\n"


def test_icons_and_attribute_lists_are_removed() -> None:
    source = "## :material-brain: Reasoning { #heavy-reasoning }\n\n| a | 8.8 :material-close-circle: missed |\n"
    assert plain_markdown(source) == "## Reasoning\n\n| a | 8.8 missed |\n"
    assert plain_markdown("# x { #x.y-1 }\n\n[More](m/){ .md-button }\n") == "# x\n\n[More](m/)\n"


def test_markdown_inside_an_html_block_with_the_markdown_attribute_stays_markdown() -> None:
    source = (
        '<div class="summary" markdown>\n\n**Evidence:** <span class="b">failing</span> 1 of 2 *claims*\n\n</div>\n'
    )
    assert plain_markdown(source) == "**Evidence:** failing 1 of 2 *claims*\n"


def test_time_grows_with_the_input_not_faster() -> None:
    """Unclosed code spans, comments and tags are each read once: ten times the input, about ten times the time."""
    for piece in ("a ` b <c & d *", "``x` ", "<!-- x ", "<code>x ", "<span>", '<a href="x"></a>'):
        small, large = piece * 2_000, piece * 20_000
        started = time.perf_counter()
        plain_markdown(small)
        middle = time.perf_counter()
        plain_markdown(large)
        ended = time.perf_counter()
        assert ended - middle < 40 * max(middle - started, 0.002), piece
