"""Navigation that leads somewhere: every table-of-contents entry opens a heading the reader can see (headings in
a closed content tab are listed only while their tab is open, and a link or an address to one opens its tab),
the top tabs fit a 1366 px screen on one row and still reach every page, Mermaid is downloaded only where a
diagram is shown, and a card's tables do not push the page sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page

from hooks.render.site_pages import SitePage

from .conftest import new_context
from .helpers import wait_for_page_scripts

pytestmark = pytest.mark.browser

DESKTOP, PHONE = 1366, 390
CARD = "deployments/demo-tiny-llama/"
MERMAID = "vendor/mermaid.min.js"

#: The table-of-contents links in the sidebar, with whether each is shown and where its target is (Material
#: rewrites their "#id" to whole URLs).
_TOC_JS = """() => [...document.querySelectorAll(".md-sidebar--secondary a.md-nav__link[href*='#']")].map((a) => {
    const id = decodeURIComponent(a.hash.slice(1));
    const target = document.getElementById(id);
    const block = target && target.closest(".tabbed-block");
    return {
        href: a.hash,
        shown: a.getClientRects().length > 0,
        target: Boolean(target),
        targetShown: Boolean(target) && target.getClientRects().length > 0,
        inTab: Boolean(block),
    };
})"""

#: Whether the element with this id is laid out and (at least partly) inside the window.
_ON_SCREEN_JS = """(id) => {
    const el = document.getElementById(id);
    if (!el || el.getClientRects().length === 0) return false;
    const box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
}"""

#: Headings inside a content tab that is not open when the page loads: [id, the tab's label].
_HEADINGS_IN_CLOSED_TABS_JS = """() => [...document.querySelectorAll("article .tabbed-block :is(h2, h3, h4)[id]")]
    .filter((h) => h.getClientRects().length === 0)
    .map((h) => {
        const block = h.closest(".tabbed-block");
        const blocks = [...block.parentElement.children].filter((el) => el.classList.contains("tabbed-block"));
        const set = block.parentElement.parentElement;
        const label = set.querySelectorAll(":scope > .tabbed-labels > label")[blocks.indexOf(block)];
        return [h.id, label ? label.textContent.trim() : ""];
    })"""


def _pages(site_dir: Path) -> list[str]:
    """Every page of the navigation that this catalog builds, as a URL path."""
    return [page.url for page in SitePage if (site_dir / page.url / "index.html").is_file()]


@pytest.fixture
def desktop(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    """A page at 1366 x 768 (the laptop width the top tabs must fit, with the table of contents beside the
    text); an uncaught script error fails the test. (Not conftest's `page`, which also fails on every
    console.error: Material fetches `sitemap.xml` beside each `<link rel="alternate">` it finds, and beside a
    page's Markdown copy there is none, a 404 that is not this test's subject.)"""
    context = new_context(browser, viewport={"width": DESKTOP, "height": 768})
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"uncaught exception: {exc}"))
    try:
        yield page
    finally:
        context.close()
    assert not page_errors, "\n".join(page_errors)


def _toc_entry(page: Page, fragment: str) -> Locator:
    """The sidebar's table-of-contents link to `#fragment` on this page."""
    return page.locator(f".md-sidebar--secondary a.md-nav__link[href$='#{fragment}']")


def _click_toc(page: Page, href: str) -> None:
    target = unquote(href.removeprefix("#"))
    _toc_entry(page, href.removeprefix("#")).click()
    page.wait_for_function(_ON_SCREEN_JS, arg=target)


def test_every_toc_entry_leads_to_a_heading_on_screen(desktop: Page, base_url: str, site_dir: Path) -> None:
    page = desktop
    dead = []
    clicked = 0
    for path in _pages(site_dir):
        page.goto(base_url + path)
        wait_for_page_scripts(page)
        for entry in page.evaluate(_TOC_JS):
            if not entry["target"]:
                dead.append(f"/{path}{entry['href']}: no element with that id")
            elif entry["shown"] and not entry["targetShown"]:
                dead.append(f"/{path}{entry['href']}: listed, but its heading is hidden (a closed tab?)")
            elif not entry["shown"] and not entry["inTab"]:
                dead.append(f"/{path}{entry['href']}: left out of the list, though not in a tab")
        for entry in page.evaluate(_TOC_JS):
            if entry["shown"] and entry["targetShown"]:
                _click_toc(page, entry["href"])
                clicked += 1
    assert not dead, "\n".join(dead)
    assert clicked >= 30, f"only {clicked} table-of-contents entries on the whole site"


def test_the_toc_follows_the_open_tab(desktop: Page, base_url: str) -> None:
    page = desktop
    page.goto(base_url)
    wait_for_page_scripts(page)
    closed = page.evaluate(_HEADINGS_IN_CLOSED_TABS_JS)
    assert closed, "the home page has headings in a second fleet tab (this test needs one)"
    heading, label = closed[0]
    entry = _toc_entry(page, heading)
    assert entry.count() == 1 and not entry.is_visible(), f"#{heading} is listed while its tab is closed"
    page.locator("article .tabbed-labels > label", has_text=label).first.click()
    assert entry.is_visible(), f"#{heading} is not listed once its tab ({label}) is open"
    _click_toc(page, f"#{heading}")
    # Every entry shown now leads to a heading on screen; the first tab's headings are the hidden ones now.
    toc = page.evaluate(_TOC_JS)
    assert all(e["targetShown"] for e in toc if e["shown"]), [e["href"] for e in toc if e["shown"]]
    assert any(not e["shown"] for e in toc), "the first tab's headings are still listed"


def test_a_deep_link_into_a_closed_tab_opens_it(desktop: Page, base_url: str) -> None:
    page = desktop
    page.goto(base_url)
    wait_for_page_scripts(page)
    closed = page.evaluate(_HEADINGS_IN_CLOSED_TABS_JS)
    assert closed, "the home page has headings in a second fleet tab (this test needs one)"
    heading, label = closed[-1]
    # Arriving at the address: a fresh load (another page first, so goto is not a same-document jump).
    page.goto(base_url + "catalog/")
    page.goto(f"{base_url}#{heading}")
    wait_for_page_scripts(page)
    page.wait_for_function(_ON_SCREEN_JS, arg=heading)
    checked = page.evaluate(
        """(id) => { const block = document.getElementById(id).closest(".tabbed-block");
            const blocks = [...block.parentElement.children].filter((el) => el.classList.contains("tabbed-block"));
            return block.parentElement.parentElement.querySelectorAll(":scope > input")[blocks.indexOf(block)].checked; }""",
        heading,
    )
    assert checked, f"the tab {label!r} holding #{heading} is not the open one"
    # From another page by instant navigation (a link like those in the text, added here to click it).
    page.goto(base_url + "catalog/")
    wait_for_page_scripts(page)
    page.evaluate(
        """(href) => { const a = document.createElement("a"); a.id = "mc-test-link"; a.href = href;
            a.textContent = "to the tab"; document.querySelector("article").prepend(a); }""",
        f"{base_url}#{heading}",
    )
    page.evaluate("() => { window.__mcSameDocument = true; }")
    page.click("#mc-test-link")
    page.wait_for_url(f"{base_url}#{heading}")
    page.wait_for_function(_ON_SCREEN_JS, arg=heading)
    assert page.evaluate("() => window.__mcSameDocument === true"), "the link reloaded the page"
    # And a link on the page (here: a change of the address's fragment) after another tab was chosen.
    first_label = page.locator("article .tabbed-set").first.locator(".tabbed-labels > label").first
    first_label.click()
    assert page.evaluate("(id) => document.getElementById(id).getClientRects().length", heading) == 0
    page.evaluate("(id) => { location.hash = ''; location.hash = id; }", heading)
    page.wait_for_function(_ON_SCREEN_JS, arg=heading)


def test_the_top_tabs_fit_1366_px_and_reach_every_page(desktop: Page, base_url: str, site_dir: Path) -> None:
    page = desktop
    page.goto(base_url)
    wait_for_page_scripts(page)
    tabs = page.evaluate(
        """() => {
            const list = document.querySelector(".md-tabs__list");
            const items = [...list.querySelectorAll(":scope > .md-tabs__item")].map((li) => {
                const box = li.getBoundingClientRect();
                return {text: li.textContent.trim(), top: box.top, right: box.right,
                        href: li.querySelector("a").href, shown: li.getClientRects().length > 0};
            });
            return {scroll: list.scrollWidth, client: list.clientWidth, items, window: window.innerWidth};
        }"""
    )
    items = tabs["items"]
    assert items and all(item["shown"] for item in items), items
    assert tabs["scroll"] <= tabs["client"], f"the tabs need {tabs['scroll']} px in {tabs['client']} px: {items}"
    assert len({round(item["top"]) for item in items}) == 1, f"the tabs wrap onto a second row: {items}"
    assert all(item["right"] <= tabs["window"] for item in items), f"a tab ends past the window: {items}"
    # Every page is one click away: a tab, or the sidebar that a tab's first page shows beside it.
    reachable = {urldefrag(item["href"])[0] for item in items}
    for href in sorted(reachable):
        page.goto(href)
        shown: list[str] = page.eval_on_selector_all(
            ".md-sidebar--primary a.md-nav__link[href]",
            "(links) => links.filter((a) => a.getClientRects().length > 0).map((a) => a.href)",
        )
        reachable |= {urldefrag(url)[0] for url in shown}
    missing = [f"/{path}" for path in _pages(site_dir) if base_url + path not in reachable]
    assert not missing, f"pages the top tabs and their sidebars do not reach at {DESKTOP} px: {missing}"


def _record_mermaid(context: BrowserContext) -> list[str]:
    fetched: list[str] = []
    context.on("request", lambda request: fetched.append(request.url) if MERMAID in request.url else None)
    return fetched


def test_mermaid_is_fetched_only_where_a_diagram_is_shown(desktop: Page, base_url: str) -> None:
    page = desktop
    fetched = _record_mermaid(page.context)
    for path in ("", "catalog/", CARD, "decide/"):
        page.goto(base_url + path, wait_until="networkidle")
        wait_for_page_scripts(page)
        assert not fetched, f"/{path} fetched Mermaid with no diagram on screen: {fetched}"
    # Decide keeps its diagrams in a "Diagram" tab behind the step-through: none is shown yet, none is drawn.
    assert page.locator("article pre.mermaid").count() >= 1, "the Decide page has diagrams (this test needs one)"
    assert page.locator("article div.mermaid").count() == 0
    with page.expect_request(lambda request: MERMAID in request.url):
        page.locator("article .tabbed-labels > label", has_text="Diagram").first.click()
    # Shown, so drawn (Material replaces each shown <pre class="mermaid"> with its drawing).
    page.wait_for_function(
        """() => [...document.querySelectorAll("article pre.mermaid")].every((pre) => pre.getClientRects().length === 0)
            && document.querySelectorAll("article div.mermaid").length > 0"""
    )
    assert all(url.startswith(base_url) for url in fetched), fetched
    # The reader chose the diagram: Material remembers the tab, so the next visit shows it, and draws it at once.
    fetched.clear()
    page.goto(base_url + "catalog/", wait_until="networkidle")
    assert not fetched, f"the catalog fetched Mermaid: {fetched}"
    with page.expect_request(lambda request: MERMAID in request.url):
        page.goto(base_url + "decide/")
    page.wait_for_selector("article div.mermaid", state="attached")


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["390px", "1366px"])
def test_a_card_and_its_claims_table_stay_in_the_window(browser: Browser, base_url: str, width: int) -> None:
    context = new_context(browser, viewport={"width": width, "height": 844})
    try:
        page = context.new_page()
        page.goto(base_url + CARD)
        wait_for_page_scripts(page)
        result = page.evaluate(
            """() => {
                const doc = document.documentElement;
                const claims = [...document.querySelectorAll("article table")]
                    .find((t) => t.tHead && t.tHead.textContent.includes("Claim") && t.tHead.textContent.includes("Evidence"));
                if (!claims) return {found: false};
                const frame = claims.closest(".md-typeset__table") || claims.parentElement;
                // A day beside a badge in the Evidence column is one line (never broken at a hyphen).
                const broken = [];
                for (const cell of claims.querySelectorAll("td")) {
                    for (const node of cell.childNodes) {
                        const day = node.nodeType === Node.TEXT_NODE && node.textContent.match(/\\d{4}-\\d{2}-\\d{2}/);
                        if (!day || !cell.querySelector(":scope > .mc-badge:only-child")) continue;
                        const range = document.createRange();
                        const start = node.textContent.indexOf(day[0]);
                        range.setStart(node, start);
                        range.setEnd(node, start + day[0].length);
                        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                        if (lines.size > 1) broken.push(day[0]);
                    }
                }
                return {found: true, scroll: doc.scrollWidth, client: doc.clientWidth,
                        frameRight: frame.getBoundingClientRect().right, window: window.innerWidth, broken};
            }"""
        )
    finally:
        context.close()
    assert result["found"], f"{CARD} has no claims table"
    assert result["scroll"] <= result["client"], f"the card scrolls sideways at {width} px: {result}"
    assert result["frameRight"] <= result["window"] + 0.5, f"the claims table's frame passes the window: {result}"
    assert not result["broken"], f"dates broken across lines at {width} px: {result['broken']}"
