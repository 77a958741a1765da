"""Host anywhere: a site built with SITE_URL for another port and a sub-path has canonical URLs and a sitemap
for that address, and Material's instant navigation works there (it only takes over links to pages listed in
sitemap.xml at the same host, port and path)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.request import urlopen

import pytest
from playwright.sync_api import Page, expect

from .conftest import build_site, serve

pytestmark = pytest.mark.browser

#: The sub-path the site is published under, as on a shared host (https://host/models/).
PREFIX = "models/"


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built for http://127.0.0.1:PORT/models/ and served there (PORT is free, never 8000)."""
    root = tmp_path_factory.mktemp("hosted")
    with serve(root) as server_url:
        url = server_url + PREFIX
        assert ":8000/" not in url
        build_site(root / PREFIX.strip("/"), url)
        yield url


def test_canonical_urls_and_the_sitemap_name_the_serving_address(hosted: str) -> None:
    with urlopen(f"{hosted}catalog/", timeout=120) as response:
        page = response.read().decode()
    assert f'<link rel="canonical" href="{hosted}catalog/">' in page
    with urlopen(f"{hosted}sitemap.xml", timeout=120) as response:
        locs = re.findall(r"<loc>([^<]+)</loc>", response.read().decode())
    assert f"{hosted}catalog/" in locs and f"{hosted}deployments/coder-chat/" in locs
    assert all(loc.startswith(hosted) for loc in locs), [loc for loc in locs if not loc.startswith(hosted)]


def test_links_follow_by_instant_navigation(page: Page, hosted: str) -> None:
    page.goto(hosted)
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    page.evaluate("() => { window.__mcSameDocument = true; }")
    page.locator(".md-tabs a", has_text="Catalog").first.click()
    page.wait_for_url(f"{hosted}catalog/")
    page.wait_for_selector(".mc-filters[data-mc-ready]", state="attached")
    assert page.evaluate("() => window.__mcSameDocument === true"), "the link reloaded the page"
    # A card link from the table, then back: still the same document, and the page scripts ran each time.
    page.locator("#mc-deployments a[href*='deployments/coder-chat/']").first.click()
    page.wait_for_url(f"{hosted}deployments/coder-chat/")
    page.wait_for_selector("h1#coder-chat")
    assert page.evaluate("() => window.__mcSameDocument === true"), "the card link reloaded the page"
    # The canonical URL follows instant navigation (Material swaps the head with the content).
    expect(page.locator('link[rel="canonical"]')).to_have_attribute("href", f"{hosted}deployments/coder-chat/")
