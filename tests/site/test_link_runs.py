"""No generated paragraph carries a run of links that grows with the catalog (issue 22).

Python-Markdown matches a paragraph's links in time that grows with the square of their number, so a page
that printed every deployment of a kind (Glossary), on an engine (Backends) or on a server (Fleets) inline
in one paragraph made the build quadratic in the catalog. Long runs are lists now; short ones stay inline.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import markdown
import pytest

from bench.synth_catalog import generate
from catalog import load_catalog
from catalog.evidence_folder import Evidence
from hooks.render.markers import MARKERS
from hooks.render.templating import INLINE_LINKS_MAX, Links
from hooks.site_context import SiteContext

#: Pages that print runs of deployment links, and the marker each one expands.
LINK_RUN_PAGES = {"glossary": "glossary/", "backend-details": "backends/", "fleets": "fleets/"}


class _LinksPerBlock(HTMLParser):
    """Each paragraph, list item and table cell with the links (href, text) directly in it, in page order."""

    BLOCKS = frozenset({"p", "li", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[tuple[str, str]]] = []
        self.open: list[int] = []
        self.href: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.blocks.append([])
            self.open.append(len(self.blocks) - 1)
        elif tag == "a":
            self.href, self.text = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self.open:
            self.open.pop()
        elif tag == "a" and self.href is not None:
            if self.open:
                self.blocks[self.open[-1]].append((self.href, "".join(self.text)))
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.href is not None:
            self.text.append(data)


def _blocks(page_markdown: str) -> list[list[tuple[str, str]]]:
    html = markdown.markdown(page_markdown, extensions=["attr_list", "md_in_html", "tables"])
    parser = _LinksPerBlock()
    parser.feed(html)
    return parser.blocks


@pytest.fixture(scope="module")
def large_ctx(tmp_path_factory: pytest.TempPathFactory) -> SiteContext:
    # Enough models that every kind, engine and server has more deployments than one paragraph may link.
    catalog = tmp_path_factory.mktemp("synth") / "catalog"
    generate(catalog, 120)
    # The generator's fleets list no servers; one runs the engine every synthetic deployment is on.
    fleet = catalog / "fleets" / "synth-east.yaml"
    fleet.write_text(fleet.read_text(encoding="utf-8") + "servers:\n  - backend: vllm\n", encoding="utf-8")
    return SiteContext(load_catalog(catalog), Evidence(), dt.date(2026, 11, 22), catalog.parent)


@pytest.mark.parametrize("marker", sorted(LINK_RUN_PAGES))
def test_no_paragraph_or_item_links_more_than_a_few_deployments(large_ctx: SiteContext, marker: str) -> None:
    blocks = _blocks(MARKERS[marker](large_ctx, Links(LINK_RUN_PAGES[marker])))
    deployment_links = [link for block in blocks for link in block if "deployments/" in link[0]]
    # The test means something only if the page links many deployments.
    assert len(deployment_links) >= len(large_ctx.catalog.deployments), "too few deployment links to test"
    worst = max(blocks, key=len)
    assert len(worst) <= INLINE_LINKS_MAX, f"{marker}: one block links {len(worst)} targets: {worst[:3]}..."


def _deployment_links(blocks: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return [link for block in blocks for link in block if "/deployments/" in link[0]]


def test_the_glossary_links_every_deployment_of_a_kind_in_catalog_order(large_ctx: SiteContext) -> None:
    """Lists change the layout, not what a reader learns: the same links, text and order as inline."""
    catalog = large_ctx.catalog
    links = Links("glossary/")
    expected = [
        (links.deployment(dep_id), dep.served_name)
        for _term_id, term in sorted(catalog.glossary.items(), key=lambda item: item[1].term.lower())
        if term.model_kind is not None
        for dep_id, dep in catalog.deployments.items()
        if catalog.models[dep.model].kind is term.model_kind
    ]
    assert len(expected) > INLINE_LINKS_MAX
    assert _deployment_links(_blocks(MARKERS["glossary"](large_ctx, links))) == expected


def test_the_backends_and_fleets_pages_link_every_deployment_once_in_catalog_order(large_ctx: SiteContext) -> None:
    catalog = large_ctx.catalog
    for marker, page in (("backend-details", "backends/"), ("fleets", "fleets/")):
        links = Links(page)
        found = _deployment_links(_blocks(MARKERS[marker](large_ctx, links)))
        every = {(links.deployment(dep_id), dep.served_name) for dep_id, dep in catalog.deployments.items()}
        assert set(found) == every, marker
        if marker == "backend-details":
            # Grouped by engine, then by fleet; within a group in catalog order.
            order = {links.deployment(dep_id): n for n, dep_id in enumerate(catalog.deployments)}
            assert len(found) == len(every)
            groups: dict[tuple[str, str], list[int]] = {}
            for href, _text in found:
                dep = catalog.deployments[href.rstrip("/").rsplit("/", 1)[1]]
                groups.setdefault((dep.backend, dep.fleet), []).append(order[href])
            assert all(positions == sorted(positions) for positions in groups.values())


def test_a_short_run_stays_inline(site_ctx: SiteContext) -> None:
    text = MARKERS["glossary"](site_ctx, Links("glossary/"))
    assert "In this catalog: [`qwen2.5-coder-7b-instruct`](../deployments/coder-chat/), " in text
