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
    if path == "decide/":
        # Mermaid is vendored, so Material renders each diagram (into a closed shadow root, replacing the
        # <pre class="mermaid"> source) without any outside request, once a diagram is shown (its tab opened).
        for label in page.locator("article .tabbed-labels > label", has_text="Diagram").all():
            label.click()
        page.wait_for_function("() => document.querySelectorAll('pre.mermaid').length === 0")
        assert page.evaluate("() => typeof window.mermaid") == "object"
        assert page.locator("div.mermaid").count() >= 1
    # Whatever the page and its scripts fetch after `load` (the search worker's index, the diagrams' Mermaid):
    # wait until the network is quiet rather than for a fixed time, so a slow machine cannot hide a request.
    page.wait_for_load_state("networkidle")
    assert not outside, f"/{path} fetches from outside the site: {sorted(set(outside))}"
