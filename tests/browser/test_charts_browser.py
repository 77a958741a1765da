"""A card with a month of probe history shows its latency chart and availability strip in Chromium: at 1366 and
390 px, in the light and the dark scheme, without the page scrolling sideways, and with a text alternative.

The site is the small catalog with `tests/fixtures/charts-month-evidence` (30 days of runs of `coder-chat`: gaps,
a day the server did not answer, a day it answered one of two runs), built with `mkdocs build --strict` as
`make build` does. Screenshots go to /tmp/charts-<width>-<scheme>-<strip|chart>.png for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from bench.site_weight import serve
from tests.browser.conftest import REPO_ROOT, new_context
from tests.site.sitebuild import build_site

pytestmark = pytest.mark.browser

FIXTURES = REPO_ROOT / "tests" / "fixtures"
SHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def chart_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("charts-site")
    result = build_site(tmp, FIXTURES / "small-catalog", FIXTURES / "charts-month-evidence")
    assert result.returncode == 0, result.output
    with serve(result.site_dir) as url:
        yield url


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("width", [1366, 390])
def test_card_shows_chart_and_strip_without_overflow(
    browser: Browser, chart_site: str, width: int, scheme: str
) -> None:
    context = new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{chart_site}deployments/coder-chat/")
        page.evaluate("(scheme) => document.body.setAttribute('data-md-color-scheme', scheme)", scheme)
        chart, strip = page.locator("svg.mc-chart"), page.locator("svg.mc-strip")
        assert chart.count() == 1 and strip.count() == 1
        for svg in (chart, strip):
            svg.scroll_into_view_if_needed()
            box = svg.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 20, box
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{box} outside a {width} px window"
            name = svg.evaluate(
                "(el) => el.getAttribute('aria-labelledby').split(' ').map((id) => document.getElementById(id).textContent).join(' ')"
            )
            assert "TTFT p95" in name or "answered" in name, name
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        # Colours come from the theme: the line, the target and the day cells are painted, not black on black.
        painted = page.evaluate(
            """() => ({
                line: getComputedStyle(document.querySelector('.mc-chart-line')).stroke,
                target: getComputedStyle(document.querySelector('.mc-chart-target')).stroke,
                answered: getComputedStyle(document.querySelector('.mc-day--answered')).fill,
                failed: getComputedStyle(document.querySelector('.mc-day--failed')).fill,
                text: getComputedStyle(document.querySelector('.mc-chart text')).fill,
                background: getComputedStyle(document.body).backgroundColor,
            })"""
        )
        assert painted["line"] != painted["target"] and painted["answered"] != painted["failed"], painted
        assert painted["text"] != painted["background"], painted
        assert "none" not in (painted["line"], painted["target"]), painted
        for what, svg in (("strip", strip), ("chart", chart)):
            svg.evaluate("(el) => el.closest('figure').scrollIntoView({block: 'center'})")
            page.screenshot(path=str(SHOTS / f"charts-{width}-{scheme}-{what}.png"))
        # The day table is there for screen readers, collapsed until opened.
        assert page.locator("details.mc-chart-data tbody tr").count() == 30
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_catalog_row_shows_its_small_strip(browser: Browser, chart_site: str, width: int) -> None:
    context = new_context(browser, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{chart_site}catalog/")
        strip = page.locator("#mc-deployments svg.mc-ministrip")
        assert strip.count() == 1  # coder-chat only: the other deployments have no history
        strip.scroll_into_view_if_needed()
        box = strip.bounding_box()
        assert box is not None and box["width"] >= 60 and box["x"] + box["width"] <= width, box
        assert "25 days answered" in (strip.get_attribute("aria-label") or "")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        strip.evaluate("(el) => el.closest('tr').scrollIntoView({block: 'center'})")
        page.screenshot(path=str(SHOTS / f"charts-{width}-catalog.png"))
    finally:
        context.close()
