"""The site as a reader sees it at a laptop width (1366 px) and a phone width (390 px): nothing scrolls sideways,
the whole catalog table fits, a card says where to send requests before the first scroll, diagrams keep a
readable size, the calculator refuses what it cannot compute, and no meaning rests on an emoji font."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tools.screenshots import MAIN_PAGES, VIEWPORTS

from .conftest import new_context
from .helpers import TABLE, wait_for_page_scripts

pytestmark = pytest.mark.browser

DESKTOP, PHONE = 1366, 390


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1366px", "390px"])
def sized(request: pytest.FixtureRequest, browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    """A page at a laptop or a phone viewport (light scheme); script errors fail the test."""
    width: int = request.param
    context = new_context(browser, viewport={"width": width, "height": VIEWPORTS[width]}, color_scheme="light")
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(f"uncaught exception: {exc}"))
    try:
        yield page
    finally:
        context.close()
    assert not page_errors, "\n".join(page_errors)


def width_of(page: Page) -> tuple[int, int]:
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return int(scroll), int(inner)


def wider_than_the_window(page: Page) -> list[str]:
    """Elements that reach past the window's right edge (for the failure message)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter((el) => !el.closest(".mc-compare-table, div.mermaid, pre, .md-typeset__scrollwrap, .tabbed-labels"))
            .slice(0, 5).map((el) => `${el.localName}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`)"""
    )
    return found


@pytest.mark.parametrize("name", sorted(MAIN_PAGES))
def test_no_main_page_scrolls_sideways(sized: Page, base_url: str, name: str) -> None:
    sized.goto(base_url + MAIN_PAGES[name])
    sized.wait_for_load_state("networkidle")
    wait_for_page_scripts(sized)  # what the scripts add (filters, buttons, the calculator) is measured too
    scroll, inner = width_of(sized)
    assert scroll <= inner, (
        f"/{MAIN_PAGES[name]} is {scroll} px wide in a {inner} px window: {wider_than_the_window(sized)}"
    )


def test_the_whole_catalog_table_is_visible_at_1366(browser: Browser, base_url: str) -> None:
    context = new_context(browser, viewport={"width": DESKTOP, "height": VIEWPORTS[DESKTOP]})
    page = context.new_page()
    page.goto(f"{base_url}catalog/")
    page.wait_for_selector(f"{TABLE}[data-mc-ready]", state="attached")
    # No navigation or table-of-contents sidebar on this page: the table has the page's whole width.
    assert not page.locator(".md-sidebar--primary").is_visible(), "the navigation sidebar takes room from the table"
    assert not page.locator(".md-sidebar--secondary").is_visible(), "the table-of-contents sidebar takes room"
    layout = page.eval_on_selector(
        TABLE,
        """(t) => ({right: t.getBoundingClientRect().right, scroll: t.scrollWidth, client: t.clientWidth,
                    headings: [...t.tHead.rows[0].cells].map((th) => [th.textContent.trim(), th.getBoundingClientRect().right]),
                    names: [...t.querySelectorAll(".mc-name")].filter((n) => n.getClientRects().length > 1).map((n) => n.textContent)})""",
    )
    context.close()
    assert layout["right"] <= DESKTOP, f"the table ends at {layout['right']} px"
    assert layout["scroll"] <= layout["client"] + 1, "the table scrolls sideways inside its box"
    cut = [name for name, right in layout["headings"] if right > DESKTOP]
    assert not cut, f"columns past the window's edge: {cut}"
    assert [h[0] for h in layout["headings"]][-3:] == ["Evidence", "Last verified", "Answered (30 days)"]
    # A served name breaks only after a `/`, never inside a part (no id over three or four lines).
    assert not layout["names"], f"served names broken inside a word: {layout['names']}"


def test_the_catalog_is_cards_on_a_phone(browser: Browser, base_url: str) -> None:
    context = new_context(browser, viewport={"width": PHONE, "height": VIEWPORTS[PHONE]})
    page = context.new_page()
    page.goto(f"{base_url}catalog/")
    page.wait_for_selector(f"{TABLE}[data-mc-ready]", state="attached")
    cards = page.eval_on_selector_all(
        f"{TABLE} tbody tr",
        "(rows) => rows.map((r) => [getComputedStyle(r).display, r.getBoundingClientRect().right])",
    )
    labels = page.eval_on_selector(
        f"{TABLE} tbody tr td:nth-child(3)", "(td) => getComputedStyle(td, '::before').content"
    )
    sort_buttons = page.locator(f"{TABLE} thead button.mc-sort")
    visible_buttons = sum(sort_buttons.nth(i).is_visible() for i in range(sort_buttons.count()))
    context.close()
    assert all(display == "grid" and right <= PHONE for display, right in cards), cards[:3]
    assert labels == '"Kind"', f"each fact in a card is labelled; got {labels}"
    assert visible_buttons == 10, "every column can still be sorted on a phone"


def _first_screen_cards(site_dir: Path) -> list[str]:
    """The cards hardest to fit: the longest title and summary, the longest fleet name; and two ordinary ones."""
    deployments: dict[str, Any] = json.loads((site_dir / "catalog.json").read_text(encoding="utf-8"))["deployments"]
    longest = sorted(deployments, key=lambda d: -(len(deployments[d]["served_name"]) + len(deployments[d]["summary"])))
    return sorted({*longest[:2], "qwen-coder-vllm", "coder-chat"} & deployments.keys())


def test_a_card_shows_endpoint_model_and_evidence_in_the_first_screen(
    sized: Page, base_url: str, site_dir: Path
) -> None:
    for dep_id in _first_screen_cards(site_dir):
        sized.goto(f"{base_url}deployments/{dep_id}/")
        summary = sized.locator(".mc-summary")
        # Two badges, serving then quality: the later one in the first screen puts both there.
        evidence = summary.locator("p", has_text="Evidence:").locator(".mc-badge").last
        endpoint = summary.locator("p", has_text="Endpoint:")
        model = endpoint.locator(".mc-copy code").last
        height = sized.evaluate("() => window.innerHeight")
        for what, locator in (("evidence badge", evidence), ("endpoint line", endpoint), ("model name", model)):
            box = locator.bounding_box()
            assert box is not None, f"{dep_id}: no {what}"
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
                f"{dep_id}: the {what} ends at {box['y'] + box['height']:.0f} px, below the first {height} px"
            )


def test_the_copy_buttons_copy_the_endpoint_and_the_model(browser: Browser, base_url: str) -> None:
    context = new_context(browser, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{base_url}deployments/qwen-coder-vllm/")
    page.wait_for_function("() => !document.documentElement.classList.contains('no-js')")
    copies = page.locator(".mc-summary .mc-copy")
    copied = []
    for index in range(copies.count()):
        # The copy is asynchronous (the Clipboard API): put a placeholder there first and wait until the
        # clipboard holds something else, instead of for a fixed time, then compare what it holds.
        placeholder = f"(clipboard before copy {index})"
        page.evaluate("(text) => navigator.clipboard.writeText(text)", placeholder)
        copies.nth(index).locator("button").click()
        page.wait_for_function(
            "async (before) => (await navigator.clipboard.readText()) !== before", arg=placeholder, polling=100
        )
        copied.append((copies.nth(index).locator("code").inner_text(), page.evaluate("navigator.clipboard.readText()")))
    context.close()
    assert len(copied) == 2, copied
    assert all(shown == clip for shown, clip in copied), copied


def test_a_card_lists_what_is_not_stated_once_instead_of_dashes(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}deployments/coder-chat/")
    cells = page.evaluate(
        """() => ["model", "serving"].map((id) => {
            const table = document.getElementById(id).nextElementSibling.querySelector("table");
            return table ? [...table.querySelectorAll("td")].map((td) => td.textContent.trim()) : null;
        })"""
    )
    assert all(cells), "the card has a Model and a Serving table"
    assert not [c for table in cells for c in table if c in ("—", "not stated")], (
        "a fact row still says — or not stated"
    )
    details = page.locator("details", has_text="Not stated in the catalog")
    assert details.count() == 1, "the facts the catalog leaves out are listed once"
    assert details.get_attribute("open") is None, "and collapsed"


def test_the_decision_diagram_keeps_a_readable_size_on_a_phone(browser: Browser, base_url: str) -> None:
    context = new_context(browser, viewport={"width": PHONE, "height": VIEWPORTS[PHONE]})
    page = context.new_page()
    page.goto(f"{base_url}decide/")
    first_tab = page.locator(".tabbed-set").first.locator(".tabbed-labels label").first
    assert first_tab.inner_text().strip() == "Step through", "the step-through comes first"
    page.locator(".tabbed-set").first.locator(".tabbed-labels label", has_text="Diagram").click()
    page.wait_for_function("() => document.querySelectorAll('pre.mermaid').length === 0")
    diagram = page.eval_on_selector("div.mermaid", "(d) => [d.scrollWidth, d.clientWidth]")
    scroll, inner = width_of(page)
    context.close()
    # Shrunk to the column, the quick tree was 358 px wide and its text unreadable; at its own size it is far
    # wider than a phone and scrolls in its box, while the page itself stays put.
    assert diagram[0] >= 2 * diagram[1], f"the diagram is shrunk to {diagram[0]} px"
    assert scroll <= inner


VRAM_CASES = [
    ("999999", "1", "out of range"),
    ("", "1", "is empty"),
    ("-5", "1", "out of range"),
    ("1.5", "1", "whole number"),
    ("4096", "0", "out of range"),
    ("4096", "", "is empty"),
]


@pytest.mark.parametrize(("context_value", "sequences", "message"), VRAM_CASES)
def test_the_vram_calculator_refuses_bad_input(
    page: Page, base_url: str, context_value: str, sequences: str, message: str
) -> None:
    page.goto(f"{base_url}deployments/qwen-coder-vllm/")
    box = page.locator(".mc-vram")
    box.wait_for(state="visible")
    box.locator(".mc-vram-context").fill(context_value)
    box.locator(".mc-vram-sequences").fill(sequences)
    error = box.locator(".mc-vram-error")
    assert error.is_visible() and message in error.inner_text(), error.inner_text()
    assert "GiB" not in box.locator(".mc-vram-total").inner_text(), "a total is shown for input it refused"
    invalid = box.locator("input[aria-invalid='true']")
    assert invalid.count() == 1
    # Fixed, the message goes and the total comes back.
    box.locator(".mc-vram-context").fill("4096")
    box.locator(".mc-vram-sequences").fill("2")
    assert not error.is_visible()
    assert "GiB" in box.locator(".mc-vram-total").inner_text()


#: Characters that browsers draw from a colour emoji font (Unicode Emoji_Presentation): without one they are
#: empty boxes. Text symbols such as ✓ (U+2713) or → are fine.
EMOJI = re.compile(
    "[\U0001f300-\U0001faff\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653\u267f"
    "\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa\u26fd\u2705"
    "\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55]"
)


def test_no_page_draws_emoji(site_dir: Path) -> None:
    found = {}
    for html in sorted(site_dir.rglob("*.html")):
        text = re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8"))
        hits = sorted(set(EMOJI.findall(text)))
        if hits:
            found[str(html.relative_to(site_dir))] = hits
    assert not found, f"emoji that need a colour emoji font: {found}"
