"""Search: Material's search box and keys, answered from the Pagefind index; and what each page loads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from .test_instant_navigation import navigate

pytestmark = pytest.mark.browser

RESULT = ".md-search-result__item"


def _search(page: Page, text: str, expected: str) -> Locator:
    """Type `text` into Material's search box and return the result link for `expected` (a path), once
    the results for the whole of `text` are shown.

    Results come from a web worker, and the box may first show the answer to a prefix of `text` (the worker
    answers each query that settles while the reader types, and under load typing is slow). A result's link
    carries the query it answers (`?h=`), so waiting for a link with the whole query waits for the last answer.
    """
    page.keyboard.press("/")  # Material's shortcut: open the search overlay and focus its box
    expect(page.locator("#__search")).to_be_checked()
    expect(page.locator(".md-search__input")).to_be_focused()
    page.keyboard.type(text)
    link = page.locator(f"{RESULT} a[href*='{expected}?h={text}']").first
    expect(link).to_be_visible()
    return link


def test_search_finds_a_card_by_name_and_the_keyboard_opens_it(page: Page, base_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base_url)
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    haiku = _search(page, "haiku", "deployments/claude-haiku/")
    first = page.locator(f"{RESULT} a").first
    expect(first).to_have_attribute("href", re.compile(r"deployments/claude-haiku/\?h=haiku"))
    expect(page.locator(f"{RESULT} mark")).not_to_have_count(0)  # matches are marked in the results
    # Arrow down moves from the box to the first result; Enter opens it, with the words to highlight.
    page.keyboard.press("ArrowDown")
    expect(haiku).to_be_focused()
    expect(haiku).to_have_class(re.compile(r"\bmd-search-result__link\b"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/deployments/claude-haiku/?h=haiku")
    page.wait_for_selector("article mark[data-md-highlight]")
    outside = [url for url in requests if not url.startswith((base_url, "data:"))]
    assert not outside, f"search fetched from outside the site: {outside}"
    assert any("/pagefind/" in url for url in requests), "results come from the Pagefind index"


def test_search_works_after_instant_navigation_and_escape_closes_it(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    navigate(page, "Catalog", f"{base_url}catalog/")
    _search(page, "haiku", "deployments/claude-haiku/")
    expect(page.locator("#__search")).to_be_checked()  # the overlay is open
    page.keyboard.press("Escape")
    expect(page.locator("#__search")).not_to_be_checked()  # Escape closes the search overlay


@pytest.mark.parametrize("path", ["", "catalog/", "deployments/claude-haiku/"])
def test_pages_without_diagrams_load_no_mermaid_and_little_javascript(page: Page, base_url: str, path: str) -> None:
    scripts: dict[str, int] = {}

    def record(request: Request) -> None:
        response = request.response()
        if response is not None and request.resource_type == "script":
            scripts[request.url] = len(response.body())

    page.on("requestfinished", record)
    # Every script the page asks for, including the ones its scripts start after `load` (Material's search
    # worker and Pagefind's engine): wait until the network has gone quiet, not for a fixed time.
    page.goto(f"{base_url}{path}", wait_until="networkidle")
    assert not [url for url in scripts if "mermaid.min.js" in url], f"/{path} loads Mermaid"
    assert page.evaluate("() => typeof window.mermaid") == "object", "the stand-in keeps Material off the CDN"
    total = sum(scripts.values())
    assert total <= 300_000, f"/{path} loads {total} bytes of JavaScript: {scripts}"


def test_decide_page_loads_mermaid_and_draws_after_instant_navigation(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}catalog/")
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url) if "mermaid.min.js" in request.url else None)
    navigate(page, "Decide", f"{base_url}decide/")
    # The diagrams sit in a "Diagram" tab: Mermaid is fetched when one is shown (tests/browser/test_navigation.py).
    page.locator("article .tabbed-labels > label", has_text="Diagram").first.click()
    page.wait_for_selector("div.mermaid", state="attached")
    assert loaded, "the Decide page draws its diagrams with the vendored Mermaid"
    assert all(url.startswith(base_url) for url in loaded), loaded
