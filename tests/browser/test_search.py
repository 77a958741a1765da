"""Search: Material's search box and keys, answered from the Pagefind index; and what each page loads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request

from .test_instant_navigation import navigate

pytestmark = pytest.mark.browser

RESULT = ".md-search-result__item"


def _search(page: Page, text: str) -> None:
    page.keyboard.press("/")  # Material's shortcut: focus the search box
    page.keyboard.type(text)
    page.wait_for_selector(RESULT)


def test_search_finds_a_card_by_name_and_the_keyboard_opens_it(page: Page, base_url: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base_url)
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    _search(page, "haiku")
    first = page.locator(f"{RESULT} a").first
    assert "deployments/claude-haiku/" in (first.get_attribute("href") or "")
    assert page.locator(f"{RESULT} mark").count() > 0, "matches are marked in the results"
    # Arrow down moves from the box to the first result; Enter opens it, with the words to highlight.
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.classList.contains('md-search-result__link')")
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
    _search(page, "haiku")
    assert page.locator(f"{RESULT} a[href*='deployments/claude-haiku/']").count() > 0
    page.keyboard.press("Escape")
    assert not page.locator("#__search").is_checked(), "Escape closes the search overlay"


@pytest.mark.parametrize("path", ["", "catalog/", "deployments/claude-haiku/"])
def test_pages_without_diagrams_load_no_mermaid_and_little_javascript(page: Page, base_url: str, path: str) -> None:
    scripts: dict[str, int] = {}

    def record(request: Request) -> None:
        response = request.response()
        if response is not None and request.resource_type == "script":
            scripts[request.url] = len(response.body())

    page.on("requestfinished", record)
    page.goto(f"{base_url}{path}", wait_until="load")
    page.wait_for_timeout(300)
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
    page.wait_for_selector("div.mermaid", state="attached", timeout=20_000)
    assert loaded, "the Decide page draws its diagrams with the vendored Mermaid"
    assert all(url.startswith(base_url) for url in loaded), loaded
