"""axe-core (npm, installed by `make browser-deps` from tests/browser/package-lock.json) on the main pages at a
laptop and a phone width, light and dark: no serious or critical violation from this site's markup and CSS.

Material's own markup has violations this site leaves alone; THEME lists each with the reason it stays. A
violation on any other element fails, and so does a THEME entry that no longer occurs (so the list stays true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tools.screenshots import MAIN_PAGES, VIEWPORTS

from .conftest import new_context
from .helpers import wait_for_page_scripts

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

#: (axe rule, CSS selector axe reports for the element) -> why it stays.
THEME: dict[tuple[str, str], str] = {
    ("aria-dialog-name", ".md-search"): (
        "Material's search overlay has role=dialog without a name (partials/search.html). Its search field is "
        "labelled, so it is announced; naming the dialog needs an override of the theme's partial."
    ),
}

#: (width, scheme): the laptop in both schemes, the phone (whose layout differs) in the light one.
SETTINGS = [(1366, "light"), (1366, "dark"), (390, "light")]

_RUN = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary || "" })),
    }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make browser-deps` (npm ci in tests/browser)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def theme_seen() -> Iterator[set[tuple[str, str]]]:
    seen: set[tuple[str, str]] = set()
    yield seen


def _violations(browser: Browser, url: str, width: int, scheme: str, axe_source: str) -> list[dict[str, Any]]:
    context = new_context(browser, viewport={"width": width, "height": VIEWPORTS[width]}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        wait_for_page_scripts(page)  # filters, stepper, compare, calculator and sortable tables are set up
        page.add_script_tag(content=axe_source)
        result: list[dict[str, Any]] = page.evaluate(_RUN)
    finally:
        context.close()
    return result


@pytest.mark.parametrize(("width", "scheme"), SETTINGS, ids=[f"{w}px-{s}" for w, s in SETTINGS])
@pytest.mark.parametrize("name", sorted(MAIN_PAGES))
def test_no_serious_violations_of_our_own(
    browser: Browser,
    base_url: str,
    axe_source: str,
    theme_seen: set[tuple[str, str]],
    name: str,
    width: int,
    scheme: str,
) -> None:
    ours = []
    for violation in _violations(browser, base_url + MAIN_PAGES[name], width, scheme, axe_source):
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            key = (violation["id"], node["target"])
            if key in THEME:
                theme_seen.add(key)
            else:
                summary = " ".join(node["summary"].split())[:300]
                ours.append(f"{violation['id']} ({violation['impact']}) on {node['target']}: {summary}")
    assert not ours, f"/{MAIN_PAGES[name]} at {width} px, {scheme}:\n" + "\n".join(ours)


def test_every_theme_exception_still_occurs(theme_seen: set[tuple[str, str]]) -> None:
    """Runs after the page tests in this module: an exception that no page shows any more is stale."""
    if not theme_seen:
        pytest.skip("no page test ran in this session (run the whole module)")
    stale = sorted(set(THEME) - theme_seen)
    assert not stale, f"THEME lists violations no page has any more; remove them: {stale}"
