"""The pages with catalog behaviour load nothing from outside the site (it must work offline)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["catalog/", "decide/"])
def test_no_requests_leave_the_site(page: Page, base_url: str, path: str) -> None:
    outside: list[str] = []
    page.on(
        "request", lambda request: None if request.url.startswith((base_url, "data:")) else outside.append(request.url)
    )
    page.goto(f"{base_url}{path}", wait_until="load")
    page.wait_for_timeout(500)
    if outside and all(MERMAID_CDN in url for url in outside):
        pytest.xfail(MERMAID)
    assert not outside, f"/{path} fetches from outside the site: {sorted(set(outside))}"


MERMAID_CDN = "unpkg.com/mermaid"
MERMAID = (
    "known: Material loads mermaid from unpkg.com for every pre.mermaid unless window.mermaid is already defined; "
    "offline the diagrams stay as source. Ship mermaid.min.js under docs/assets and list it first in extra_javascript."
)
