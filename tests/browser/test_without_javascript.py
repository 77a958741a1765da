"""With JavaScript off the pages still carry everything: the full table and the trees as nested lists."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from .helpers import TABLE

pytestmark = pytest.mark.browser


def test_decide_page_without_javascript(nojs_page: Page, base_url: str) -> None:
    page = nojs_page
    page.goto(f"{base_url}decide/")
    boxes = page.locator(".mc-stepper")
    assert boxes.count() > 0, "no .mc-stepper on /decide/"
    for index in range(boxes.count()):
        box = boxes.nth(index)
        tree_id = box.get_attribute("data-tree-id")
        assert box.locator(".mc-step-ui, .mc-step-option").count() == 0, f"{tree_id}: stepper UI without JavaScript"
        noscript = box.locator("noscript")
        assert noscript.count() == 1, f"{tree_id}: no <noscript> in the stepper"
        assert noscript.is_visible(), f"{tree_id}: the <noscript> text is not shown with JavaScript off"
        assert noscript.inner_text().strip(), f"{tree_id}: empty <noscript>"

        # The same tree as a nested list next to it: every question, answer and recommendation is in there.
        data = box.evaluate("(b) => b.dataset.tree || b.querySelector(':scope > script').textContent")
        tree = json.loads(data)
        around = box.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' tabbed-set ')][1]")
        scope = around if around.count() else page.locator("article")
        outline = scope.locator("li ul")
        assert outline.count() > 0, f"{tree_id}: no nested list near the stepper"
        text = " ".join(outline.all_text_contents())
        wanted = [n["question"] for n in tree["nodes"].values()]
        wanted += [o["label"] for n in tree["nodes"].values() for o in n["options"]]
        wanted += [r["title"] for n in tree["nodes"].values() for o in n["options"] for r in o["recommend"]]
        page_text = " ".join(scope.all_text_contents())
        missing = [w for w in wanted if w not in text and w not in page_text]
        assert not missing, f"{tree_id}: the outline lacks {missing}"
        in_lists = [w for w in wanted if w in text]
        assert len(in_lists) >= len(wanted) * 3 // 4, f"{tree_id}: most of the tree should be in the nested list"

        # The outline tab (Material's tabs are CSS-only) opens without JavaScript.
        labels = scope.locator(".tabbed-labels label", has_text="Outline")
        if labels.count():
            labels.first.click()
            assert outline.first.is_visible(), f"{tree_id}: the Outline tab does not show the list"


def test_catalog_page_without_javascript(nojs_page: Page, base_url: str) -> None:
    page = nojs_page
    page.goto(f"{base_url}catalog/")
    rows = page.locator(f"{TABLE} tbody tr")
    total = rows.count()
    assert total > 0
    visible = page.eval_on_selector(
        TABLE, "(t) => [...t.tBodies[0].rows].filter((r) => r.getClientRects().length).length"
    )
    assert visible == total, f"{total - visible} rows hidden without JavaScript"
    assert page.locator("th button.mc-sort, .mc-filter-reset").count() == 0
