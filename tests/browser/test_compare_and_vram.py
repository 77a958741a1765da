"""Compare page and the VRAM calculator in headless Chromium, on the real site built from the bundled catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .helpers import open_page

pytestmark = pytest.mark.browser


def _catalog(site_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((site_dir / "catalog.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_compare_from_the_url_aligns_rows_and_marks_differences(page: Page, base_url: str, site_dir: Path) -> None:
    deployments = _catalog(site_dir)["deployments"]
    chosen = ["coder-chat", "qwen-coder-vllm", "vllm-qwen25-coder-7b"]
    open_page(page, f"{base_url}compare/?d={','.join(chosen)}", ".mc-compare")
    headers = page.locator(".mc-compare-table thead th[data-deployment]")
    assert [headers.nth(i).get_attribute("data-deployment") for i in range(headers.count())] == chosen
    assert [headers.nth(i).locator("a").inner_text() for i in range(3)] == [
        deployments[d]["served_name"] for d in chosen
    ]
    rows = page.locator(".mc-compare-table tbody tr")
    by_label = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        cells = row.locator("td").all_inner_texts()
        assert len(cells) == 3, "every row has one cell per deployment"
        by_label[row.locator("th").inner_text().strip()] = (cells, "mc-diff" in (row.get_attribute("class") or ""))
    # Served context differs (16384, 4096, none); the kind is the same (instruct) for all three.
    assert by_label["Served context"] == (["16384", "4096", "—"], True)
    assert by_label["Kind"] == (["instruct", "instruct", "instruct"], False)
    assert by_label["Quantization"][1] is True


def test_compare_selection_is_kept_in_the_url(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}compare/", ".mc-compare")
    assert "Pick 2 more" in page.locator(".mc-compare-status").inner_text()
    page.select_option(".mc-compare-add", "coder-fim")
    page.select_option(".mc-compare-add", "coder-agent")
    assert page.url.endswith("compare/?d=coder-fim%2Ccoder-agent") or page.url.endswith(
        "compare/?d=coder-fim,coder-agent"
    )
    shared = page.url
    page.locator(".mc-compare-remove").first.click()
    assert "coder-fim" not in page.url and "coder-agent" in page.url
    page.goto(shared)
    page.wait_for_selector(".mc-compare-table thead th[data-deployment]")
    assert page.locator(".mc-compare-table thead th[data-deployment]").count() == 2


def test_compare_allows_at_most_four(page: Page, base_url: str) -> None:
    ids = "coder-fim,coder-agent,coder-chat,embeddings,qwen-local"
    open_page(page, f"{base_url}compare/?d={ids}", ".mc-compare")
    assert page.locator(".mc-compare-table thead th[data-deployment]").count() == 4
    assert page.locator(".mc-compare-add").is_disabled()


def test_card_links_to_compare_with_itself_selected(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}deployments/coder-chat/")
    page.get_by_role("link", name="Compare with others").click()
    page.wait_for_selector(".mc-compare-table thead th[data-deployment]")
    assert (
        page.locator(".mc-compare-table thead th[data-deployment]").first.get_attribute("data-deployment")
        == "coder-chat"
    )


def test_vram_calculator_updates_with_context_and_concurrency(page: Page, base_url: str) -> None:
    open_page(page, f"{base_url}deployments/qwen-coder-vllm/", ".mc-vram")
    box = page.locator(".mc-vram")
    assert box.is_visible(), "the calculator is shown once its script runs"
    weights = float(box.get_attribute("data-weights-gib") or "nan")
    per_token = float(box.get_attribute("data-kv-bytes-per-token") or "nan")
    overhead = float(box.get_attribute("data-overhead-gib") or "nan")
    box.locator(".mc-vram-context").fill("8192")
    box.locator(".mc-vram-sequences").fill("4")
    expected = weights + per_token * 8192 * 4 / 2**30 + overhead
    text = box.locator(".mc-vram-total").inner_text()
    assert text.startswith(f"{expected:.1f} GiB"), text
    # Seed 001: Qwen2.5-Coder-7B AWQ weights take 5.2 GB.
    assert f"weights {weights:.1f}" in text and round(weights, 1) == 5.2
