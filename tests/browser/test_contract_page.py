"""catalog.js on a hand-written page that follows the HTML contract, outside Material.

It covers what the real catalog cannot show today: dates to sort, hostile text in every tree field,
a tree given as a data-tree attribute, repeated init() calls, and start-up without Material's document$.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .helpers import TABLE, assert_not_injected, open_page, rows, select_filter, shown, xss_payload

pytestmark = pytest.mark.browser


def open_contract(page: Page, base_url: str, query: str = "") -> None:
    open_page(page, f"{base_url}_contract/index.html{query}", ".mc-filters")
    page.wait_for_selector(".mc-stepper[data-mc-ready] >> nth=1", state="attached")


def first_cells(page: Page) -> list[str]:
    return [r["cells"][0] for r in rows(page)]


def test_sort_dates_numbers_and_text(page: Page, base_url: str) -> None:
    open_contract(page, base_url)
    page.click(f"{TABLE} th:has-text('Last verified')")
    assert first_cells(page) == ["Beta-Chat", "alpha-coder", "delta", "gamma-coder-10", "gamma-coder-2"], "dates asc"
    page.click(f"{TABLE} th:has-text('Last verified')")
    assert first_cells(page) == ["gamma-coder-10", "delta", "alpha-coder", "Beta-Chat", "gamma-coder-2"], "dates desc"
    page.click(f"{TABLE} th:has-text('Context')")  # 4,096 has no data-sort-value: the text is parsed
    assert first_cells(page) == ["gamma-coder-2", "delta", "alpha-coder", "gamma-coder-10", "Beta-Chat"], "numbers"
    page.click(f"{TABLE} th:has-text('Deployment')")
    assert first_cells(page) == ["alpha-coder", "Beta-Chat", "delta", "gamma-coder-2", "gamma-coder-10"], "text"
    assert page.locator(f"{TABLE} th:has-text('Notes') button").count() == 0, "a column without data-sort is sortable"
    page.click(f"{TABLE} th:has-text('Notes')")
    assert first_cells(page)[0] == "alpha-coder", "clicking a column without data-sort sorted the table"


def test_filters_match_whole_tokens_and_and(page: Page, base_url: str) -> None:
    open_contract(page, base_url, "?task=coding&status=verified")
    assert [r["cells"][0] for r in shown(page)] == ["alpha-coder", "gamma-coder-2"]
    assert page.inner_text(".mc-filter-count") == "2 of 5 deployments"
    select_filter(page, "task", "chat")  # "chat" must not match inside another token
    assert [r["cells"][0] for r in shown(page)] == ["alpha-coder", "delta"]
    select_filter(page, "task", "")
    select_filter(page, "status", "")
    page.fill(".mc-filters input[data-filter-text]", "bEtA-c")  # data-name here has capitals: "Beta-Chat beta"
    assert [r["cells"][0] for r in shown(page)] == ["Beta-Chat"], "the name filter is not case-insensitive"


def test_init_twice_changes_nothing(page: Page, base_url: str) -> None:
    open_contract(page, base_url)
    page.click(".mc-stepper[data-tree-id=hostile] .mc-step-option >> nth=1")
    before = page.inner_html("article")
    page.evaluate("() => { window.mcCatalog.init(); window.mcCatalog.init(document); }")
    assert page.inner_html("article") == before, "a second init() changed the page"
    assert page.locator(".mc-step-ui").count() == 2
    assert page.locator(".mc-filter-reset").count() == 1
    assert page.locator(f"{TABLE} th button.mc-sort").count() == 3


def test_catalog_text_stays_text(page: Page, base_url: str) -> None:
    open_contract(page, base_url)
    box = page.locator(".mc-stepper[data-tree-id=hostile]")
    question = box.locator(".mc-step-question")
    assert question.inner_text().startswith('<img src="data:,"'), f"question shown as {question.inner_text()!r}"
    assert box.locator(".mc-step-option").first.inner_text() == '<b data-mc-xss="label">bold</b> option'
    box.locator(".mc-step-option").first.click()
    box.locator(".mc-step-option").first.click()
    result = box.locator(".mc-step-result")
    assert result.is_visible()
    text = result.inner_text()
    for shown_literally in ('<i data-mc-xss="rec-title">t</i>', '<u data-mc-xss="backend">b</u>', "</script>"):
        assert shown_literally in text, f"{shown_literally!r} not shown as text in {text!r}"
    links = result.locator("a").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
    assert links == ["../_contract/target.html"], f"result links {links}: a javascript: href must not become a link"
    result.locator(".mc-step-rec", has_text="<i").click()  # clicking the unlinked title runs nothing
    assert_not_injected(page)


def test_xss_helper_detects_injection(page: Page, base_url: str) -> None:
    """The helper other suites use must fail when markup does get in (so a passing check means something)."""
    open_contract(page, base_url)
    page.evaluate("(html) => { document.querySelector('h1').innerHTML = html; }", xss_payload("probe"))
    page.wait_for_function("() => window.__mcInjected === 'probe'")
    with pytest.raises(AssertionError, match="ran as script"):
        assert_not_injected(page)


def test_attribute_carrier_and_domcontentloaded_start(page: Page, base_url: str) -> None:
    open_contract(page, base_url)
    assert page.evaluate("() => typeof window.document$") == "undefined", "the fixture page must run without Material"
    box = page.locator(".mc-stepper[data-tree-id=attribute]")
    assert box.locator(".mc-step-question").inner_text() == "Attribute tree?"
    box.get_by_role("button", name="yes & more").click()
    assert box.locator(".mc-step-rec").inner_text().startswith("Ollama")
    assert " on Ollama" not in box.locator(".mc-step-rec").inner_text(), "backend repeated after a title that names it"
