"""Small helpers shared by the browser tests (and usable by other test suites, e.g. escaping tests)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page

TABLE = "#mc-deployments"
FILTERS = '.mc-filters[data-filters-for="mc-deployments"]'

#: Every row of the deployment table with its filter attributes, its link and whether it is laid out.
#: "Shown" is decided by layout (getClientRects), not by the hidden attribute, so CSS that un-hides rows fails tests.
_ROWS_JS = """(table) => [...table.tBodies[0].rows].map((row) => ({
    task: row.dataset.task || "", modality: row.dataset.modality || "", backend: row.dataset.backend || "",
    gpu: row.dataset.gpu || "", status: row.dataset.status || "", name: row.dataset.name || "",
    href: (row.querySelector("a[href]") || {}).href || "",
    cells: [...row.cells].map((c) => c.hasAttribute("data-sort-value") ? c.getAttribute("data-sort-value") : c.textContent.trim()),
    shown: row.getClientRects().length > 0,
}))"""


#: Whether every page script has set up what it looks after: catalog.js (filters, the deployment table,
#: steppers), compare.js, vram.js and tablesort-init.js each mark an element with data-mc-ready when it is
#: set up (tablesort only tables with a head); and Material has started (document$, no-js class gone).
_SCRIPTS_DONE = """() => {
    if (document.readyState !== "complete") return false;
    if (document.documentElement.classList.contains("no-js")) return false;
    const ours = ".mc-filters[data-filters-for], table.mc-table, .mc-stepper, .mc-compare, .mc-vram";
    const waiting = [...document.querySelectorAll(ours)].filter((el) => !el.dataset.mcReady);
    const tables = [...document.querySelectorAll("article table:not([class])")].filter((t) => t.tHead && !t.dataset.mcReady);
    return waiting.length === 0 && tables.length === 0;
}"""


def wait_for_page_scripts(page: Page) -> None:
    """Wait until the page's scripts have set up everything they set up on this page (a condition, not a
    fixed pause: on a busy machine that can take seconds)."""
    page.wait_for_function(_SCRIPTS_DONE)


def open_page(page: Page, url: str, ready: str) -> None:
    """Go to `url` and wait until catalog.js has set up `ready` (an element it marks with data-mc-ready)."""
    page.goto(url)
    page.wait_for_selector(f"{ready}[data-mc-ready]", state="attached")


def open_catalog(page: Page, base_url: str, query: str = "") -> None:
    open_page(page, f"{base_url}catalog/{query}", FILTERS)


def rows(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.eval_on_selector(TABLE, _ROWS_JS)
    return result


def shown(page: Page) -> list[dict[str, Any]]:
    return [row for row in rows(page) if row["shown"]]


def names(rows_: list[dict[str, Any]]) -> list[str]:
    """Short row labels for assertion messages: the deployment id from the row's link."""
    return [row["href"].rstrip("/").rsplit("/", 1)[-1] for row in rows_]


def has_token(row: dict[str, Any], key: str, value: str) -> bool:
    return value in row[key].split()


def count_text(page: Page) -> str:
    return page.inner_text(f"{FILTERS} .mc-filter-count").strip()


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def select_filter(page: Page, key: str, value: str) -> None:
    page.select_option(f'{FILTERS} select[data-filter="{key}"]', value)


def type_filter(page: Page, text: str) -> None:
    page.fill(f"{FILTERS} input[data-filter-text]", text)


def trees(page: Page) -> list[dict[str, Any]]:
    """The JSON tree of every stepper on the page, in page order, with its data-tree-id as "_id"."""
    raw: list[list[str]] = page.eval_on_selector_all(
        ".mc-stepper",
        """(boxes) => boxes.map((box) => [box.dataset.treeId,
            box.dataset.tree || (box.querySelector(":scope > script") || {}).textContent || ""])""",
    )
    result = []
    for tree_id, text in raw:
        tree = json.loads(text)
        tree["_id"] = tree_id
        result.append(tree)
    return result


def leaf_paths(tree: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every path from the root to an option without `next`, as the list of (node id, option) steps."""
    paths: list[list[dict[str, Any]]] = []

    def walk(node_id: str, path: list[dict[str, Any]]) -> None:
        for option in tree["nodes"][node_id]["options"]:
            step = [*path, {"node": node_id, "option": option}]
            if option.get("next"):
                if any(s["node"] == option["next"] for s in step):  # a cycle would be a catalog bug; don't loop
                    continue
                walk(option["next"], step)
            else:
                paths.append(step)

    walk(tree["root"], [])
    return paths


# --- escaping -------------------------------------------------------------------------------------------

XSS_FLAG = "__mcInjected"


def xss_payload(tag: str = "x") -> str:
    """Catalog text that would run script or add elements if any of it were ever inserted as HTML.

    Put it into catalog fields (names, labels, questions, notes), build and load the pages, then call
    `assert_not_injected(page)`. The text also has to be shown literally: check with `page.get_by_text(payload)`.
    """
    return (
        f'<img src="data:," data-mc-xss="{tag}" onerror="window.{XSS_FLAG}=\'{tag}\'">'
        f'<script>window.{XSS_FLAG}="{tag}"</script>&amp;"\'</b>'
    )


def assert_not_injected(page: Page) -> None:
    """No payload from `xss_payload` became markup or ran."""
    flag = page.evaluate(f"() => window.{XSS_FLAG} || null")
    elements = page.eval_on_selector_all("[data-mc-xss]", "(els) => els.map((e) => e.outerHTML)")
    assert flag is None, f"catalog text ran as script (window.{XSS_FLAG} = {flag!r}) on {page.url}"
    assert not elements, f"catalog text became markup on {page.url}: {elements}"
