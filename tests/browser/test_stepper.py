"""The step-through decision trees on /decide/ (real site, headless Chromium)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from .helpers import leaf_paths, open_page, trees

pytestmark = pytest.mark.browser

STEPPER = ".mc-stepper"


def open_decide(page: Page, base_url: str) -> list[dict[str, Any]]:
    open_page(page, f"{base_url}decide/", STEPPER)
    found = trees(page)
    assert found, "no .mc-stepper on /decide/"
    return found


def stepper(page: Page, tree: dict[str, Any]) -> Locator:
    return page.locator(f'{STEPPER}[data-tree-id="{tree["_id"]}"]')


def recommendations(path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every recommendation met on `path`, in order, once each (as the stepper lists them)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for step in path:
        for rec in step["option"]["recommend"]:
            seen.setdefault((rec["title"], rec["href"], rec["backend"], rec["label"], rec["note"]), rec)
    return list(seen.values())


def choose(box: Locator, label: str) -> None:
    buttons = box.locator(".mc-step-options").get_by_role("button", name=label, exact=True)
    assert buttons.count() == 1, f"want one option button {label!r}, have {option_labels(box)}"
    buttons.click()


def question_text(box: Locator) -> str:
    return box.locator(".mc-step-question").inner_text().strip()


def option_labels(box: Locator) -> list[str]:
    return [t.strip() for t in box.locator(".mc-step-option").all_inner_texts()]


def walk(box: Locator, tree: dict[str, Any], path: list[dict[str, Any]]) -> None:
    """Answer every question of `path`, checking each question and its options on the way."""
    for number, step in enumerate(path, 1):
        node = tree["nodes"][step["node"]]
        assert question_text(box) == node["question"], f"question {number} of tree {tree['_id']}"
        assert option_labels(box) == [o["label"] for o in node["options"]], f"options of {step['node']!r}"
        assert box.locator(".mc-step-result").is_hidden(), f"a result is shown before the last answer ({number})"
        choose(box, step["option"]["label"])


def result_items(box: Locator) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = box.locator(".mc-step-result .mc-step-rec").evaluate_all(
        """(lis) => lis.map((li) => {
            const a = li.querySelector("a");
            return {text: li.textContent, title: (a || li.querySelector(".mc-step-rec-title") || {}).textContent,
                    href: a ? a.getAttribute("href") : null};
        })"""
    )
    return items


def best_path(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The path that collects the most recommendations (ties: the one with a deployment link, then the longest)."""
    paths = leaf_paths(tree)
    assert paths, f"tree {tree['_id']} has no path to an answer"
    return max(paths, key=lambda p: (len(recommendations(p)), any(r["href"] for r in recommendations(p)), len(p)))


def test_every_tree_walks_to_a_result_listing_all_recommendations(page: Page, base_url: str) -> None:
    for tree in open_decide(page, base_url):
        box = stepper(page, tree)
        path = best_path(tree)
        walk(box, tree, path)
        result = box.locator(".mc-step-result")
        assert result.is_visible(), f"tree {tree['_id']}: no result after the last answer"
        assert box.locator(".mc-step-option").count() == 0 or box.locator(".mc-step-options").is_hidden()
        expected = recommendations(path)
        got = result_items(box)
        assert [g["title"] for g in got] == [r["title"] for r in expected], f"tree {tree['_id']}: recommendations"
        assert [g["href"] for g in got] == [r["href"] for r in expected], f"tree {tree['_id']}: links"
        for rec, item in zip(expected, got, strict=True):
            for field in ("backend", "label", "note"):
                if rec[field]:
                    assert rec[field] in item["text"], (
                        f"{rec['title']}: {field} {rec[field]!r} missing in {item['text']!r}"
                    )
        answers = [t.strip() for t in box.locator(".mc-step-path .mc-step-path-answer").all_inner_texts()]
        labels = [step["option"]["label"] for step in path]
        assert [a.removeprefix("→").strip() for a in answers] == labels, f"tree {tree['_id']}: answers taken"


def test_result_link_opens_the_deployment_card(page: Page, base_url: str) -> None:
    found = open_decide(page, base_url)
    linked = [(t, p) for t in found for p in leaf_paths(t) if any(r["href"] for r in recommendations(p))]
    assert linked, "no tree path ends in a recommendation with a deployment link"
    tree, path = linked[0]
    rec = next(r for r in recommendations(path) if r["href"])
    box = stepper(page, tree)
    walk(box, tree, path)
    link = box.locator(".mc-step-result a.mc-step-rec-link", has_text=rec["title"]).first
    target = urljoin(page.url, rec["href"])
    deployment_id = urlsplit(target).path.rstrip("/").rsplit("/", 1)[-1]
    link.click()
    page.wait_for_url(target)
    # Instant navigation changes the address before it swaps the content: wait for the card's heading (the
    # deployment id), not just any h1, which for a moment is still the one of /decide/.
    h1 = page.locator("article h1")
    expect(h1).to_have_attribute("id", deployment_id)
    expect(h1).to_contain_text(rec["title"])
    # Every deployment link in every tree leads to a page that exists.
    missing = []
    for href in {r["href"] for t in found for p in leaf_paths(t) for r in recommendations(p) if r["href"]}:
        response = page.request.get(urljoin(f"{base_url}decide/", href))
        if not response.ok:
            missing.append(f"{href} ({response.status})")
    assert not missing, f"decision-tree links to missing pages: {missing}"


def test_back_and_start_over(page: Page, base_url: str) -> None:
    tree = next(t for t in open_decide(page, base_url) if max(len(p) for p in leaf_paths(t)) >= 2)
    box = stepper(page, tree)
    back, restart = box.locator(".mc-step-back"), box.locator(".mc-step-restart")
    root_question = tree["nodes"][tree["root"]]["question"]
    assert back.is_disabled(), "Back is enabled at the first question"
    assert question_text(box) == root_question

    path = max(leaf_paths(tree), key=len)
    choose(box, path[0]["option"]["label"])
    second = tree["nodes"][path[1]["node"]]["question"]
    assert question_text(box) == second
    assert back.is_enabled(), "Back is disabled after an answer"
    back.click()
    assert question_text(box) == root_question, "Back from the second question"
    assert back.is_disabled(), "Back is enabled again at the first question"

    walk(box, tree, path)
    assert box.locator(".mc-step-result").is_visible()
    back.click()
    last = tree["nodes"][path[-1]["node"]]
    assert box.locator(".mc-step-result").is_hidden(), "the result stays after Back"
    assert question_text(box) == last["question"], "Back from the result shows the last question"
    assert option_labels(box) == [o["label"] for o in last["options"]]
    choose(box, path[-1]["option"]["label"])
    assert box.locator(".mc-step-result").is_visible(), "answering again after Back shows the result"
    answers = box.locator(".mc-step-path .mc-step-path-answer").count()
    assert answers == len(path), f"the path lists {answers} answers after Back and answering again, want {len(path)}"

    restart.click()
    assert question_text(box) == root_question, "Start over"
    assert box.locator(".mc-step-result").is_hidden()
    assert back.is_disabled(), "Back is enabled after Start over"


def test_steppers_work_independently(page: Page, base_url: str) -> None:
    found = open_decide(page, base_url)
    if len(found) < 2:
        pytest.skip("only one tree on /decide/")
    first, second = stepper(page, found[0]), stepper(page, found[1])
    choose(first, found[0]["nodes"][found[0]["root"]]["options"][0]["label"])
    assert question_text(second) == found[1]["nodes"][found[1]["root"]]["question"], "answering one tree moved another"
