"""Material's instant navigation swaps page content without reloading catalog.js; init() must follow it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .helpers import FILTERS, count_text, open_page, rows, select_filter, shown

pytestmark = pytest.mark.browser


#: Material closes the search overlay and the drawer this long after each change of address (its bundle:
#: `merge(location$, target$).pipe(delay(125))`), whether or not the new page has been swapped in by then.
MATERIAL_RESET_MS = 125

#: Marks, on the page's own clock, when Material's reset after the next change of address has run: a timer
#: set when `location$` emits, after Material's own (it subscribed first), and due no earlier, fires after it
#: however busy the machine is. Twice the delay, so a somewhat longer delay in a later Material still fits.
_WATCH_RESET = f"""() => {{
    window.__mcSameDocument = true;
    window.__mcResetDone = false;
    const subscription = window.location$.subscribe(() => {{
        subscription.unsubscribe();
        setTimeout(() => {{ window.__mcResetDone = true; }}, {2 * MATERIAL_RESET_MS});
    }});
}}"""


def navigate(page: Page, tab: str, url: str, ready: str | None = None) -> None:
    """Click a top tab and wait for the new content, checking the page really was not reloaded.

    Returns once the navigation is over, Material's own aftermath included: a key pressed before its delayed
    reset (on a busy machine the reset can come after the new page is shown) would open a search overlay that
    the reset then closes."""
    page.evaluate(_WATCH_RESET)
    before = page.evaluate("() => (document.querySelector('article h1') || {}).textContent")
    page.locator(".md-tabs a", has_text=tab).first.click()
    page.wait_for_url(url)
    page.wait_for_function("(h) => (document.querySelector('article h1') || {}).textContent !== h", arg=before)
    page.wait_for_function("() => window.__mcResetDone === true")
    if ready:
        page.wait_for_selector(f"{ready}[data-mc-ready]", state="attached")
    assert page.evaluate("() => window.__mcSameDocument === true"), (
        "the link reloaded the page: instant navigation is off"
    )


def test_table_works_after_instant_navigation(page: Page, base_url: str) -> None:
    page.goto(base_url)
    page.wait_for_function("() => typeof window.document$ !== 'undefined'")
    navigate(page, "Catalog", f"{base_url}catalog/", FILTERS)
    backend = rows(page)[0]["backend"]
    select_filter(page, "backend", backend)
    assert all(r["backend"] == backend for r in shown(page)), "filter after instant navigation"
    assert count_text(page).startswith(f"{len(shown(page))} of "), count_text(page)
    # Back to another page and here again: a new table, set up once, with a single Clear button.
    navigate(page, "Backends", f"{base_url}backends/")
    navigate(page, "Catalog", f"{base_url}catalog/", FILTERS)
    assert page.locator(".mc-filter-reset").count() == 1, "init() ran twice on the same table"
    assert page.locator("th button.mc-sort button").count() == 0, "sort buttons nested by a second init()"


def test_stepper_works_after_instant_navigation(page: Page, base_url: str, page_errors: list[str]) -> None:
    open_page(page, f"{base_url}catalog/", FILTERS)
    navigate(page, "Decide", f"{base_url}decide/", ".mc-stepper")
    boxes = page.locator(".mc-stepper")
    assert boxes.count() > 0
    assert page.locator(".mc-stepper .mc-step-ui").count() == boxes.count(), "a stepper is not set up"
    first = boxes.first
    first.locator(".mc-step-option").first.click()
    assert first.locator(".mc-step-back").is_enabled(), "the stepper does not respond after instant navigation"
    errors, page_errors[:] = list(page_errors), []
    assert not errors, "errors after instant navigation to /decide/:\n" + "\n".join(errors)
