"""The deployment table on /catalog/: filters, the count, the address, sorting (real site, headless Chromium)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from .helpers import (
    FILTERS,
    TABLE,
    count_text,
    has_token,
    names,
    open_catalog,
    query_of,
    rows,
    select_filter,
    shown,
    type_filter,
)

pytestmark = pytest.mark.browser

KEYS = ("task", "modality", "backend", "gpu", "status")


def options(page: Page, key: str) -> list[str]:
    values: list[str] = page.eval_on_selector_all(
        f'{FILTERS} select[data-filter="{key}"] option', "(os) => os.map((o) => o.value).filter(Boolean)"
    )
    return values


def partial_value(page: Page, key: str) -> str:
    """The option of filter `key` that matches the most rows while still hiding some (a filter that does something)."""
    all_rows = rows(page)
    counts = {v: sum(has_token(r, key, v) for r in all_rows) for v in options(page, key)}
    useful = {v: n for v, n in counts.items() if 0 < n < len(all_rows)}
    assert useful, f"no {key} option hides some rows but not all; matches per option: {counts}"
    return max(useful, key=lambda v: (useful[v], v))


def assert_shown(page: Page, expected: list[dict[str, Any]], what: str) -> None:
    got = names(shown(page))
    want = names(expected)
    assert got == want, (
        f"after {what}: shown rows differ from the rows the filter should keep\n"
        f"  shown but should be hidden: {sorted(set(got) - set(want))}\n"
        f"  hidden but should be shown: {sorted(set(want) - set(got))}"
    )
    total = len(rows(page))
    assert count_text(page) == f"{len(want)} of {total} deployments", f"count text after {what}"


def test_table_lists_every_catalog_deployment(page: Page, base_url: str, site_dir: Path) -> None:
    open_catalog(page, base_url)
    catalog = json.loads((site_dir / "catalog.json").read_text(encoding="utf-8"))
    in_table = names(rows(page))
    assert sorted(in_table) == sorted(catalog["deployments"]), "table rows vs catalog.json deployments"
    assert len(shown(page)) == len(in_table), "with no filter every row is shown"
    for key in KEYS:
        assert options(page, key), f"the {key} filter has no options"


def test_filter_by_backend(page: Page, base_url: str, site_dir: Path) -> None:
    open_catalog(page, base_url)
    backend = partial_value(page, "backend")
    expected = [r for r in rows(page) if r["backend"] == backend]
    select_filter(page, "backend", backend)
    assert_shown(page, expected, f"backend={backend}")
    # The same count straight from the catalog, not from the page's own attributes.
    catalog = json.loads((site_dir / "catalog.json").read_text(encoding="utf-8"))
    in_catalog = Counter(d["backend"] for d in catalog["deployments"].values())
    assert len(shown(page)) == in_catalog[backend], f"catalog.json has {in_catalog[backend]} {backend} deployments"
    assert query_of(page) == {"backend": [backend]}, f"address after filtering: {page.url}"


@pytest.mark.parametrize("key", ["task", "modality", "gpu", "status"])
def test_each_select_filter_keeps_rows_with_the_token(page: Page, base_url: str, key: str) -> None:
    open_catalog(page, base_url)
    for value in options(page, key):
        select_filter(page, key, value)
        assert_shown(page, [r for r in rows(page) if has_token(r, key, value)], f"{key}={value}")


def test_two_filters_and_together(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    all_rows = rows(page)
    # A pair whose intersection is non-empty and smaller than either filter alone, so AND differs from OR and from each.
    best: tuple[int, str, str] | None = None
    backend = partial_value(page, "backend")
    for task in options(page, "task"):
        by_task = [r for r in all_rows if has_token(r, "task", task)]
        both = [r for r in by_task if r["backend"] == backend]
        by_backend = [r for r in all_rows if r["backend"] == backend]
        if 0 < len(both) < min(len(by_task), len(by_backend)) and (best is None or len(both) > best[0]):
            best = (len(both), task, backend)
    assert best, f"no task option combines with backend={backend} into a proper, non-empty subset"
    _, task, backend = best
    select_filter(page, "task", task)
    select_filter(page, "backend", backend)
    expected = [r for r in all_rows if has_token(r, "task", task) and r["backend"] == backend]
    assert_shown(page, expected, f"task={task} and backend={backend}")
    assert query_of(page) == {"task": [task], "backend": [backend]}, page.url


def test_text_filter_is_a_case_insensitive_substring_of_data_name(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    all_rows = rows(page)
    # A fragment of one row's name that several (but not all) rows share, typed in upper case.
    words = Counter(w for r in all_rows for w in set(r["name"].split()) if len(w) >= 4)
    candidates = sorted((n, w) for w, n in words.items() if 1 < n < len(all_rows))
    assert candidates, "no name word is shared by some rows"
    word = candidates[-1][1]
    needle = word[1:-1].upper() if len(word) > 4 else word.upper()
    type_filter(page, needle)
    expected = [r for r in all_rows if needle.lower() in r["name"].lower()]
    assert_shown(page, expected, f"typing {needle!r}")
    assert query_of(page).get("name") == [needle], page.url
    type_filter(page, "no deployment is called this")
    assert_shown(page, [], "typing a name nothing has")


def test_address_restores_filters_on_reload_and_when_shared(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    backend = partial_value(page, "backend")
    select_filter(page, "backend", backend)
    modality = options(page, "modality")[0]
    select_filter(page, "modality", modality)
    type_filter(page, "a")
    expected = names(shown(page))
    count = count_text(page)
    url = page.url
    assert query_of(page) == {"backend": [backend], "modality": [modality], "name": ["a"]}, url

    page.reload()
    page.wait_for_selector(f"{FILTERS}[data-mc-ready]", state="attached")
    assert page.input_value(f'{FILTERS} select[data-filter="backend"]') == backend, "backend select after reload"
    assert page.input_value(f'{FILTERS} select[data-filter="modality"]') == modality, "modality select after reload"
    assert page.input_value(f"{FILTERS} input[data-filter-text]") == "a", "text filter after reload"
    assert names(shown(page)) == expected, "rows shown after reload"
    assert count_text(page) == count
    assert not page.is_checked("#__search"), "the filtered address opened Material's search overlay"

    # A fresh page opened at the shared address shows the same view.
    fresh = page.context.new_page()
    open_catalog(fresh, base_url, "?" + url.split("?", 1)[1])
    assert names(shown(fresh)) == expected, "rows shown at the shared address"
    fresh.close()


def test_unknown_values_in_the_address_are_ignored(page: Page, base_url: str) -> None:
    open_catalog(page, base_url, "?backend=no-such-backend&task=")
    assert page.input_value(f'{FILTERS} select[data-filter="backend"]') == ""
    assert len(shown(page)) == len(rows(page)), "an unknown value must not hide every row"


def test_clearing_filters_restores_all_rows(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    query = f"?backend={partial_value(page, 'backend')}&name=e"
    open_catalog(page, base_url, query)
    total = len(rows(page))
    assert len(shown(page)) < total, f"{query} should hide some rows"
    select_filter(page, "backend", "")
    type_filter(page, "")
    assert len(shown(page)) == total, "rows shown after setting every filter back to All and emptying the text"
    assert count_text(page) == f"{total} of {total} deployments"
    assert query_of(page) == {}, f"the address keeps filters after clearing: {page.url}"

    # The Clear filters button does the same in one click.
    select_filter(page, "status", options(page, "status")[0])
    type_filter(page, "e")
    page.click(f"{FILTERS} .mc-filter-reset")
    assert len(shown(page)) == total, "rows shown after Clear filters"
    assert query_of(page) == {}, page.url
    assert page.input_value(f"{FILTERS} input[data-filter-text]") == ""
    assert page.is_disabled(f"{FILTERS} .mc-filter-reset"), "Clear filters stays enabled with nothing to clear"


def column(page: Page, heading: str) -> int:
    headings: list[str] = page.eval_on_selector_all(
        f"{TABLE} thead th", "(ths) => ths.map((th) => th.textContent.trim())"
    )
    assert heading in headings, f"no {heading!r} column in {headings}"
    return headings.index(heading)


def numbers(page: Page, index: int) -> list[float | None]:
    values: list[float | None] = []
    for row in rows(page):
        raw = row["cells"][index].replace(",", "")
        try:
            values.append(float(raw))
        except ValueError:
            values.append(None)
    return values


def test_sorting_by_a_number_column(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    index = column(page, "Context")
    header = f"{TABLE} thead th >> nth={index}"
    before = numbers(page, index)
    present = [v for v in before if v is not None]
    assert len(set(present)) > 1, "the Context column needs at least two different values to test sorting"

    page.click(header)
    after = numbers(page, index)
    want = sorted(present) + [None] * (len(before) - len(present))
    assert after == want, f"ascending by Context (blanks last):\n  got  {after}\n  want {want}"
    assert page.get_attribute(header, "aria-sort") == "ascending"

    page.click(header)
    after = numbers(page, index)
    want = sorted(present, reverse=True) + [None] * (len(before) - len(present))
    assert after == want, f"descending by Context (blanks last):\n  got  {after}\n  want {want}"
    assert page.get_attribute(header, "aria-sort") == "descending"
    others = page.eval_on_selector_all(f"{TABLE} thead th[aria-sort]", "(ths) => ths.length")
    assert others == 1, "only the sorted column carries aria-sort"


def test_sorting_keeps_the_filter(page: Page, base_url: str) -> None:
    open_catalog(page, base_url)
    every = sorted(names(rows(page)))
    backend = partial_value(page, "backend")
    select_filter(page, "backend", backend)
    before = set(names(shown(page)))
    page.click(f"{TABLE} thead th >> nth={column(page, 'Context')}")
    assert set(names(shown(page))) == before, "sorting changed which rows are shown"
    assert sorted(names(rows(page))) == every, "sorting lost or duplicated rows"
