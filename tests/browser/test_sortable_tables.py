"""Plain markdown tables (context windows, served models, …) sort when a heading is clicked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .helpers import open_page

pytestmark = pytest.mark.browser


def _column(page: Page, table: str, index: int) -> list[str]:
    return page.locator(f"{table} tbody tr").evaluate_all(
        "(rows, i) => rows.map((r) => r.cells[i].textContent.trim())", index
    )


def test_served_models_table_sorts_by_a_clicked_column(page: Page, base_url: str) -> None:
    table = "article table[data-mc-ready]"
    open_page(page, f"{base_url}served-models/", table)
    before = _column(page, table, 1)
    assert len(before) >= 5
    page.locator(f"{table} thead th").nth(1).click()
    ascending = _column(page, table, 1)
    assert ascending == sorted(before, key=str.lower) or ascending == sorted(before), ascending
    page.locator(f"{table} thead th").nth(1).click()
    assert _column(page, table, 1) == list(reversed(ascending))
