"""Relative links in page markdown, resolved against the page so joined files (llms-full.txt) keep working."""

from __future__ import annotations

import pytest

from hooks.render.agents import absolute_links
from hooks.render.templating import Links


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[a](../../glossary/#base-model)", "[a](https://x.test/glossary/#base-model)"),
        ("[a](../b/)", "[a](https://x.test/deployments/b/)"),
        ("[a](../../catalog/)", "[a](https://x.test/catalog/)"),
        ('<a href="../compare/?d=a">', '<a href="https://x.test/deployments/compare/?d=a">'),
        ("[a](https://other.test/x)", "[a](https://other.test/x)"),
        ("[a](#identity)", "[a](#identity)"),
        ("[a](mailto:x@y.z)", "[a](mailto:x@y.z)"),
        ("[a](/abs/)", "[a](/abs/)"),
    ],
)
def test_absolute_links(markdown: str, expected: str) -> None:
    assert absolute_links(markdown, "deployments/coder-chat/", "https://x.test/") == expected


@pytest.mark.parametrize(
    ("page", "target", "expected"),
    [
        ("", "deployments/a/", "deployments/a/"),
        ("catalog/", "deployments/a/", "../deployments/a/"),
        ("deployments/a/", "deployments/b/", "../b/"),
        ("deployments/a/", "catalog/", "../../catalog/"),
    ],
)
def test_relative_links_between_pages(page: str, target: str, expected: str) -> None:
    assert Links(page).to(target) == expected
